import ClinloadCore
import ClinloadDefinitions
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Matches the files of a drop folder to pipelines by each pipeline's
/// `source.match` glob (fnmatch). Hidden files and sub-folders are ignored.
public struct DropFolder: Sendable {
    public struct Assignment: Sendable {
        public var path: String
        public var pipeline: LoadedPipeline
    }

    public var assignments: [Assignment] = []
    /// Files no pipeline claims: reported, never loaded.
    public var unmatched: [String] = []
    /// Files two or more pipelines claim: reported as configuration errors.
    public var ambiguous: [(path: String, pipelines: [String])] = []

    public init(directory: URL, pipelines: [LoadedPipeline]) throws {
        let fm = FileManager.default
        guard let names = try? fm.contentsOfDirectory(atPath: directory.path) else {
            throw ClinloadError(.usage, stage: .cli, "cannot read the input folder", attributes: [("path", directory.path)])
        }
        for name in names.sorted() where !name.hasPrefix(".") {
            let path = directory.appendingPathComponent(name).path
            var isDirectory: ObjCBool = false
            guard fm.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue else { continue }
            let claims = pipelines.filter { pipeline in
                pipeline.definition.source.match.map { fnmatch($0, name, 0) == 0 } ?? false
            }
            switch claims.count {
            case 0: unmatched.append(path)
            case 1: assignments.append(Assignment(path: path, pipeline: claims[0]))
            default: ambiguous.append((path, claims.map(\.name)))
            }
        }
        // Feeds that define patients load before feeds that refer to them, so a
        // nightly drop of patients.csv and encounters.csv needs no replay.
        assignments = assignments.enumerated().sorted { a, b in
            let (ra, rb) = (Self.rank(a.element.pipeline), Self.rank(b.element.pipeline))
            return ra != rb ? ra < rb : a.offset < b.offset
        }.map(\.element)
    }

    static func rank(_ pipeline: LoadedPipeline) -> Int {
        switch pipeline.definition.subject.mode {
        case .none: return 0
        case .defines: return 1
        case .reference: return 2
        }
    }
}
