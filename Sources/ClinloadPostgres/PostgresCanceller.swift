import CLibPQ

/// Cancels whatever statement a connection is running, from another thread
/// (libpq's PQcancel is safe to call concurrently with the connection's owner).
public final class PostgresCanceller: @unchecked Sendable {
    // Owned here, freed in deinit; PQcancel itself is thread-safe.
    private let handle: OpaquePointer

    init?(connection: OpaquePointer) {
        guard let handle = PQgetCancel(connection) else { return nil }
        self.handle = handle
    }

    deinit { PQfreeCancel(handle) }

    /// Asks the server to cancel the running statement (SQLSTATE 57014 in the owner).
    @discardableResult
    public func cancel() -> Bool {
        var buffer = [CChar](repeating: 0, count: 256)
        return PQcancel(handle, &buffer, Int32(buffer.count)) == 1
    }
}
