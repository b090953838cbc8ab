// libFuzzer target: any bytes as a CSV file, read to the end with a 64-byte
// buffer (so records straddle refills), every clean record validated against the
// Synthea patients schema and re-encoded. Thrown ClinloadErrors are expected;
// crashes, hangs and sanitizer reports are bugs. Built by scripts/fuzz.
import ClinloadCore
import ClinloadDefinitions
import ClinloadExtract
import ClinloadValidate
import Foundation

// libFuzzer calls the entry point from one thread.
nonisolated(unsafe) private let validator: RecordValidator? = {
    guard let path = ProcessInfo.processInfo.environment["CLINLOAD_FUZZ_SCHEMA"],
          let data = FileManager.default.contents(atPath: path),
          let schema = try? JSONDecoder().decode(TableSchema.self, from: data) else { return nil }
    return try? RecordValidator(schema: schema)
}()

/// One scratch file per fuzzing process, removed when libFuzzer exits.
let scratchPath: String = {
    let path = "/dev/shm/clinload-fuzz-csv-\(getpid()).csv"
    atexit { unlink("/dev/shm/clinload-fuzz-csv-\(getpid()).csv") }
    return path
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCSV(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let path = scratchPath
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    guard fd >= 0 else { return 0 }
    _ = write(fd, data, size)
    close(fd)
    guard let reader = try? CSVReader(path: path, header: true, bufferSize: 64, maxRecordBytes: 1 << 16) else { return 0 }
    var record = CSVRecord()
    while (try? reader.read(into: &record)) == true {
        _ = record.encodedLine()
        if record.problem == nil, let validator, record.fieldCount == validator.fields.count {
            _ = validator.violations(of: record)
        }
    }
    return 0
}
