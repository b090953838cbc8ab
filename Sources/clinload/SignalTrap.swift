import ClinloadCore
import ClinloadPostgres
import Dispatch
import Foundation

/// SIGTERM / SIGINT: the first asks for a graceful stop (the running batch rolls
/// back, is recorded as cancelled and its lock released; the statement in flight
/// is cancelled on the server); a second one exits at once.
final class SignalTrap {
    let flag = CancellationFlag()
    private let sources: [DispatchSourceSignal]
    private let canceller: PostgresCanceller?

    init(canceller: PostgresCanceller?) {
        self.canceller = canceller
        var sources: [DispatchSourceSignal] = []
        for signalNumber in [SIGTERM, SIGINT] {
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
            source.setEventHandler { [flag, canceller] in
                if flag.isCancelled { exit(128 + signalNumber) }
                flag.cancel()
                FileHandle.standardError.write(Data("\nstopping: rolling back the running batch (signal again to exit at once)\n".utf8))
                canceller?.cancel()
            }
            source.resume()
            sources.append(source)
        }
        self.sources = sources
    }
}
