import ClinloadCore
import ClinloadCrypto
import ClinloadDefinitions
import ClinloadExtract
import ClinloadPostgres
import ClinloadStore
import ClinloadValidate
import Foundation

extension BatchRunner {
    /// A patient file (CSV, `defines`): one vault row and one clinical row per
    /// record, a chunk at a time, with the server loading one chunk while this
    /// process reads, validates and encrypts the next (two cores, both busy):
    ///
    ///     read + validate chunk k             ‖ server loads chunk k-1
    ///     send chunk k's look-up (it runs after chunk k-1)
    ///     encrypt chunk k                     ‖ server loads chunk k-1, looks up chunk k
    ///     collect chunk k-1's counts and chunk k's look-up
    ///     send chunk k: COPY its new patients' vault and clinical rows, and its
    ///     known patients' rows into the deferred updates
    ///
    /// Nothing is waited for but the look-up's answer. It must see chunk k-1
    /// (repeats of patients that chunk inserted), and a value's encryption binds
    /// its surrogate. So the chunk is encrypted *before* the answer, as if every
    /// patient were new (a fresh random surrogate each); only the rows of
    /// patients the look-up finds in the vault are encrypted again, under their
    /// surrogate. A first load encrypts once, while the server works.
    ///
    /// Sent work moves while this process pumps it (`pumpSent`, every 32
    /// records): the server gets COPY data as fast as it takes it, and never
    /// waits for this process to finish a chunk.
    ///
    /// New patients' rows go straight into the vault and clinical tables, with
    /// no staging table between. Rows of patients already in the vault wait in a
    /// deferred table and update them only at the end, once the batch is known
    /// not to be rejected (a rejected batch deletes the new rows it inserted, and
    /// no committed row was touched).
    /// A record repeating a patient of this file is quarantined as it is read
    /// (rule `unique` on the natural key), with the record at hand to encrypt.
    func stagePatientCSV(pipeline: LoadedPipeline, work: BatchWork, counts: inout BatchCounts) throws -> StagedLoad {
        let vault = try PatientVault(pipeline: pipeline, work: work, connection: connection)
        let (validator, splitter, loader) = (vault.validator, vault.splitter, vault.loader)
        let reader = try CSVReader(path: work.input.path, header: true)
        let header = try readHeader(reader, pipeline: pipeline, file: work.input.path)
        let repeated = [QuarantineReason(field: splitter.naturalKeyName, rule: "unique")]

        var chunk = [CSVRecord](repeating: CSVRecord(), count: chunkSize)
        var blindIndexes = [[UInt8]](repeating: [], count: chunkSize)
        var firstInChunk = Set<[UInt8]>()
        var rows: [(index: Int, known: UUID?)] = []   // the records to load, with the surrogate of a known patient
        // Each record encrypted as a new patient's: its vault row and its clinical row, at these bytes.
        var newVaultRows: [UInt8] = [], newClinicalRows: [UInt8] = []
        // Of the largest chunk yet: a buffer sent on is not reused.
        var capacity = (vault: 0, clinical: 0)
        var rowInVault = [Range<Int>](repeating: 0..<0, count: chunkSize)
        var rowInClinical = [Range<Int>](repeating: 0..<0, count: chunkSize)
        var inserted = (identity: 0, clinical: 0)
        var sentNewPatients = false
        /// Waits for what was sent: the previous chunk's work, then the look-up
        /// (if one was sent), whose rows it returns.
        func collectSent() throws -> PostgresResult? {
            let (affected, results) = try connection.collectSentResults()
            // The vault and clinical COPYs of new patients (when the chunk had
            // any), the deferred COPY of known ones; then the look-up's three
            // statements.
            if sentNewPatients {
                inserted.identity += affected[0]
                inserted.clinical += affected[1]
            }
            sentNewPatients = false
            return results.first
        }
        /// An empty buffer for the next chunk: cleared if it was kept, else sized
        /// like the largest chunk's.
        func reset(_ buffer: inout [UInt8], capacity: Int) {
            if buffer.isEmpty { buffer.reserveCapacity(capacity) } else { buffer.removeAll(keepingCapacity: true) }
        }

        var atEnd = false
        while !atEnd {
            let kept: Int
            (kept, atEnd) = try readValidChunk(reader, header: header, validator: validator, columns: splitter.clinical,
                                               subjectKey: splitter.subjectKey, work: work, counts: &counts,
                                               chunk: &chunk, blindIndexes: &blindIndexes)
            // The look-up runs on the server after the previous chunk, while this
            // process encrypts.
            if kept > 0 { try loader.sendSubjectsLookup(blindIndexes: Array(blindIndexes[0..<kept]), batchId: work.batchId) }
            reset(&newVaultRows, capacity: capacity.vault)
            newVaultRows += BinaryCopyEncoder.header
            reset(&newClinicalRows, capacity: capacity.clinical)
            for i in 0..<kept {
                let surrogate = try UUID.random(from: random)
                let provenance = chunk[i].provenance
                var start = newVaultRows.count
                try splitter.appendIdentityRow(chunk[i], provenance: provenance, surrogate: surrogate, blindIndex: blindIndexes[i],
                                               dataKeyId: work.dataKeyId, batchId: work.batchId, sealer: work.sealer, into: &newVaultRows)
                rowInVault[i] = start..<newVaultRows.count
                start = newClinicalRows.count
                try splitter.appendClinicalRow(chunk[i], provenance: provenance, surrogate: surrogate, batchId: vault.batchIdText,
                                               pseudonyms: work.pseudonyms, into: &newClinicalRows)
                rowInClinical[i] = start..<newClinicalRows.count
                if i & 31 == 0 { try connection.pumpSent() }
            }
            capacity = (max(capacity.vault, newVaultRows.count), max(capacity.clinical, newClinicalRows.count))
            let subjects = try collectSent().map(VaultLoader.subjects(in:)) ?? [:]
            firstInChunk.removeAll(keepingCapacity: true)
            rows.removeAll(keepingCapacity: true)
            for i in 0..<kept {
                let subject = BlindIndexKey(blindIndexes[i]).flatMap { subjects[$0] }
                if subject?.inThisBatch == true || !firstInChunk.insert(blindIndexes[i]).inserted {
                    try quarantine(chunk[i], reasons: repeated, work: work, counts: &counts)
                } else {
                    rows.append((i, subject?.surrogate))
                }
            }
            try work.quarantine.flush()
            if !rows.isEmpty {
                // A first load's chunk is sent as it was encrypted; otherwise the
                // new patients' rows are picked out and the known ones re-encrypted.
                let allNew = rows.count == kept && !rows.contains { $0.known != nil }
                var vaultRows: [UInt8], clinicalRows: [UInt8]
                if allNew {
                    (vaultRows, clinicalRows) = (newVaultRows, newClinicalRows)
                    (newVaultRows, newClinicalRows) = ([], [])
                } else {
                    (vaultRows, clinicalRows) = (BinaryCopyEncoder.header, [])
                }
                var deferredRows = BinaryCopyEncoder.header
                var counted = (new: 0, known: 0)
                for (i, known) in rows {
                    if let known {
                        counted.known += 1
                        try splitter.appendDeferredRow(chunk[i], provenance: chunk[i].provenance, surrogate: known,
                                                       blindIndex: blindIndexes[i], sealer: work.sealer,
                                                       pseudonyms: work.pseudonyms, into: &deferredRows)
                    } else {
                        counted.new += 1
                        if !allNew {
                            vaultRows.append(contentsOf: newVaultRows[rowInVault[i]])
                            clinicalRows.append(contentsOf: newClinicalRows[rowInClinical[i]])
                        }
                    }
                }
                if counted.new > 0 {
                    vaultRows += BinaryCopyEncoder.trailer
                    try connection.sendCopy(loader.identityCopyStatement, data: vaultRows)
                    try connection.sendCopy(loader.clinicalCopyStatement, data: clinicalRows)
                    sentNewPatients = true
                }
                if counted.known > 0 {
                    deferredRows += BinaryCopyEncoder.trailer
                    try connection.sendCopy(loader.deferredCopyStatement, data: deferredRows)
                }
            }
            progress?(reader.bytesRead, work.input.bytes, counts.recordsRead)
            try stopIfCancelled()
        }
        _ = try collectSent()
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
