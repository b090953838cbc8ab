import Synchronization

/// Set once when the operator asks the process to stop (SIGTERM, SIGINT); the
/// batch runner looks at it between chunks and between files.
public final class CancellationFlag: Sendable {
    private let flag = Atomic<Bool>(false)

    public init() {}

    public var isCancelled: Bool { flag.load(ordering: .acquiring) }

    public func cancel() { flag.store(true, ordering: .releasing) }
}
