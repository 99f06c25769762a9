import COpenSSL

#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The outgoing HTTP/1.1 client for federation: fetching actors and documents, WebFinger,
/// delivering activities.
///
/// Every destination is treated as hostile. The URL is parsed strictly; `http` is refused outside
/// local-development mode; the host is resolved (``HostResolver``, `getaddrinfo` by default) and **every** resolved address
/// is checked against the ``AddressPolicy`` before the client connects, itself, to one of those
/// vetted addresses (it never resolves again, so DNS rebinding cannot slip past the check).
/// Certificates are always verified, including the host name. Timeouts, body and header limits
/// bound what a remote server can make a node spend.
///
/// Blocking socket work runs on the client's own threads, never on the Swift concurrency pool. Connections are kept alive and pooled per (scheme, host, port).
///
/// ```swift
/// let client = try HTTPClient()
/// let response = try await client.send(
///     HTTPClientRequest(url: "https://example.org/users/ana", headers: ["Accept": "application/activity+json"]))
/// ```
public final class HTTPClient: Sendable {
    public let configuration: HTTPClientConfiguration
    private let policy: AddressPolicy
    private let tls: TLSClientContext
    private let pool: ClientConnectionPool

    /// Builds the TLS context once (system trust store plus ``HTTPClientConfiguration/extraCAFile``).
    ///
    /// - Throws: ``HTTPClientError`` of kind `.tls` when OpenSSL cannot be set up or the extra CA
    ///   file cannot be loaded.
    public init(configuration: HTTPClientConfiguration = .init()) throws {
        _ = HTTPClient.ignoreSIGPIPE
        self.configuration = configuration
        self.policy = configuration.effectiveAddressPolicy
        self.tls = try TLSClientContext(extraCAFile: configuration.extraCAFile)
        self.pool = ClientConnectionPool(
            maxPerHost: configuration.maxIdleConnectionsPerHost, idleTimeout: configuration.idleConnectionTimeout)
    }

    deinit { pool.closeAll() }

    /// A peer closing its socket while we write must surface as an error, not kill the process.
    /// (Plain sockets use MSG_NOSIGNAL, but OpenSSL writes with `write()`.)
    private static let ignoreSIGPIPE: Void = { _ = signal(SIGPIPE, SIG_IGN) }()

    /// Sends the request and returns the response.
    ///
    /// Redirects (301/302/303/307/308) are followed only when `followRedirects` is true, at most
    /// ``HTTPClientConfiguration/maxRedirects``, each hop re-checked against scheme and address
    /// policy. Before each redirect hop (not before the first request) `prepare` is called with the
    /// request already pointed at the new URL, so a caller can re-sign it. A 303, and a 301/302
    /// answering a POST, continue as GET without body; 307/308 keep method and body. Credentials
    /// (`Authorization`, `Cookie`) are dropped when a redirect leaves the origin.
    ///
    /// ``HTTPClientConfiguration/requestTimeout`` bounds the whole call, redirects included.
    /// Task cancellation is honoured within about 100 ms.
    ///
    /// - Throws: ``HTTPClientError`` (see its kinds), `CancellationError`, or whatever `prepare`
    ///   throws.
    public func send(
        _ request: HTTPClientRequest, followRedirects: Bool = true,
        prepare: (@Sendable (inout HTTPClientRequest) throws -> Void)? = nil
    ) async throws -> HTTPClientResponse {
        try await run(request, followRedirects: followRedirects, prepare: prepare, download: nil)
    }

    /// Sends the request and streams a successful (2xx) response body into a new file in
    /// `directory`, hashing it on the way (SHA-256), so large downloads never sit in memory; the
    /// result's `file` names it and the caller owns it (move it into place or delete it). Other
    /// responses (errors, redirects not followed) keep their body in memory as with `send`, within
    /// the usual limit.
    ///
    /// - Parameter maxBytes: largest body written to disk; a longer one fails with
    ///   `.responseTooLarge` and nothing is left behind.
    /// - Throws: as `send`, plus `.bodyNotStored` when the file cannot be written.
    public func download(
        _ request: HTTPClientRequest, into directory: String, maxBytes: Int, followRedirects: Bool = true,
        prepare: (@Sendable (inout HTTPClientRequest) throws -> Void)? = nil
    ) async throws -> HTTPClientResponse {
        try await run(request, followRedirects: followRedirects, prepare: prepare, download: Download(directory: directory, maxBytes: maxBytes))
    }

    private func run(
        _ request: HTTPClientRequest, followRedirects: Bool, prepare: (@Sendable (inout HTTPClientRequest) throws -> Void)?,
        download: Download?
    ) async throws -> HTTPClientResponse {
        try Task.checkCancellation()
        let cancel = ClientCancellationFlag()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                ClientThread.spawn({ [self] in
                    do {
                        let response = try perform(
                            request, followRedirects: followRedirects, prepare: prepare, download: download, cancel: cancel)
                        continuation.resume(returning: response)
                    } catch {
                        continuation.resume(throwing: error)
                    }
                }, onFailure: {
                    continuation.resume(
                        throwing: HTTPClientError(.connectFailed, "could not start a thread for the request: \(clientErrnoText())"))
                })
            }
        } onCancel: {
            cancel.cancel()
        }
    }

    /// Where a downloaded body goes.
    struct Download {
        var directory: String
        var maxBytes: Int
    }

    /// Closes all pooled idle connections. The client stays usable; later requests reconnect.
    public func shutdown() { pool.closeAll() }

    /// Idle pooled connections, for tests and metrics.
    public var idleConnectionCount: Int { pool.idleCount }

    // MARK: - Redirect loop

    private func perform(
        _ initial: HTTPClientRequest, followRedirects: Bool,
        prepare: (@Sendable (inout HTTPClientRequest) throws -> Void)?, download: Download?, cancel: ClientCancellationFlag
    ) throws -> HTTPClientResponse {
        var request = initial
        var url = try HTTPClientURL(request.url)
        let deadline = ClientDeadline(
            instant: .now + configuration.requestTimeout,
            error: HTTPClientError(
                .timeout, "no complete response from \(url.origin) within \(configuration.requestTimeout)"))
        var redirects = 0
        while true {
            try checkScheme(url)
            let response = try exchange(request, url: url, download: download, deadline: deadline, cancel: cancel)
            guard followRedirects, [301, 302, 303, 307, 308].contains(response.status.code),
                let location = response.headers["Location"]
            else { return response }
            guard redirects < configuration.maxRedirects else {
                throw HTTPClientError(
                    .tooManyRedirects, "more than \(configuration.maxRedirects) redirects starting from \(initial.url)")
            }
            redirects += 1
            let next: HTTPClientURL
            do {
                next = try url.resolving(location)
            } catch let error as HTTPClientError {
                throw HTTPClientError(.invalidURL, "\(url.text) redirected to an unusable location: \(error.message)")
            }
            let code = response.status.code
            if code == 303 && request.method != .head || (code == 301 || code == 302) && request.method == .post {
                request.method = .get
                request.body = []
                for name in ["Content-Type", "Content-Digest", "Digest", "Content-Encoding", "Content-Language"] {
                    request.headers.remove(name: name)
                }
            }
            if next.origin.lowercased() != url.origin.lowercased() {
                for name in ["Authorization", "Cookie", "Proxy-Authorization"] { request.headers.remove(name: name) }
            }
            request.url = next.text
            try prepare?(&request)
            url = try HTTPClientURL(request.url)
        }
    }

    private func checkScheme(_ url: HTTPClientURL) throws {
        if url.scheme == .http && !configuration.allowInsecureAndPrivate {
            throw HTTPClientError(
                .insecureScheme, "plain http is refused for \(url.origin): peers are reached over https only (http only in --dev mode)")
        }
    }

    // MARK: - One request/response exchange

    private func exchange(
        _ request: HTTPClientRequest, url: HTTPClientURL, download: Download?, deadline: ClientDeadline,
        cancel: ClientCancellationFlag
    ) throws -> HTTPClientResponse {
        let bytes = try ClientWireFormat.serialize(
            method: request.method, url: url, headers: request.headers, body: request.body,
            userAgent: configuration.userAgent)
        let key = ClientConnectionPool.Key(scheme: url.scheme, host: url.host, port: url.port)
        let idempotent = [HTTPMethod.get, .head, .put, .delete, .options].contains(request.method)

        if let pooled = pool.take(key) {
            do {
                return try exchange(
                    bytes, method: request.method, url: url, on: pooled, key: key, download: download, deadline: deadline,
                    cancel: cancel)
            } catch let error as HTTPClientError where idempotent && pooled.receivedThisExchange == 0 {
                // The server probably closed the idle connection just as we reused it; a request
                // that is safe to repeat is retried once on a fresh connection.
                switch error.kind {
                case .connectionClosed, .tls: break
                default: throw error
                }
            }
        }
        let connection = try connect(url, deadline: deadline, cancel: cancel)
        return try exchange(
            bytes, method: request.method, url: url, on: connection, key: key, download: download, deadline: deadline, cancel: cancel)
    }

    private func exchange(
        _ bytes: [UInt8], method: HTTPMethod, url: HTTPClientURL, on connection: ClientConnection,
        key: ClientConnectionPool.Key, download: Download?, deadline: ClientDeadline, cancel: ClientCancellationFlag
    ) throws -> HTTPClientResponse {
        connection.beginExchange()
        try connection.write(bytes, deadline: deadline, cancel: cancel)
        let (response, reusable) = try readResponse(
            from: connection, method: method, url: url, download: download, deadline: deadline, cancel: cancel)
        if reusable {
            connection.completedExchanges += 1
            pool.put(connection, for: key)
        }
        return response
    }

    // MARK: - Connecting

    /// Resolves, vets every address, connects to the first vetted address that answers, and
    /// runs the TLS handshake for https.
    private func connect(_ url: HTTPClientURL, deadline: ClientDeadline, cancel: ClientCancellationFlag) throws
        -> ClientConnection
    {
        let connectDeadline = ClientDeadline.earliest(
            ClientDeadline(
                instant: .now + configuration.connectTimeout,
                error: HTTPClientError(
                    .connectTimeout, "could not connect to \(url.authority) within \(configuration.connectTimeout)")),
            deadline)
        let addresses: [IPAddress]
        if let literal = url.hostAddress {
            addresses = [literal]
        } else {
            addresses = try ClientHostResolver.resolve(
                url.host, with: configuration.resolver, deadline: connectDeadline, cancel: cancel)
        }
        // All addresses are checked before any is tried: a name that mixes public and internal
        // addresses is refused outright rather than partly used.
        for address in addresses where !policy.allows(address) {
            throw HTTPClientError(
                .forbiddenAddress(host: url.host, address: address),
                "\(url.host) resolves to \(address), which this node may not contact (loopback, private, link-local or reserved address)")
        }
        var failures: [String] = []
        for (index, address) in addresses.enumerated() {
            // Each address gets an equal share of the time left, so one black hole does not
            // starve the others; the last one gets whatever remains.
            let remaining = addresses.count - index
            let share = ContinuousClock.now.duration(to: connectDeadline.instant) / remaining
            let attemptDeadline = remaining == 1
                ? connectDeadline : ClientDeadline.earliest(ClientDeadline(instant: .now + share, error: connectDeadline.error), connectDeadline)
            do {
                let connection = try ClientConnection.connect(
                    to: address, port: url.port, deadline: attemptDeadline, cancel: cancel)
                if url.scheme == .https {
                    try connection.startTLS(
                        context: tls, host: url.host, isIPLiteral: url.hostAddress != nil, deadline: connectDeadline,
                        cancel: cancel)
                }
                return connection
            } catch let error as HTTPClientError where remaining > 1 {
                switch error.kind {
                case .connectFailed, .connectTimeout: failures.append(error.message)
                default: throw error
                }
            }
        }
        throw HTTPClientError(.connectFailed, failures.joined(separator: "; "))
    }

    // MARK: - Reading the response

    private func readResponse(
        from connection: ClientConnection, method: HTTPMethod, url: HTTPClientURL, download: Download?,
        deadline: ClientDeadline, cancel: ClientCancellationFlag
    ) throws -> (HTTPClientResponse, reusable: Bool) {
        var head: ClientWireFormat.ResponseHead
        var interim = 0
        while true {
            guard let bytes = try connection.readHead(limit: configuration.maxResponseHeaderBytes, deadline: deadline, cancel: cancel)
            else {
                throw HTTPClientError(.connectionClosed, "\(url.authority) closed the connection without answering")
            }
            head = try ClientWireFormat.parseHead(bytes)
            guard (100..<200).contains(head.status.code) else { break }
            if head.status.code == 101 {
                throw ClientWireFormat.malformed("unexpected 101 Switching Protocols; no upgrade was requested")
            }
            interim += 1
            if interim > 16 { throw ClientWireFormat.malformed("too many 1xx interim responses") }
        }

        let code = head.status.code
        let toFile = download.map { _ in (200..<300).contains(code) && method != .head } ?? false
        let limit = toFile ? (download?.maxBytes ?? 0) : configuration.maxResponseBodySize
        var reusable = head.version == .http11 && !ClientWireFormat.hasToken(head.headers, "Connection", "close")
        let body = ResponseBody(limit: limit)
        if toFile, let download {
            do {
                body.file = try BodyFileWriter(directory: download.directory, prefix: "download")
            } catch {
                throw HTTPClientError(.bodyNotStored, "cannot store the body from \(url.origin): \(error)")
            }
        }
        var completed = false
        defer { if !completed { body.file?.discard() } }
        var trailers = HTTPHeaders()
        let transferCodings = head.headers.values(for: "Transfer-Encoding")
        let lengths = head.headers.values(for: "Content-Length")

        if method == .head || code == 204 || code == 304 {
            // No body, whatever the framing fields say.
        } else if !transferCodings.isEmpty {
            let codings = transferCodings.flatMap { $0.split(separator: ",") }.map { ClientWireFormat.trimmed($0).lowercased() }
            guard codings == ["chunked"] else {
                throw ClientWireFormat.malformed("unsupported transfer coding '\(transferCodings.joined(separator: ", "))'")
            }
            // Content-Length beside Transfer-Encoding is a request-smuggling pattern: honour the
            // chunked framing (RFC 9112 section 6.3) but do not trust the connection afterwards.
            if !lengths.isEmpty { reusable = false }
            trailers = try readChunked(from: connection, into: body, deadline: deadline, cancel: cancel)
        } else if !lengths.isEmpty {
            let length = try contentLength(lengths)
            guard length <= limit else { throw connection.bodyTooLarge(limit) }
            if body.file == nil { body.memory.reserveCapacity(length) }
            try body.read(length, from: connection, deadline: deadline, cancel: cancel)
        } else {
            reusable = false
            try body.readToEnd(from: connection, deadline: deadline, cancel: cancel)
        }
        // Bytes after the response (nothing was pipelined) mean the framing cannot be trusted.
        if connection.bufferedByteCount > 0 { reusable = false }
        var response = HTTPClientResponse(
            status: head.status, headers: head.headers, body: body.memory, url: url.text, trailers: trailers, version: head.version)
        if let file = body.file {
            do {
                response.file = SpooledBody(path: file.path, size: file.size, sha256: try file.finish())
            } catch {
                throw HTTPClientError(.bodyNotStored, "cannot store the body from \(url.origin): \(error)")
            }
        }
        completed = true
        return (response, reusable)
    }

    private func contentLength(_ values: [String]) throws -> Int {
        let parts = values.flatMap { $0.split(separator: ",", omittingEmptySubsequences: false) }.map { ClientWireFormat.trimmed($0) }
        guard let first = parts.first, parts.allSatisfy({ $0 == first }), (1...18).contains(first.utf8.count),
            first.utf8.allSatisfy(ClientWireFormat.isDigit), let length = Int(first)
        else {
            throw ClientWireFormat.malformed("invalid Content-Length '\(values.joined(separator: ", ").prefix(60))'")
        }
        return length
    }

    /// Reads a chunked body (RFC 9112 section 7.1) and returns its trailer fields.
    private func readChunked(
        from connection: ClientConnection, into body: ResponseBody, deadline: ClientDeadline, cancel: ClientCancellationFlag
    ) throws -> HTTPHeaders {
        while true {
            let line = try connection.readLine(limit: 4096, deadline: deadline, cancel: cancel)
            let sizeField = line.prefix { $0 != UInt8(ascii: ";") }.drop { $0 == 32 || $0 == 9 }
            let sizeDigits = sizeField.prefix { $0 != 32 && $0 != 9 }
            guard (1...16).contains(sizeDigits.count), sizeDigits.allSatisfy(ClientWireFormat.isHexDigit),
                let size = UInt64(String(decoding: sizeDigits, as: UTF8.self), radix: 16),
                sizeField.dropFirst(sizeDigits.count).allSatisfy({ $0 == 32 || $0 == 9 })
            else {
                throw ClientWireFormat.malformed("invalid chunk size line '\(ClientWireFormat.printable(line))'")
            }
            if size == 0 { break }
            guard size <= UInt64(body.limit - body.total) else { throw connection.bodyTooLarge(body.limit) }
            try body.read(Int(size), from: connection, deadline: deadline, cancel: cancel)
            guard try connection.readLine(limit: 0, deadline: deadline, cancel: cancel).isEmpty else {
                throw ClientWireFormat.malformed("a chunk is longer than its declared size")
            }
        }
        var lines: [ArraySlice<UInt8>] = []
        var total = 0
        while true {
            let line = try connection.readLine(
                limit: configuration.maxResponseHeaderBytes, deadline: deadline, cancel: cancel)
            if line.isEmpty { break }
            total += line.count + 2
            guard total <= configuration.maxResponseHeaderBytes else {
                throw HTTPClientError(
                    .headersTooLarge, "the trailer fields are larger than the limit of \(configuration.maxResponseHeaderBytes) bytes")
            }
            lines.append(line[...])
        }
        return try ClientWireFormat.parseFields(lines)
    }
}


/// A response body being received: in memory, or written to a file in bounded pieces while it
/// is hashed. Used by one client thread only.
private final class ResponseBody {
    let limit: Int
    var memory: [UInt8] = []
    var file: BodyFileWriter?
    private(set) var total = 0
    private static let piece = 256 * 1024

    init(limit: Int) { self.limit = limit }

    /// Reads exactly `count` more bytes.
    func read(_ count: Int, from connection: ClientConnection, deadline: ClientDeadline, cancel: ClientCancellationFlag) throws {
        guard count <= limit - total else { throw connection.bodyTooLarge(limit) }
        guard let file else {
            try connection.readExact(count, into: &memory, deadline: deadline, cancel: cancel)
            total += count
            return
        }
        var needed = count
        while needed > 0 {
            let piece = try connection.readSome(max: min(needed, Self.piece), deadline: deadline, cancel: cancel)
            guard !piece.isEmpty else {
                throw HTTPClientError(
                    .connectionClosed, "the server closed the connection before sending the whole body (\(needed) bytes missing)")
            }
            try store(piece, in: file)
            needed -= piece.count
            total += piece.count
        }
    }

    /// Reads until the server closes the connection.
    func readToEnd(from connection: ClientConnection, deadline: ClientDeadline, cancel: ClientCancellationFlag) throws {
        guard let file else {
            try connection.readToEnd(into: &memory, limit: limit, deadline: deadline, cancel: cancel)
            total = memory.count
            return
        }
        while true {
            let piece = try connection.readSome(max: Self.piece, deadline: deadline, cancel: cancel)
            if piece.isEmpty { return }
            guard piece.count <= limit - total else { throw connection.bodyTooLarge(limit) }
            try store(piece, in: file)
            total += piece.count
        }
    }

    private func store(_ piece: ArraySlice<UInt8>, in file: BodyFileWriter) throws {
        do {
            try piece.withUnsafeBytes { raw in try file.write(raw) }
        } catch {
            throw HTTPClientError(.bodyNotStored, "cannot store the response body: \(error)")
        }
    }
}
