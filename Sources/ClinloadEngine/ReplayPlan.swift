import ClinloadCore
import ClinloadDefinitions
import ClinloadStore
import Foundation

/// Decides whether a recorded batch may be replayed, and from which bytes.
///
/// A replay re-runs a batch that did not load (failed, rejected or interrupted)
/// with the same pipeline definition and the same input bytes — proved by
/// SHA-256 — as a new batch linked to the original. A loaded batch is never
/// replayed, and a batch whose input has since loaded under another batch has
/// nothing left to do.
public struct ReplayPlan: Sendable {
    public var original: UUID
    public var path: String
    public var pipeline: LoadedPipeline

    public static func prepare(
        batch recorded: BatchLedger.Recorded, input: String?, pipelinesDirectory: URL, loadedElsewhere: UUID?
    ) throws -> ReplayPlan {
        let id = recorded.batchId.uuidString.lowercased()
        switch recorded.state {
        case .loaded, .superseded:
            throw ClinloadError(.usage, stage: .cli, "the batch loaded; only failed or rejected batches are replayed",
                                attributes: [("batch_id", id)])
        case .registered, .running:
            throw ClinloadError(.lockHeld, stage: .cli, "the batch is still running", attributes: [("batch_id", id)])
        case .failed, .rejected:
            break
        }
        if let loadedElsewhere {
            throw ClinloadError(.usage, stage: .cli, "the same input has since loaded under another batch; nothing to replay",
                                attributes: [("batch_id", id), ("loaded_by", loadedElsewhere.uuidString.lowercased())])
        }
        let pipeline = try DefinitionLoader.loadPipeline(recorded.pipeline, pipelinesDirectory: pipelinesDirectory)
        guard pipeline.definitionSHA256 == recorded.pipelineSHA256 else {
            throw ClinloadError(.pipelineInvalid, stage: .configuration,
                                "the pipeline definition changed since the batch ran; load the file as a new batch instead",
                                attributes: [("batch_id", id), ("recorded_sha256", recorded.pipelineSHA256),
                                             ("current_sha256", pipeline.definitionSHA256)])
        }
        let path = input ?? recorded.inputPath
        let file = try InputFile.fingerprint(path)
        guard file.sha256 == recorded.inputSHA256 else {
            throw ClinloadError(.inputChanged, stage: .register,
                                "the input's SHA-256 differs from the recorded one; give --input where the same bytes are",
                                location: .init(file: path),
                                attributes: [("recorded_sha256", recorded.inputSHA256), ("found_sha256", file.sha256)])
        }
        return ReplayPlan(original: recorded.batchId, path: path, pipeline: pipeline)
    }
}
