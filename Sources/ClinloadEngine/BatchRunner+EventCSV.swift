import ClinloadCore
import ClinloadDefinitions
import ClinloadExtract
import ClinloadPostgres
import ClinloadStore
import ClinloadValidate
import Foundation

extension BatchRunner {
    /// An event or reference-data file (CSV, subject `reference` or `none`): one
    /// clinical row per record, keyed to a patient found in the vault by the blind
    /// index of the record's patient reference. A record naming a patient the vault
    /// does not hold is quarantined (rule `unknown_subject`): load the patient feed
    /// first (`run --all` orders feeds that way), then replay. Each chunk is
    /// COPYed into the table while the next is read (sent without waiting), so the
    /// client holds one chunk however large the file.
    func stageEventCSV(pipeline: LoadedPipeline, work: BatchWork, counts: inout BatchCounts) throws -> StagedLoad {
        let definition = pipeline.definition
        let validator = try RecordValidator(schema: pipeline.schema)
        let columns = ClinicalColumns(
            fields: pipeline.schema.fieldNames.map { definition.mapping(for: $0) ?? FieldMapping(name: $0, fieldClass: .clinical, drop: true) },
            missingValues: pipeline.schema.missingValues)
        let hasSubject = definition.subject.mode == .reference
        let subjectKey = SubjectKey(pipeline: pipeline)
        let lookup = definition.target.identity.map { VaultLookup(connection: connection, identityTable: $0.description) }
        let table = definition.target.clinical!   // lint: CSV pipelines name their clinical table
        let rowTable = try RowTableLoader(connection: connection, table: (table.schema, table.table), columns: columns.names,
                                          hasSubject: hasSubject, batchId: work.batchId)
        let reader = try CSVReader(path: work.input.path, header: true)
        let header = try readHeader(reader, pipeline: pipeline, file: work.input.path)

        var chunk = [CSVRecord](repeating: CSVRecord(), count: chunkSize)
        var blindIndexes = [[UInt8]](repeating: [], count: chunkSize)
        var moved = 0
        var moving = false
        func collectMove() throws {
            guard moving else { return }
            moving = false
            moved += try connection.collectSent()[0]   // the chunk's COPY
        }
        var atEnd = false
        while !atEnd {
            let kept: Int
            (kept, atEnd) = try readValidChunk(reader, header: header, validator: validator, columns: columns,
                                               subjectKey: hasSubject ? subjectKey : nil, work: work, counts: &counts,
                                               chunk: &chunk, blindIndexes: &blindIndexes)
            try collectMove()
            let patients = hasSubject ? try lookup!.surrogates(blindIndexes: Array(blindIndexes[0..<kept])) : [:]
            for i in 0..<kept {
                let surrogate = hasSubject ? patients[blindIndexes[i]] : nil
                if hasSubject, surrogate == nil {
                    try quarantine(chunk[i], reasons: [QuarantineReason(field: subjectKey.name, rule: "unknown_subject")],
                                   work: work, counts: &counts)
                    continue
                }
                try rowTable.appendRow(surrogate: surrogate, ordinal: chunk[i].provenance.ordinal, item: 1) {
                    try columns.append(chunk[i], pseudonyms: work.pseudonyms, as: TextCopyEncoder.self, into: &$0)
                }
            }
            try work.quarantine.flush()
            if rowTable.pendingRows > 0 {
                try rowTable.flush()
                moving = true
            }
            progress?(reader.bytesRead, work.input.bytes, counts.recordsRead)
            try stopIfCancelled()
        }
        try collectMove()
        let expected = counts.recordsLoaded
        let rows = moved
        return StagedLoad(
            merge: {
                try Self.checkCounts([rows], expected: expected)
                return [rowTable.tableName: rows]
            },
            withdraw: { try rowTable.withdraw(batchId: work.batchId) })
    }
}
