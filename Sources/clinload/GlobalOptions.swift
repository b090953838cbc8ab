import ArgumentParser
import ClinloadEngine
import Foundation
import Logging

/// Options every command that touches the store shares.
struct GlobalOptions: ParsableArguments {
    @Option(help: "State folder for the embedded database and local key (default ./.clinload; env CLINLOAD_HOME).")
    var home: String?

    @Option(help: "PostgreSQL URL of an external database (env CLINLOAD_DATABASE_URL). Default: the embedded one.")
    var databaseURL: String?

    @Option(help: "Key provider URI, e.g. local:/path/master.key (env CLINLOAD_KEY_URI). Default: local:<home>/master.key.")
    var keyURI: String?

    @Option(help: "Log format on stderr: json or text (default: json unless stderr is a terminal).")
    var logFormat: LogFormat?

    @Option(help: "Log level: debug, info, warning, error.")
    var logLevel: String = "info"

    var environment: RunEnvironment {
        RunEnvironment.resolve(home: home, databaseURL: databaseURL, keyURI: keyURI)
    }

    /// Whether --database-url carries a password: process arguments are readable
    /// by every local user (/proc/PID/cmdline), the environment is not.
    var passwordOnCommandLine: Bool {
        guard let databaseURL else { return false }
        if URLComponents(string: databaseURL)?.password != nil { return true }
        return databaseURL.range(of: "password=", options: .caseInsensitive) != nil
    }

    func makeLogger(label: String = "clinload") -> Logger {
        let format = logFormat ?? (isatty(STDERR_FILENO) == 1 ? .text : .json)
        let level = Logger.Level(rawValue: logLevel) ?? .info
        var logger = Logger(label: label) { label in StderrLogHandler(label: label, format: format) }
        logger.logLevel = level
        if passwordOnCommandLine {
            logger.warning("the database password is on the command line, readable by other local users; use CLINLOAD_DATABASE_URL")
        }
        return logger
    }
}

enum LogFormat: String, ExpressibleByArgument, Sendable {
    case json, text
}
