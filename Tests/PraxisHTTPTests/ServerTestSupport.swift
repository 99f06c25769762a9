import Foundation
import Synchronization
import Testing

@testable import PraxisHTTP

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// A response as read off the wire by `RawClient`.
struct RawResponse {
    var status: Int
    var reason: String
    var headers: [(String, String)]
    var body: [UInt8]

    func header(_ name: String) -> String? {
        headers.first { $0.0.lowercased() == name.lowercased() }?.1
    }
    var text: String { String(decoding: body, as: UTF8.self) }
}

struct RawClientError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Runs blocking socket work on a thread of its own and awaits it, so a test waiting for the
/// server does not hold one of the few threads of Swift's cooperative pool, where every other
/// suite's tasks run (on a two-core machine there are two).
func offPool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread.detachNewThread { continuation.resume(with: Result { try body() }) }
    }
}

/// A deliberately low-level client: it sends exactly the bytes a test gives, so tests can send
/// malformed, pipelined or slow requests, and reads responses with a deadline (off the pool).
///
/// `@unchecked Sendable`: a client belongs to one test, which uses it from one task at a time
/// and awaits each read before the next call, so the buffer is never touched concurrently.
final class RawClient: @unchecked Sendable {
    let fd: Int32
    private var pending: [UInt8] = []

    init(port: Int) throws {
        // The descriptor is stored only once connected: a throwing initialiser of a fully
        // initialised object still runs deinit, and closing twice would close whatever socket
        // another test had been given the number for in the meantime.
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue | SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw RawClientError("socket failed") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else {
            let reason = String(cString: strerror(errno))
            Glibc.close(fd)
            throw RawClientError("connect failed: \(reason)")
        }
        self.fd = fd
    }

    deinit { Glibc.close(fd) }

    func send(_ text: String) throws { try send(Array(text.utf8)) }

    func send(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL)) }
            if n < 0 {
                if errno == EINTR { continue }
                throw RawClientError("send failed: \(String(cString: strerror(errno)))")
            }
            offset += n
        }
    }

    func shutdownWrite() { Glibc.shutdown(fd, Int32(SHUT_WR)) }

    /// Reads more bytes; returns false on end of stream. Throws on timeout.
    private func fill(deadline: UInt64) throws -> Bool {
        var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        let now = monotonicNanoseconds()
        guard now < deadline else { throw RawClientError("timed out waiting for data") }
        let r = poll(&p, 1, Int32((deadline - now) / 1_000_000) + 1)
        if r == 0 { throw RawClientError("timed out waiting for data") }
        var chunk = [UInt8](repeating: 0, count: 65536)
        let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if n <= 0 { return false }
        pending.append(contentsOf: chunk[0..<n])
        return true
    }

    /// Reads one response. `head` says the request was HEAD (no body follows). The timeout is
    /// generous: it is reached only when the server fails to answer.
    func readResponse(head: Bool = false, timeout: Double = 15) async throws -> RawResponse {
        try await offPool { try self.readResponseNow(head: head, timeout: timeout) }
    }

    private func readResponseNow(head: Bool, timeout: Double) throws -> RawResponse {
        let deadline = monotonicNanoseconds() + UInt64(timeout * 1e9)
        var headEnd = 0
        while true {
            if let r = find(Array("\r\n\r\n".utf8), in: pending) {
                headEnd = r
                break
            }
            if try !fill(deadline: deadline) { throw RawClientError("connection closed before a response head") }
        }
        let headText = String(decoding: pending[0..<headEnd], as: UTF8.self)
        var lines = headText.components(separatedBy: "\r\n")
        let statusLine = lines.removeFirst()
        let parts = statusLine.split(separator: " ", maxSplits: 2)
        guard parts.count >= 2, let status = Int(parts[1]) else { throw RawClientError("bad status line \(statusLine)") }
        var headers: [(String, String)] = []
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers.append((String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)))
        }
        pending.removeFirst(headEnd + 4)
        var response = RawResponse(status: status, reason: parts.count > 2 ? String(parts[2]) : "", headers: headers, body: [])
        let bodiless = head || status < 200 || status == 204 || status == 304
        if !bodiless {
            let length = Int(response.header("Content-Length") ?? "") ?? 0
            while pending.count < length {
                if try !fill(deadline: deadline) { throw RawClientError("connection closed inside a body") }
            }
            response.body = Array(pending[0..<length])
            pending.removeFirst(length)
        }
        return response
    }

    /// True when the server closes the connection (end of stream or reset) within the timeout
    /// (generous: reached only when the server fails to close).
    func waitForClose(timeout: Double = 15) async -> Bool {
        (try? await offPool { self.waitForCloseNow(timeout: timeout) }) ?? false
    }

    private func waitForCloseNow(timeout: Double) -> Bool {
        let deadline = monotonicNanoseconds() + UInt64(timeout * 1e9)
        while true {
            do {
                if try !fill(deadline: deadline) { return true }
            } catch {
                return false
            }
        }
    }

    /// Bytes received but not consumed by `readResponse`.
    var unreadBytes: Int { pending.count }

    private func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        for i in 0...(haystack.count - needle.count) where haystack[i] == needle[0] {
            if Array(haystack[i..<(i + needle.count)]) == needle { return i }
        }
        return nil
    }
}

/// Collects log lines from the server.
final class LogCollector: Sendable {
    private let lines = Mutex<[String]>([])
    var all: [String] { lines.withLock { $0 } }
    var sink: @Sendable (String) -> Void { { line in self.lines.withLock { $0.append(line) } } }
}

/// The router most server tests use.
func testRouter() -> Router {
    var router = Router()
    router.get("/ok") { _ in HTTPResponse(contentType: "text/plain", body: "ok") }
    router.get("/hello/:name") { request in
        HTTPResponse(contentType: "text/plain", body: "hello \(request.parameters["name"] ?? "?")")
    }
    router.get("/id") { request in HTTPResponse(contentType: "text/plain", body: request.id) }
    router.post("/echo") { request in
        HTTPResponse(status: .ok, headers: ["Content-Type": "application/octet-stream"], body: request.body)
    }
    router.post("/small", maxBodySize: 10) { request in HTTPResponse(contentType: "text/plain", body: "\(request.body.count)") }
    router.post("/large", maxBodySize: 4 * 1024 * 1024) { request in
        HTTPResponse(contentType: "text/plain", body: "\(request.body.count)")
    }
    router.get("/slow") { _ in
        try await Task.sleep(for: .milliseconds(600))
        return HTTPResponse(contentType: "text/plain", body: "slow")
    }
    router.get("/forbidden") { _ in throw HTTPError(.forbidden, "members only") }
    router.get("/crash") { _ in throw RawClientError("secret database detail") }
    return router
}

/// Starts a server on an ephemeral loopback port, runs `body`, then shuts the server down.
func withServer(
    router: Router = testRouter(), _ configure: (inout HTTPServerConfiguration) -> Void = { _ in },
    _ body: (HTTPServer) async throws -> Void
) async throws {
    var configuration = HTTPServerConfiguration()
    configuration.eventLoops = 2
    // A test task can wait seconds for a thread of the cooperative pool while other suites run,
    // and the server must not time its connection out meanwhile. Tests about timeouts set their own.
    configuration.headerTimeout = .seconds(120)
    configuration.bodyTimeout = .seconds(120)
    configuration.idleTimeout = .seconds(120)
    configure(&configuration)
    let server = HTTPServer(configuration: configuration, responder: router)
    try server.start()
    do {
        try await body(server)
    } catch {
        await server.shutdown(gracePeriod: .milliseconds(100))
        throw error
    }
    await server.shutdown(gracePeriod: .milliseconds(100))
}

/// A fresh connection still gets 200: the server survived whatever the test did.
func expectHealthy(_ server: HTTPServer, sourceLocation: SourceLocation = #_sourceLocation) async throws {
    let client = try RawClient(port: server.port)
    try client.send("GET /ok HTTP/1.1\r\nHost: t\r\n\r\n")
    let response = try await client.readResponse()
    #expect(response.status == 200, sourceLocation: sourceLocation)
    #expect(response.text == "ok", sourceLocation: sourceLocation)
}

/// Sends `request` on a fresh connection and reads one response.
func exchange(_ server: HTTPServer, _ request: String) async throws -> RawResponse {
    let client = try RawClient(port: server.port)
    try client.send(request)
    return try await client.readResponse()
}

/// Polls `condition` every 5 ms until it holds or `timeout` (generous: reached only on failure) passes.
func waitUntil(timeout: Duration = .seconds(30), _ condition: () -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + timeout
    while !condition() {
        if ContinuousClock.now >= deadline { return false }
        try? await Task.sleep(for: .milliseconds(5))
    }
    return true
}
