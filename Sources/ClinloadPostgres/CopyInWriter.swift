import CLibPQ

/// Buffers COPY data and hands it to libpq in blocks of about 1 MiB.
public final class CopyInWriter {
    private let conn: OpaquePointer
    public var buffer: [UInt8] = []
    private let flushThreshold = 1 << 20

    init(conn: OpaquePointer) {
        self.conn = conn
        buffer.reserveCapacity(flushThreshold + 64 * 1024)
    }

    /// Appends bytes; flushes when the buffer is full.
    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        buffer.append(contentsOf: bytes)
        if buffer.count >= flushThreshold { try flush() }
    }

    /// Call after appending directly to `buffer`.
    public func flushIfFull() throws {
        if buffer.count >= flushThreshold { try flush() }
    }

    public func flush() throws {
        guard !buffer.isEmpty else { return }
        let rc = buffer.withUnsafeBytes { raw in
            PQputCopyData(conn, raw.baseAddress!.assumingMemoryBound(to: CChar.self), Int32(raw.count))
        }
        guard rc == 1 else {
            // A dead connection (server gone) is "unavailable", not a bug.
            let lost = PQstatus(conn) != CONNECTION_OK
            throw PostgresError(kind: lost ? .connection : .copy, connectionMessage: lost ? "connection lost" : "PQputCopyData failed")
        }
        buffer.removeAll(keepingCapacity: true)
    }
}
