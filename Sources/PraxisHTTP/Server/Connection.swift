#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// State of one client connection. Owned and touched only by its event loop's thread.
final class Connection {
    enum State {
        /// Waiting for (the rest of) a request head.
        case head
        /// Reading a `Content-Length` body.
        case body
        /// Reading a chunked body.
        case chunked
        /// The responder is working on the request.
        case handling
        /// Last response sent and write side shut; reading and discarding until the peer closes,
        /// so that unread input does not turn our close into a reset that destroys the response.
        case lingering
    }

    enum DeadlineKind {
        case none
        /// No request in progress: close quietly when it expires.
        case idle
        /// A request head has started: answer 408.
        case header
        /// A request body is being received: answer 408.
        case body
        /// Output is stuck because the peer does not read: close.
        case write
        /// Lingering close: give up waiting for the peer.
        case linger
    }

    let fd: Int32
    let slot: Int
    let generation: UInt32
    let remoteAddress: String
    /// Whether this connection counts against `maxConnections` (rejected ones do not).
    let counted: Bool
    var tls: TLSSession?
    var tlsHandshaking = false
    /// The last TLS operation needs the socket writable before it can progress.
    var tlsWantsWrite = false

    // Input: bytes in buffer[readStart..<readEnd] are received and not yet consumed.
    var buffer: [UInt8]
    var readStart = 0
    var readEnd = 0
    var scanFrom = 0

    var state: State = .head
    var head: ParsedHead?
    var body: [UInt8] = []
    var bodyRemaining = 0
    /// The whole body limit of the current request (`bodyRemaining` counts down for spooled bodies).
    var bodyLimit = 0
    /// The file receiving this request's body when its route spools bodies to disk.
    var spool: BodyFileWriter?
    var decoder = ChunkedDecoder()
    var requestStart: UInt64 = 0
    var requestID = ""
    /// A response produced while the loop was still dispatching the request.
    var pendingResponse: HTTPResponse?
    var dispatching = false

    // Output: out[outOffset...] then outBody[outBodyOffset...], then the rest of outFile read in
    // chunks into outBody.
    var out: [UInt8] = []
    var outOffset = 0
    var outBody: [UInt8] = []
    var outBodyOffset = 0
    var outFile: ResponseFile?
    var outFileOffset = 0
    var closeAfterWrite = false

    var peerClosed = false
    var deregistered = false
    var closed = false
    var isLingering = false
    var interest: UInt32 = 0
    var deadline: UInt64 = 0
    var deadlineKind: DeadlineKind = .none

    init(fd: Int32, slot: Int, generation: UInt32, remoteAddress: String, counted: Bool, bufferSize: Int) {
        self.fd = fd
        self.slot = slot
        self.generation = generation
        self.remoteAddress = remoteAddress
        self.counted = counted
        self.buffer = [UInt8](repeating: 0, count: bufferSize)
        out.reserveCapacity(1024)
    }

    var hasOutput: Bool { outOffset < out.count || outBodyOffset < outBody.count || outFile != nil }

    static let fileChunk = 256 * 1024

    /// Reads the next chunk of the response file into `outBody` once everything before it is
    /// sent. Returns false when the file cannot be read or shrank: `Content-Length` is already
    /// promised, so the connection must be closed.
    func refillFromFile() -> Bool {
        guard let file = outFile, outOffset >= out.count, outBodyOffset >= outBody.count else { return true }
        let left = file.size - outFileOffset
        if left <= 0 {
            outFile = nil
            return true
        }
        guard let chunk = file.read(at: outFileOffset, count: min(left, Self.fileChunk)), !chunk.isEmpty else { return false }
        outFileOffset += chunk.count
        outBody = chunk
        outBodyOffset = 0
        if outFileOffset >= file.size { outFile = nil }
        return true
    }

    /// Deletes a partly received spooled body (the request failed or the peer went away).
    func discardSpool() {
        spool?.discard()
        spool = nil
    }
    var bufferedInput: Int { readEnd - readStart }

    /// The epoll user data naming this connection; the generation guards against a slot reused
    /// within one batch of events.
    var token: UInt64 { UInt64(slot) | UInt64(generation) << 32 }

    /// Reads once into the free part of the buffer.
    func readSome() -> IOResult {
        let space = buffer.count - readEnd
        if space <= 0 { return .wouldBlock(wantWrite: false) }
        let end = readEnd
        if let tls {
            return buffer.withUnsafeMutableBytes { tls.read($0.baseAddress! + end, space) }
        }
        while true {
            let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress! + end, space) }
            if n > 0 { return .bytes(n) }
            if n == 0 { return .eof }
            switch errno {
            case EINTR: continue
            case EAGAIN, EWOULDBLOCK: return .wouldBlock(wantWrite: false)
            default: return .failed
            }
        }
    }

    /// Writes as much pending output as the socket takes now, with one system call for the head
    /// and body together on plain sockets.
    func writeSome() -> IOResult {
        if let tls {
            if outOffset < out.count {
                let offset = outOffset
                return out.withUnsafeBytes { tls.write($0.baseAddress! + offset, $0.count - offset) }
            }
            let offset = outBodyOffset
            return outBody.withUnsafeBytes { tls.write($0.baseAddress! + offset, $0.count - offset) }
        }
        while true {
            let n: Int = out.withUnsafeBytes { head in
                outBody.withUnsafeBytes { body in
                    var vectors = (iovec(), iovec())
                    var count: Int32 = 0
                    let headLeft = head.count - outOffset
                    let bodyLeft = body.count - outBodyOffset
                    return withUnsafeMutableBytes(of: &vectors) { raw in
                        let iov = raw.bindMemory(to: iovec.self)
                        if headLeft > 0 {
                            iov[Int(count)] = iovec(iov_base: UnsafeMutableRawPointer(mutating: head.baseAddress! + outOffset), iov_len: headLeft)
                            count += 1
                        }
                        if bodyLeft > 0 {
                            iov[Int(count)] = iovec(iov_base: UnsafeMutableRawPointer(mutating: body.baseAddress! + outBodyOffset), iov_len: bodyLeft)
                            count += 1
                        }
                        var message = msghdr()
                        message.msg_iov = iov.baseAddress
                        message.msg_iovlen = Int(count)
                        return sendmsg(fd, &message, Int32(MSG_NOSIGNAL))
                    }
                }
            }
            if n >= 0 { return .bytes(n) }
            switch errno {
            case EINTR: continue
            case EAGAIN, EWOULDBLOCK: return .wouldBlock(wantWrite: true)
            default: return .failed
            }
        }
    }

    /// Marks `n` written bytes as sent.
    func advanceOutput(_ n: Int) {
        var n = n
        let headLeft = out.count - outOffset
        let fromHead = min(n, headLeft)
        outOffset += fromHead
        n -= fromHead
        outBodyOffset += n
    }

    func resetOutput() {
        out.removeAll(keepingCapacity: true)
        outOffset = 0
        outBody = []
        outBodyOffset = 0
        outFile = nil
        outFileOffset = 0
    }

    /// Moves unconsumed input to the front of the buffer.
    func compact() {
        if readStart == readEnd {
            readStart = 0
            readEnd = 0
            return
        }
        guard readStart > 0 else { return }
        let count = readEnd - readStart
        let start = readStart
        buffer.withUnsafeMutableBytes { raw in
            _ = memmove(raw.baseAddress!, raw.baseAddress! + start, count)
        }
        readStart = 0
        readEnd = count
    }
}

/// Names a connection from outside its loop's bookkeeping (for completions of responder tasks).
struct ConnectionHandle: Sendable {
    var slot: Int
    var generation: UInt32
}
