import Foundation
import PraxisCommunity
import PraxisFederation
import PraxisHTTP
import PraxisJSON
import PraxisServer
import PraxisSQLite
import PraxisStorage
import PraxisTestSupport
import Testing

/// Every federation path against every trust level: a hub node (0) and a peer node (1) on
/// loopback. The peer trusts the hub; the hub sees the peer at the level under test. Each refusal
/// is checked for its status and message and for leaving storage as it was.
@Suite struct TrustMatrixTests {
    enum Level: String, CaseIterable, Sendable, CustomTestStringConvertible {
        case trusted, limited, blocked, unknownInAllowlist, unknownInOpen, excludedByCommunity
        var testDescription: String { rawValue }
        /// Whether the node-level trust lets the peer in at all.
        var nodeAllows: Bool { ![.blocked, .unknownInAllowlist].contains(self) }
        /// Whether the peer's content may be shown in the hub's community.
        var contentShown: Bool { nodeAllows && self != .excludedByCommunity }
        /// The start of the refusal the hub gives the peer's node.
        func refusal(peer: String, hub: String) -> String {
            switch self {
            case .blocked: "\(peer) is blocked by \(hub)"
            case .unknownInAllowlist: "\(peer) is not on the trust list of \(hub)"
            case .excludedByCommunity: "\(peer) is excluded from the community practice on \(hub)"
            default: ""
            }
        }
    }

    /// Row counts of the tables a refused request must not touch.
    static func counts(_ f: FederationFixture, _ node: Int) async throws -> [String: Int] {
        try await f.read(node) { db in
            var counts: [String: Int] = [:]
            for table in ["inbox_activities", "remote_actors", "objects", "follows", "dead_letters"] {
                counts[table] = try db.scalar(Int.self, "SELECT count(*) FROM \(table)") ?? 0
            }
            return counts
        }
    }

    static func setUp(_ level: Level) async throws -> FederationFixture {
        let f = try FederationFixture(nodes: 2, trustEachOther: false, modes: level == .unknownInOpen ? [0: .open] : [:])
        try f.addMember("ana", on: 0)
        try f.addMember("carla", on: 1)
        try f.addCommunity("practice", on: 0)
        let (hub, peer) = (f.domain(0), f.domain(1))
        try await NodeStore(directory: f.directory(1)).database.write { db in
            try TrustRepository(db).set(TrustEntry(domain: hub, level: .trusted))
        }
        let peerBase = f.base(1)
        let community = f.base(0) + "/communities/practice"
        try await NodeStore(directory: f.directory(0)).database.write { db in
            switch level {
            case .trusted, .excludedByCommunity: try TrustRepository(db).set(TrustEntry(domain: peer, level: .trusted))
            case .limited: try TrustRepository(db).set(TrustEntry(domain: peer, level: .limited))
            case .blocked: try TrustRepository(db).set(TrustEntry(domain: peer, level: .blocked))
            case .unknownInAllowlist, .unknownInOpen: break
            }
            if level == .excludedByCommunity {
                try CommunityTrustRepository(db).exclude(CommunityExclusion(community: "practice", domain: peer))
            }
            // Content the peer sent earlier, cached in the hub's community.
            let document: JSON = ["to": [.string("https://www.w3.org/ns/activitystreams#Public")]]
            try ObjectRepository(db).upsert(StoredObject(
                id: peerBase + "/objects/cached-1", type: "Note", attributedTo: peerBase + "/users/carla", audience: community,
                inReplyTo: nil, name: "Framework agreements", content: "<p>Quarzite tender question</p>", published: Date(),
                updated: nil, document: document.serializedBytes(), originDomain: peer))
        }
        try f.startAll()
        return f
    }

    @Test(.timeLimit(.minutes(1)), arguments: Level.allCases)
    func everyPathAgainstEveryLevel(_ level: Level) async throws {
        let f = try await Self.setUp(level)
        defer { Task { await f.stopAll() } }
        let (hubDomain, peerDomain) = (f.domain(0), f.domain(1))
        let refusal = level.refusal(peer: peerDomain, hub: hubDomain)
        let community = f.base(0) + "/communities/practice"
        let hub = f.node(0).federation
        let peer = f.node(1).federation

        // 1. WebFinger lookup of their handle, and 2. our fetch of their actor.
        var before = try await Self.counts(f, 0)
        do {
            let actor = try await hub.directory.resolve(handle: "@carla@\(peerDomain)")
            #expect(level.nodeAllows, "WebFinger of a \(level) node's handle must be refused")
            #expect(actor.id == f.base(1) + "/users/carla")
            #expect(try await hub.directory.actor(id: actor.id).domain == peerDomain)
        } catch let error as DereferenceError {
            #expect(!level.nodeAllows, "unexpected refusal: \(error)")
            #expect(error.kind == .blocked)
            await #expect(throws: DereferenceError.self) { try await hub.directory.actor(id: f.base(1) + "/users/carla") }
            #expect(try await Self.counts(f, 0) == before, "a refused lookup stores nothing")
        }

        // 3. A signed GET of our actor and objects by them.
        var get = HTTPClientRequest(url: community, headers: ["Accept": "application/activity+json"])
        try peer.signer.sign(&get)
        let fetched = try await peer.client.send(get)
        if level.nodeAllows {
            #expect(fetched.status == .ok)
        } else {
            #expect(fetched.status == .forbidden)
            #expect(String(decoding: fetched.body, as: UTF8.self).contains(refusal))
        }

        // 4. Inbox POST from them (to the community's own inbox).
        before = try await Self.counts(f, 0)
        let like = FederationTests.like(f, node: 1, actor: "carla", object: community)
        let post = try await FederationTests.signedPost(from: f, node: 1, actor: "carla", to: community + "/inbox", activity: like)
        let posted = try await peer.client.send(post)
        if level.nodeAllows && level != .excludedByCommunity {
            #expect(posted.status == .accepted)
        } else {
            #expect(posted.status == .forbidden)
            #expect(String(decoding: posted.body, as: UTF8.self).contains(refusal))
            var after = try await Self.counts(f, 0)
            // The signature check may cache the sender's key (remote_actors); nothing else changes.
            after["remote_actors"] = before["remote_actors"]
            #expect(after == before, "a refused inbox POST stores nothing")
        }

        // 5. Outgoing delivery: queued, then sent or dropped at send time.
        let peerBefore = try await Self.counts(f, 1)
        let activityID = f.base(0) + "/activities/" + UUID().uuidString.lowercased()
        let outgoing: JSON = [
            "@context": "https://www.w3.org/ns/activitystreams", "id": .string(activityID), "type": "Like",
            "actor": .string(f.base(0) + "/users/ana"), "object": .string(f.base(1) + "/users/carla"),
        ]
        let inbox = f.base(1) + "/inbox"
        try await f.node(0).store.database.write { db in
            _ = try DeliveryQueue.enqueue(
                OutgoingActivity(activityID: activityID, orderingKey: activityID, body: outgoing.serializedBytes(), signer: "ana"),
                to: [inbox], db: db)
        }
        hub.delivery.wake()
        #expect(await hub.delivery.waitUntilIdle(timeout: .seconds(20)))
        let failure = try await f.read(0) { db in
            try db.scalar(String.self, "SELECT last_error FROM deliveries WHERE lane = ? AND state = 'failed'", peerDomain)
        }
        if level.nodeAllows {
            #expect(failure == nil)
            try await f.eventually("the delivery reaches the peer", seconds: 10) {
                try await Self.counts(f, 1)["inbox_activities"] == (peerBefore["inbox_activities"] ?? 0) + 1
            }
        } else {
            #expect(failure == "blocked by trust list")
            #expect(try await Self.counts(f, 1) == peerBefore, "nothing reaches a blocked node")
        }

        // 6. Their cached content in the API (community posts) and in search.
        before = try await Self.counts(f, 0)
        let token = try await Self.signIn(f, "ana")
        let cached = f.base(1) + "/objects/cached-1"
        #expect(try await Self.listed(f, token, cached) == level.contentShown)
        #expect(try await Self.found(f, token, "quarzite") == level.contentShown)
        #expect(try await Self.threadListed(f, token, cached) == level.contentShown)
        #expect(try await Self.threadPage(f, token, cached).0 == (level.contentShown ? .ok : .notFound))
        #expect(try await Self.counts(f, 0)["objects"] == before["objects"], "hiding deletes nothing")

        // Reversible: trusting the node (and lifting the exclusion) shows it again at once.
        if !level.contentShown {
            try await f.node(0).store.database.write { db in
                try TrustRepository(db).set(TrustEntry(domain: peerDomain, level: .trusted))
                try CommunityTrustRepository(db).include(community: "practice", domain: peerDomain)
            }
            #expect(try await Self.listed(f, token, cached))
            #expect(try await Self.found(f, token, "quarzite"))
            #expect(try await Self.threadListed(f, token, cached))
            #expect(try await Self.threadPage(f, token, cached).0 == .ok)
        }
    }

    /// Thread lists and thread pages hide a node's threads and replies the moment it is blocked
    /// (or excluded by the community), a local thread keeps its page without them, and lifting the
    /// block shows everything again.
    @Test(.timeLimit(.minutes(1))) func threadListsAndPagesFollowTheTrustListAtOnce() async throws {
        let f = try await Self.setUp(.trusted)
        defer { Task { await f.stopAll() } }
        let (hubBase, peerBase) = (f.base(0), f.base(1))
        let community = hubBase + "/communities/practice"
        let (local, peerRoot, peerReply) = (hubBase + "/objects/local-1", peerBase + "/objects/cached-1", peerBase + "/objects/cached-2")
        try await f.node(0).store.database.write { db in
            try ObjectRepository(db).upsert(StoredObject(
                id: local, type: "Note", attributedTo: hubBase + "/users/ana", audience: community, inReplyTo: nil,
                name: "Lots", content: "<p>How many lots?</p>", published: Date(), updated: nil, document: Array("{}".utf8),
                originDomain: f.domain(0)))
            try ObjectRepository(db).upsert(StoredObject(
                id: peerReply, type: "Note", attributedTo: peerBase + "/users/carla", audience: community, inReplyTo: local,
                name: nil, content: "<p>Three</p>", published: Date(), updated: nil, document: Array("{}".utf8),
                originDomain: f.domain(1)))
        }
        let token = try await Self.signIn(f, "ana")
        func seen() async throws -> [String] {
            var seen: [String] = []
            if try await Self.threadListed(f, token, peerRoot) { seen.append("peer thread listed") }
            if try await Self.threadListed(f, token, local) { seen.append("local thread listed") }
            if try await Self.threadPage(f, token, peerRoot).0 == .ok { seen.append("peer thread page") }
            if try await Self.threadPage(f, token, peerReply).0 == .ok { seen.append("page by peer reply") }
            let (status, page) = try await Self.threadPage(f, token, local)
            #expect(status == .ok, "a local thread keeps its page")
            let replies = page["replies"]?.arrayValue?.compactMap { $0["id"]?.stringValue } ?? []
            if replies.contains(peerReply) { seen.append("peer reply on local page") }
            return seen
        }
        let all = ["peer thread listed", "local thread listed", "peer thread page", "page by peer reply", "peer reply on local page"]
        #expect(try await seen() == all)
        try await f.node(0).store.database.write { db in
            try TrustRepository(db).set(TrustEntry(domain: f.domain(1), level: .blocked))
        }
        #expect(try await seen() == ["local thread listed"])
        try await f.node(0).store.database.write { db in
            try TrustRepository(db).set(TrustEntry(domain: f.domain(1), level: .trusted))
        }
        #expect(try await seen() == all)
        try await f.node(0).store.database.write { db in
            try CommunityTrustRepository(db).exclude(CommunityExclusion(community: "practice", domain: f.domain(1)))
        }
        #expect(try await seen() == ["local thread listed"])
        try await f.node(0).store.database.write { db in
            try CommunityTrustRepository(db).include(community: "practice", domain: f.domain(1))
        }
        #expect(try await seen() == all)
    }

    /// Blocking a node hides what it already sent and refuses it at once, while the node runs.
    @Test(.timeLimit(.minutes(1))) func aNewlyBlockedNodeIsRefusedAndHiddenAtOnce() async throws {
        let f = try await Self.setUp(.trusted)
        defer { Task { await f.stopAll() } }
        let token = try await Self.signIn(f, "ana")
        let cached = f.base(1) + "/objects/cached-1"
        #expect(try await Self.listed(f, token, cached))
        try await f.node(0).store.database.write { db in
            try TrustRepository(db).set(TrustEntry(domain: f.domain(1), level: .blocked))
        }
        #expect(try await !Self.listed(f, token, cached))
        #expect(try await !Self.found(f, token, "quarzite"))
        let community = f.base(0) + "/communities/practice"
        let post = try await FederationTests.signedPost(
            from: f, node: 1, actor: "carla", to: community + "/inbox",
            activity: FederationTests.like(f, node: 1, actor: "carla", object: community))
        let answer = try await f.node(1).federation.client.send(post)
        #expect(answer.status == .forbidden)
        #expect(String(decoding: answer.body, as: UTF8.self).contains("\(f.domain(1)) is blocked by \(f.domain(0))"))
    }

    /// Community and node health leave out content of nodes blocked now, as lists, pages and
    /// search do (the same ``OriginFilter``, read at each request): a blocked node's posts, its
    /// members' activity and its threads and tags no longer count, and unblocking counts them again.
    @Test(.timeLimit(.minutes(1))) func healthFiguresLeaveOutNodesBlockedNow() async throws {
        let f = try await Self.setUp(.trusted)
        defer { Task { await f.stopAll() } }
        let peerBase = f.base(1)
        let community = f.base(0) + "/communities/practice"
        try await f.node(0).store.database.write { db in
            try ObjectRepository(db).upsert(StoredObject(
                id: peerBase + "/objects/cached-2", type: "Note", attributedTo: peerBase + "/users/carla", audience: community,
                inReplyTo: peerBase + "/objects/cached-1", name: nil, content: "<p>An answer</p>", published: Date(), updated: nil,
                document: Array("{}".utf8), originDomain: f.domain(1), tags: ["quarzite"]))
        }
        try PraxisNodeSetupForTests.Handle(store: f.node(0).store).accounts.add(
            .init(username: "root", password: "correct horse battery", role: .admin))
        let token = try await Self.signIn(f, "root")
        struct Seen: Equatable {
            var fromOtherNodes: Int64?
            var active: Int64?
            var threads: [String]
            var tags: [String]
        }
        func figures(_ path: String) async throws -> Seen {
            let (status, health) = try await Self.call(f, .get, path, token: token)
            #expect(status == .ok, "\(path): \(health)")
            return Seen(
                fromOtherNodes: health["participation"]?["fromOtherNodes30d"]?.intValue,
                active: health["activeMembers"]?["days7"]?.intValue,
                threads: health["trendingThreads"]?.arrayValue?.compactMap { $0["id"]?.stringValue } ?? [],
                tags: health["trendingTags"]?.arrayValue?.compactMap { $0["tag"]?.stringValue } ?? [])
        }
        let shown = Seen(fromOtherNodes: 2, active: 1, threads: [peerBase + "/objects/cached-1"], tags: ["quarzite"])
        let hidden = Seen(fromOtherNodes: 0, active: 0, threads: [], tags: [])
        for path in ["/communities/practice/health", "/health"] {
            #expect(try await figures(path) == shown, "\(path)")
        }
        try await f.node(0).store.database.write { db in
            try TrustRepository(db).set(TrustEntry(domain: f.domain(1), level: .blocked))
        }
        for path in ["/communities/practice/health", "/health"] {
            #expect(try await figures(path) == hidden, "\(path)")
        }
        try await f.node(0).store.database.write { db in
            try TrustRepository(db).set(TrustEntry(domain: f.domain(1), level: .trusted))
        }
        #expect(try await figures("/health") == shown)
    }

    // MARK: - API helpers

    static func call(_ f: FederationFixture, _ method: HTTPMethod, _ path: String, token: String?, body: JSON? = nil)
        async throws -> (HTTPStatus, JSON)
    {
        var headers: HTTPHeaders = ["Accept": "application/json"]
        if let token { headers["Authorization"] = "Bearer \(token)" }
        if body != nil { headers["Content-Type"] = "application/json" }
        let response = try await f.node(0).federation.client.send(HTTPClientRequest(
            method: method, url: f.base(0) + "/api/v1" + path, headers: headers, body: body?.serializedBytes() ?? []))
        return (response.status, response.body.isEmpty ? .null : try JSON.parse(response.body))
    }

    static func signIn(_ f: FederationFixture, _ name: String) async throws -> String {
        let (_, answer) = try await call(f, .post, "/auth/sign-in", token: nil,
                                         body: ["username": .string(name), "password": "correct horse battery"])
        return try #require(answer["token"]?.stringValue)
    }

    static func listed(_ f: FederationFixture, _ token: String, _ id: String) async throws -> Bool {
        let (status, page) = try await call(f, .get, "/communities/practice/posts", token: token)
        #expect(status == .ok)
        return page["posts"]?.arrayValue?.contains { $0["id"]?.stringValue == id } ?? false
    }

    static func threadListed(_ f: FederationFixture, _ token: String, _ id: String) async throws -> Bool {
        let (status, page) = try await call(f, .get, "/communities/practice/threads", token: token)
        #expect(status == .ok)
        return page["threads"]?.arrayValue?.contains { $0["id"]?.stringValue == id } ?? false
    }

    static func threadPage(_ f: FederationFixture, _ token: String, _ id: String) async throws -> (HTTPStatus, JSON) {
        try await call(f, .get, "/threads/" + FormURLEncoding.percentEncode(id), token: token)
    }

    static func found(_ f: FederationFixture, _ token: String, _ words: String) async throws -> Bool {
        let (status, page) = try await call(f, .get, "/search?q=" + words, token: token)
        #expect(status == .ok)
        return !(page["results"]?.arrayValue ?? []).isEmpty
    }
}
