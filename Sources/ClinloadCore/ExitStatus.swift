/// Process exit statuses, following BSD sysexits(3) because cron wrappers and
/// monitoring already know them. Documented in the README; tested end to end.
public enum ExitStatus: Int32, Sendable, CaseIterable {
    /// Every batch loaded, or was already loaded.
    case success = 0
    /// The command line was wrong.
    case usage = 64
    /// Input data was rejected: a batch failed validation or its reject ratio.
    case dataError = 65
    /// A dependency is down: the database or the key service.
    case unavailable = 69
    /// A bug or an unexpected library failure.
    case software = 70
    /// An output file could not be created or written.
    case cannotCreate = 73
    /// Try again later: another run holds the lock.
    case temporaryFailure = 75
    /// A pipeline, schema, key file or database setting is wrong.
    case configuration = 78
}
