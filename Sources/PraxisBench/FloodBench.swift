import Dispatch
import Foundation
import PraxisCommunity
import PraxisCrypto
import PraxisFederation
import PraxisHTTP
import PraxisServer
import PraxisStorage
import Synchronization

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// `praxis-bench flood`: one remote node floods a real node's inbox while two others send at a
/// normal pace; are the normal senders still accepted and processed promptly?
///
/// The receiver is a complete `PraxisNode` (development mode, default abuse limits) that trusts
/// three fake remote nodes on loopback (``FakeRemoteNode``): A sends `--flood` signed `Follow`s
/// of a local member as fast as `--connections` keep-alive connections allow; B and C each send
/// signed `Follow`s at `--rate` a second over one connection, from the start of the flood until
/// one second after its last answer. Every request is signed (RFC 9421, Ed25519) and every
/// accepted activity goes through the `Follow` handler (actor lookup, a database write), so
/// processing is real work, not only an acknowledgement.
///
/// Measured: B's and C's share of `202` answers, their latency from send to processed (`state =
/// 'done'`, polled every 5 ms), A's `202` and `429` counts, and the time until the inbox queue is
/// empty again. The stated limit: B and C all accepted, p99 latency under 2 s.
enum FloodBench {
    static let latencyTarget = 2.0

    struct Options {
        var flood = 10_000
        var rate = 20
        var connections = 64
        var floodActors = 50
        /// Lifts the per-node inbox limit, so that A's whole flood is accepted and only the
        /// processor's round-robin by origin keeps B and C prompt.
        var unlimited = false
    }

    static func run(_ arguments: [String]) async {
        do {
            var options = Options()
            var rest = BenchArguments(arguments)
            while let option = rest.next() {
                switch option {
                case "--flood": options.flood = try rest.number(option, 1...1_000_000)
                case "--rate": options.rate = try rest.number(option, 1...1_000)
                case "--connections": options.connections = try rest.number(option, 1...1_000)
                case "--actors": options.floodActors = try rest.number(option, 1...10_000)
                case "--unlimited": options.unlimited = true
                default:
                    throw DeliveryBenchError(
                        "unknown option \(option) (flood takes --flood N, --rate N, --connections N, --actors N, --unlimited)")
                }
            }
            try await measure(options)
        } catch {
            DeliveryBenchError.exit(with: error)
        }
    }

    /// One remote node of the bench: its fake server and its actors' keys.
    struct Sender {
        let label: String
        let keys: RemoteKeys
        let node: FakeRemoteNode

        init(_ label: String, actors: Int) throws {
            self.label = label
            keys = try RemoteKeys(actors: actors, rsaKeys: 1)
            node = try FakeRemoteNode(keys: keys)
        }

        /// A signed `Follow` of `target` by actor `index % actors`, as a complete HTTP/1.1 request.
        func follow(_ index: Int, run: String, target: String, inboxURL: String, now: Date) throws -> (id: String, bytes: [UInt8]) {
            let actorIndex = index % keys.actors
            let actor = node.actorURL(actorIndex)
            let id = "\(actor)/follows/\(run)-\(index)"
            let body = Array(
                #"{"@context":"https://www.w3.org/ns/activitystreams","id":"\#(id)","type":"Follow","actor":"\#(actor)","object":"\#(target)"}"#
                    .utf8)
            var headers: HTTPHeaders = ["Content-Type": "application/activity+json", "User-Agent": "praxis-bench"]
            try HTTPSigner.sign(
                method: .post, url: inboxURL, headers: &headers, body: body, keyID: actor + "#ed25519-key",
                key: .ed25519(keys.ed25519[actorIndex]), profile: .rfc9421, now: now)
            var head = "POST /inbox HTTP/1.1\r\n"
            for (name, value) in headers { head += "\(name): \(value)\r\n" }
            head += "Content-Length: \(body.count)\r\n\r\n"
            return (id, Array(head.utf8) + body)
        }

        func follows(_ count: Int, run: String, target: String, inboxURL: String) throws -> [(id: String, bytes: [UInt8])] {
            let now = Date()
            return try (0..<count).map { try follow($0, run: run, target: target, inboxURL: inboxURL, now: now) }
        }
    }

    private static func measure(_ options: Options) async throws {
        print(
            "flood: node A sends \(options.flood) signed Follows over \(options.connections) connections; "
                + "nodes B and C send \(options.rate)/s each meanwhile (RFC 9421 ed25519, "
                + (options.unlimited ? "no per-node inbox limit)" : "default limits)"))
        let a = try Sender("A", actors: options.floodActors)
        let b = try Sender("B", actors: 10)
        let c = try Sender("C", actors: 10)
        defer { for sender in [a, b, c] { sender.node.stop() } }

        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("praxis-bench-flood-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let port = try InboxBench.freePort()
        let authority = "127.0.0.1:\(port)"
        let directory = DataDirectory(path: folder + "/receiver")
        let store = try NodeSetup.initialise(
            directory: directory, configuration: NodeConfiguration(domain: authority, name: "Flood bench", development: true))
        try await store.database.write { db in
            for sender in [a, b, c] {
                try TrustRepository(db).set(TrustEntry(domain: sender.node.authority, level: .trusted, note: "praxis-bench flood"))
            }
        }
        _ = try AccountService(store: store, passwordCost: .testing).add(.init(username: "ana", password: "bench password 123"))
        if options.unlimited {
            var configuration = store.configuration
            var limits = configuration.effectiveLimits
            limits.inboxPerNode = .init(perSecond: 1_000_000, burst: 1_000_000)
            configuration.limits = limits
            try configuration.save(to: directory)
        }
        let limits = try NodeConfiguration.load(from: directory).effectiveLimits
        let node = try PraxisNode(directory: directory, listen: .init(host: "127.0.0.1", port: port), log: { _ in })
        try node.start()
        defer {
            let done = DispatchSemaphore(value: 0)
            Task {
                await node.shutdown(gracePeriod: .seconds(2))
                done.signal()
            }
            done.wait()
        }
        let inboxURL = "http://\(authority)/inbox"
        let target = "http://\(authority)/users/ana"

        // Warm the key caches (one Follow per actor), then let A's bucket refill: the flood starts
        // against a node that knows every sender, as in steady federation.
        for sender in [a, b, c] {
            let warmup = try sender.follows(sender.keys.actors, run: "warmup", target: target, inboxURL: inboxURL).map(\.bytes)
            let failures = try await blast(warmup, connections: 8, port: port).failures
            guard failures.isEmpty else { throw DeliveryBenchError("warm-up of \(sender.label) refused: \(failures[0])") }
        }
        try await waitUntilDrained(store, seconds: 60)
        try await Task.sleep(for: .seconds(Double(limits.inboxPerNode.burst) / limits.inboxPerNode.perSecond + 0.5))

        let flood = try a.follows(options.flood, run: "flood", target: target, inboxURL: inboxURL).map(\.bytes)
        // Enough for the longest flood the bench waits for; only those sent are counted.
        let normalCount = options.rate * 120
        let normal = try [b, c].map { try $0.follows(normalCount, run: "normal", target: target, inboxURL: inboxURL) }

        let tracker = ProcessedTracker(store: store, domains: [b.node.authority, c.node.authority])
        let floodDone = Mutex<Bool>(false)
        let start = ContinuousClock.now
        tracker.start()
        async let floodResult = blast(flood, connections: options.connections, port: port)
        let paced = normal.map { requests in
            PacedSender(port: port, rate: options.rate, requests: requests, until: { floodDone.withLock { $0 } })
        }
        async let pacedResults = withTaskGroup(of: [PacedSender.Sent].self) { group in
            for sender in paced { group.addTask { await sender.run() } }
            return await group.reduce(into: [[PacedSender.Sent]]()) { $0.append($1) }
        }
        let floodOutcome = try await floodResult
        let floodSeconds = (ContinuousClock.now - start).benchSeconds
        // B and C keep sending for one more second after the flood's last answer.
        try await Task.sleep(for: .seconds(1))
        floodDone.withLock { $0 = true }
        let sent = await pacedResults.flatMap { $0 }
        try await waitUntilDrained(store, seconds: 120)
        let drained = (ContinuousClock.now - start).benchSeconds
        let acceptedIDs = sent.filter { $0.status == 202 }.map(\.id)
        try await tracker.waitFor(acceptedIDs, seconds: 30)
        tracker.stop()

        let floodAccepted = options.flood - floodOutcome.failures.count
        let floodLimited = floodOutcome.failures.filter { $0.contains("HTTP/1.1 429") }.count
        let latencies = sent.compactMap { sent -> Double? in
            guard sent.status == 202, let processed = tracker.processedAt(sent.id) else { return nil }
            return (processed - sent.sentAt).benchSeconds
        }.sorted()
        let share = sent.isEmpty ? 0 : Double(acceptedIDs.count) / Double(sent.count)
        let p50 = percentile(latencies, 0.5)
        let p99 = percentile(latencies, 0.99)
        let (dead, done) = try await store.database.read { db in
            (try db.scalar(Int.self, "SELECT count(*) FROM inbox_activities WHERE state = 'dead'") ?? 0,
             try db.scalar(Int.self, "SELECT count(*) FROM inbox_activities WHERE state = 'done'") ?? 0)
        }

        print("  limits: inbox \(limits.inboxPerNode.perSecond)/s burst \(limits.inboxPerNode.burst) per node")
        print(
            "  A (flood): \(floodAccepted) accepted (202), \(floodLimited) refused with 429, "
                + "\(floodOutcome.failures.count - floodLimited) other answers, all answered after \(InboxBench.seconds(floodSeconds)) s")
        print(
            "  B and C: \(acceptedIDs.count) of \(sent.count) accepted (\(String(format: "%.1f", share * 100)) %), "
                + "send → processed p50 \(milliseconds(p50)) ms, p99 \(milliseconds(p99)) ms, max \(milliseconds(latencies.last ?? 0)) ms")
        print("  inbox queue empty \(InboxBench.seconds(drained)) s after the flood began; \(done) processed, \(dead) dead-lettered")
        let verdict = share == 1 && latencies.count == acceptedIDs.count && p99 < latencyTarget ? "OK" : "MISSED"
        print("  target: B and C all accepted, p99 send → processed < \(Int(latencyTarget)) s   \(verdict)")
        guard verdict == "OK" else {
            let refused = sent.first { $0.status != 202 }
            throw DeliveryBenchError(
                "B and C: \(sent.count - acceptedIDs.count) not accepted (first status \(refused?.status ?? 0)), "
                    + "\(acceptedIDs.count - latencies.count) accepted but not seen processed, p99 \(milliseconds(p99)) ms")
        }
    }

    static func percentile(_ sorted: [Double], _ p: Double) -> Double {
        guard !sorted.isEmpty else { return 0 }
        return sorted[min(sorted.count - 1, Int((Double(sorted.count) * p).rounded(.up)) - 1)]
    }

    static func milliseconds(_ seconds: Double) -> String { String(Int((seconds * 1000).rounded())) }

    /// Posts `requests` over `connections` keep-alive connections from a thread of its own.
    static func blast(_ requests: [[UInt8]], connections: Int, port: Int) async throws -> (failures: [String], seconds: Double) {
        let client = BlastClient(port: port, connections: min(connections, requests.count), requests: requests)
        let start = ContinuousClock.now
        let outcome: Result<[String], any Error> = await withCheckedContinuation { continuation in
            Thread.detachNewThread { continuation.resume(returning: Result { try client.run() }) }
        }
        return (try outcome.get(), (ContinuousClock.now - start).benchSeconds)
    }

    static func waitUntilDrained(_ store: NodeStore, seconds: Double) async throws {
        let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
        while try await store.database.read({ db in try InboxRepository(db).pendingCount() }) > 0 {
            guard ContinuousClock.now < deadline else {
                throw DeliveryBenchError("activities still pending after \(Int(seconds)) s")
            }
            try await Task.sleep(for: .milliseconds(5))
        }
    }
}

/// Sends requests one at a time over one keep-alive connection at a fixed rate, on a thread of
/// its own, recording when each was sent and the status of its answer.
struct PacedSender: Sendable {
    struct Sent: Sendable {
        var id: String
        var sentAt: ContinuousClock.Instant
        var status: Int
    }

    let port: Int
    let rate: Int
    let requests: [(id: String, bytes: [UInt8])]
    /// Polled before each send: true stops the sender.
    let until: @Sendable () -> Bool

    init(port: Int, rate: Int, requests: [(id: String, bytes: [UInt8])], until: @escaping @Sendable () -> Bool) {
        self.port = port
        self.rate = rate
        self.requests = requests
        self.until = until
    }

    func run() async -> [Sent] {
        await withCheckedContinuation { continuation in
            Thread.detachNewThread { continuation.resume(returning: self.send()) }
        }
    }

    private func send() -> [Sent] {
        var sent: [Sent] = []
        guard var fd = try? connectLoopback(port) else { return sent }
        defer { close(fd) }
        let interval = Duration.nanoseconds(1_000_000_000 / rate)
        var next = ContinuousClock.now
        var buffer: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16_384)
        for request in requests {
            if until() { break }
            let now = ContinuousClock.now
            if next > now { Thread.sleep(forTimeInterval: (next - now).benchSeconds) }
            next = next + interval
            let at = ContinuousClock.now
            var status = 0
            if (try? sendAll(fd, request.bytes)) != nil {
                while BlastClient.responseLength(buffer) == nil {
                    let got = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
                    if got <= 0 { break }
                    buffer.append(contentsOf: chunk[0..<got])
                }
                if let length = BlastClient.responseLength(buffer) {
                    status = Int(String(decoding: buffer[9..<min(12, length)], as: UTF8.self)) ?? 0
                    buffer.removeFirst(length)
                }
            }
            sent.append(Sent(id: request.id, sentAt: at, status: status))
            if status == 0 {
                // The connection broke: open a new one for the next request.
                close(fd)
                buffer.removeAll()
                guard let reopened = try? connectLoopback(port) else { break }
                fd = reopened
            }
        }
        return sent
    }
}

/// Polls the receiver's inbox every 5 ms and notes when each activity of the watched nodes was
/// first seen processed.
final class ProcessedTracker: Sendable {
    let store: NodeStore
    let domains: [String]
    private let seen = Mutex<[String: ContinuousClock.Instant]>([:])
    private let task = Mutex<Task<Void, Never>?>(nil)

    init(store: NodeStore, domains: [String]) {
        self.store = store
        self.domains = domains
    }

    func start() {
        let poller = Task { [self] in
            while !Task.isCancelled {
                await poll()
                try? await Task.sleep(for: .milliseconds(5))
            }
        }
        task.withLock { $0 = poller }
    }

    func stop() { task.withLock { $0?.cancel() } }

    private func poll() async {
        let domains = domains
        guard let done = try? await store.database.read({ db in
            try db.query(
                "SELECT activity_id FROM inbox_activities WHERE state = 'done' AND origin_domain IN (?, ?)", domains[0],
                domains[domains.count - 1]
            ).map { row -> String in try row.get("activity_id") }
        }) else { return }
        let now = ContinuousClock.now
        seen.withLock { seen in for id in done where seen[id] == nil { seen[id] = now } }
    }

    func processedAt(_ id: String) -> ContinuousClock.Instant? { seen.withLock { $0[id] } }

    /// Waits until every id in `ids` was seen processed, or `seconds` passed.
    func waitFor(_ ids: [String], seconds: Double) async throws {
        let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
        while ContinuousClock.now < deadline {
            if seen.withLock({ seen in ids.allSatisfy { seen[$0] != nil } }) { return }
            try await Task.sleep(for: .milliseconds(10))
        }
    }
}
