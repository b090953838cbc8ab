import ClinloadCore
import Foundation

/// Chooses a key provider from a URI:
///
/// - `local:PATH` (or `local://PATH`): a master key file, created on first use.
///
/// Further schemes (`aws-kms://`, `pkcs11:`) plug in here.
public enum KeyProviderURI {
    /// `createIfMissing`: whether a missing local master key may be created (only
    /// for a store that holds no wrapped keys yet — otherwise a lost key file must
    /// be restored, not silently replaced).
    public static func provider(for uri: String, relativeTo base: URL, createIfMissing: Bool = true) throws -> KeyProvider {
        if uri.hasPrefix("local:") {
            var path = String(uri.dropFirst("local:".count))
            if path.hasPrefix("//") { path = String(path.dropFirst(2)) }
            guard !path.isEmpty else {
                throw ClinloadError(.keyUriInvalid, stage: .configuration, "a local key URI needs a path (local:PATH)")
            }
            let url = path.hasPrefix("/") ? URL(fileURLWithPath: path) : base.appendingPathComponent(path)
            return try LocalKeyProvider(path: url.standardizedFileURL.path, createIfMissing: createIfMissing)
        }
        throw ClinloadError(.keyUriInvalid, stage: .configuration, "unknown key provider scheme (supported: local:PATH)")
    }
}
