/// Interned (namespace, local name) pairs: paths compare small integers, not
/// strings, and a record's tree stores one Int32 per element.
public final class XMLNameTable {
    private struct Key: Hashable {
        var namespace: String
        var local: String
    }

    private var ids: [Key: Int32] = [:]
    private var keys: [Key] = []

    public init() {}

    public func id(namespace: String, local: String) -> Int32 {
        let key = Key(namespace: namespace, local: local)
        if let id = ids[key] { return id }
        let id = Int32(keys.count)
        keys.append(key)
        ids[key] = id
        return id
    }

    /// The id if the name was ever seen or compiled (a path naming an element
    /// that never occurs simply matches nothing).
    public func existingId(namespace: String, local: String) -> Int32? { ids[Key(namespace: namespace, local: local)] }

    public func localName(_ id: Int32) -> String { keys[Int(id)].local }
    public func namespace(_ id: Int32) -> String { keys[Int(id)].namespace }
}
