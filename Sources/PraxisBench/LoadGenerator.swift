import COpenSSL
import Synchronization

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// Latency histogram with 1 µs buckets up to 100 ms, then 1 ms buckets up to 60 s (and one
/// overflow bucket), so an overloaded server's percentiles are still figures, not the maximum.
struct LatencyHistogram {
    static let bucketCount = 100_000
    static let slowBucketCount = 60_000
    var counts = [Int](repeating: 0, count: LatencyHistogram.bucketCount)
    /// Latencies of 100 ms and more, by millisecond; the last bucket holds everything slower.
    var slowCounts = [Int](repeating: 0, count: LatencyHistogram.slowBucketCount + 1)
    var total = 0
    var maxMicros = 0

    mutating func record(nanoseconds: UInt64) {
        let micros = Int(nanoseconds / 1000)
        if micros < Self.bucketCount {
            counts[micros] += 1
        } else {
            slowCounts[min(micros / 1000, Self.slowBucketCount)] += 1
        }
        total += 1
        maxMicros = max(maxMicros, micros)
    }

    mutating func merge(_ other: LatencyHistogram) {
        for i in counts.indices { counts[i] += other.counts[i] }
        for i in slowCounts.indices { slowCounts[i] += other.slowCounts[i] }
        total += other.total
        maxMicros = max(maxMicros, other.maxMicros)
    }

    /// The latency (µs) below which `fraction` of the requests completed.
    func percentile(_ fraction: Double) -> Int {
        guard total > 0 else { return 0 }
        let rank = Int((Double(total) * fraction).rounded(.up))
        var seen = 0
        for (micros, count) in counts.enumerated() {
            seen += count
            if seen >= rank { return micros }
        }
        for (millis, count) in slowCounts.enumerated() {
            seen += count
            if seen >= rank { return millis == Self.slowBucketCount ? maxMicros : millis * 1000 }
        }
        return maxMicros
    }
}

struct LoadError: Error, CustomStringConvertible {
    var description: String
}

/// A closed-loop HTTP/1.1 load generator: each connection sends one request, waits for the whole
/// response, records its latency, and sends the next (keep-alive), on its own epoll threads.
///
/// With several prepared requests, connection `c` starts at request `c` and each connection walks
/// the list in turn, so the mix over all connections follows the list's proportions.
final class LoadGenerator: Sendable {
    let port: Int
    let requests: [[UInt8]]
    let connections: Int
    let threads: Int

    /// One GET of `path`, repeated.
    convenience init(port: Int, path: String, connections: Int, threads: Int) {
        self.init(port: port, requests: [Self.get(path)], connections: connections, threads: threads)
    }

    /// Cycles through `requests` (complete HTTP/1.1 requests, keep-alive); there must be at least one.
    init(port: Int, requests: [[UInt8]], connections: Int, threads: Int) {
        self.port = port
        self.requests = requests
        self.connections = connections
        self.threads = threads
    }

    /// A keep-alive GET of `path` with extra header lines (`Name: value`).
    static func get(_ path: String, headers: [String] = []) -> [UInt8] {
        let extra = headers.map { $0 + "\r\n" }.joined()
        return Array("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: praxis-bench\r\n\(extra)\r\n".utf8)
    }

    struct Result {
        var histogram = LatencyHistogram()
        var requests = 0
        var errors = 0
        var seconds = 0.0
    }

    /// Runs `warmup` seconds unmeasured, then `duration` seconds measured.
    func run(warmup: Double, duration: Double) throws -> Result {
        let start = now() + UInt64(warmup * 1e9)
        let end = start + UInt64(duration * 1e9)
        let results = Mutex<[Result]>([])
        let failures = Mutex<[String]>([])
        var threadIDs: [pthread_t] = []
        guard !requests.isEmpty else { throw LoadError(description: "no requests to send") }
        let perThread = (0..<threads).map { t in connections / threads + (t < connections % threads ? 1 : 0) }
        var firstConnection = 0
        for count in perThread where count > 0 {
            let work = Worker(
                port: port, requests: requests, firstConnection: firstConnection, connections: count, measureFrom: start,
                until: end)
            firstConnection += count
            let box = Unmanaged.passRetained(
                WorkerBox {
                    do {
                        let result = try work.run()
                        results.withLock { $0.append(result) }
                    } catch {
                        failures.withLock { $0.append("\(error)") }
                    }
                }
            ).toOpaque()
            var thread = pthread_t()
            let rc = pthread_create(
                &thread, nil,
                { arg in
                    guard let arg else { return nil }
                    Unmanaged<WorkerBox>.fromOpaque(arg).takeRetainedValue().body()
                    return nil
                }, box)
            guard rc == 0 else { throw LoadError(description: "cannot start a load thread") }
            threadIDs.append(thread)
        }
        for thread in threadIDs { pthread_join(thread, nil) }
        if let failure = failures.withLock({ $0.first }) { throw LoadError(description: failure) }
        var total = Result()
        for r in results.withLock({ $0 }) {
            total.histogram.merge(r.histogram)
            total.requests += r.requests
            total.errors += r.errors
        }
        total.seconds = duration
        return total
    }

    private final class WorkerBox: @unchecked Sendable {
        // @unchecked: the closure is created before the thread starts and only run by it.
        let body: () -> Void
        init(_ body: @escaping () -> Void) { self.body = body }
    }

    func now() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }

    /// One load thread and its connections.
    struct Worker: Sendable {
        let port: Int
        let requests: [[UInt8]]
        /// The number of this worker's first connection among all workers' (where it starts in `requests`).
        let firstConnection: Int
        let connections: Int
        let measureFrom: UInt64
        let until: UInt64

        final class Conn {
            let fd: Int32
            var buffer: [UInt8] = []
            var sentAt: UInt64 = 0
            /// Index in `requests` of the next request to send.
            var next: Int
            init(fd: Int32, next: Int) {
                self.fd = fd
                self.next = next
            }
        }

        func run() throws -> Result {
            let epfd = epoll_create1(0)
            guard epfd >= 0 else { throw LoadError(description: "epoll_create1 failed") }
            defer { Glibc.close(epfd) }
            var conns: [Conn] = []
            defer { for c in conns { Glibc.close(c.fd) } }
            for i in 0..<connections {
                let fd = try connectLoopback(port)
                let conn = Conn(fd: fd, next: (firstConnection + i) % requests.count)
                conns.append(conn)
                var event = epoll_event(events: EPOLLIN.rawValue, data: epoll_data_t(u64: UInt64(i)))
                epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &event)
            }
            var result = Result()
            var clock = timespec()
            func now() -> UInt64 {
                clock_gettime(CLOCK_MONOTONIC, &clock)
                return UInt64(clock.tv_sec) * 1_000_000_000 + UInt64(clock.tv_nsec)
            }
            func sendNext(_ conn: Conn) throws {
                try sendAll(conn.fd, requests[conn.next])
                conn.next += 1
                if conn.next == requests.count { conn.next = 0 }
            }
            for conn in conns {
                conn.sentAt = now()
                try sendNext(conn)
            }
            var events = [epoll_event](repeating: epoll_event(), count: 256)
            var chunk = [UInt8](repeating: 0, count: 65536)
            while true {
                let n = epoll_wait(epfd, &events, Int32(events.count), 100)
                let t = now()
                if t >= until { break }
                if n <= 0 { continue }
                for i in 0..<Int(n) {
                    let conn = conns[Int(events[i].data.u64)]
                    let got = chunk.withUnsafeMutableBytes { recv(conn.fd, $0.baseAddress, $0.count, 0) }
                    if got <= 0 {
                        if got < 0 && (errno == EAGAIN || errno == EINTR) { continue }
                        throw LoadError(description: "the server closed a keep-alive connection")
                    }
                    conn.buffer.append(contentsOf: chunk[0..<got])
                    guard let length = completeResponseLength(conn.buffer) else { continue }
                    if !(conn.buffer.count >= 12 && conn.buffer[9] == UInt8(ascii: "2")) { result.errors += 1 }
                    conn.buffer.removeFirst(length)
                    let done = now()
                    if conn.sentAt >= measureFrom {
                        result.histogram.record(nanoseconds: done - conn.sentAt)
                        result.requests += 1
                    }
                    conn.sentAt = done
                    try sendNext(conn)
                }
            }
            return result
        }

        /// Total length of the first response in `buffer` if it is complete.
        func completeResponseLength(_ buffer: [UInt8]) -> Int? {
            buffer.withUnsafeBufferPointer { b -> Int? in
                let count = b.count
                guard count >= 4 else { return nil }
                var headEnd = -1
                var i = 3
                while i < count {
                    if b[i] == 10 && b[i - 1] == 13 && b[i - 2] == 10 && b[i - 3] == 13 {
                        headEnd = i + 1
                        break
                    }
                    i += 1
                }
                guard headEnd > 0 else { return nil }
                // Find "content-length:" case-insensitively.
                let needle = Array("content-length:".utf8)
                var length = 0
                var j = 0
                search: while j + needle.count < headEnd {
                    var k = 0
                    while k < needle.count {
                        let c = b[j + k]
                        let lower = (c >= 65 && c <= 90) ? c | 0x20 : c
                        if lower != needle[k] { break }
                        k += 1
                    }
                    if k == needle.count {
                        var p = j + k
                        while p < headEnd && b[p] == 32 { p += 1 }
                        while p < headEnd && b[p] >= 48 && b[p] <= 57 {
                            length = length * 10 + Int(b[p] - 48)
                            p += 1
                        }
                        break search
                    }
                    j += 1
                }
                return count >= headEnd + length ? headEnd + length : nil
            }
        }
    }
}

func connectLoopback(_ port: Int) throws -> Int32 {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw LoadError(description: "socket failed") }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = UInt16(port).bigEndian
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let rc = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard rc == 0 else {
        Glibc.close(fd)
        throw LoadError(description: "cannot connect to 127.0.0.1:\(port): \(String(cString: strerror(errno)))")
    }
    var one: Int32 = 1
    setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
    return fd
}

func sendAll(_ fd: Int32, _ bytes: [UInt8]) throws {
    var offset = 0
    while offset < bytes.count {
        let n = bytes.withUnsafeBytes { send(fd, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL)) }
        if n < 0 {
            if errno == EINTR || errno == EAGAIN { continue }
            throw LoadError(description: "send failed: \(String(cString: strerror(errno)))")
        }
        offset += n
    }
}
