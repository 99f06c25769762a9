import Foundation
import PraxisCrypto
import PraxisFederation
import PraxisHTTP
import PraxisSQLite
import PraxisStorage
import Synchronization

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// `praxis-bench fanout`: one activity (about 1 KB of JSON) to 100 inboxes, each on its own
/// loopback server (100 ports, so 100 delivery lanes), signed with a real Ed25519 key and
/// verified by every receiver; timed from the enqueue until all have answered 202.
enum FanoutBench {
    static let target = 1.0

    static func run(_ arguments: [String]) async {
        do {
            var destinations = 100
            var rest = arguments[...]
            while let option = rest.popFirst() {
                switch option {
                case "--destinations":
                    guard let text = rest.popFirst(), let n = Int(text), (1...1000).contains(n) else {
                        throw DeliveryBenchError("--destinations needs a number from 1 to 1000")
                    }
                    destinations = n
                default: throw DeliveryBenchError("unknown option \(option) (fanout takes --destinations N)")
                }
            }
            try await measure(destinations: destinations)
        } catch {
            DeliveryBenchError.exit(with: error)
        }
    }

    private static func measure(destinations: Int) async throws {
        let environment = try DeliveryBenchEnvironment(maxIdlePerHost: 32)
        defer { environment.remove() }
        let verifier = DeliveryBenchVerifier(publicKey: environment.signer.key.publicKey)
        let answered = DeliveryBenchLatch()
        var servers: [HTTPServer] = []
        for _ in 0..<destinations {
            servers.append(try startServer { request in
                guard verifier.verify(request) else { return HTTPResponse.error(.unauthorized, "bad signature") }
                answered.arrive()
                return HTTPResponse(status: .accepted)
            })
        }
        let inboxes = servers.map { "http://127.0.0.1:\($0.port)/inbox" }
        let service = environment.service(DeliveryConfiguration())
        try service.start()

        print("fanout: one ~\(activityBody(0).count)-byte activity to \(destinations) inboxes on \(destinations) loopback servers")
        print("        signed with RFC 9421 ed25519 (content-digest covered); every receiver verifies it")
        var results: [(String, Double, Double)] = []
        for round in 1...2 {
            answered.reset(expecting: destinations)
            let start = ContinuousClock.now
            let activity = OutgoingActivity(
                activityID: "https://bench.example/activities/\(round)", orderingKey: "https://bench.example/notes/\(round)",
                body: activityBody(round), signer: "alice")
            try await environment.database.write { try DeliveryQueue.enqueue(activity, to: inboxes, db: $0) }
            service.wake()
            guard await answered.wait(timeout: .seconds(30)) else {
                throw DeliveryBenchError("only \(answered.count) of \(destinations) destinations answered within 30 s")
            }
            let allAnswered = ContinuousClock.now - start
            guard await service.waitUntilIdle(timeout: .seconds(30)) else {
                throw DeliveryBenchError("deliveries were not all recorded within 30 s")
            }
            let recorded = ContinuousClock.now - start
            results.append((round == 1 ? "new connections" : "kept-alive connections", allAnswered.benchSeconds, recorded.benchSeconds))
        }
        await service.stop()
        for server in servers { await server.shutdown(gracePeriod: .seconds(1)) }

        let stats = try service.stats()
        guard stats.failed == 0, verifier.rejected == 0 else {
            throw DeliveryBenchError("\(stats.failed) deliveries failed, \(verifier.rejected) signatures rejected")
        }
        for (label, answeredAt, recordedAt) in results {
            let verdict = answeredAt < target ? "OK" : "MISSED"
            print(
                "fanout (\(label)): all \(destinations) answered 202 after \(milliseconds(answeredAt)) ms, "
                    + "recorded delivered after \(milliseconds(recordedAt)) ms   target < \(Int(target)) s  \(verdict)")
        }
    }

    static func milliseconds(_ seconds: Double) -> String { String(format: "%.1f", seconds * 1000) }

    /// A Create/Note of about 1 KB, like a post to a community.
    static func activityBody(_ index: Int) -> [UInt8] {
        let content = String(repeating: "Retours d'expérience sur les clauses de révision de prix. ", count: 11)
        let json = """
            {"@context":"https://www.w3.org/ns/activitystreams","id":"https://bench.example/activities/\(index)",\
            "type":"Create","actor":"https://bench.example/users/alice","published":"2025-01-01T00:00:00Z",\
            "to":["https://bench.example/communities/achats"],"object":{"id":"https://bench.example/notes/\(index)",\
            "type":"Note","attributedTo":"https://bench.example/users/alice","content":"\(content)"}}
            """
        return Array(json.utf8)
    }

    static func startServer(_ handler: @escaping Router.Handler) throws -> HTTPServer {
        var configuration = HTTPServerConfiguration()
        configuration.host = "127.0.0.1"
        configuration.port = 0
        configuration.eventLoops = 1
        var router = Router()
        router.post("/inbox", handler)
        let server = HTTPServer(configuration: configuration, responder: router)
        try server.start()
        return server
    }
}

/// A benchmark failure; printed and the process exits with status 1.
struct DeliveryBenchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }

    static func exit(with error: any Error) -> Never {
        let text = Array("praxis-bench: \(error)\n".utf8)
        text.withUnsafeBytes { _ = write(2, $0.baseAddress, $0.count) }
        Glibc.exit(1)
    }
}

/// A queue database in a temporary folder, a dev-mode client and the RFC 9421 signer.
struct DeliveryBenchEnvironment {
    let folder: String
    let database: Database
    let client: HTTPClient
    let signer = DeliveryBenchSigner()

    init(maxIdlePerHost: Int) throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("praxis-bench-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        database = try Database(path: folder + "/queue.sqlite", migrations: Schema.migrations)
        var configuration = HTTPClientConfiguration()
        configuration.allowInsecureAndPrivate = true
        configuration.maxIdleConnectionsPerHost = maxIdlePerHost
        client = try HTTPClient(configuration: configuration)
    }

    func service(_ configuration: DeliveryConfiguration) -> DeliveryService {
        DeliveryService(
            database: database, client: client, signer: signer, configuration: configuration, mayDeliver: { _ in true },
            log: { line in print("  log: \(line)") })
    }

    func remove() { try? FileManager.default.removeItem(atPath: folder) }
}

/// Signs deliveries as Praxis does towards Praxis peers: RFC 9421 with an Ed25519 key, covering
/// `@method`, `@target-uri` and `content-digest`, with `created`, `keyid` and `alg`.
struct DeliveryBenchSigner: DeliverySigner {
    let key = Ed25519PrivateKey()

    func sign(_ request: inout HTTPClientRequest, as signer: String) throws {
        try HTTPSigner.sign(
            method: request.method, url: request.url, headers: &request.headers, body: request.body,
            keyID: "https://bench.example/users/\(signer)#ed25519-key", key: .ed25519(key), profile: .rfc9421,
            now: Date())
    }
}

/// Verifies each delivery as a receiving node does: digest, covered components, time window and
/// the Ed25519 signature.
final class DeliveryBenchVerifier: Sendable {
    let publicKey: Ed25519PublicKey
    private let rejections = Mutex(0)

    init(publicKey: Ed25519PublicKey) {
        self.publicKey = publicKey
    }

    var rejected: Int { rejections.withLock { $0 } }

    func verify(_ request: HTTPRequest) -> Bool {
        do {
            _ = try HTTPSignatureVerifier.verify(
                request, authority: request.host ?? "", scheme: "http", key: .ed25519(publicKey), now: Date(), maxSkew: 3600)
            return true
        } catch {
            rejections.withLock { $0 += 1 }
            return false
        }
    }
}

/// Counts arrivals and lets one waiter know when the expected number is reached.
final class DeliveryBenchLatch: Sendable {
    private struct State {
        var count = 0
        var expected = Int.max
    }
    private let state = Mutex(State())

    func reset(expecting expected: Int) { state.withLock { $0 = State(count: 0, expected: expected) } }
    func arrive() { state.withLock { $0.count += 1 } }
    var count: Int { state.withLock { $0.count } }

    /// Polls every 200 µs: fine-grained enough for millisecond figures, and simple.
    func wait(timeout: Duration) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if state.withLock({ $0.count >= $0.expected }) { return true }
            try? await Task.sleep(for: .microseconds(200))
        }
        return false
    }
}

extension Duration {
    var benchSeconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
