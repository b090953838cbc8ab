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
    ///
    /// A chunk's new patients are sent in the order of their surrogates, not of
    /// the file: two of the three indexes they go into (the vault's and the
    /// clinical table's primary keys) are on the surrogate, and inserts in key
    /// order find the pages the previous insert touched still in cache. 100,000
    /// new patients into a vault of 1,000,000 (the nightly case) took 5.8–6.4 s
    /// in file order and 5.5–5.8 s in surrogate order (three alternating runs
    /// each, a fresh copy of the vault per run); a first load of 1,000,000 moved
    /// within noise (46.5 → 45.9 s). The surrogates stay random: only the order
    /// in which rows are sent follows them.
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
        var newPatients: [Int] = []   // of those, the ones to insert, in the order they are sent
        // Each record encrypted as a new patient's: its vault row and its clinical row, at these bytes.
        var newVaultRows: [UInt8] = [], newClinicalRows: [UInt8] = []
        var rowInVault = [Range<Int>](repeating: 0..<0, count: chunkSize)
        var rowInClinical = [Range<Int>](repeating: 0..<0, count: chunkSize)
        var surrogateOrder = [UUIDIndexOrder](repeating: UUIDIndexOrder(), count: chunkSize)
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
        var atEnd = false
        while !atEnd {
            let kept: Int
            (kept, atEnd) = try readValidChunk(reader, header: header, validator: validator, columns: splitter.clinical,
                                               subjectKey: splitter.subjectKey, work: work, counts: &counts,
                                               chunk: &chunk, blindIndexes: &blindIndexes)
            // The look-up runs on the server after the previous chunk, while this
            // process encrypts.
            if kept > 0 { try loader.sendSubjectsLookup(blindIndexes: Array(blindIndexes[0..<kept]), batchId: work.batchId) }
            newVaultRows.removeAll(keepingCapacity: true)
            newClinicalRows.removeAll(keepingCapacity: true)
            for i in 0..<kept {
                let surrogate = try UUID.random(from: random)
                surrogateOrder[i] = UUIDIndexOrder(surrogate)
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
                // New patients' rows as encrypted, in surrogate order; known
                // patients' rows encrypted again, under their surrogate.
                var deferredRows = BinaryCopyEncoder.header
                var knownCount = 0
                newPatients.removeAll(keepingCapacity: true)
                for (i, known) in rows {
                    if let known {
                        knownCount += 1
                        try splitter.appendDeferredRow(chunk[i], provenance: chunk[i].provenance, surrogate: known,
                                                       blindIndex: blindIndexes[i], sealer: work.sealer,
                                                       pseudonyms: work.pseudonyms, into: &deferredRows)
                    } else {
                        newPatients.append(i)
                    }
                }
                if !newPatients.isEmpty {
                    newPatients.sort { surrogateOrder[$0] < surrogateOrder[$1] }
                    var vaultRows = BinaryCopyEncoder.header, clinicalRows: [UInt8] = []
                    vaultRows.reserveCapacity(vaultRows.count + newVaultRows.count + BinaryCopyEncoder.trailer.count)
                    clinicalRows.reserveCapacity(newClinicalRows.count)
                    for i in newPatients {
                        vaultRows.append(contentsOf: newVaultRows[rowInVault[i]])
                        clinicalRows.append(contentsOf: newClinicalRows[rowInClinical[i]])
                    }
                    vaultRows += BinaryCopyEncoder.trailer
                    try connection.sendCopy(loader.identityCopyStatement, data: vaultRows)
                    try connection.sendCopy(loader.clinicalCopyStatement, data: clinicalRows)
                    sentNewPatients = true
                }
                if knownCount > 0 {
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
