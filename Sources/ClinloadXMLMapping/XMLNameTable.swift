import Foundation

/// Interned (namespace, local name) pairs: paths compare small integers, not
/// strings, and a record's tree stores one Int32 per element.
///
/// Shared by the thread that parses (which interns names as it meets them) and
/// the thread that maps and quarantines records (which reads them), so every
/// access takes a lock. It is off the hot path: the assembler caches ids by the
/// parser's name token and asks here only for a name it has not met yet.
public final class XMLNameTable: @unchecked Sendable {
    private struct Key: Hashable {
        var namespace: String
        var local: String
    }

    private let lock = NSLock()
    private var ids: [Key: Int32] = [:]
    private var keys: [Key] = []

    public init() {}

    public func id(namespace: String, local: String) -> Int32 {
        let key = Key(namespace: namespace, local: local)
        return lock.withLock {
            if let id = ids[key] { return id }
            let id = Int32(keys.count)
            keys.append(key)
            ids[key] = id
            return id
        }
    }

    /// The id if the name was ever seen or compiled (a path naming an element
    /// that never occurs simply matches nothing).
    public func existingId(namespace: String, local: String) -> Int32? {
        lock.withLock { ids[Key(namespace: namespace, local: local)] }
    }

    public func localName(_ id: Int32) -> String { lock.withLock { keys[Int(id)].local } }
    public func namespace(_ id: Int32) -> String { lock.withLock { keys[Int(id)].namespace } }
}
