import Synchronization

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// An HTTP/1.1 server on POSIX sockets with one epoll event loop per thread.
///
/// ```swift
/// var router = Router()
/// router.get("/health") { _ in HTTPResponse(contentType: "text/plain", body: "ok") }
/// let server = HTTPServer(configuration: HTTPServerConfiguration(), responder: router)
/// try server.start()
/// print("listening on \(server.port)")
/// _ = await ShutdownSignal.wait()
/// await server.shutdown()
/// ```
///
/// Loop 0 accepts connections and spreads them over all loops; each connection then lives on
/// one loop. Requests on a connection are answered one at a time and in order (pipelined
/// requests wait in the input buffer), each by a task that prefers the connection's loop.
public final class HTTPServer: Sendable {
    private enum Phase { case idle, running, stopping, stopped }

    private struct State {
        var phase: Phase = .idle
        var loops: [EventLoop] = []
        var core: ServerCore?
        var port = 0
        var runningLoops = 0
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    public let configuration: HTTPServerConfiguration
    private let responder: any HTTPResponder
    private let state = Mutex<State>(State())

    public init(configuration: HTTPServerConfiguration, responder: any HTTPResponder) {
        self.configuration = configuration
        self.responder = responder
    }

    /// The bound port, valid after `start()` (useful with `port = 0`).
    public var port: Int { state.withLock { $0.port } }

    /// Connections currently open and counted against `maxConnections`.
    public var openConnections: Int { state.withLock { $0.core }?.activeConnections.load(ordering: .relaxed) ?? 0 }

    /// Binds and listens (with `SO_REUSEADDR`), then starts the loop threads.
    /// - Throws: `HTTPServerError` when the server was already started, the address cannot be
    ///   resolved, the port is in use, or the TLS files cannot be loaded.
    public func start() throws {
        try state.withLock { (state) throws(HTTPServerError) in
            guard state.phase == .idle else { throw HTTPServerError("the server was already started") }
        }
        signal(SIGPIPE, SIG_IGN)
        let tls = try configuration.tls.map { (tls) throws(HTTPServerError) in try TLSContext(tls) }
        let (fd, port) = try Self.listen(host: configuration.host, port: configuration.port)
        let core = ServerCore(configuration: configuration, responder: responder, tls: tls)
        var loops: [EventLoop] = []
        do {
            for index in 0..<max(1, configuration.eventLoops) {
                loops.append(try EventLoop(core: core, index: index))
            }
        } catch {
            Glibc.close(fd)
            throw error
        }
        loops[0].listenFD = fd
        for loop in loops {
            loop.peers = loops
            loop.onStop = { [weak self] in self?.loopStopped() }
        }
        let started = state.withLock { state -> Bool in
            guard state.phase == .idle else { return false }
            state.phase = .running
            state.loops = loops
            state.core = core
            state.port = port
            state.runningLoops = loops.count
            return true
        }
        guard started else {
            Glibc.close(fd)
            throw HTTPServerError("the server was already started")
        }
        for (i, loop) in loops.enumerated() {
            do {
                try loop.startThread()
            } catch {
                // Loops already running stop through the normal path; the rest never ran.
                for unstarted in loops[i...] { unstarted.onStop?() }
                for running in loops[..<i] { running.execute { running.stop() } }
                throw error
            }
        }
    }

    /// Stops accepting, lets in-flight requests finish within `gracePeriod` (their responses
    /// carry `Connection: close`), closes idle connections, then stops the loops. Idempotent:
    /// later calls wait for the first one to complete.
    public func shutdown(gracePeriod: Duration = .seconds(10)) async {
        enum Action { case drain([EventLoop], ServerCore), wait, done }
        let action = state.withLock { state -> Action in
            switch state.phase {
            case .idle:
                state.phase = .stopped
                return .done
            case .running:
                state.phase = .stopping
                if let core = state.core { return .drain(state.loops, core) }
                return .wait
            case .stopping:
                return .wait
            case .stopped:
                return .done
            }
        }
        switch action {
        case .done:
            finishStopping()
            return
        case .wait:
            await waitUntilStopped()
            return
        case .drain(let loops, let core):
            if let acceptor = loops.first { acceptor.execute { acceptor.stopAccepting() } }
            for loop in loops { loop.execute { loop.beginDrain() } }
            let clock = ContinuousClock()
            let deadline = clock.now.advanced(by: gracePeriod)
            while core.busyConnections > 0 && clock.now < deadline {
                try? await Task.sleep(for: .milliseconds(5))
            }
            for loop in loops { loop.execute { loop.stop() } }
            await waitUntilStopped()
        }
    }

    /// Returns once the server has stopped (after `shutdown`).
    public func waitUntilStopped() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let stopped = state.withLock { state -> Bool in
                if state.phase == .stopped { return true }
                state.waiters.append(continuation)
                return false
            }
            if stopped { continuation.resume() }
        }
    }

    private func loopStopped() {
        let last = state.withLock { state -> Bool in
            state.runningLoops -= 1
            return state.runningLoops == 0
        }
        if last { finishStopping() }
    }

    private func finishStopping() {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.phase = .stopped
            state.loops = []
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Creates, binds and listens on a non-blocking socket.
    static func listen(host: String, port: Int) throws(HTTPServerError) -> (Int32, Int) {
        guard (0...65535).contains(port) else { throw HTTPServerError("port \(port) is out of range 0...65535") }
        var hints = addrinfo()
        hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &list)
        guard status == 0, let first = list else {
            throw HTTPServerError("cannot resolve listen address \(host): \(String(cString: gai_strerror(status)))")
        }
        defer { freeaddrinfo(list) }
        var lastError = "no usable address"
        var candidate: UnsafeMutablePointer<addrinfo>? = first
        while let info = candidate {
            candidate = info.pointee.ai_next
            let fd = socket(
                info.pointee.ai_family, Int32(SOCK_STREAM.rawValue | SOCK_NONBLOCK.rawValue | SOCK_CLOEXEC.rawValue), 0)
            if fd < 0 {
                lastError = String(cString: strerror(errno))
                continue
            }
            var one: Int32 = 1
            setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
            if bind(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) != 0 {
                let code = errno
                Glibc.close(fd)
                switch code {
                case EADDRINUSE:
                    throw HTTPServerError("cannot listen on \(host):\(port): the port is already in use")
                case EACCES:
                    throw HTTPServerError("cannot listen on \(host):\(port): permission denied (ports below 1024 need privileges)")
                default:
                    lastError = String(cString: strerror(code))
                    continue
                }
            }
            guard Glibc.listen(fd, 1024) == 0 else {
                lastError = String(cString: strerror(errno))
                Glibc.close(fd)
                continue
            }
            var address = sockaddr_storage()
            var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
            _ = withUnsafeMutablePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
            }
            let bound: UInt16
            if Int32(address.ss_family) == AF_INET6 {
                bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { $0.pointee.sin6_port } }
            } else {
                bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee.sin_port } }
            }
            return (fd, Int(UInt16(bigEndian: bound)))
        }
        throw HTTPServerError("cannot listen on \(host):\(port): \(lastError)")
    }
}
