import ClinloadCore
import ClinloadStore
import Foundation

/// What happened to one input file.
public struct BatchOutcome: Sendable {
    public enum Status: String, Sendable {
        /// Loaded now.
        case loaded
        /// Loaded before (same pipeline, same bytes): nothing done.
        case alreadyLoaded = "already_loaded"
        /// Too many bad records: quarantine kept, nothing merged.
        case rejected
        /// An error stopped the batch: nothing merged.
        case failed
    }

    public var status: Status
    public var batchId: UUID?
    public var pipeline: String
    public var input: InputFile?
    /// The path as given, even when the file could not be read.
    public var path: String
    public var counts: BatchCounts
    public var error: ClinloadError?
    public var seconds: Double
    /// Quarantine reasons by (field, rule) with counts.
    public var reasons: [QuarantineTally]
    /// Already loaded, by a batch that ran another definition of the pipeline
    /// (`run --reload` loads the file again under this one).
    public var loadedUnderEarlierDefinition = false
    /// Earlier batches of the same input this one superseded (`run --reload`).
    public var superseded: [UUID] = []

    public var exitStatus: ExitStatus {
        switch status {
        case .loaded, .alreadyLoaded: return .success
        case .rejected: return .dataError
        case .failed: return error?.exitStatus ?? .software
        }
    }
}

public struct QuarantineTally: Sendable, Equatable {
    public var field: String
    public var rule: String
    public var count: Int
    /// The first input line where this reason was found.
    public var firstLine: Int
}
