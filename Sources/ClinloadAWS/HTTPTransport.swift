import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A synchronous HTTP exchange over URLSession (FoundationNetworking/libcurl on
/// Linux) with a hard deadline.
///
/// Bodies are collected through the data delegate into a `SecureBuffer` (wiped
/// when released) rather than the completion-handler API, which would
/// accumulate the response in a `Data` we could neither wipe nor release early.
/// Copies made inside FoundationNetworking, libcurl and the TLS library are out of
/// reach: the wiping here is best effort over the buffers this module owns.
/// Redirects are refused (a signed request is never replayed elsewhere).
final class HTTPTransport: @unchecked Sendable {
    struct Response {
        var status: Int
        var headers: [String: String]
        var body: SecureBuffer
    }

    enum Failure: Error {
        /// No answer within the deadline (connect or read).
        case timedOut
        /// Refused, reset, DNS failure, TLS failure...
        case connection(code: Int)
        /// The response was larger than `maximumBody`.
        case responseTooLarge
    }

    static let maximumBody = 1 << 20

    private let session: URLSession
    private let router = TaskRouter()
    let timeout: TimeInterval

    init(timeout: TimeInterval) {
        self.timeout = timeout
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = timeout
        configuration.timeoutIntervalForResource = timeout + 1
        configuration.urlCache = nil
        configuration.httpCookieStorage = nil
        configuration.httpShouldSetCookies = false
        configuration.urlCredentialStorage = nil
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        let queue = OperationQueue()
        queue.maxConcurrentOperationCount = 1
        queue.name = "clinload.aws.http"
        session = URLSession(configuration: configuration, delegate: router, delegateQueue: queue)
    }

    deinit {
        session.invalidateAndCancel()
    }

    /// Sends `request` and waits for the whole response, at most `timeout` (plus a
    /// second of grace for the session's own timer to report first).
    func send(_ request: URLRequest) -> Result<Response, Failure> {
        var request = request
        request.timeoutInterval = timeout
        let task = session.dataTask(with: request)
        let state = TaskState()
        router.register(state, for: task.taskIdentifier)
        defer { router.unregister(task.taskIdentifier) }
        task.resume()
        if state.done.wait(timeout: .now() + timeout + 1) == .timedOut {
            task.cancel()
            // Let the cancellation reach the delegate so the body is released here.
            _ = state.done.wait(timeout: .now() + 2)
            return .failure(.timedOut)
        }
        return state.outcome()
    }

    /// One task's progress, filled in on the delegate queue, read by the waiting
    /// thread after `done` is signalled.
    final class TaskState: @unchecked Sendable {
        let done = DispatchSemaphore(value: 0)
        private let lock = NSLock()
        private var response: HTTPURLResponse?
        private var body = SecureBuffer(capacity: 4096)
        private var error: Error?
        private var tooLarge = false

        func received(_ response: URLResponse) {
            lock.lock(); defer { lock.unlock() }
            self.response = response as? HTTPURLResponse
        }

        /// Returns false when the body outgrew the limit (the task is then cancelled).
        func received(_ data: Data) -> Bool {
            lock.lock(); defer { lock.unlock() }
            guard body.count + data.count <= HTTPTransport.maximumBody else {
                tooLarge = true
                return false
            }
            body.append(data)
            return true
        }

        func completed(_ error: Error?) {
            lock.lock()
            self.error = error
            lock.unlock()
            done.signal()
        }

        func outcome() -> Result<Response, Failure> {
            lock.lock(); defer { lock.unlock() }
            if tooLarge { return .failure(.responseTooLarge) }
            if let error {
                let code = (error as? URLError)?.code.rawValue ?? (error as NSError).code
                if code == URLError.timedOut.rawValue { return .failure(.timedOut) }
                return .failure(.connection(code: code))
            }
            guard let response else { return .failure(.connection(code: URLError.badServerResponse.rawValue)) }
            var headers: [String: String] = [:]
            for (name, value) in response.allHeaderFields {
                if let name = name as? String, let value = value as? String { headers[name.lowercased()] = value }
            }
            return .success(Response(status: response.statusCode, headers: headers, body: body))
        }
    }

    /// The session delegate: routes callbacks to the task's state.
    final class TaskRouter: NSObject, URLSessionDataDelegate, @unchecked Sendable {
        private let lock = NSLock()
        private var states: [Int: TaskState] = [:]

        func register(_ state: TaskState, for id: Int) {
            lock.lock(); defer { lock.unlock() }
            states[id] = state
        }

        func unregister(_ id: Int) {
            lock.lock(); defer { lock.unlock() }
            states[id] = nil
        }

        private func state(_ id: Int) -> TaskState? {
            lock.lock(); defer { lock.unlock() }
            return states[id]
        }

        func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
                        completionHandler: @Sendable @escaping (URLSession.ResponseDisposition) -> Void) {
            state(dataTask.taskIdentifier)?.received(response)
            completionHandler(.allow)
        }

        func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
            guard let state = state(dataTask.taskIdentifier) else { return }
            if !state.received(data) { dataTask.cancel() }
        }

        func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: Error?) {
            state(task.taskIdentifier)?.completed(error)
        }

        func urlSession(_ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
                        newRequest request: URLRequest, completionHandler: @Sendable @escaping (URLRequest?) -> Void) {
            completionHandler(nil)
        }
    }
}
