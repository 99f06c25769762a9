import COpenSSL
import Foundation
import PraxisHTTP
import Synchronization
import Testing

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// A request as the canned test server received it.
struct ClientTestRequest: Sendable {
    var head: String
    var body: [UInt8]
    /// 1 for the first accepted connection, 2 for the second...
    var connection: Int
    /// When the server had read the whole request.
    var received = ContinuousClock.now

    var requestLine: String { head.components(separatedBy: "\r\n").first ?? "" }
    var target: String { requestLine.split(separator: " ").dropFirst().first.map(String.init) ?? "" }
    var headerLines: [String] { Array(head.components(separatedBy: "\r\n").dropFirst()) }

    func header(_ name: String) -> String? {
        for line in headerLines {
            guard let colon = line.firstIndex(of: ":") else { continue }
            if line[..<colon].lowercased() == name.lowercased() {
                return line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            }
        }
        return nil
    }
}

/// What the canned server does with a request.
enum ClientTestReply: Sendable {
    /// Write the bytes and keep the connection open for the next request.
    case send([UInt8])
    /// Write the bytes, then close the connection.
    case sendAndClose([UInt8])
    /// Never answer (until the client goes away).
    case hang
    /// Close the connection without answering.
    case close
}

/// Raw response bytes from text, for readability in tests.
func clientRaw(_ text: String) -> [UInt8] { Array(text.utf8) }

/// A complete `200 OK` response with Content-Length.
func clientOK(_ body: String, headers: String = "") -> [UInt8] {
    clientRaw("HTTP/1.1 200 OK\r\nContent-Length: \(body.utf8.count)\r\n\(headers)\r\n\(body)")
}

/// OpenSSL server context for the TLS tests.
///
/// `@unchecked Sendable`: configured in init and only used by `SSL_new` afterwards.
final class ClientTestTLSContext: @unchecked Sendable {
    let context: OpaquePointer

    init(certificateChain: String, privateKey: String) throws {
        guard let context = SSL_CTX_new(TLS_server_method()) else { throw ClientTestError("SSL_CTX_new failed") }
        self.context = context
        guard SSL_CTX_use_certificate_chain_file(context, certificateChain) == 1,
            SSL_CTX_use_PrivateKey_file(context, privateKey, SSL_FILETYPE_PEM) == 1
        else { throw ClientTestError("could not load the test certificate or key") }
    }

    deinit { SSL_CTX_free(context) }
}

struct ClientTestError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// A tiny HTTP/1.1 server on 127.0.0.1 with canned replies, built on raw sockets and threads so the
/// client tests depend on nothing but the client.
///
/// Connections stay open until the client closes them or ``stop()`` is called, never on a timer:
/// when the machine is busy, a test task can wait seconds to be scheduled between two requests,
/// and a server that dropped idle connections meanwhile would make keep-alive and retry tests
/// fail for reasons that have nothing to do with the client (a pause of 40 s was seen with CPU
/// burners running beside the whole package's tests). The very long socket timeouts only bound a
/// thread whose test forgot to stop the server.
final class ClientTestServer: Sendable {
    struct State {
        var requests: [ClientTestRequest] = []
        var connections = 0
        /// Accepted sockets not yet closed; `stop()` shuts them down to end their threads.
        var open: Set<Int32> = []
        var stopped = false
        /// When the client closed a connection the server was keeping waiting (``ClientTestReply/hang``).
        var hangUps: [ContinuousClock.Instant] = []
    }

    let port: Int
    private let listener: Int32
    private let state = Mutex(State())
    private let handler: @Sendable (ClientTestRequest) -> ClientTestReply
    private let tls: ClientTestTLSContext?

    /// - Parameters:
    ///   - address: the IPv4 loopback address to listen on (all of 127.0.0.0/8 reaches `lo`).
    ///   - port: 0 for any free port.
    init(tls: ClientTestTLSContext? = nil, address host: UInt32 = 0x7F00_0001, port requested: Int = 0,
         handler: @escaping @Sendable (ClientTestRequest) -> ClientTestReply) throws {
        self.handler = handler
        self.tls = tls
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw ClientTestError("socket failed") }
        var one: Int32 = 1
        _ = setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(truncatingIfNeeded: requested).bigEndian
        address.sin_addr.s_addr = host.bigEndian
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 16) == 0 else {
            close(fd)
            throw ClientTestError("bind/listen failed")
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        self.port = Int(UInt16(bigEndian: address.sin_port))
        self.listener = fd
        Thread.detachNewThread { [self] in acceptLoop() }
    }

    var requests: [ClientTestRequest] { state.withLock { $0.requests } }
    var connectionCount: Int { state.withLock { $0.connections } }

    /// The moment the client hung up on a `.hang` reply, waiting up to `limit` for it.
    ///
    /// Measured by the server's own thread, so it says when the client gave up even when the test
    /// task itself is resumed much later on a busy machine.
    func hangUp(within limit: Duration = .seconds(15)) async -> ContinuousClock.Instant? {
        let end = ContinuousClock.now + limit
        while true {
            if let instant = state.withLock({ $0.hangUps.first }) { return instant }
            if ContinuousClock.now >= end { return nil }
            try? await Task.sleep(for: .milliseconds(20))
        }
    }
    var base: String { "http://127.0.0.1:\(port)" }

    /// Stops accepting and shuts down every open connection; the server's threads then close the
    /// sockets and end.
    func stop() {
        state.withLock { state in
            state.stopped = true
            // Under the lock, so a serving thread cannot close (and the system reuse) a descriptor
            // between this loop seeing it and shutting it down.
            for fd in state.open { _ = shutdown(fd, Int32(SHUT_RDWR)) }
        }
        _ = shutdown(listener, Int32(SHUT_RDWR))
    }

    private func acceptLoop() {
        defer { close(listener) }
        while true {
            let client = accept(listener, nil, nil)
            if client < 0 {
                if errno == EINTR { continue }
                return
            }
            let number: Int? = state.withLock {
                guard !$0.stopped else { return nil }
                $0.connections += 1
                $0.open.insert(client)
                return $0.connections
            }
            guard let number else {
                close(client)
                return
            }
            Thread.detachNewThread { [self] in serve(client, number: number) }
        }
    }

    private func serve(_ fd: Int32, number: Int) {
        var timeout = timeval(tv_sec: 600, tv_usec: 0)
        _ = setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        _ = setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var ssl: OpaquePointer?
        defer {
            if let ssl {
                SSL_shutdown(ssl)
                SSL_free(ssl)
            }
            state.withLock { _ = $0.open.remove(fd) }
            close(fd)
        }
        if let tls {
            ssl = SSL_new(tls.context)
            guard let ssl else { return }
            SSL_set_fd(ssl, fd)
            guard SSL_accept(ssl) == 1 else { return }
        }
        func read(_ buffer: inout [UInt8]) -> Bool {
            var chunk = [UInt8](repeating: 0, count: 16 * 1024)
            let count: Int = chunk.withUnsafeMutableBytes { pointer in
                if let ssl { return Int(SSL_read(ssl, pointer.baseAddress, Int32(pointer.count))) }
                return recv(fd, pointer.baseAddress, pointer.count, 0)
            }
            guard count > 0 else { return false }
            buffer += chunk[0..<count]
            return true
        }
        func write(_ bytes: [UInt8]) {
            var offset = 0
            while offset < bytes.count {
                let count: Int = bytes.withUnsafeBytes { pointer in
                    if let ssl { return Int(SSL_write(ssl, pointer.baseAddress! + offset, Int32(bytes.count - offset))) }
                    return send(fd, pointer.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL))
                }
                guard count > 0 else { return }
                offset += count
            }
        }

        var buffer: [UInt8] = []
        while true {
            let separator: [UInt8] = [13, 10, 13, 10]
            var headEnd: Int?
            while headEnd == nil {
                if buffer.count >= 4 {
                    headEnd = (0...(buffer.count - 4)).first { Array(buffer[$0..<$0 + 4]) == separator }
                }
                if headEnd == nil && !read(&buffer) { return }
            }
            guard let end = headEnd else { return }
            let head = String(decoding: buffer[..<end], as: UTF8.self)
            buffer.removeFirst(end + 4)
            var request = ClientTestRequest(head: head, body: [], connection: number)
            let length = Int(request.header("Content-Length") ?? "0") ?? 0
            while buffer.count < length {
                if !read(&buffer) { return }
            }
            request.body = Array(buffer[..<length])
            request.received = .now
            buffer.removeFirst(length)
            state.withLock { $0.requests.append(request) }
            switch handler(request) {
            case .send(let bytes):
                write(bytes)
            case .sendAndClose(let bytes):
                write(bytes)
                return
            case .hang:
                while read(&buffer) {}
                state.withLock { $0.hangUps.append(.now) }
                return
            case .close:
                return
            }
        }
    }
}

/// Cancels a task as soon as both the task exists and the server has received its request,
/// whichever of the two happens last, and notes when.
final class ClientTestCancellation: Sendable {
    private struct State {
        var task: Task<HTTPClientResponse, any Error>?
        var arrived = false
        var cancelledAt: ContinuousClock.Instant?
    }

    private let state = Mutex(State())

    func cancelWhenTheRequestArrives(_ task: Task<HTTPClientResponse, any Error>) {
        state.withLock { state in
            state.task = task
            if state.arrived { Self.cancel(&state) }
        }
    }

    /// Called by the server's thread.
    func requestArrived() {
        state.withLock { state in
            state.arrived = true
            if state.task != nil { Self.cancel(&state) }
        }
    }

    var cancelledAt: ContinuousClock.Instant? { state.withLock { $0.cancelledAt } }

    private static func cancel(_ state: inout State) {
        guard state.cancelledAt == nil else { return }
        state.cancelledAt = .now
        state.task?.cancel()
    }
}

/// A client configuration for loopback tests: plain http and loopback allowed.
///
/// The timeouts only bound tests that fail; they are generous so a loaded machine (CI running
/// every suite at once) does not turn a slow answer into a spurious failure. Pooled connections
/// never expire during a test: the test task may wait many seconds for a thread between two
/// requests, and keep-alive tests must not depend on how long (expiry has its own test).
func clientDevConfiguration() -> HTTPClientConfiguration {
    var configuration = HTTPClientConfiguration()
    configuration.allowInsecureAndPrivate = true
    configuration.connectTimeout = .seconds(10)
    configuration.requestTimeout = .seconds(10)
    configuration.idleConnectionTimeout = .seconds(3600)
    return configuration
}

/// Runs `body` and returns the HTTPClientError it throws, or records a failure.
func clientError(
    sourceLocation: SourceLocation = #_sourceLocation, _ body: () async throws -> Void
) async -> HTTPClientError? {
    do {
        try await body()
        Issue.record("expected an HTTPClientError, but the call succeeded", sourceLocation: sourceLocation)
    } catch let error as HTTPClientError {
        return error
    } catch {
        Issue.record("expected an HTTPClientError, got \(error)", sourceLocation: sourceLocation)
    }
    return nil
}
