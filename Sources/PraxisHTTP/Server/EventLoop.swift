import COpenSSL
import Synchronization

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// One epoll event loop on its own thread: it owns a set of connections, parses their requests,
/// runs responder tasks and writes responses.
///
/// The loop is also a `TaskExecutor`: responder tasks prefer it, so a handler that does not
/// suspend runs to completion on the loop thread with no thread hop, and one that suspends
/// (a database actor, a timer) frees the loop for other connections meanwhile.
///
/// `@unchecked Sendable`: all mutable state except `inbox` (a `Mutex`) and the atomics is touched
/// only on the loop thread; other threads reach the loop only through `execute` and `enqueue`.
final class EventLoop: TaskExecutor, @unchecked Sendable {
    let core: ServerCore
    let index: Int
    private let epfd: Int32
    private let wakeFD: Int32
    private let threadID = Atomic<UInt>(0)
    private let closedForWork = Atomic<Bool>(false)
    private let wakePending = Atomic<Bool>(false)

    private struct Inbox {
        var closed = false
        var tasks: [@Sendable () -> Void] = []
        var jobs: [UnownedJob] = []
    }
    private let inbox = Mutex<Inbox>(Inbox())

    // Loop-thread state.
    private var localJobs: [UnownedJob] = []
    private var runningJobs: [UnownedJob] = []
    private var connections: [Connection?] = []
    private var freeSlots: [Int] = []
    private var nextGeneration: UInt32 = 0
    private var date = DateHeaderCache()
    private var ids = RequestIDGenerator()
    private var now: UInt64 = 0
    private var nextScan: UInt64 = 0
    private var draining = false
    private var stopRequested = false
    /// The listening socket, on the loop that accepts (loop 0).
    var listenFD: Int32 = -1
    /// All loops of the server, for spreading accepted connections; set before threads start.
    var peers: [EventLoop] = []
    private var nextPeer = 0
    /// Called on the loop thread after the loop has stopped.
    var onStop: (@Sendable () -> Void)?

    private let headLimit: Int
    private let scanInterval: UInt64
    private let lingerNanoseconds: UInt64 = 2_000_000_000
    private static let wakeToken = UInt64.max
    private static let listenToken = UInt64.max - 1

    init(core: ServerCore, index: Int) throws(HTTPServerError) {
        self.core = core
        self.index = index
        let epfd = epoll_create1(Int32(EPOLL_CLOEXEC))
        guard epfd >= 0 else { throw HTTPServerError("cannot create an epoll instance: \(String(cString: strerror(errno)))") }
        let wake = eventfd(0, Int32(EFD_NONBLOCK | EFD_CLOEXEC))
        guard wake >= 0 else {
            Glibc.close(epfd)
            throw HTTPServerError("cannot create an eventfd: \(String(cString: strerror(errno)))")
        }
        self.epfd = epfd
        self.wakeFD = wake
        let limits = core.limits
        headLimit = limits.maxRequestLineBytes + limits.maxHeaderBytes + 64
        let c = core.configuration
        let shortest = [c.headerTimeout, c.bodyTimeout, c.idleTimeout].map(\.nanoseconds).min() ?? 1_000_000_000
        scanInterval = min(max(shortest / 4, 5_000_000), 250_000_000)
        var event = epoll_event(events: EPOLLIN.rawValue, data: epoll_data_t(u64: Self.wakeToken))
        epoll_ctl(epfd, EPOLL_CTL_ADD, wake, &event)
    }

    deinit {
        Glibc.close(epfd)
        Glibc.close(wakeFD)
    }

    // MARK: Cross-thread entry points

    var isOnLoopThread: Bool {
        let id = threadID.load(ordering: .relaxed)
        return id != 0 && pthread_equal(pthread_self(), pthread_t(id)) != 0
    }

    /// Runs `body` on the loop thread; dropped if the loop has stopped.
    func execute(_ body: @escaping @Sendable () -> Void) {
        let accepted = inbox.withLock { inbox -> Bool in
            if inbox.closed { return false }
            inbox.tasks.append(body)
            return true
        }
        if accepted { wake() }
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        if isOnLoopThread && !closedForWork.load(ordering: .relaxed) {
            localJobs.append(job)
            return
        }
        let accepted = inbox.withLock { inbox -> Bool in
            if inbox.closed { return false }
            inbox.jobs.append(job)
            return true
        }
        if accepted {
            wake()
        } else {
            // The loop is gone: tasks that still prefer it continue on the global pool.
            globalConcurrentExecutor.enqueue(ExecutorJob(job))
        }
    }

    private func wake() {
        if !wakePending.exchange(true, ordering: .acquiringAndReleasing) {
            var one: UInt64 = 1
            _ = Glibc.write(wakeFD, &one, 8)
        }
    }

    /// Starts the loop on a new thread.
    func startThread() throws(HTTPServerError) {
        var thread = pthread_t()
        let box = Unmanaged.passRetained(self).toOpaque()
        let result = pthread_create(
            &thread, nil,
            { arg in
                guard let arg else { return nil }
                let loop = Unmanaged<EventLoop>.fromOpaque(arg).takeRetainedValue()
                loop.run()
                return nil
            }, box)
        guard result == 0 else {
            Unmanaged<EventLoop>.fromOpaque(box).release()
            throw HTTPServerError("cannot start an event-loop thread: \(String(cString: strerror(result)))")
        }
        pthread_detach(thread)
    }

    // MARK: The loop

    private func run() {
        threadID.store(UInt(pthread_self()), ordering: .releasing)
        if listenFD >= 0 {
            var event = epoll_event(events: EPOLLIN.rawValue, data: epoll_data_t(u64: Self.listenToken))
            epoll_ctl(epfd, EPOLL_CTL_ADD, listenFD, &event)
        }
        let capacity = 256
        let events = UnsafeMutablePointer<epoll_event>.allocate(capacity: capacity)
        defer { events.deallocate() }
        now = monotonicNanoseconds()
        nextScan = now + scanInterval
        while !stopRequested {
            let timeout: Int32
            if !localJobs.isEmpty {
                timeout = 0
            } else {
                timeout = Int32(clamping: (nextScan > now ? nextScan - now : 0) / 1_000_000 + 1)
            }
            let n = epoll_wait(epfd, events, Int32(capacity), timeout)
            now = monotonicNanoseconds()
            date.refresh()
            if n > 0 {
                for i in 0..<Int(n) {
                    let token = events[i].data.u64
                    let flags = events[i].events
                    switch token {
                    case Self.wakeToken:
                        var value: UInt64 = 0
                        _ = Glibc.read(wakeFD, &value, 8)
                    case Self.listenToken:
                        acceptConnections()
                    default:
                        let slot = Int(token & 0xFFFF_FFFF)
                        guard slot < connections.count, let conn = connections[slot],
                            conn.generation == UInt32(truncatingIfNeeded: token >> 32)
                        else { continue }
                        handle(flags, conn)
                    }
                }
            }
            runInbox()
            if now >= nextScan {
                scanDeadlines()
                nextScan = now + scanInterval
            }
        }
        finish()
    }

    private func runInbox() {
        wakePending.store(false, ordering: .sequentiallyConsistent)
        let (tasks, jobs) = inbox.withLock { inbox -> ([@Sendable () -> Void], [UnownedJob]) in
            if inbox.tasks.isEmpty && inbox.jobs.isEmpty { return ([], []) }
            defer {
                inbox.tasks.removeAll()
                inbox.jobs.removeAll()
            }
            return (inbox.tasks, inbox.jobs)
        }
        for task in tasks { task() }
        let executor = asUnownedTaskExecutor()
        for job in jobs { job.runSynchronously(on: executor) }
        if !localJobs.isEmpty {
            swap(&localJobs, &runningJobs)
            now = monotonicNanoseconds()
            for job in runningJobs { job.runSynchronously(on: executor) }
            runningJobs.removeAll(keepingCapacity: true)
        }
    }

    private func finish() {
        if listenFD >= 0 {
            Glibc.close(listenFD)
            listenFD = -1
        }
        for case let conn? in connections { close(conn) }
        closedForWork.store(true, ordering: .sequentiallyConsistent)
        let (tasks, jobs) = inbox.withLock { inbox -> ([@Sendable () -> Void], [UnownedJob]) in
            inbox.closed = true
            defer {
                inbox.tasks.removeAll()
                inbox.jobs.removeAll()
            }
            return (inbox.tasks, inbox.jobs)
        }
        for task in tasks { task() }
        let executor = asUnownedTaskExecutor()
        for job in jobs + localJobs { job.runSynchronously(on: executor) }
        localJobs.removeAll()
        peers = []
        let stopped = onStop
        onStop = nil
        stopped?()
    }

    // MARK: Commands (loop thread)

    func stopAccepting() {
        guard listenFD >= 0 else { return }
        epoll_ctl(epfd, EPOLL_CTL_DEL, listenFD, nil)
        Glibc.close(listenFD)
        listenFD = -1
    }

    /// Graceful shutdown: idle connections close now, busy ones after their current response.
    func beginDrain() {
        draining = true
        for case let conn? in connections where conn.state == .head && conn.bufferedInput == 0 && !conn.hasOutput {
            close(conn)
        }
    }

    func stop() { stopRequested = true }

    // MARK: Accepting

    private func acceptConnections() {
        for _ in 0..<128 {
            var address = sockaddr_storage()
            var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
            let fd = withUnsafeMutablePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    accept(listenFD, $0, &length)
                }
            }
            if fd < 0 {
                switch errno {
                case EINTR, ECONNABORTED: continue
                case EAGAIN, EWOULDBLOCK: return
                default:
                    core.errorLog("accept failed: \(String(cString: strerror(errno)))")
                    return
                }
            }
            // accept4 is not exported to Swift; two fcntl calls per connection are negligible.
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            var one: Int32 = 1
            setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
            let remote = Self.addressString(&address)
            let admitted = core.activeConnections.wrappingAdd(1, ordering: .acquiringAndReleasing).newValue
                <= core.configuration.maxConnections
            if !admitted { core.activeConnections.wrappingSubtract(1, ordering: .acquiringAndReleasing) }
            let target = peers.isEmpty ? self : peers[nextPeer % peers.count]
            nextPeer &+= 1
            if target === self {
                register(fd: fd, remote: remote, counted: admitted)
            } else {
                let fdCopy = fd
                target.execute { target.register(fd: fdCopy, remote: remote, counted: admitted) }
            }
        }
    }

    static func addressString(_ address: inout sockaddr_storage) -> String {
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
        switch Int32(address.ss_family) {
        case AF_INET:
            withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { sin in
                    var addr = sin.pointee.sin_addr
                    _ = inet_ntop(AF_INET, &addr, &text, socklen_t(text.count))
                }
            }
        case AF_INET6:
            withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { sin in
                    var addr = sin.pointee.sin6_addr
                    _ = inet_ntop(AF_INET6, &addr, &text, socklen_t(text.count))
                }
            }
        default:
            return "unknown"
        }
        return String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    private func register(fd: Int32, remote: String, counted: Bool) {
        if draining || stopRequested {
            Glibc.close(fd)
            if counted { core.activeConnections.wrappingSubtract(1, ordering: .acquiringAndReleasing) }
            return
        }
        let slot: Int
        if let free = freeSlots.popLast() {
            slot = free
        } else {
            slot = connections.count
            connections.append(nil)
        }
        nextGeneration &+= 1
        let conn = Connection(
            fd: fd, slot: slot, generation: nextGeneration, remoteAddress: remote, counted: counted, bufferSize: 4096)
        connections[slot] = conn
        var event = epoll_event(events: EPOLLIN.rawValue, data: epoll_data_t(u64: conn.token))
        if epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &event) != 0 {
            close(conn)
            return
        }
        conn.interest = EPOLLIN.rawValue
        // Until the first request starts, the header timeout bounds a silent connection.
        setDeadline(conn, .idle, core.configuration.headerTimeout.nanoseconds)
        if let tls = core.tls {
            guard counted, let session = TLSSession(context: tls, fd: fd) else {
                close(conn)
                return
            }
            conn.tls = session
            conn.tlsHandshaking = true
            continueHandshake(conn)
            return
        }
        if !counted {
            fail(conn, RequestFailure(.serviceUnavailable, "server is at its connection limit; try again later"))
        }
    }

    // MARK: Events

    private func handle(_ flags: UInt32, _ conn: Connection) {
        if flags & EPOLLERR.rawValue != 0 {
            abandon(conn)
            return
        }
        if conn.tlsHandshaking {
            continueHandshake(conn)
            return
        }
        if conn.hasOutput && (flags & EPOLLOUT.rawValue != 0 || conn.tls != nil) {
            flush(conn)
            if conn.closed { return }
        }
        if flags & (EPOLLIN.rawValue | EPOLLHUP.rawValue) != 0 || (conn.tls != nil && conn.tlsWantsWrite) {
            pump(conn)
            if conn.closed { return }
        }
        if flags & EPOLLHUP.rawValue != 0 {
            abandon(conn)
            return
        }
        updateInterest(conn)
    }

    /// The peer is gone: close now, or once the responder finishes if it is working.
    private func abandon(_ conn: Connection) {
        conn.peerClosed = true
        if conn.state == .handling {
            if !conn.deregistered {
                epoll_ctl(epfd, EPOLL_CTL_DEL, conn.fd, nil)
                conn.deregistered = true
            }
        } else {
            close(conn)
        }
    }

    private func continueHandshake(_ conn: Connection) {
        guard let tls = conn.tls else { return }
        switch tls.handshake() {
        case .done:
            conn.tlsHandshaking = false
            conn.tlsWantsWrite = false
            pump(conn)
        case .wantRead:
            conn.tlsWantsWrite = false
        case .wantWrite:
            conn.tlsWantsWrite = true
        case .failed:
            close(conn)
            return
        }
        if !conn.closed { updateInterest(conn) }
    }

    /// Reads what is available, then acts on it.
    private func pump(_ conn: Connection) {
        // TLS may hold decrypted bytes that epoll cannot see, so keep going while it reports some.
        var rounds = 0
        repeat {
            readAvailable(conn)
            if conn.closed { return }
            processInput(conn)
            if conn.closed { return }
            rounds += 1
        } while conn.tls != nil && rounds < 64 && !conn.peerClosed && conn.state != .handling && !conn.hasOutput
            && (conn.tls?.pendingBytes ?? 0) > 0
    }

    private func readAvailable(_ conn: Connection) {
        while !conn.peerClosed {
            guard ensureSpace(conn) else { return }
            switch conn.readSome() {
            case .bytes(let n):
                conn.readEnd += n
                conn.tlsWantsWrite = false
                // One read per readiness event on plain sockets: epoll is level-triggered.
                if conn.tls == nil { return }
            case .wouldBlock(let wantWrite):
                conn.tlsWantsWrite = wantWrite
                return
            case .eof:
                conn.peerClosed = true
            case .failed:
                abandon(conn)
                return
            }
        }
    }

    /// Makes room at the end of the input buffer; grows it only while a head is being received.
    private func ensureSpace(_ conn: Connection) -> Bool {
        if conn.readEnd < conn.buffer.count { return true }
        if conn.readStart > 0 {
            conn.compact()
            return conn.readEnd < conn.buffer.count
        }
        if conn.state == .head && conn.buffer.count < headLimit {
            let newSize = min(conn.buffer.count * 2, headLimit)
            conn.buffer.append(contentsOf: repeatElement(0, count: newSize - conn.buffer.count))
            return true
        }
        if conn.state == .lingering {
            conn.readStart = 0
            conn.readEnd = 0
            return true
        }
        return false
    }

    private func updateInterest(_ conn: Connection) {
        guard !conn.closed, !conn.deregistered else { return }
        var wanted: UInt32 = 0
        let canRead =
            !conn.peerClosed
            && (conn.readEnd < conn.buffer.count || conn.readStart > 0 || conn.state == .lingering
                || (conn.state == .head && conn.buffer.count < headLimit))
        if conn.tlsWantsWrite {
            wanted = EPOLLOUT.rawValue
        } else {
            if canRead { wanted |= EPOLLIN.rawValue }
            if conn.hasOutput { wanted |= EPOLLOUT.rawValue }
        }
        if wanted != conn.interest {
            var event = epoll_event(events: wanted, data: epoll_data_t(u64: conn.token))
            epoll_ctl(epfd, EPOLL_CTL_MOD, conn.fd, &event)
            conn.interest = wanted
        }
    }

    // MARK: Requests

    private func processInput(_ conn: Connection) {
        while !conn.closed {
            switch conn.state {
            case .head:
                if conn.hasOutput { return }
                // RFC 9112 section 2.2: ignore empty lines before a request line.
                while conn.readStart < conn.readEnd
                    && (conn.buffer[conn.readStart] == ASCII.cr || conn.buffer[conn.readStart] == ASCII.lf)
                    && conn.scanFrom == 0
                {
                    conn.readStart += 1
                }
                if conn.readStart == conn.readEnd {
                    conn.compact()
                    if conn.peerClosed || draining { close(conn) }
                    return
                }
                if conn.deadlineKind != .header {
                    conn.requestStart = now
                    setDeadline(conn, .header, core.configuration.headerTimeout.nanoseconds)
                }
                let result: HeadParseResult
                do {
                    let start = conn.readStart
                    let end = conn.readEnd
                    let limits = core.limits
                    var scanFrom = conn.scanFrom
                    result = try conn.buffer.withUnsafeBufferPointer { (buffer) throws(RequestFailure) -> HeadParseResult in
                        try RequestHeadParser.parse(UnsafeBufferPointer(rebasing: buffer[start..<end]), scanFrom: &scanFrom, limits: limits)
                    }
                    conn.scanFrom = scanFrom
                } catch {
                    fail(conn, error)
                    return
                }
                switch result {
                case .needMore:
                    if conn.peerClosed { close(conn) }
                    return
                case .complete(let head, let consumed):
                    conn.readStart += consumed
                    conn.scanFrom = 0
                    do {
                        try begin(conn, head)
                    } catch {
                        fail(conn, error)
                        return
                    }
                }
            case .body:
                let n = min(conn.bodyRemaining, conn.bufferedInput)
                if n > 0 {
                    let start = conn.readStart
                    if let spool = conn.spool {
                        do {
                            try conn.buffer.withUnsafeBytes { raw in
                                try spool.write(UnsafeRawBufferPointer(rebasing: raw[start..<(start + n)]))
                            }
                        } catch {
                            spoolFailed(conn, error)
                            return
                        }
                    } else {
                        conn.buffer.withUnsafeBufferPointer { conn.body.append(contentsOf: UnsafeBufferPointer(rebasing: $0[start..<(start + n)])) }
                    }
                    conn.readStart += n
                    conn.bodyRemaining -= n
                }
                if conn.bodyRemaining == 0 {
                    dispatch(conn)
                    continue
                }
                conn.compact()
                if conn.peerClosed { close(conn) }
                return
            case .chunked:
                let consumed: Int
                let progress: ChunkedDecoder.Progress
                do {
                    let start = conn.readStart
                    let end = conn.readEnd
                    let maxBody = conn.bodyRemaining
                    let maxTrailer = core.limits.maxHeaderBytes
                    var decoder = conn.decoder
                    var body = conn.body
                    conn.body = []
                    defer {
                        conn.decoder = decoder
                        conn.body = body
                    }
                    (consumed, progress) = try conn.buffer.withUnsafeBufferPointer {
                        (buffer) throws(RequestFailure) -> (Int, ChunkedDecoder.Progress) in
                        try decoder.consume(
                            UnsafeBufferPointer(rebasing: buffer[start..<end]), into: &body, maxBodySize: maxBody,
                            maxTrailerBytes: maxTrailer)
                    }
                } catch {
                    if error.status == .payloadTooLarge {
                        fail(conn, RequestFailure(.payloadTooLarge, "request body larger than \(conn.bodyLimit) bytes"))
                    } else {
                        fail(conn, error)
                    }
                    return
                }
                conn.readStart += consumed
                if let spool = conn.spool, !conn.body.isEmpty {
                    // Spooled chunked bodies pass through `body` one buffer at a time; the limit
                    // left shrinks by what was written.
                    conn.bodyRemaining -= conn.body.count
                    do {
                        try conn.body.withUnsafeBytes { raw in try spool.write(raw) }
                    } catch {
                        spoolFailed(conn, error)
                        return
                    }
                    conn.body.removeAll(keepingCapacity: true)
                }
                if progress == .done {
                    dispatch(conn)
                    continue
                }
                conn.compact()
                if conn.peerClosed { close(conn) }
                return
            case .handling:
                guard let response = conn.pendingResponse else { return }
                conn.pendingResponse = nil
                respond(conn, response)
                if conn.hasOutput { return }
            case .lingering:
                conn.readStart = 0
                conn.readEnd = 0
                if conn.peerClosed { close(conn) }
                return
            }
        }
    }

    /// Decides how the body is framed and whether it is acceptable, before reading it.
    private func begin(_ conn: Connection, _ head: ParsedHead) throws(RequestFailure) {
        conn.head = head
        conn.requestID = ids.nextID()
        let path = head.target.utf8.firstIndex(of: UInt8(ascii: "?")).map { head.target[..<$0] } ?? head.target[...]
        let policy = core.responder.requestBodyPolicy(method: head.method, path: path)
        let maxBody = policy?.maxBytes ?? core.configuration.defaultMaxBodySize
        conn.body = []
        conn.bodyLimit = maxBody
        conn.discardSpool()
        if let directory = policy?.spoolDirectory {
            do {
                conn.spool = try BodyFileWriter(directory: directory, prefix: "upload")
            } catch {
                core.errorLog("request \(conn.requestID): \(error)")
                throw RequestFailure(.serviceUnavailable, "the server cannot store uploads right now; try again later")
            }
        }
        if let length = head.contentLength, length > 0 {
            if length > maxBody {
                conn.discardSpool()
                throw RequestFailure(.payloadTooLarge, "request body larger than \(maxBody) bytes")
            }
            conn.state = .body
            conn.bodyRemaining = length
            if conn.spool == nil { conn.body.reserveCapacity(length) }
        } else if head.chunked {
            conn.state = .chunked
            conn.decoder = ChunkedDecoder()
            conn.bodyRemaining = maxBody
        } else {
            dispatch(conn)
            return
        }
        setDeadline(conn, .body, core.configuration.bodyTimeout.nanoseconds)
        if head.expectContinue && conn.bufferedInput == 0 {
            conn.out.append(contentsOf: "HTTP/1.1 100 Continue\r\n\r\n".utf8)
            flush(conn)
        }
    }

    /// Hands the complete request to the responder in a task that prefers this loop.
    private func dispatch(_ conn: Connection) {
        guard let head = conn.head else { return }
        conn.state = .handling
        setDeadline(conn, .none, 0)
        var spooled: SpooledBody?
        if let spool = conn.spool {
            conn.spool = nil
            do {
                spooled = SpooledBody(path: spool.path, size: spool.size, sha256: try spool.finish())
            } catch {
                spool.discard()
                spoolFailed(conn, error)
                return
            }
        }
        let request = HTTPRequest(
            method: head.method, target: head.target, version: head.version, headers: head.headers, body: conn.body,
            remoteAddress: conn.remoteAddress, id: conn.requestID, isSecure: conn.tls != nil, spooledBody: spooled)
        conn.body = []
        let handle = ConnectionHandle(slot: conn.slot, generation: conn.generation)
        let responder = core.responder
        let errorLog = core.errorLog
        conn.dispatching = true
        Task.immediate(executorPreference: self) {
            let response = await Self.respond(responder, to: request, errorLog: errorLog)
            // The spooled file belongs to the request; a handler that kept it has moved it.
            if let spooled { unlink(spooled.path) }
            self.complete(handle, response)
        }
        conn.dispatching = false
    }

    private static func respond(_ responder: any HTTPResponder, to request: HTTPRequest, errorLog: @Sendable (String) -> Void)
        async -> HTTPResponse
    {
        do {
            return try await responder.respond(to: request)
        } catch let error as HTTPError {
            return error.response
        } catch {
            errorLog("request \(request.id) \(request.method) \(request.path): \(error)")
            return .error(.internalServerError, "internal error")
        }
    }

    /// Delivers a responder's answer; hops to the loop thread if the task ended elsewhere.
    private func complete(_ handle: ConnectionHandle, _ response: HTTPResponse) {
        guard isOnLoopThread else {
            execute { self.complete(handle, response) }
            return
        }
        guard handle.slot < connections.count, let conn = connections[handle.slot], conn.generation == handle.generation,
            conn.state == .handling
        else { return }
        if conn.dispatching {
            conn.pendingResponse = response
            return
        }
        respond(conn, response)
        if conn.closed { return }
        if !conn.hasOutput {
            if conn.tls != nil { pump(conn) } else { processInput(conn) }
        }
        if !conn.closed { updateInterest(conn) }
    }

    // MARK: Responses

    private func respond(_ conn: Connection, _ response: HTTPResponse) {
        guard let head = conn.head else { return }
        let close = !head.keepAlive || draining || conn.peerClosed
        let written = serialize(
            response, to: conn, method: head.method, close: close, keepAliveHeader: head.version == .http10 && !close)
        conn.head = nil
        conn.state = .head
        logAccess(conn, method: head.method.rawValue, target: head.target, status: response.status.code, bytes: written)
        if conn.closeAfterWrite {
            conn.state = .lingering
        } else {
            setDeadline(conn, .idle, core.configuration.idleTimeout.nanoseconds)
        }
        flush(conn)
    }

    /// Answers a request that cannot be served (or read further) and closes the connection.
    /// A spooled body could not be written (disk full, permissions): refuse it, keep nothing.
    private func spoolFailed(_ conn: Connection, _ error: any Error) {
        core.errorLog("request \(conn.requestID): \(error)")
        fail(conn, RequestFailure(.serviceUnavailable, "the server could not store the upload; try again later"))
    }

    private func fail(_ conn: Connection, _ failure: RequestFailure) {
        conn.discardSpool()
        if conn.head == nil || conn.requestID.isEmpty { conn.requestID = ids.nextID() }
        if conn.requestStart == 0 { conn.requestStart = now }
        let method = conn.head?.method ?? HTTPMethod("-")
        let target = conn.head?.target ?? "-"
        conn.resetOutput()
        let written = serialize(.error(failure.status, failure.message), to: conn, method: method, close: true, keepAliveHeader: false)
        logAccess(conn, method: method.rawValue, target: target, status: failure.status.code, bytes: written)
        conn.head = nil
        conn.state = .lingering
        conn.closeAfterWrite = true
        flush(conn)
        if !conn.closed { updateInterest(conn) }
    }

    private func flush(_ conn: Connection) {
        while conn.hasOutput {
            guard conn.refillFromFile() else {
                core.errorLog("request \(conn.requestID): response file could not be read to its end; closing")
                close(conn)
                return
            }
            if !conn.hasOutput { break }
            switch conn.writeSome() {
            case .bytes(let n):
                conn.advanceOutput(n)
                conn.tlsWantsWrite = false
            case .wouldBlock(let wantWrite):
                conn.tlsWantsWrite = conn.tls != nil && wantWrite
                if conn.deadlineKind != .write {
                    setDeadline(conn, .write, core.configuration.idleTimeout.nanoseconds)
                }
                updateInterest(conn)
                return
            case .eof, .failed:
                close(conn)
                return
            }
        }
        conn.resetOutput()
        if conn.closeAfterWrite {
            startLingering(conn)
        } else if conn.deadlineKind == .write {
            setDeadline(conn, .idle, core.configuration.idleTimeout.nanoseconds)
        }
    }

    /// Half-closes after the last response and waits briefly for the peer to close.
    private func startLingering(_ conn: Connection) {
        if conn.peerClosed {
            close(conn)
            return
        }
        conn.tls?.shutdown()
        Glibc.shutdown(conn.fd, Int32(SHUT_WR))
        conn.state = .lingering
        conn.readStart = 0
        conn.readEnd = 0
        if conn.counted && !conn.isLingering {
            conn.isLingering = true
            core.lingeringConnections.wrappingAdd(1, ordering: .acquiringAndReleasing)
        }
        setDeadline(conn, .linger, lingerNanoseconds)
        updateInterest(conn)
    }

    private func setDeadline(_ conn: Connection, _ kind: Connection.DeadlineKind, _ after: UInt64) {
        conn.deadlineKind = kind
        conn.deadline = kind == .none ? 0 : now &+ after
    }

    private func scanDeadlines() {
        for case let conn? in connections where conn.deadline != 0 && now >= conn.deadline {
            switch conn.deadlineKind {
            case .none:
                break
            case .idle, .write, .linger:
                close(conn)
            case .header:
                fail(conn, RequestFailure(.requestTimeout, "request head not received in time"))
            case .body:
                fail(conn, RequestFailure(.requestTimeout, "request body not received in time"))
            }
        }
    }

    private func close(_ conn: Connection) {
        guard !conn.closed else { return }
        conn.closed = true
        conn.discardSpool()
        conn.outFile = nil
        Glibc.close(conn.fd)
        connections[conn.slot] = nil
        freeSlots.append(conn.slot)
        if conn.counted {
            core.activeConnections.wrappingSubtract(1, ordering: .acquiringAndReleasing)
            if conn.isLingering { core.lingeringConnections.wrappingSubtract(1, ordering: .acquiringAndReleasing) }
        }
    }

    /// Ends a request's bookkeeping: metrics, then the access log line.
    private func logAccess(_ conn: Connection, method: String, target: String, status: Int, bytes: Int) {
        defer { conn.requestStart = 0 }
        let metrics = core.configuration.metrics
        let log = core.configuration.accessLog
        guard metrics != nil || log != nil else { return }
        let nanoseconds = conn.requestStart == 0 ? 0 : monotonicNanoseconds() &- conn.requestStart
        metrics?.record(shard: index, status: status, nanoseconds: nanoseconds)
        guard let log else { return }
        let elapsed = nanoseconds / 1000
        let path = target.firstIndex(of: "?").map { target[..<$0] } ?? target[...]
        let fraction = String(elapsed % 1000)
        let ms = "\(elapsed / 1000).\(String(repeating: "0", count: 3 - fraction.count))\(fraction)"
        log("\(conn.requestID) \(conn.remoteAddress) \(method) \(path) \(status) \(bytes) \(ms)ms")
    }

    // MARK: Serialisation

    /// Writes the status line, headers and body into the connection's output.
    /// - Returns: the number of body bytes sent.
    private func serialize(_ response: HTTPResponse, to conn: Connection, method: HTTPMethod, close: Bool, keepAliveHeader: Bool)
        -> Int
    {
        var out: [UInt8] = []
        swap(&out, &conn.out)
        defer { swap(&out, &conn.out) }
        let code = response.status.code
        out.append(contentsOf: "HTTP/1.1 ".utf8)
        Self.appendDecimal(max(100, min(999, code)), to: &out)
        out.append(ASCII.sp)
        for c in response.status.reason.utf8 where c >= 0x20 && c != 0x7F { out.append(c) }
        out.append(contentsOf: "\r\n".utf8)
        let isHead = method == .head
        var declaredLength: Int?
        var hasServer = false
        var closeRequested = close
        for (name, value) in response.headers {
            switch name.utf8.count {
            case 4 where HTTPHeaders.same(name, "date"):
                continue
            case 6 where HTTPHeaders.same(name, "server"):
                hasServer = true
            case 10 where HTTPHeaders.same(name, "connection"):
                if value.lowercased().contains("close") { closeRequested = true }
                continue
            case 12 where HTTPHeaders.same(name, "x-request-id"):
                continue
            case 14 where HTTPHeaders.same(name, "content-length"):
                if isHead, let n = Int(value), n >= 0 { declaredLength = n }
                continue
            case 17 where HTTPHeaders.same(name, "transfer-encoding"):
                continue
            default:
                break
            }
            guard Self.isValidField(name, value) else {
                core.errorLog("dropped invalid response header \(name.debugDescription) for request \(conn.requestID)")
                continue
            }
            out.append(contentsOf: name.utf8)
            out.append(contentsOf: ": ".utf8)
            out.append(contentsOf: value.utf8)
            out.append(contentsOf: "\r\n".utf8)
        }
        out.append(contentsOf: "Date: ".utf8)
        out.append(contentsOf: date.bytes)
        out.append(contentsOf: "\r\n".utf8)
        if !hasServer {
            out.append(contentsOf: "Server: ".utf8)
            out.append(contentsOf: core.configuration.serverName.utf8)
            out.append(contentsOf: "\r\n".utf8)
        }
        out.append(contentsOf: "X-Request-Id: ".utf8)
        out.append(contentsOf: conn.requestID.utf8)
        out.append(contentsOf: "\r\n".utf8)
        let bodiless = code < 200 || code == 204 || code == 304
        if !bodiless {
            out.append(contentsOf: "Content-Length: ".utf8)
            Self.appendDecimal(isHead ? (declaredLength ?? response.bodyLength) : response.bodyLength, to: &out)
            out.append(contentsOf: "\r\n".utf8)
        }
        if closeRequested {
            out.append(contentsOf: "Connection: close\r\n".utf8)
        } else if keepAliveHeader {
            out.append(contentsOf: "Connection: keep-alive\r\n".utf8)
        }
        out.append(contentsOf: "\r\n".utf8)
        conn.closeAfterWrite = closeRequested
        if let file = response.file {
            guard !bodiless, !isHead, file.size > 0 else { return 0 }
            conn.outFile = file
            conn.outFileOffset = 0
            return file.size
        }
        guard !bodiless, !isHead, !response.body.isEmpty else { return 0 }
        if response.body.count <= 16 * 1024 || conn.tls != nil {
            out.append(contentsOf: response.body)
        } else {
            conn.outBody = response.body
            conn.outBodyOffset = 0
        }
        return response.body.count
    }

    static func appendDecimal(_ value: Int, to out: inout [UInt8]) {
        if value < 10 {
            out.append(UInt8(48 + value))
            return
        }
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var n = value
        var count = 0
        withUnsafeMutableBytes(of: &digits) { raw in
            while n > 0 && count < 20 {
                raw[19 - count] = UInt8(48 + n % 10)
                n /= 10
                count += 1
            }
            out.append(contentsOf: raw[(20 - count)...])
        }
    }

    /// Rejects header names that are not tokens and values with CR, LF or NUL (header injection).
    static func isValidField(_ name: String, _ value: String) -> Bool {
        if name.isEmpty { return false }
        for c in name.utf8 where !ASCII.tokenTable[Int(c)] { return false }
        // Over contiguous bytes where possible: long values (a content security policy) are
        // checked on every response.
        let clean = value.utf8.withContiguousStorageIfAvailable { bytes in
            !bytes.contains { $0 == ASCII.cr || $0 == ASCII.lf || $0 == 0 }
        }
        if let clean { return clean }
        for c in value.utf8 where c == ASCII.cr || c == ASCII.lf || c == 0 { return false }
        return true
    }
}
