/// The lifecycle of one batch, as a pure state machine (no I/O), so every
/// transition can be tested on its own and the database only records outcomes.
///
///     registered ──start──► running ──► loaded
///                                  ├──► rejected   (too many bad records; nothing merged)
///                                  └──► failed     (an error; nothing merged)
public enum BatchState: String, Sendable, CaseIterable, Codable {
    case registered
    case running
    case loaded
    case rejected
    case failed

    public var isTerminal: Bool {
        switch self {
        case .loaded, .rejected, .failed: return true
        case .registered, .running: return false
        }
    }

    /// The events that move a batch along.
    public enum Event: Sendable {
        case start
        case complete
        case reject
        case fail
    }

    /// The state after `event`, or nil if the event is not allowed here — a batch
    /// that has ended never moves again (a replay is a new batch).
    public func after(_ event: Event) -> BatchState? {
        switch (self, event) {
        case (.registered, .start): return .running
        case (.running, .complete): return .loaded
        case (.running, .reject): return .rejected
        case (.registered, .fail), (.running, .fail): return .failed
        default: return nil
        }
    }
}
