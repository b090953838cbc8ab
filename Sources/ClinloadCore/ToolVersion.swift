/// The version recorded with every batch and audit entry.
public enum ToolVersion {
    public static let current = "0.1.0"
}
