import Foundation
import PraxisCrypto
import PraxisFederation
import PraxisHTTP
import PraxisJSON
import PraxisServer
import PraxisStorage
import PraxisTestSupport
import Synchronization
import Testing

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

extension SecurityTests {
    /// A production node (not `--dev`) whose host names are answered by a test resolver, beside a
    /// "remote" on an operator-allowed private address (127.0.0.2, allowed by
    /// `allowedPrivateNetworks`) serving TLS from the federation's own CA (`extraCAFile`), and a
    /// canary listening on 127.0.0.1 at the remote's port that counts every TCP connection.
    ///
    /// Names that resolve to private addresses (wholly or in part), redirects from the allowed
    /// remote to loopback or the metadata service, inboxes declared at internal addresses and a
    /// name that changes its answer after the actor was fetched (DNS rebinding): each is refused
    /// with the reason, nothing reaches the canary, and storage is unchanged where the request
    /// was refused outright.
    @Suite("Server-side request forgery: names, redirects, allowed networks and inboxes",
           .enabled(if: NetworkLab.openSSLPath != nil, "the openssl command-line tool is not installed"))
    struct Networks {
        @Test(.timeLimit(.minutes(1))) func namesRedirectsAndInboxesLeadingInsideAreRefused() async throws {
            let lab = try await NetworkLab.start()
            defer { Task { await lab.stop() } }
            let c = lab.port
            let internalNames = ["intranet.example", "rebind.example", "mixed.example"]

            // 1. Names that resolve to private addresses, and redirects from the allowed remote.
            let before = try await StorageSnapshot.take(lab.directory)
            let keyOwners = internalNames.map { "https://\($0):\(c)/users/x" }
                + ["to-loopback", "to-metadata", "to-rebind"].map { "https://remote.example:\(c)/users/\($0)" }
            for actor in keyOwners {
                let response = try await lab.postToInbox(keyOwner: actor)
                #expect(response.status == .unauthorized || response.status == .forbidden, "\(actor): \(response.status)")
                #expect(response.text.contains("which this node may not contact"), "\(actor): \(response.text)")
            }
            let follows = keyOwners + internalNames.map { "x@\($0):\(c)" } + ["redirect@remote.example:\(c)"]
            for target in follows {
                let response = try await lab.follow(target)
                #expect(response.status.code >= 400, "\(target): \(response.status)")
                #expect(response.refusal.contains("which this node may not contact"), "\(target): \(response.refusal)")
            }
            // Document bytes stored earlier, whose host now leads inside (or redirects there).
            for host in internalNames + ["remote.example"] {
                let id = try await lab.seedDocument(url: "https://\(host):\(c)/files/prices.csv")
                let response = try await lab.documentContent(id)
                #expect(response.status.code >= 400, "\(host): \(response.status)")
                let expected = host == "remote.example" ? "answered 302" : "which this node may not contact"
                #expect(response.refusal.contains(expected), "\(host): \(response.refusal)")
            }
            #expect(lab.canary.connections == 0, "nothing reached the canary")
            let seeded = try await StorageSnapshot.take(lab.directory).changed(since: before)
            #expect(seeded == ["documents"], "only the seeded documents changed: \(seeded)")
            #expect(try lab.cachedFiles().isEmpty, "nothing was cached")

            // 2. An actor whose inbox is declared on an internal address is refused when fetched.
            let beforeInbox = try await StorageSnapshot.take(lab.directory)
            let inside = try await lab.follow("https://remote.example:\(c)/users/inbox-inside")
            #expect(inside.status.code >= 400)
            #expect(inside.refusal.contains("names an inbox on another host"), "\(inside.refusal)")
            #expect(try await StorageSnapshot.take(lab.directory).changed(since: beforeInbox).isEmpty)

            // 3. A shared inbox at an internal address is ignored: the Follow goes to the actor's
            // own inbox on the allowed remote.
            #expect(try await lab.follow("https://remote.example:\(c)/users/alice").status.code < 300)
            try await lab.eventually("the remote receives the Follow") { lab.remote.received("/users/alice/inbox") > 0 }

            // 4. DNS rebinding after the actor was fetched: the delivery connects anew, the name
            // now answers loopback, and the delivery fails for good with the reason recorded for
            // the operator (`praxis federation failures`).
            #expect(try await lab.follow("https://flip.example:\(c)/users/flip").status.code < 300)
            #expect(await lab.node.federation.delivery.waitUntilIdle(timeout: .seconds(10)))
            let failures = try await lab.node.store.database.read { db in try DeliveryQueue.failures(db: db, limit: 10) }
            let failure = try #require(failures.first { $0.inbox == "https://flip.example:\(c)/users/flip/inbox" })
            #expect(failure.reason.contains("flip.example resolves to 127.0.0.1, which this node may not contact"),
                    "\(failure.reason)")
            #expect(lab.remote.received("/users/flip/inbox") == 0)
            #expect(lab.canary.connections == 0, "nothing reached the canary")
        }
    }
}

/// The pieces of ``SecurityTests/Networks``: the production node, the resolver it uses, the
/// remote on an allowed address and the canary.
final class NetworkLab: Sendable {
    let temp: TemporaryDirectory
    let directory: DataDirectory
    let node: PraxisNode
    let remote: FakeRemote
    let canary: ConnectionCanary
    let client: HTTPClient
    let token: String
    let base: String
    var port: Int { remote.port }

    static let openSSLPath = TestPKI.openSSLPath

    private init(temp: TemporaryDirectory, directory: DataDirectory, node: PraxisNode, remote: FakeRemote,
                 canary: ConnectionCanary, client: HTTPClient, token: String, base: String) {
        self.temp = temp
        self.directory = directory
        self.node = node
        self.remote = remote
        self.canary = canary
        self.client = client
        self.token = token
        self.base = base
    }

    static func start() async throws -> NetworkLab {
        let temp = TemporaryDirectory("praxis-network-lab")
        let pki = try TestPKI.make(in: temp.appending("pki"), names: ["remote.example", "flip.example"], addresses: ["127.0.0.2"])
        let resolver = SwitchableResolver([
            "remote.example": ["127.0.0.2"], "flip.example": ["127.0.0.2"], "intranet.example": ["10.0.0.5"],
            "rebind.example": ["127.0.0.1"], "mixed.example": ["93.184.216.34", "127.0.0.1"],
        ])
        let remote = try FakeRemote(pki: pki, resolver: resolver)
        let canary = try ConnectionCanary(port: remote.port)

        let port = freeLoopbackPort()
        let directory = DataDirectory(path: temp.appending("node"))
        var configuration = NodeConfiguration(domain: "127.0.0.1:\(port)", name: "Intranet", federation: .open)
        configuration.allowedPrivateNetworks = ["127.0.0.2/32", "10.20.0.0/16"]
        configuration.extraCAFile = pki.caFile
        let store = try NodeSetup.initialise(directory: directory, configuration: configuration)
        let setup = PraxisNodeSetupForTests.Handle(store: store)
        try setup.accounts.add(.init(username: "ana", password: "correct horse battery"))
        try setup.communities.create(.init(name: "library", title: "Library", visibility: .public, joinPolicy: .open))
        let node = try PraxisNode(directory: directory, listen: .init(host: "127.0.0.1", port: port),
                                  delivery: FederationFixture.fastDelivery, resolver: resolver)
        try node.start()
        var clientConfiguration = HTTPClientConfiguration()
        clientConfiguration.allowInsecureAndPrivate = true
        let client = try HTTPClient(configuration: clientConfiguration)
        let base = "http://127.0.0.1:\(port)"
        let token = try await SecurityTests.strictSignIn(client, base)
        return NetworkLab(temp: temp, directory: directory, node: node, remote: remote, canary: canary, client: client,
                          token: token, base: base)
    }

    func stop() async {
        await node.shutdown(gracePeriod: .seconds(1))
        await remote.server.shutdown(gracePeriod: .seconds(1))
        canary.stop()
    }

    /// An inbox POST signed with a fresh key whose id is `keyOwner#main-key`: the node fetches
    /// the key owner to check the signature.
    func postToInbox(keyOwner actor: String) async throws -> HTTPClientResponse {
        let authority = node.store.configuration.domain
        let activity: JSON = [
            "id": .string(actor + "/likes/1"), "type": "Like", "actor": .string(actor),
            "object": .string("https://\(authority)/users/ana"),
        ]
        var request = HTTPClientRequest(method: .post, url: base + "/inbox",
                                        headers: ["Content-Type": "application/activity+json"], body: activity.serializedBytes())
        try HTTPSigner.sign(method: .post, url: "https://\(authority)/inbox", headers: &request.headers, body: request.body,
                            keyID: actor + "#main-key", key: .ed25519(Ed25519PrivateKey()), profile: .rfc9421, now: Date())
        return try await client.send(request)
    }

    /// Ana follows `target` (an actor URL or a handle) through the API.
    func follow(_ target: String) async throws -> HTTPClientResponse {
        let body: JSON = ["target": .string(target)]
        return try await client.send(HTTPClientRequest(
            method: .post, url: base + "/api/v1/follows",
            headers: ["Authorization": "Bearer \(token)", "Content-Type": "application/json"], body: body.serializedBytes()))
    }

    /// Stores a document of the local library whose bytes live at `url` (as when another node's
    /// member shared it while its host still answered a public address); returns its id.
    func seedDocument(url: String) async throws -> String {
        let origin = try HTTPClientURL(url).authority
        let id = "https://\(origin)/objects/\(UUID().uuidString.lowercased())"
        let community = "https://\(node.store.configuration.domain)/communities/library"
        let record = DocumentRecord(
            id: id, community: community, uploader: "https://\(origin)/users/x", title: "Prices", description: "",
            tags: [], language: nil, mediaType: "text/csv", filename: "prices.csv", size: 10,
            sha256: SHA256.hash(Array("lot;price\n".utf8)), url: url, previousVersion: nil, created: Date(), origin: origin)
        try await node.store.database.write { db in try DocumentStore(db).upsert(record) }
        return id
    }

    func documentContent(_ id: String) async throws -> HTTPClientResponse {
        try await client.send(HTTPClientRequest(
            url: base + "/api/v1/documents/\(FormURLEncoding.percentEncode(id))/content",
            headers: ["Authorization": "Bearer \(token)"]))
    }

    /// Files in the node's document cache (downloads in progress included).
    func cachedFiles() throws -> [String] {
        let root = directory.root.path
        guard let walker = FileManager.default.enumerator(atPath: root) else { return [] }
        return walker.compactMap { $0 as? String }.filter { $0.contains("cache") && !$0.hasSuffix("/") }
            .filter { path in
                var isDirectory: ObjCBool = false
                return FileManager.default.fileExists(atPath: root + "/" + path, isDirectory: &isDirectory) && !isDirectory.boolValue
            }
    }

    func eventually(_ what: String, _ condition: @escaping @Sendable () async throws -> Bool) async throws {
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            if try await condition() { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        Issue.record("timed out waiting until \(what)")
    }
}

/// A value behind a lock that closures can share (a `Mutex` itself cannot be captured).
final class Locked<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>
    init(_ value: Value) { mutex = Mutex(value) }
    func withLock<T: Sendable>(_ body: (inout Value) -> T) -> T { mutex.withLock { body(&$0) } }
}

/// A resolver with a table the test (or the fake remote) can change while the node runs.
final class SwitchableResolver: HostResolver {
    private let table: Mutex<[String: [IPAddress]]>

    init(_ table: [String: [String]]) {
        self.table = Mutex(table.mapValues { $0.compactMap(IPAddress.init) })
    }

    func set(_ host: String, _ addresses: [String]) {
        table.withLock { $0[host] = addresses.compactMap(IPAddress.init) }
    }

    func addresses(for host: String) throws -> [IPAddress] {
        guard let answer = table.withLock({ $0[host] }) else {
            throw HTTPClientError(.resolutionFailed, "could not resolve \(host): not in the test table")
        }
        return answer
    }
}

/// Another node's server on 127.0.0.2 over TLS, answering actor, WebFinger and document fetches
/// with actors whose inboxes point inside, and with redirects to loopback and the metadata service.
final class FakeRemote: Sendable {
    let server: HTTPServer
    private let requests = Locked<[String]>([])
    var port: Int { server.port }

    init(pki: TestPKI, resolver: SwitchableResolver) throws {
        let requests = requests
        let port = Locked(0)
        var router = Router()
        router.use { request, next in
            requests.withLock { $0.append(request.target) }
            var response = try await next(request)
            // No pooled connection: each request resolves the name again (see `flip`).
            response.headers["Connection"] = "close"
            return response
        }
        @Sendable func actor(_ host: String, _ name: String, inbox: String? = nil, sharedInbox: String? = nil) -> HTTPResponse {
            let id = "https://\(host):\(port.withLock { $0 })/users/\(name)"
            var document: JSON = [
                "@context": "https://www.w3.org/ns/activitystreams", "id": .string(id), "type": "Person",
                "preferredUsername": .string(name), "inbox": .string(inbox ?? id + "/inbox"),
            ]
            if let sharedInbox { document["endpoints"] = ["sharedInbox": .string(sharedInbox)] }
            return HTTPResponse(headers: ["Content-Type": "application/activity+json"], body: document.serializedBytes())
        }
        @Sendable func redirect(_ location: String, _ status: HTTPStatus = .found) -> HTTPResponse {
            HTTPResponse(status: status, headers: ["Location": location])
        }
        @Sendable func canary(_ path: String) -> String { "https://127.0.0.1:\(port.withLock { $0 })\(path)" }
        router.get("/users/alice") { _ in actor("remote.example", "alice", sharedInbox: canary("/inbox")) }
        router.get("/users/inbox-inside") { _ in actor("remote.example", "inbox-inside", inbox: canary("/inbox")) }
        router.get("/users/flip") { _ in
            // Once the node has fetched this actor, the name turns to loopback (DNS rebinding).
            defer { resolver.set("flip.example", ["127.0.0.1"]) }
            return actor("flip.example", "flip")
        }
        router.get("/users/to-loopback") { _ in redirect(canary("/users/x")) }
        router.get("/users/to-metadata") { _ in redirect("https://169.254.169.254/latest/meta-data/", .temporaryRedirect) }
        router.get("/users/to-rebind") { _ in redirect("https://rebind.example:\(port.withLock { $0 })/users/x") }
        router.get("/.well-known/webfinger") { request in redirect(canary(request.target)) }
        router.get("/files/prices.csv") { _ in redirect(canary("/x.csv")) }
        router.post("/users/:name/inbox") { _ in HTTPResponse(status: .accepted) }
        // Everything else (NodeInfo...) is unknown, through the middleware so that it closes too.
        router.get("/*rest") { _ in HTTPResponse(status: .notFound) }
        var configuration = HTTPServerConfiguration()
        configuration.host = "127.0.0.2"
        configuration.port = 0
        configuration.tls = TLSServerConfiguration(certificateChainPath: pki.chainFile, privateKeyPath: pki.keyFile)
        server = HTTPServer(configuration: configuration, responder: router)
        try server.start()
        port.withLock { $0 = server.port }
    }

    /// How many requests had a target starting with `path`.
    func received(_ path: String) -> Int { requests.withLock { $0.filter { $0.hasPrefix(path) }.count } }
}

/// A listener on 127.0.0.1 that accepts and counts TCP connections: a refused request must never
/// even connect, whatever protocol it would have spoken.
final class ConnectionCanary: Sendable {
    private let listener: Int32
    private let count = Locked(0)

    init(port: Int) throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw HTTPServerError("canary: socket failed") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(truncatingIfNeeded: port).bigEndian
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 16) == 0 else {
            close(fd)
            throw HTTPServerError("canary: cannot listen on 127.0.0.1:\(port)")
        }
        listener = fd
        let count = count
        Thread.detachNewThread {
            while true {
                let client = accept(fd, nil, nil)
                if client < 0 {
                    if errno == EINTR { continue }
                    return
                }
                count.withLock { $0 += 1 }
                close(client)
            }
        }
    }

    var connections: Int { count.withLock { $0 } }

    func stop() {
        _ = shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
    }
}

/// A CA and a server certificate for given DNS names and IP addresses, made with the `openssl`
/// command-line tool, for nodes of a federation with its own PKI.
struct TestPKI: Sendable {
    let directory: String
    var caFile: String { directory + "/ca.pem" }
    var chainFile: String { directory + "/server.pem" }
    var keyFile: String { directory + "/server.key" }

    static let openSSLPath: String? = {
        let paths = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
        return paths.map { "\($0)/openssl" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }()

    static func make(in directory: String, names: [String], addresses: [String]) throws -> TestPKI {
        guard let openssl = openSSLPath else { throw HTTPServerError("the openssl command-line tool is not installed") }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let alternatives = (names.map { "DNS:\($0)" } + addresses.map { "IP:\($0)" }).joined(separator: ",")
        try "subjectAltName=\(alternatives)\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n"
            .write(toFile: directory + "/server.ext", atomically: true, encoding: .utf8)
        let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        try run(openssl, ["req", "-x509"] + ec + ["-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=Federation CA",
                          "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign"], in: directory)
        try run(openssl, ["req"] + ec + ["-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=\(names.first ?? "node")"],
                in: directory)
        try run(openssl, ["x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-set_serial", "2",
                          "-days", "2", "-extfile", "server.ext", "-out", "server.pem"], in: directory)
        return TestPKI(directory: directory)
    }

    private static func run(_ tool: String, _ arguments: [String], in directory: String) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let detail = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw HTTPServerError("openssl \(arguments.first ?? "") failed: \(String(decoding: detail, as: UTF8.self))")
        }
    }
}
