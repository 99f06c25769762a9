import Foundation
import PraxisActivityStreams
import PraxisCrypto
import PraxisFederation
import PraxisHTTP
import PraxisJSON
import PraxisSQLite
import PraxisStorage
import PraxisTestSupport
import Synchronization
import Testing

/// A fake remote node on loopback: canned replies by request target (path and query), and a count
/// of the requests each target received.
final class RemoteFixture: Sendable {
    struct Reply: Sendable {
        var status: Int = 200
        var contentType: String? = "application/activity+json; charset=utf-8"
        var body: [UInt8] = []
        var headers: [String: String] = [:]
        var delay: Duration? = nil
    }

    struct Seen: Sendable {
        var target: String
        var host: String
        var signed: Bool
        var accept: String?
    }

    private let replies = Mutex<[String: Reply]>([:])
    private let seen = Mutex<[Seen]>([])
    let server: HTTPServer

    init() throws {
        var router = Router()
        let box = FixtureBox()
        router.get("/*path") { request in try await box.handle(request) }
        var configuration = HTTPServerConfiguration()
        configuration.eventLoops = 1
        server = HTTPServer(configuration: configuration, responder: router)
        box.fixture.withLock { $0 = self }
        try server.start()
    }

    func stop() async { await server.shutdown(gracePeriod: .milliseconds(50)) }

    var authority: String { "127.0.0.1:\(server.port)" }
    var base: String { "http://\(authority)" }
    /// The same server under another authority, for "another host" cases.
    var otherAuthority: String { "localhost:\(server.port)" }
    var otherBase: String { "http://\(otherAuthority)" }

    func set(_ target: String, _ reply: Reply) { replies.withLock { $0[target] = reply } }

    func set(_ target: String, json: JSON, contentType: String = "application/activity+json; charset=utf-8",
             delay: Duration? = nil) {
        set(target, Reply(contentType: contentType, body: json.serializedBytes(), delay: delay))
    }

    func hits(_ target: String) -> Int { seen.withLock { $0.filter { $0.target == target }.count } }
    var totalHits: Int { seen.withLock { $0.count } }
    var requests: [Seen] { seen.withLock { $0 } }

    fileprivate func handle(_ request: HTTPRequest) async throws -> HTTPResponse {
        seen.withLock {
            $0.append(Seen(target: request.target, host: request.host ?? "", signed: request.headers["Signature"] != nil,
                           accept: request.headers["Accept"]))
        }
        guard let reply = replies.withLock({ $0[request.target] }) else {
            return HTTPResponse.error(.notFound, "nothing at \(request.target)")
        }
        if let delay = reply.delay { try await Task.sleep(for: delay) }
        var headers = HTTPHeaders()
        if let type = reply.contentType { headers["Content-Type"] = type }
        for (name, value) in reply.headers { headers[name] = value }
        return HTTPResponse(status: HTTPStatus(code: reply.status), headers: headers, body: reply.body)
    }
}

/// Lets the router's handler reach the fixture created after it.
private final class FixtureBox: Sendable {
    let fixture = Mutex<RemoteFixture?>(nil)
    func handle(_ request: HTTPRequest) async throws -> HTTPResponse {
        guard let fixture = fixture.withLock({ $0 }) else { return HTTPResponse.error(.serviceUnavailable, "starting") }
        return try await fixture.handle(request)
    }
}

/// Records every request it signs; adds a dummy `Signature` field the fixture can see.
final class RecordingSigner: FetchSigner {
    private let signed = Mutex<[String]>([])
    func sign(_ request: inout HTTPClientRequest) throws {
        let url = request.url
        signed.withLock { $0.append(url) }
        request.headers["Signature"] = "keyId=\"test\",signature=\"dGVzdA==\""
    }
    var urls: [String] { signed.withLock { $0 } }
}

/// A clock tests move by hand.
final class TestClock: Sendable {
    private let time = Mutex(Date(timeIntervalSince1970: 1_800_000_000))
    var now: Date { time.withLock { $0 } }
    func advance(_ seconds: TimeInterval) { time.withLock { $0 = $0.addingTimeInterval(seconds) } }
}

/// One RSA key for all remote tests (generation is slow), plus fresh ones on demand.
enum RemoteTestKeys {
    private static let cached = Mutex<RSAPrivateKey?>(nil)
    static func rsa() throws -> RSAPrivateKey {
        if let key = cached.withLock({ $0 }) { return key }
        let key = try RSAPrivateKey(bits: 2048)
        cached.withLock { $0 = key }
        return key
    }
}

/// Everything one test needs: a fixture server, a database, a directory talking to the fixture.
final class RemoteHarness: Sendable {
    let fixture: RemoteFixture
    let signer = RecordingSigner()
    let clock = TestClock()
    let temporary = TemporaryDirectory("praxis-remote")
    let database: Database
    let client: HTTPClient
    let blocked: Mutex<Set<String>>

    init() throws {
        fixture = try RemoteFixture()
        database = try Database(path: temporary.appending("node.sqlite"), migrations: Schema.migrations)
        var configuration = HTTPClientConfiguration()
        configuration.allowInsecureAndPrivate = true
        configuration.requestTimeout = .seconds(5)
        configuration.connectTimeout = .seconds(2)
        client = try HTTPClient(configuration: configuration)
        blocked = Mutex([])
    }

    func block(_ domain: String) { blocked.withLock { _ = $0.insert(domain) } }

    /// A directory on this harness's database; a new one starts with an empty memory cache.
    func directory(cacheLifetime: TimeInterval = 86_400, keyRefetchInterval: TimeInterval = 0) -> RemoteDirectory {
        let clock = self.clock
        let blocked = BlockList(blocked.withLock { $0 })
        return RemoteDirectory(
            database: database, client: client, signer: signer, localDomain: "praxis.test",
            trust: { blocked.domains.contains($0) ? .blocked : .trusted }, cacheLifetime: cacheLifetime,
            keyRefetchInterval: keyRefetchInterval, clock: { clock.now })
    }

    func stop() async { await fixture.stop() }

    var base: String { fixture.base }

    /// An actor document as a Praxis node publishes it, served at `/users/NAME`.
    func actorDocument(
        _ name: String, rsa: RSAPrivateKey, ed25519: [ActorDocument.Multikey]? = nil, base: String? = nil
    ) -> JSON {
        let base = base ?? self.base
        let id = "\(base)/users/\(name)"
        let keys = ed25519 ?? [
            ActorDocument.Multikey(
                id: id + "#ed25519-key", publicKeyMultibase: Self.ed25519.publicKey.multikey,
                created: Date(timeIntervalSince1970: 1_700_000_000))
        ]
        return ActorDocument(
            type: .person, id: id, preferredUsername: name, name: name.capitalized, url: id, inbox: id + "/inbox",
            outbox: id + "/outbox", followers: id + "/followers", following: id + "/following",
            sharedInbox: base + "/inbox", rsaKeyID: id + "#main-key", rsaPublicKeyPEM: rsa.publicKey.pemRepresentation,
            multikeys: keys
        ).json
    }

    /// Serves `document` at the path of its id.
    func serve(_ document: JSON, contentType: String = "application/activity+json; charset=utf-8", delay: Duration? = nil) {
        guard let id = document["id"]?.stringValue else { return }
        fixture.set(String(id.dropFirst(base.count)), json: document, contentType: contentType, delay: delay)
    }

    static let ed25519 = Ed25519PrivateKey()
}

/// A snapshot of blocked domains, captured by the trust closure.
struct BlockList: Sendable {
    let domains: Set<String>
    init(_ domains: Set<String>) { self.domains = domains }
}

/// Runs `body` and returns the `DereferenceError` it throws; records an issue when it throws
/// nothing or something else.
func dereferenceError(
    sourceLocation: SourceLocation = #_sourceLocation, _ body: () async throws -> Void
) async -> DereferenceError? {
    do {
        try await body()
        Issue.record("expected a DereferenceError, got success", sourceLocation: sourceLocation)
    } catch let error as DereferenceError {
        return error
    } catch {
        Issue.record("expected a DereferenceError, got \(error)", sourceLocation: sourceLocation)
    }
    return nil
}

/// Runs `body` with a harness and stops its server afterwards, even on failure.
func withRemoteHarness(_ body: (RemoteHarness) async throws -> Void) async throws {
    let harness = try RemoteHarness()
    do {
        try await body(harness)
    } catch {
        await harness.stop()
        throw error
    }
    await harness.stop()
}
