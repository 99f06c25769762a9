import Foundation
import PraxisCommunity
import PraxisFederation
import PraxisHTTP
import PraxisJSON
import PraxisServer
import PraxisSQLite
import PraxisStorage
import PraxisTestSupport
import Synchronization
import Testing

/// Several real nodes on loopback, each in its own data folder, trusting each other, with short
/// delivery backoffs so retries happen within a test.
final class FederationFixture: @unchecked Sendable {
    // @unchecked: `nodes` is only replaced by `restart`, which tests call from one task.
    let temp = TemporaryDirectory("praxis-federation")
    let ports: [Int]
    var nodes: [PraxisNode?]
    /// Access-log lines of each node (`REQUEST-ID CLIENT METHOD PATH STATUS ...`), by node index.
    let accessLogs = AccessLogs()

    final class AccessLogs: Sendable {
        let lines = Mutex<[Int: [String]]>([:])
    }

    static var fastDelivery: DeliveryConfiguration {
        var configuration = DeliveryConfiguration()
        configuration.initialBackoff = .milliseconds(200)
        configuration.maxBackoff = .seconds(1)
        configuration.breakerThreshold = 10_000
        configuration.pollInterval = .milliseconds(500)
        configuration.requestTimeout = .seconds(10)
        return configuration
    }

    /// - Parameter modes: federation mode of given nodes (the others use allowlist, the default).
    init(nodes count: Int, trustEachOther: Bool = true, modes: [Int: FederationMode] = [:]) throws {
        var ports: [Int] = []
        while ports.count < count {
            let port = freeLoopbackPort()
            if port > 0 && !ports.contains(port) { ports.append(port) }
        }
        self.ports = ports
        nodes = []
        for (index, port) in ports.enumerated() {
            let handle = try PraxisNodeSetupForTests.make(
                directory: directory(index), domain: "127.0.0.1:\(port)", name: "Node \(index)",
                federation: modes[index] ?? .allowlist)
            if trustEachOther {
                try handle.store.database.write { db in
                    for other in ports where other != port {
                        try TrustRepository(db).set(TrustEntry(domain: "127.0.0.1:\(other)", level: .trusted))
                    }
                }
            }
            nodes.append(nil)
        }
    }

    func directory(_ index: Int) -> DataDirectory { DataDirectory(path: temp.appending("node\(index)")) }
    func domain(_ index: Int) -> String { "127.0.0.1:\(ports[index])" }
    func base(_ index: Int) -> String { "http://127.0.0.1:\(ports[index])" }

    /// Opens (without starting) the node's storage and federation parts.
    func open(_ index: Int) throws -> PraxisNode {
        let logs = accessLogs
        return try PraxisNode(directory: directory(index),
                              accessLog: { line in logs.lines.withLock { $0[index, default: []].append(line) } },
                              delivery: Self.fastDelivery)
    }

    /// Requests node `index` has served whose line contains `text`.
    func served(_ index: Int, containing text: String) -> [String] {
        accessLogs.lines.withLock { ($0[index] ?? []).filter { $0.contains(text) } }
    }

    @discardableResult
    func start(_ index: Int) throws -> PraxisNode {
        let node = try open(index)
        try node.start()
        nodes[index] = node
        return node
    }

    func startAll() throws {
        for index in ports.indices { try start(index) }
    }

    func stop(_ index: Int) async {
        await nodes[index]?.shutdown(gracePeriod: .seconds(2))
        nodes[index] = nil
    }

    func stopAll() async {
        for index in ports.indices { await stop(index) }
    }

    func node(_ index: Int) -> PraxisNode {
        guard let node = nodes[index] else { fatalError("node \(index) is not running") }
        return node
    }

    func addMember(_ name: String, on index: Int) throws {
        let handle = PraxisNodeSetupForTests.Handle(store: try NodeStore(directory: directory(index)))
        try handle.accounts.add(.init(username: name, password: "correct horse battery"))
    }

    func addCommunity(_ name: String, on index: Int, visibility: CommunityVisibility = .public, join: JoinPolicy = .open)
        throws
    {
        let handle = PraxisNodeSetupForTests.Handle(store: try NodeStore(directory: directory(index)))
        try handle.communities.create(.init(name: name, title: name.capitalized, visibility: visibility, joinPolicy: join))
    }

    /// Adds each member on its node and a public, open community, then starts every node.
    /// - Returns: the community's actor id.
    func startAll(members: [(name: String, node: Int)], community name: String, on host: Int) throws -> String {
        for member in members { try addMember(member.name, on: member.node) }
        try addCommunity(name, on: host)
        try startAll()
        return base(host) + "/communities/" + name
    }

    /// Calls node `index`'s client API over HTTP: the status and the JSON body (null when empty).
    func api(_ index: Int, _ method: HTTPMethod, _ path: String, token: String? = nil, body: JSON? = nil) async throws
        -> (HTTPStatus, JSON)
    {
        var headers: HTTPHeaders = ["Accept": "application/json"]
        if let token { headers["Authorization"] = "Bearer \(token)" }
        if body != nil { headers["Content-Type"] = "application/json" }
        let response = try await node(index).federation.client.send(HTTPClientRequest(
            method: method, url: base(index) + "/api/v1" + path, headers: headers, body: body?.serializedBytes() ?? []))
        return (response.status, response.body.isEmpty ? .null : try JSON.parse(response.body))
    }

    /// Calls node `index` over HTTP with raw bytes and headers: for requests the JSON helper
    /// cannot express (oversized, malformed, hostile paths). `path` is taken as is.
    func raw(_ index: Int, _ method: HTTPMethod, _ path: String, token: String? = nil, headers: [(String, String)] = [],
             body: [UInt8] = []) async throws -> HTTPClientResponse
    {
        var fields: HTTPHeaders = ["Accept": "application/json"]
        if let token { fields["Authorization"] = "Bearer \(token)" }
        for (name, value) in headers { fields[name] = value }
        return try await node(index).federation.client.send(
            HTTPClientRequest(method: method, url: base(index) + path, headers: fields, body: body), followRedirects: false)
    }

    /// Signs `name` in on node `index` through the API and returns the bearer token.
    func signIn(_ index: Int, _ name: String) async throws -> String {
        let (status, answer) = try await api(index, .post, "/auth/sign-in",
                                             body: ["username": .string(name), "password": "correct horse battery"])
        #expect(status == .ok, "sign-in of \(name)")
        return try #require(answer["token"]?.stringValue)
    }

    func read<T: Sendable>(_ index: Int, _ body: @escaping @Sendable (Connection) throws -> T) async throws -> T {
        try await NodeStore(directory: directory(index), readers: 1).database.read(body)
    }

    /// Makes each `(node, member)` follow `community` and waits until the member's own node has the
    /// community's `Accept` (only then can the member post there).
    func join(_ members: [(node: Int, member: String)], community: String) async throws {
        for (node, member) in members {
            try await self.node(node).federation.social.follow(member: member, target: community)
        }
        for (node, member) in members {
            let follower = base(node) + "/users/" + member
            try await eventually("\(member)'s node sees the membership accepted") {
                try await self.read(node) { db in
                    try FollowRepository(db).find(follower: follower, followed: community)?.state == .accepted
                }
            }
        }
    }

    /// Waits until `condition` holds, checking every 100 ms, for at most `seconds` (reached only
    /// when the behaviour under test is broken).
    func eventually(_ what: String, seconds: Double = 30, _ condition: @escaping @Sendable () async throws -> Bool)
        async throws
    {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if try await condition() { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        Issue.record("timed out waiting until \(what)")
        throw CancellationError()
    }
}
