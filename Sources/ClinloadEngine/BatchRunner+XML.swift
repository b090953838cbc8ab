import ClinloadCore
import ClinloadCrypto
import ClinloadDefinitions
import ClinloadPostgres
import ClinloadStore
import ClinloadValidate
import ClinloadXML
import ClinloadXMLMapping
import Foundation

extension BatchRunner {
    /// Records sent per round trip: bounded by count and by tree bytes, since
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
        let rowTables = try mapper.groups.enumerated().map { index, group in
            try RowTableLoader(connection: connection, table: (group.definition.table.schema, group.definition.table.table),
                               columns: groupColumns[index].names, hasSubject: true, batchId: work.batchId)
        }

        var chunk: [(tree: XMLRecordTree, mapped: XMLRecordMapper.Mapped, info: XMLRecordAssembler.RecordInfo, blindIndex: [UInt8])] = []
        var chunkBytes = 0
        var sentRows = [Int](repeating: 0, count: rowTables.count)
        // Each chunk moves on to the final tables as soon as it is built, sent
        // without waiting: the server inserts one chunk's rows while the next is
        // mapped. New patients are inserted; a patient already in the vault, or
        // seen earlier in this file, waits in the deferred updates, where the
        // latest record of each patient wins at the end.
        var vault = (inserted: 0, clinical: 0, deferred: 0)
        var patientsUpdated = 0   // patients of earlier batches this file updates
        var movedRows = [Int](repeating: 0, count: rowTables.count)
        var sending: (groups: [Int], newPatients: Bool, knownPatients: Bool)?
        func collectMoves() throws {
            guard let sent = sending else { return }
            sending = nil
            let affected = try connection.collectSent()
            // Each group's COPY; the vault and clinical COPYs of new patients;
            // the deferred COPY of known ones.
            for (k, g) in sent.groups.enumerated() { movedRows[g] += affected[k] }
            var next = sent.groups.count
            if sent.newPatients {
                vault.inserted += affected[next]
                vault.clinical += affected[next + 1]
                next += 2
            }
            if sent.knownPatients { vault.deferred += affected[next] }
        }

        let pipe = XMLRecordPipe()
        var firstInChunk = Set<[UInt8]>()
        func flushChunk() throws {
            try collectMoves()
            try work.quarantine.flush()
            guard !chunk.isEmpty else { return }
            let subjects = try loader.subjects(blindIndexes: chunk.map(\.blindIndex), batchId: work.batchId)
            firstInChunk.removeAll(keepingCapacity: true)
            var vaultRows = BinaryCopyEncoder.header
            var clinicalRows: [UInt8] = []
            var deferredRows = BinaryCopyEncoder.header
            var patients = (new: 0, known: 0)
            for record in chunk {
                let subject = BlindIndexKey(record.blindIndex).flatMap { subjects[$0] }
                let first = firstInChunk.insert(record.blindIndex).inserted
                if let subject, !subject.inThisBatch, first { patientsUpdated += 1 }
                let surrogate = try subject?.surrogate ?? work.surrogates.surrogate(blindIndex: record.blindIndex)
                let fields = XMLFieldView(tree: record.tree, values: record.mapped.fields)
                let provenance = RecordProvenance(ordinal: record.info.ordinal, line: record.info.line)
                if subject != nil || !first {
                    patients.known += 1
                    try splitter.appendDeferredRow(fields, provenance: provenance, surrogate: surrogate, blindIndex: record.blindIndex,
                                                   sealer: work.sealer, pseudonyms: work.pseudonyms, into: &deferredRows)
                } else {
                    patients.new += 1
                    try splitter.appendIdentityRow(fields, provenance: provenance, surrogate: surrogate, blindIndex: record.blindIndex,
                                                   dataKeyId: work.dataKeyId, batchId: work.batchId, sealer: work.sealer,
                                                   into: &vaultRows)
                    try splitter.appendClinicalRow(fields, provenance: provenance, surrogate: surrogate,
                                                   batchId: patientVault.batchIdText, pseudonyms: work.pseudonyms, into: &clinicalRows)
                }
                for (g, rows) in record.mapped.rows.enumerated() {
                    for (k, values) in rows.enumerated() {
                        try rowTables[g].appendRow(surrogate: surrogate, ordinal: record.info.ordinal, item: k + 1) {
                            try groupColumns[g].append(XMLFieldView(tree: record.tree, values: values), pseudonyms: work.pseudonyms,
                                                       as: TextCopyEncoder.self, into: &$0)
                        }
                        sentRows[g] += 1
                    }
                }
            }
            let groups = rowTables.indices.filter { rowTables[$0].pendingRows > 0 }
            for rowTable in rowTables { try rowTable.flush() }
            if patients.new > 0 {
                vaultRows += BinaryCopyEncoder.trailer
                try connection.sendCopy(loader.identityCopyStatement, data: vaultRows)
                try connection.sendCopy(loader.clinicalCopyStatement, data: clinicalRows)
            }
            if patients.known > 0 {
                deferredRows += BinaryCopyEncoder.trailer
                try connection.sendCopy(loader.deferredCopyStatement, data: deferredRows)
            }
            sending = (groups, patients.new > 0, patients.known > 0)
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
        let rowsSent = sentRows
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
            for (g, rowTable) in rowTables.enumerated() {
                try Self.checkCounts([moved[g]], expected: rowsSent[g])
                rows[rowTable.tableName, default: 0] += moved[g]
            }
            return rows
        }, withdraw: {
            try loader.withdrawInserted(batchId: work.batchId)
            for rowTable in rowTables { try rowTable.withdraw(batchId: work.batchId) }
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
