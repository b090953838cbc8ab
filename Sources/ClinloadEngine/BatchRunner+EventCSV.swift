import ClinloadCore
import ClinloadCrypto
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
    /// client holds one chunk however large the file; its rows are built while
    /// the server still loads the previous one and looks the chunk's patients up.
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
        var rowBytes: [Range<Int>] = []
        var surrogates: [UUID?] = []
        var moved = 0
        var moving = false
        /// Waits for what was sent: the previous chunk's COPY (if one was sent),
        /// then the look-up (if one was sent), whose rows it returns.
        func collectSent() throws -> PostgresResult? {
            let (affected, results) = try connection.collectSentResults()
            if moving { moved += affected[0] }
            moving = false
            return results.first
        }
        var atEnd = false
        while !atEnd {
            let kept: Int
            (kept, atEnd) = try readValidChunk(reader, header: header, validator: validator, columns: columns,
                                               subjectKey: hasSubject ? subjectKey : nil, work: work, counts: &counts,
                                               chunk: &chunk, blindIndexes: &blindIndexes)
            if hasSubject {
                // The look-up runs on the server after the previous chunk's COPY,
                // while this process builds the chunk's rows, surrogates left blank.
                if kept > 0 { try lookup!.sendSurrogatesLookup(blindIndexes: Array(blindIndexes[0..<kept])) }
                rowBytes.removeAll(keepingCapacity: true)
                for i in 0..<kept {
                    rowBytes.append(try rowTable.appendRowAwaitingSubject(ordinal: chunk[i].provenance.ordinal, item: 1) {
                        try columns.append(chunk[i], pseudonyms: work.pseudonyms, as: TextCopyEncoder.self, into: &$0)
                    })
                    if i & 31 == 0 { try connection.pumpSent() }
                }
                let patients = kept > 0 ? try collectSent().map(VaultLookup.surrogates(in:)) ?? [:] : [:]
                surrogates.removeAll(keepingCapacity: true)
                for i in 0..<kept {
                    let surrogate = BlindIndexKey(blindIndexes[i]).flatMap { patients[$0] }
                    if surrogate == nil {
                        try quarantine(chunk[i], reasons: [QuarantineReason(field: subjectKey.name, rule: "unknown_subject")],
                                       work: work, counts: &counts)
                    }
                    surrogates.append(surrogate)
                }
                rowTable.settleSubjects(rowBytes, surrogates)
            } else {
                for i in 0..<kept {
                    try rowTable.appendRow(surrogate: nil, ordinal: chunk[i].provenance.ordinal, item: 1) {
                        try columns.append(chunk[i], pseudonyms: work.pseudonyms, as: TextCopyEncoder.self, into: &$0)
                    }
                    if i & 31 == 0 { try connection.pumpSent() }
                }
            }
            _ = try collectSent()
            try work.quarantine.flush()
            if rowTable.pendingRows > 0 {
                try rowTable.flush()
                moving = true
            }
            progress?(reader.bytesRead, work.input.bytes, counts.recordsRead)
            try stopIfCancelled()
        }
        _ = try collectSent()
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
