import ClinloadCore
import ClinloadDefinitions
import ClinloadPostgres
import ClinloadStore
import ClinloadValidate
import ClinloadXML
import ClinloadXMLMapping
import Foundation

extension BatchRunner {
    /// Records staged per round trip: bounded by count and by tree bytes, since
    /// one CDA document can be hundreds of kilobytes.
    static let xmlChunkRecords = 256
    static let xmlChunkBytes = 8 << 20

    /// An XML feed (HL7 v2 messages, CDA documents), `defines` mode: each record
    /// upserts its patient in the vault (the latest record of a patient wins) and
    /// adds rows to the clinical tables of its row groups. Schema problems,
    /// missing required values, bad timestamps, unsupported structures or versions
    /// quarantine the record — re-serialised and encrypted — and never stop the
    /// others. XML that is not well-formed refuses the whole file.
    func stageXML(pipeline: LoadedPipeline, work: BatchWork, counts: inout BatchCounts) throws -> StagedLoad {
        let definition = pipeline.definition
        let file = work.input.path
        let version = definition.source.format == .hl7v2XML ? HL7VersionSniffer.version(ofFile: file) : nil
        let reader = try XMLStreamReader(path: file, schema: try xmlSchema(for: pipeline, version: version))
        let names = XMLNameTable()
        let mapper = try XMLRecordMapper(definition: definition, names: names)
        let assembler = XMLRecordAssembler(
            reader: reader,
            plan: .init(namespace: definition.source.namespace ?? "", records: Set(definition.source.records),
                        envelope: Set(definition.source.envelope)),
            names: names, file: file)
        let versionPath = definition.source.format == .hl7v2XML && !definition.source.schemasByVersion.isEmpty
            ? try CompiledXMLPath("MSH/MSH.12/VID.1 | MSH/MSH.12", defaultNamespace: definition.source.namespace ?? "",
                                  prefixes: [:], names: names)
            : nil
        let patientVault = try PatientVault(pipeline: pipeline, work: work, connection: connection)
        let (validator, splitter, loader) = (patientVault.validator, patientVault.splitter, patientVault.loader)
        let groupColumns = mapper.groups.map { ClinicalColumns(fields: $0.definition.fields) }
        let stages = try mapper.groups.enumerated().map { index, group in
            try RowTableStage(connection: connection, table: (group.definition.table.schema, group.definition.table.table),
                              columns: groupColumns[index].names, hasSubject: true, stagingName: "clinload_rows_\(index)")
        }
        for stage in stages { try stage.createStaging() }

        var chunk: [(tree: XMLRecordTree, mapped: XMLRecordMapper.Mapped, info: XMLRecordAssembler.RecordInfo, blindIndex: [UInt8])] = []
        var chunkBytes = 0
        var stagedRows = [Int](repeating: 0, count: stages.count)
        // Each chunk moves on to the final tables as soon as it is staged, sent
        // without waiting: the server inserts one chunk's rows while the next is
        // mapped. New patients are inserted; a patient already in the vault, or
        // seen earlier in this file, waits in the deferred updates, where the
        // latest record of each patient wins at the end.
        var vault = (inserted: 0, clinical: 0, deferred: 0)
        var patientsUpdated = 0   // patients of earlier batches this file updates
        var movedRows = [Int](repeating: 0, count: stages.count)
        var sending: (deferring: Bool, groups: [Int], vaultRows: Bool)?
        func collectMoves() throws {
            guard let sent = sending else { return }
            sending = nil
            let affected = try connection.collectSent()
            // The staging COPYs (the vault's, then each group's); the vault's
            // INSERTs (clinical, deferred when deferring) and TRUNCATE, then each
            // group's INSERT and TRUNCATE; the vault COPY of new patients.
            let merge = 1 + sent.groups.count
            vault.clinical += affected[merge]
            if sent.deferring { vault.deferred += affected[merge + 1] }
            let first = merge + (sent.deferring ? 3 : 2)
            for (k, g) in sent.groups.enumerated() { movedRows[g] += affected[first + 2 * k] }
            if sent.vaultRows { vault.inserted += affected[first + 2 * sent.groups.count] }
        }

        let pipe = XMLRecordPipe()
        var firstInChunk = Set<[UInt8]>()
        func flushChunk() throws {
            try collectMoves()
            try work.quarantine.flush()
            guard !chunk.isEmpty else { return }
            let subjects = try loader.subjects(blindIndexes: chunk.map(\.blindIndex), batchId: work.batchId)
            var deferring = false
            firstInChunk.removeAll(keepingCapacity: true)
            var staging = BinaryCopyEncoder.header
            var vaultRows = BinaryCopyEncoder.header
            var newPatients = 0
            for record in chunk {
                let subject = subjects[record.blindIndex]
                let first = firstInChunk.insert(record.blindIndex).inserted
                if let subject, !subject.inThisBatch, first { patientsUpdated += 1 }
                let known = subject != nil || !first
                deferring = deferring || known
                let surrogate = try subject?.surrogate ?? work.surrogates.surrogate(blindIndex: record.blindIndex)
                let fields = XMLFieldView(tree: record.tree, values: record.mapped.fields)
                let provenance = RecordProvenance(ordinal: record.info.ordinal, line: record.info.line)
                try splitter.appendStagingRow(fields, provenance: provenance, surrogate: surrogate, known: known,
                                              blindIndex: record.blindIndex, sealer: work.sealer, pseudonyms: work.pseudonyms,
                                              into: &staging)
                if !known {
                    newPatients += 1
                    try splitter.appendIdentityRow(fields, provenance: provenance, surrogate: surrogate, blindIndex: record.blindIndex,
                                                   dataKeyId: work.dataKeyId, batchId: work.batchId, sealer: work.sealer,
                                                   into: &vaultRows)
                }
                for (g, rows) in record.mapped.rows.enumerated() {
                    for (k, values) in rows.enumerated() {
                        stages[g].beginRow(surrogate: surrogate, ordinal: record.info.ordinal, item: k + 1)
                        try stages[g].appendValues {
                            try groupColumns[g].append(XMLFieldView(tree: record.tree, values: values), pseudonyms: work.pseudonyms, into: &$0)
                        }
                        stagedRows[g] += 1
                    }
                }
            }
            staging += BinaryCopyEncoder.trailer
            vaultRows += BinaryCopyEncoder.trailer
            let groups = stages.indices.filter { stages[$0].pendingRows > 0 }
            try connection.sendCopy(loader.copyStatement, data: staging)
            for stage in stages { try stage.flush() }
            try connection.send(([patientVault.chunkMergeSQL(deferringKnown: deferring)] + groups.map { stages[$0].chunkMergeSQL(batchId: work.batchId) })
                .joined(separator: ";\n"))
            if newPatients > 0 { try connection.sendCopy(loader.identityCopyStatement, data: vaultRows) }
            sending = (deferring, groups, newPatients > 0)
            pipe.recycle(chunk.map(\.tree))
            chunk.removeAll(keepingCapacity: true)
            chunkBytes = 0
        }

        // The parse (libxml2 and its schema validation) runs on a thread of its own;
        // this one maps, encrypts and stages what it hands over.
        let parserDone = pipe.startProducing(from: assembler)
        defer {
            pipe.close()
            parserDone.wait()
        }
        var lastOffset = 0
        while let item = try pipe.take() {
            try connection.pumpSent()   // keep the previous chunk's COPY data flowing
            let tree = item.tree
            let info = item.info
            lastOffset = info.byteOffset
            counts.recordsRead += 1
            var mapped = XMLRecordMapper.Mapped()
            // An unsupported HL7 version says more than the schema errors it causes.
            let structural = info.reasons.first.map { ["unsupported_structure", "wrong_namespace"].contains($0.rule) } ?? false
            var reasons = structural ? info.reasons
                : unsupportedVersion(tree, versionPath, allowed: definition.source.schemasByVersion) ?? info.reasons
            if reasons.isEmpty {
                mapper.map(tree, into: &mapped)
                reasons = problems(of: tree, mapped: mapped, mapper: mapper, validator: validator, splitter: splitter,
                                   groupColumns: groupColumns)
            }
            if !reasons.isEmpty {
                counts.recordsQuarantined += 1
                var payload = tree.serialized(names: names)
                defer { payload.secureWipe() }
                if mapped.recordRef == nil { mapper.map(tree, into: &mapped) }
                work.quarantine.add(.init(
                    inputOrdinal: 1, provenance: RecordProvenance(ordinal: info.ordinal, line: info.line), reasons: reasons,
                    encryptedRecord: try work.sealQuarantined(payload, ordinal: info.ordinal),
                    sourceRef: mapped.recordRef, sourceOffset: info.byteOffset))
                continue
            }
            var blindIndex: [UInt8] = []
            try splitter.blindIndex(of: XMLFieldView(tree: tree, values: mapped.fields), using: work.blindIndex, appendingTo: &blindIndex)
            chunkBytes += tree.bytes.count
            chunk.append((tree, mapped, info, blindIndex))
            if chunk.count >= Self.xmlChunkRecords || chunkBytes >= Self.xmlChunkBytes {
                try flushChunk()
                progress?(lastOffset, work.input.bytes, counts.recordsRead)
                try stopIfCancelled()
            }
        }
        try flushChunk()
        try collectMoves()
        try work.quarantine.flush()
        progress?(work.input.bytes, work.input.bytes, counts.recordsRead)

        let expected = counts.recordsLoaded
        let staged = stagedRows
        let moved = movedRows
        let moves = vault
        let updatedPatients = patientsUpdated
        return StagedLoad(merge: {
            // Counts add up: every loaded record was inserted or deferred, once.
            try Self.checkCounts([moves.inserted + moves.deferred], expected: expected)
            try Self.checkCounts([moves.clinical], expected: moves.inserted)
            let deferred = moves.deferred - (try loader.collapseDeferredRepeats())
            let updated = try loader.applyDeferredUpdates(batchId: work.batchId, dataKeyId: work.dataKeyId)
            try Self.checkCounts([updated.identityRows, updated.clinicalRows], expected: deferred)
            // Rows per table: each patient once, however many of its records the file held.
            let touched = moves.inserted + updatedPatients
            var rows = [loader.plan.identityName: touched, loader.plan.clinicalName: touched]
            for (g, stage) in stages.enumerated() {
                try Self.checkCounts([moved[g]], expected: staged[g])
                rows[stage.tableName, default: 0] += moved[g]
            }
            return rows
        }, withdraw: {
            try loader.withdrawInserted(batchId: work.batchId)
            for stage in stages { try stage.withdraw(batchId: work.batchId) }
        })
    }

    /// Why a well-formed, schema-valid record still cannot be loaded.
    private func problems(
        of tree: XMLRecordTree, mapped: XMLRecordMapper.Mapped, mapper: XMLRecordMapper, validator: RecordValidator,
        splitter: RecordSplitter, groupColumns: [ClinicalColumns]
    ) -> [QuarantineReason] {
        let record = XMLFieldView(tree: tree, values: mapped.fields)
        var reasons = validator.violations(of: record) + splitter.clinical.violations(of: record)
        for (g, group) in mapper.groups.enumerated() {
            for (k, values) in mapped.rows[g].enumerated() {
                let prefix = "\(group.definition.name)[\(k + 1)]."
                let line = mapped.rowLines[g][k]
                for (f, field) in group.definition.fields.enumerated() where field.required && (values[f]?.isEmpty ?? true) {
                    reasons.append(QuarantineReason(field: prefix + field.name, rule: "required", line: line))
                }
                reasons += groupColumns[g].violations(of: XMLFieldView(tree: tree, values: values), fieldPrefix: prefix, line: line)
            }
        }
        return Array(reasons.prefix(XMLRecordAssembler.maxReasonsPerRecord))
    }

    /// A message whose MSH.12 names a version the pipeline has no schema for.
    private func unsupportedVersion(_ tree: XMLRecordTree, _ path: CompiledXMLPath?, allowed: [String: String]) -> [QuarantineReason]? {
        guard let path, !tree.isEmpty else { return nil }
        let version = path.value(in: tree, from: 0).map { String(decoding: tree.bytes[$0], as: UTF8.self) }
        guard version.map({ allowed[$0] == nil }) ?? true else { return nil }
        return [QuarantineReason(field: "MSH/MSH.12", rule: "unsupported_version", line: Int(tree.nodes[0].line))]
    }

    /// The compiled XSD for this file: by HL7 version when the pipeline has one
    /// for it, else the pipeline's default schema.
    func xmlSchema(for pipeline: LoadedPipeline, version: String?) throws -> XMLSchema {
        let url = version.flatMap { pipeline.xmlSchemasByVersion[$0] } ?? pipeline.schemaURL
        if let cached = compiledSchemas[url.path] { return cached }
        let schema = try XMLSchema(path: url.path, root: pipeline.xmlSchemaRoot?.path)
        compiledSchemas[url.path] = schema
        return schema
    }
}
