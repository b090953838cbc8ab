import ClinloadCore
import ClinloadDefinitions
import ClinloadExtract
import ClinloadPostgres
import ClinloadStore
import ClinloadValidate
import Foundation

extension BatchRunner {
    /// A patient file (CSV, `defines`): one vault row and one clinical row per
    /// record, a chunk at a time, with the server merging one chunk while this
    /// process reads, validates and encrypts the next (two cores, both busy):
    ///
    ///     read + validate + encrypt chunk k ‖ server merges chunk k-1
    ///     look up chunk k's blind indexes (this batch's rows included)
    ///     COPY chunk k into the staging table
    ///     send chunk k's merge, without waiting
    ///
    /// The look-up must wait for chunk k-1's merge (it finds repeats of patients
    /// that chunk inserted), and a value's encryption binds its surrogate. So the
    /// chunk is encrypted *before* the look-up, as if every patient were new (a
    /// fresh random surrogate each); only the rows of patients the look-up finds
    /// in the vault are encrypted again, under their surrogate. A first load
    /// encrypts once, while the server is busy with the previous chunk, instead of
    /// between the look-up and the COPY with the server idle.
    ///
    /// The staging table holds one chunk, so it stays in the session's temporary
    /// buffers however large the file. New patients go straight on to the final
    /// tables; rows of patients already in the vault wait in a deferred table and
    /// update them only at the end, once the batch is known not to be rejected (a
    /// rejected batch deletes the new rows it inserted, and no committed row was
    /// touched). A record repeating a patient of this file is quarantined as it is
    /// read (rule `unique` on the natural key), with the record at hand to encrypt.
    func stagePatientCSV(pipeline: LoadedPipeline, work: BatchWork, counts: inout BatchCounts) throws -> StagedLoad {
        let vault = try PatientVault(pipeline: pipeline, work: work, connection: connection)
        let (validator, splitter, loader) = (vault.validator, vault.splitter, vault.loader)
        let reader = try CSVReader(path: work.input.path, header: true)
        let header = try readHeader(reader, pipeline: pipeline, file: work.input.path)
        let repeated = [QuarantineReason(field: splitter.naturalKeyName, rule: "unique")]

        var chunk = [CSVRecord](repeating: CSVRecord(), count: chunkSize)
        var blindIndexes = [[UInt8]](repeating: [], count: chunkSize)
        var firstInChunk = Set<[UInt8]>()
        var rows: [(index: Int, known: UUID?)] = []   // the records to stage, with the surrogate of a known patient
        var asNew: [UInt8] = []   // each record's staging row as a new patient's...
        var rowInAsNew = [Range<Int>](repeating: 0..<0, count: chunkSize)   // ...at these bytes
        var inserted = (identity: 0, clinical: 0)
        var merging = false
        func collectMerge() throws {
            guard merging else { return }
            merging = false
            let affected = try connection.collectSent()
            inserted.identity += affected[0]
            inserted.clinical += affected[1]
        }

        var atEnd = false
        while !atEnd {
            let kept: Int
            (kept, atEnd) = try readValidChunk(reader, header: header, validator: validator, columns: splitter.clinical,
                                               subjectKey: splitter.subjectKey, work: work, counts: &counts,
                                               chunk: &chunk, blindIndexes: &blindIndexes)
            asNew.removeAll(keepingCapacity: true)
            for i in 0..<kept {
                let start = asNew.count
                try splitter.appendStagingRow(chunk[i], provenance: chunk[i].provenance, surrogate: try UUID.random(from: random),
                                              known: false, blindIndex: blindIndexes[i], sealer: work.sealer,
                                              pseudonyms: work.pseudonyms, into: &asNew)
                rowInAsNew[i] = start..<asNew.count
            }
            try collectMerge()
            let subjects = try loader.subjects(blindIndexes: Array(blindIndexes[0..<kept]), batchId: work.batchId)
            firstInChunk.removeAll(keepingCapacity: true)
            rows.removeAll(keepingCapacity: true)
            for i in 0..<kept {
                let subject = subjects[blindIndexes[i]]
                if subject?.inThisBatch == true || !firstInChunk.insert(blindIndexes[i]).inserted {
                    try quarantine(chunk[i], reasons: repeated, work: work, counts: &counts)
                } else {
                    rows.append((i, subject?.surrogate))
                }
            }
            try work.quarantine.flush()
            if !rows.isEmpty {
                try connection.copyIn(loader.copyStatement) { writer in
                    writer.buffer.append(contentsOf: BinaryCopyEncoder.header)
                    for (i, known) in rows {
                        if let known {
                            try splitter.appendStagingRow(chunk[i], provenance: chunk[i].provenance, surrogate: known,
                                                          known: true, blindIndex: blindIndexes[i], sealer: work.sealer,
                                                          pseudonyms: work.pseudonyms, into: &writer.buffer)
                        } else {
                            writer.buffer.append(contentsOf: asNew[rowInAsNew[i]])
                        }
                        try writer.flushIfFull()
                    }
                    writer.buffer.append(contentsOf: BinaryCopyEncoder.trailer)
                }
                try connection.send(vault.chunkMergeSQL(deferringKnown: rows.contains { $0.known != nil }))
                merging = true
            }
            progress?(reader.bytesRead, work.input.bytes, counts.recordsRead)
            try stopIfCancelled()
        }
        try collectMerge()
        let expected = counts.recordsLoaded
        return StagedLoad(
            merge: {
                let updated = try loader.applyDeferredUpdates(batchId: work.batchId, dataKeyId: work.dataKeyId)
                let identityRows = inserted.identity + updated.identityRows
                let clinicalRows = inserted.clinical + updated.clinicalRows
                // Counts must add up: every record read is loaded or quarantined.
                try Self.checkCounts([identityRows, clinicalRows], expected: expected)
                return [loader.plan.identityName: identityRows, loader.plan.clinicalName: clinicalRows]
            },
            withdraw: { try loader.withdrawInserted(batchId: work.batchId) })
    }
}
