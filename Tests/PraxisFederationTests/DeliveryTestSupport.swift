import Foundation
import PraxisFederation
import PraxisHTTP
import PraxisSQLite
import PraxisStorage
import PraxisTestSupport
import Synchronization
import Testing

/// One POST as a fake inbox received it.
struct ReceivedDelivery: Sendable {
    var path: String
    var body: String
    var signedBy: String?
    var contentType: String?
    var at: ContinuousClock.Instant
}

/// A loopback inbox server (PraxisHTTP's server and router) that records every POST and answers
/// with what `reply` says. `reply` gets the request and how many POSTs came before it.
final class FakeInbox: Sendable {
    typealias Reply = @Sendable (HTTPRequest, Int) async -> HTTPResponse

    let server: HTTPServer
    private let received = Mutex<[ReceivedDelivery]>([])
    private let concurrency = Mutex<(now: Int, max: Int)>((0, 0))

    init(port: Int = 0, reply: @escaping Reply = { _, _ in HTTPResponse(status: .accepted) }) throws {
        var configuration = HTTPServerConfiguration()
        configuration.host = "127.0.0.1"
        configuration.port = port
        configuration.eventLoops = 1
        var router = Router()
        let box = Box()
        router.post("/*path") { request in
            let index = box.inbox?.record(request) ?? 0
            box.inbox?.concurrency.withLock { $0.now += 1; $0.max = max($0.max, $0.now) }
            let response = await reply(request, index)
            box.inbox?.concurrency.withLock { $0.now -= 1 }
            return response
        }
        server = HTTPServer(configuration: configuration, responder: router)
        box.set(self)
        try server.start()
    }

    /// Lets the route reach the inbox that owns the server without a reference cycle at init.
    private final class Box: Sendable {
        private let reference = Mutex<FakeInbox?>(nil)
        var inbox: FakeInbox? { reference.withLock { $0 } }
        func set(_ inbox: FakeInbox) { reference.withLock { $0 = inbox } }
    }

    private func record(_ request: HTTPRequest) -> Int {
        received.withLock { list in
            list.append(
                ReceivedDelivery(
                    path: String(request.path), body: String(decoding: request.body, as: UTF8.self),
                    signedBy: request.headers["X-Signed-By"], contentType: request.headers["Content-Type"],
                    at: .now))
            return list.count - 1
        }
    }

    var port: Int { server.port }
    var authority: String { "127.0.0.1:\(port)" }
    func url(_ path: String) -> String { "http://\(authority)\(path)" }
    var requests: [ReceivedDelivery] { received.withLock { $0 } }
    var bodies: [String] { requests.map(\.body) }
    var maxConcurrent: Int { concurrency.withLock { $0.max } }

    func stop() async { await server.shutdown(gracePeriod: .seconds(1)) }
}

/// Adds `X-Signed-By` and counts calls, so tests see that every attempt was signed.
final class RecordingDeliverySigner: DeliverySigner {
    private let calls = Mutex<[String]>([])
    private let failFor: String?

    init(failFor: String? = nil) {
        self.failFor = failFor
    }

    func sign(_ request: inout HTTPClientRequest, as signer: String) throws {
        calls.withLock { $0.append(signer) }
        if signer == failFor { throw DeliveryError("no key for \(signer)") }
        request.headers.replaceOrAdd(name: "X-Signed-By", value: signer)
    }

    var signers: [String] { calls.withLock { $0 } }
}

/// Collects log lines.
final class LogLines: Sendable {
    private let lines = Mutex<[String]>([])
    var sink: @Sendable (String) -> Void { { [self] line in lines.withLock { $0.append(line) } } }
    var all: [String] { lines.withLock { $0 } }
    func contains(_ text: String) -> Bool { all.contains { $0.contains(text) } }
}

/// A mutable trust decision for tests.
final class TrustSwitch: Sendable {
    private let blocked = Mutex<Set<String>>([])
    func block(_ authority: String) { blocked.withLock { _ = $0.insert(authority) } }
    func allow(_ authority: String) { blocked.withLock { _ = $0.remove(authority) } }
    var check: @Sendable (String) -> Bool { { [self] authority in !blocked.withLock { $0.contains(authority) } } }
}

/// A queue database, a dev-mode client and fast settings, for one test.
struct DeliveryFixture {
    let temporary = TemporaryDirectory("praxis-delivery")
    let database: Database
    let client: HTTPClient
    let signer = RecordingDeliverySigner()
    let log = LogLines()
    let trust = TrustSwitch()

    static var fastConfiguration: DeliveryConfiguration {
        var configuration = DeliveryConfiguration()
        configuration.initialBackoff = .milliseconds(40)
        configuration.maxBackoff = .milliseconds(200)
        configuration.probeInterval = .milliseconds(100)
        configuration.maxProbeInterval = .milliseconds(400)
        // Generous: a request or stop cut short by a busy machine would be retried and reach
        // the inbox twice, which tests counting requests would mistake for a bug.
        configuration.requestTimeout = .seconds(10)
        configuration.pollInterval = .seconds(1)
        configuration.stopTimeout = .seconds(10)
        return configuration
    }

    init() throws {
        database = try Database(path: temporary.appending("queue.sqlite"), migrations: Schema.migrations)
        var clientConfiguration = HTTPClientConfiguration()
        clientConfiguration.allowInsecureAndPrivate = true
        clientConfiguration.maxIdleConnectionsPerHost = 32
        clientConfiguration.connectTimeout = .seconds(1)
        client = try HTTPClient(configuration: clientConfiguration)
    }

    func service(_ configuration: DeliveryConfiguration = fastConfiguration) -> DeliveryService {
        DeliveryService(
            database: database, client: client, signer: signer, configuration: configuration,
            mayDeliver: trust.check, log: log.sink)
    }

    /// Queues activity `id` (body `id`) with an ordering key.
    @discardableResult
    func enqueue(_ id: String, key: String? = nil, signer: String = "alice", to inboxes: [String]) throws -> Int {
        let activity = OutgoingActivity(activityID: id, orderingKey: key ?? id, body: Array(id.utf8), signer: signer)
        return try database.write { try DeliveryQueue.enqueue(activity, to: inboxes, db: $0) }
    }

    func stats() throws -> DeliveryStats { try database.read { try DeliveryQueue.stats(db: $0) } }
    func failures() throws -> [DeliveryFailure] { try database.read { try DeliveryQueue.failures(db: $0) } }
    func states() throws -> [String] {
        try database.read { try $0.query("SELECT state FROM deliveries ORDER BY id").map { try $0.get("state") } }
    }
}

/// Polls `condition` every 10 ms until it holds or `timeout` passes. The default is long, and
/// only reached when a test fails: on a loaded machine the work being waited for can be late.
func eventually(timeout: Duration = .seconds(30), _ condition: () throws -> Bool) async rethrows -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try condition() { return true }
        try? await Task.sleep(for: .milliseconds(10))
    }
    return try condition()
}
