import COpenSSL
import Synchronization

#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Set by the async caller when its task is cancelled; polled by the worker thread.
final class ClientCancellationFlag: Sendable {
    private let state = Mutex(false)
    func cancel() { state.withLock { $0 = true } }
    var isCancelled: Bool { state.withLock { $0 } }
}

/// A point in time by which an operation must finish, and the error to throw when it does not.
struct ClientDeadline {
    var instant: ContinuousClock.Instant
    var error: HTTPClientError

    /// Milliseconds left, at least 0.
    var remainingMilliseconds: Int {
        let left = ContinuousClock.now.duration(to: instant)
        let (seconds, attoseconds) = left.components
        if seconds < 0 || (seconds == 0 && attoseconds <= 0) { return 0 }
        return Int(min(seconds, 86_400)) * 1000 + Int(attoseconds / 1_000_000_000_000_000) + 1
    }

    /// Whichever of the two comes first.
    static func earliest(_ a: ClientDeadline, _ b: ClientDeadline) -> ClientDeadline { a.instant <= b.instant ? a : b }
}

/// One TCP connection, optionally wrapped in TLS, with a read buffer and deadline-bounded I/O.
///
/// The socket is non-blocking; every wait is a `poll()` bounded by a ``ClientDeadline`` and sliced so
/// cancellation is noticed within 100 ms.
///
/// `@unchecked Sendable`: a connection is used by exactly one request at a time. It moves between
/// requests only through the pool, whose lock orders the hand-over.
final class ClientConnection: @unchecked Sendable {
    let fd: Int32
    private(set) var ssl: OpaquePointer?
    let remote: IPAddress
    private var buffer: [UInt8] = []
    private var bufferStart = 0
    private var scratch = [UInt8](repeating: 0, count: 16 * 1024)
    var lastUsed = ContinuousClock.now
    /// Responses completed on this connection; above 0 means it came from the pool.
    var completedExchanges = 0
    /// Bytes received during the current exchange; used to tell a stale pooled connection (closed
    /// before answering) from a failure mid-response.
    private(set) var receivedThisExchange = 0

    private init(fd: Int32, remote: IPAddress) {
        self.fd = fd
        self.remote = remote
    }

    deinit {
        if let ssl { SSL_free(ssl) }
        close(fd)
    }

    var bufferedByteCount: Int { buffer.count - bufferStart }

    func beginExchange() { receivedThisExchange = 0 }

    // MARK: - Connecting

    /// Opens a TCP connection to `address` (already vetted by the caller) within `deadline`.
    static func connect(
        to address: IPAddress, port: Int, deadline: ClientDeadline, cancel: ClientCancellationFlag
    ) throws -> ClientConnection {
        let family = address.isIPv4 ? AF_INET : AF_INET6
        #if os(Linux)
        let type = Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
        #else
        let type = SOCK_STREAM
        #endif
        let fd = socket(family, type, 0)
        guard fd >= 0 else {
            throw HTTPClientError(.connectFailed, "could not create a socket: \(clientErrnoText())")
        }
        let connection = ClientConnection(fd: fd, remote: address)
        #if !os(Linux)
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        #endif
        var one: Int32 = 1
        _ = setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))

        let result = withClientSockaddr(address, port: port) { systemConnect(fd, $0, $1) }
        if result != 0 {
            guard errno == EINPROGRESS || errno == EINTR else {
                throw HTTPClientError(.connectFailed, "could not connect to \(address) port \(port): \(clientErrnoText())")
            }
            try connection.wait(for: Int16(POLLOUT), deadline: deadline, cancel: cancel)
            var error: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            _ = getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length)
            if error != 0 {
                throw HTTPClientError(
                    .connectFailed, "could not connect to \(address) port \(port): \(String(cString: strerror(error)))")
            }
        }
        return connection
    }

    /// Runs the TLS handshake, verifying the certificate chain and that it names `host`.
    func startTLS(context: TLSClientContext, host: String, isIPLiteral: Bool, deadline: ClientDeadline, cancel: ClientCancellationFlag)
        throws
    {
        guard let ssl = SSL_new(context.context) else {
            throw HTTPClientError(.tls("SSL_new failed"), "could not start TLS: \(clientTLSErrorQueue())")
        }
        self.ssl = ssl
        guard SSL_set_fd(ssl, fd) == 1 else {
            throw HTTPClientError(.tls("SSL_set_fd failed"), "could not start TLS: \(clientTLSErrorQueue())")
        }
        if !isIPLiteral {
            // SNI must not carry IP literals (RFC 6066 section 3).
            _ = praxis_SSL_set_tlsext_host_name(ssl, host)
        }
        SSL_set_hostflags(ssl, UInt32(X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS))
        // SSL_set1_host checks an IP literal against the certificate's IP addresses and a name
        // against its DNS names; either way a mismatch fails verification.
        guard SSL_set1_host(ssl, host) == 1 else {
            throw HTTPClientError(.tls("SSL_set1_host failed"), "could not set the expected host name '\(host)'")
        }
        SSL_set_connect_state(ssl)
        while true {
            ERR_clear_error()
            let result = SSL_connect(ssl)
            if result == 1 { return }
            let code = SSL_get_error(ssl, result)
            switch code {
            case SSL_ERROR_WANT_READ:
                try wait(for: Int16(POLLIN), deadline: deadline, cancel: cancel)
            case SSL_ERROR_WANT_WRITE:
                try wait(for: Int16(POLLOUT), deadline: deadline, cancel: cancel)
            default:
                let verify = SSL_get_verify_result(ssl)
                if verify != Int(X509_V_OK) {
                    let reason = String(cString: X509_verify_cert_error_string(verify))
                    throw HTTPClientError(
                        .tls("certificate verification failed: \(reason)"),
                        "the TLS certificate of \(host) was rejected: \(reason)")
                }
                let detail = code == SSL_ERROR_SYSCALL && ERR_peek_error() == 0
                    ? "connection closed during the handshake" : clientTLSErrorQueue()
                throw HTTPClientError(.tls("handshake failed: \(detail)"), "TLS handshake with \(host) failed: \(detail)")
            }
        }
    }

    // MARK: - I/O

    /// Waits until the socket is ready for `events`, honouring the deadline and cancellation.
    func wait(for events: Int16, deadline: ClientDeadline, cancel: ClientCancellationFlag) throws {
        while true {
            if cancel.isCancelled { throw CancellationError() }
            let remaining = deadline.remainingMilliseconds
            if remaining <= 0 { throw deadline.error }
            var pfd = pollfd(fd: fd, events: events, revents: 0)
            let ready = poll(&pfd, 1, Int32(min(remaining, 100)))
            if ready > 0 { return }
            if ready < 0 && errno != EINTR {
                throw HTTPClientError(.connectionClosed, "waiting on the connection failed: \(clientErrnoText())")
            }
        }
    }

    /// Writes all of `bytes`.
    func write(_ bytes: [UInt8], deadline: ClientDeadline, cancel: ClientCancellationFlag) throws {
        var offset = 0
        while offset < bytes.count {
            if cancel.isCancelled { throw CancellationError() }
            let count = bytes.count - offset
            if let ssl {
                ERR_clear_error()
                let written = bytes.withUnsafeBytes {
                    SSL_write(ssl, $0.baseAddress! + offset, Int32(min(count, 1 << 30)))
                }
                if written > 0 {
                    offset += Int(written)
                    continue
                }
                switch SSL_get_error(ssl, written) {
                case SSL_ERROR_WANT_WRITE: try wait(for: Int16(POLLOUT), deadline: deadline, cancel: cancel)
                case SSL_ERROR_WANT_READ: try wait(for: Int16(POLLIN), deadline: deadline, cancel: cancel)
                default:
                    throw HTTPClientError(.connectionClosed, "sending over TLS failed: \(clientTLSErrorQueue())")
                }
            } else {
                let written = bytes.withUnsafeBytes { send(fd, $0.baseAddress! + offset, count, Int32(MSG_NOSIGNAL)) }
                if written > 0 {
                    offset += written
                } else if written < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) {
                    try wait(for: Int16(POLLOUT), deadline: deadline, cancel: cancel)
                } else if written < 0 && errno == EINTR {
                    continue
                } else {
                    throw HTTPClientError(.connectionClosed, "sending the request failed: \(clientErrnoText())")
                }
            }
        }
    }

    /// Reads whatever is available (at least one byte) into the buffer; returns false at end of
    /// stream. May compact the buffer, so callers keep positions relative to `bufferStart`.
    private func fill(deadline: ClientDeadline, cancel: ClientCancellationFlag) throws -> Bool {
        if bufferStart > 0 && bufferStart >= buffer.count / 2 {
            buffer.removeFirst(bufferStart)
            bufferStart = 0
        }
        while true {
            if cancel.isCancelled { throw CancellationError() }
            if let ssl {
                ERR_clear_error()
                let count = scratch.withUnsafeMutableBytes { SSL_read(ssl, $0.baseAddress, Int32($0.count)) }
                if count > 0 {
                    buffer.append(contentsOf: scratch[0..<Int(count)])
                    receivedThisExchange += Int(count)
                    return true
                }
                let code = SSL_get_error(ssl, count)
                switch code {
                case SSL_ERROR_WANT_READ: try wait(for: Int16(POLLIN), deadline: deadline, cancel: cancel)
                case SSL_ERROR_WANT_WRITE: try wait(for: Int16(POLLOUT), deadline: deadline, cancel: cancel)
                case SSL_ERROR_ZERO_RETURN: return false
                case SSL_ERROR_SYSCALL where ERR_peek_error() == 0:
                    // The peer closed TCP without close_notify; as browsers do, treat it as end of
                    // stream (length-delimited bodies still detect truncation).
                    return false
                case SSL_ERROR_SSL where ERR_GET_REASON(ERR_peek_error()) == SSL_R_UNEXPECTED_EOF_WHILE_READING:
                    ERR_clear_error()
                    return false
                default:
                    throw HTTPClientError(.tls("read failed"), "receiving over TLS failed: \(clientTLSErrorQueue())")
                }
            } else {
                let count = scratch.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
                if count > 0 {
                    buffer.append(contentsOf: scratch[0..<count])
                    receivedThisExchange += count
                    return true
                }
                if count == 0 { return false }
                switch errno {
                case EAGAIN, EWOULDBLOCK: try wait(for: Int16(POLLIN), deadline: deadline, cancel: cancel)
                case EINTR: continue
                default:
                    throw HTTPClientError(.connectionClosed, "receiving the response failed: \(clientErrnoText())")
                }
            }
        }
    }

    /// Reads up to and including the first empty line (`CRLF CRLF`), returning the bytes before it.
    /// Returns nil when the stream ends before any byte arrives.
    func readHead(limit: Int, deadline: ClientDeadline, cancel: ClientCancellationFlag) throws -> [UInt8]? {
        var scanned = 0  // relative to bufferStart
        while true {
            var index = bufferStart + scanned
            while index + 3 < buffer.count {
                if buffer[index] == 13 && buffer[index + 1] == 10 && buffer[index + 2] == 13 && buffer[index + 3] == 10 {
                    guard index - bufferStart <= limit else { throw headTooLarge(limit) }
                    let head = Array(buffer[bufferStart..<index])
                    bufferStart = index + 4
                    return head
                }
                index += 1
            }
            scanned = max(0, bufferedByteCount - 3)
            if bufferedByteCount > limit + 4 { throw headTooLarge(limit) }
            if try !fill(deadline: deadline, cancel: cancel) {
                if bufferedByteCount == 0 { return nil }
                throw HTTPClientError(.connectionClosed, "the server closed the connection in the middle of the response head")
            }
        }
    }

    private func headTooLarge(_ limit: Int) -> HTTPClientError {
        HTTPClientError(.headersTooLarge, "the response head is larger than the limit of \(limit) bytes")
    }

    /// Reads one CRLF-terminated line (without the CRLF), at most `limit` bytes long.
    func readLine(limit: Int, deadline: ClientDeadline, cancel: ClientCancellationFlag) throws -> [UInt8] {
        var index = bufferStart
        while true {
            while index + 1 < buffer.count {
                if buffer[index] == 13 && buffer[index + 1] == 10 {
                    let line = Array(buffer[bufferStart..<index])
                    bufferStart = index + 2
                    return line
                }
                index += 1
            }
            // Without a CRLF in limit + 2 bytes the line is longer than limit (a lone CR at the
            // end may still be the start of the terminator).
            if bufferedByteCount > limit + 1 {
                throw HTTPClientError(.malformedResponse("line too long"), "a line of the chunked body is longer than \(limit) bytes")
            }
            let scanned = index - bufferStart
            if try !fill(deadline: deadline, cancel: cancel) {
                throw HTTPClientError(.connectionClosed, "the server closed the connection in the middle of a chunked body")
            }
            // fill() may compact the buffer; keep the scan position relative to the unread part.
            index = bufferStart + scanned
        }
    }

    /// Appends exactly `count` bytes to `output`.
    func readExact(_ count: Int, into output: inout [UInt8], deadline: ClientDeadline, cancel: ClientCancellationFlag) throws {
        var needed = count
        while needed > 0 {
            if bufferedByteCount == 0 {
                guard try fill(deadline: deadline, cancel: cancel) else {
                    throw HTTPClientError(
                        .connectionClosed, "the server closed the connection before sending the whole body (\(needed) bytes missing)")
                }
            }
            let take = min(needed, bufferedByteCount)
            output.append(contentsOf: buffer[bufferStart..<bufferStart + take])
            bufferStart += take
            needed -= take
        }
    }

    /// Appends everything up to end of stream to `output`, failing when it passes `limit` bytes.
    func readToEnd(into output: inout [UInt8], limit: Int, deadline: ClientDeadline, cancel: ClientCancellationFlag) throws {
        while true {
            if bufferedByteCount > 0 {
                guard output.count + bufferedByteCount <= limit else { throw bodyTooLarge(limit) }
                output.append(contentsOf: buffer[bufferStart...])
                bufferStart = buffer.count
            }
            guard try fill(deadline: deadline, cancel: cancel) else { return }
        }
    }

    /// Hands over at most `max` received bytes (reading from the socket when none are buffered);
    /// an empty result means end of stream.
    func readSome(max: Int, deadline: ClientDeadline, cancel: ClientCancellationFlag) throws -> ArraySlice<UInt8> {
        if bufferedByteCount == 0 {
            guard try fill(deadline: deadline, cancel: cancel) else { return [] }
        }
        let take = min(max, bufferedByteCount)
        let piece = buffer[bufferStart..<bufferStart + take]
        bufferStart += take
        return piece
    }

    func bodyTooLarge(_ limit: Int) -> HTTPClientError {
        HTTPClientError(.responseTooLarge, "the response body is larger than the limit of \(limit) bytes")
    }

    /// True when an idle pooled connection still looks usable: nothing to read and no hang-up.
    /// A TLS 1.3 session ticket may arrive after the handshake and is consumed here harmlessly.
    func looksAlive() -> Bool {
        guard bufferedByteCount == 0 else { return false }
        var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        let ready = poll(&pfd, 1, 0)
        if ready == 0 { return true }
        guard ready > 0, pfd.revents & Int16(POLLIN) != 0, pfd.revents & Int16(POLLHUP | POLLERR) == 0,
            let ssl
        else { return false }
        var scratch: UInt8 = 0
        ERR_clear_error()
        let count = SSL_read(ssl, &scratch, 1)
        if count > 0 { return false }
        let alive = SSL_get_error(ssl, count) == SSL_ERROR_WANT_READ
        ERR_clear_error()
        return alive
    }
}

/// Calls `body` with a `sockaddr` for `address` and `port`.
func withClientSockaddr<T>(_ address: IPAddress, port: Int, _ body: (UnsafePointer<sockaddr>, socklen_t) -> T) -> T {
    switch address {
    case .v4(let value):
        var storage = sockaddr_in()
        storage.sin_family = sa_family_t(AF_INET)
        storage.sin_port = in_port_t(UInt16(truncatingIfNeeded: port)).bigEndian
        storage.sin_addr.s_addr = value.bigEndian
        return withUnsafePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
    case .v6:
        var storage = sockaddr_in6()
        storage.sin6_family = sa_family_t(AF_INET6)
        storage.sin6_port = in_port_t(UInt16(truncatingIfNeeded: port)).bigEndian
        let raw = address.bytes
        withUnsafeMutableBytes(of: &storage.sin6_addr) { $0.copyBytes(from: raw) }
        return withUnsafePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_in6>.size)) }
        }
    }
}

private func systemConnect(_ fd: Int32, _ address: UnsafePointer<sockaddr>, _ length: socklen_t) -> Int32 {
    connect(fd, address, length)
}

func clientErrnoText() -> String { String(cString: strerror(errno)) }
