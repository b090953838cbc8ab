/// The lifecycle of one batch, as a pure state machine (no I/O), so every
/// transition can be tested on its own and the database only records outcomes.
///
///     registered ──start──► running ──► loaded ──supersede──► superseded
///                                  ├──► rejected   (too many bad records; nothing merged)
///                                  └──► failed     (an error; nothing merged)
///
/// `superseded`: `run --reload` loaded the same input again under a new batch,
/// which took this one's per-batch rows away.
public enum BatchState: String, Sendable, CaseIterable, Codable {
    case registered
    case running
    case loaded
    case rejected
    case failed
    case superseded

    public var isTerminal: Bool {
        switch self {
        case .loaded, .rejected, .failed, .superseded: return true
        case .registered, .running: return false
        }
    }

    /// The batch's run committed its data: a superseded batch did too, before a
    /// reload of its input replaced its rows (its lineage stays a completed run).
    public var committedData: Bool { self == .loaded || self == .superseded }

    /// The events that move a batch along.
    public enum Event: Sendable {
        case start
        case complete
        case reject
        case fail
        case supersede
    }

    /// The state after `event`, or nil if the event is not allowed here — a batch
    /// that has ended never moves again (a replay is a new batch), except that a
    /// loaded batch can be superseded by a reload of its input.
    public func after(_ event: Event) -> BatchState? {
        switch (self, event) {
        case (.registered, .start): return .running
        case (.running, .complete): return .loaded
        case (.running, .reject): return .rejected
        case (.registered, .fail), (.running, .fail): return .failed
        case (.loaded, .supersede): return .superseded
        default: return nil
        }
    }
}
