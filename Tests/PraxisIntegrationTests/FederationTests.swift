import Foundation
import PraxisCommunity
import PraxisCrypto
import PraxisFederation
import PraxisHTTP
import PraxisJSON
import PraxisServer
import PraxisSQLite
import PraxisStorage
import PraxisTestSupport
import Testing

/// Three real nodes on loopback, each with its own data folder, federating over HTTP with signed
/// requests, durable delivery and the inbox pipeline.
@Suite(.serialized) struct FederationTests {
    static func follow(_ follower: String, _ followed: String) -> @Sendable (Connection) throws -> Follow.State? {
        { db in try FollowRepository(db).find(follower: follower, followed: followed)?.state }
    }

    static func object(_ id: String) -> @Sendable (Connection) throws -> StoredObject? {
        { db in try ObjectRepository(db).find(id: id) }
    }

    @Test(.timeLimit(.minutes(2))) func memberFollowsACommunityOnAnotherNodeAndReceivesItsAnnounces() async throws {
        let f = try FederationFixture(nodes: 3)
        try f.addMember("ana", on: 0)
        try f.addMember("bob", on: 1)
        try f.addMember("carla", on: 2)
        try f.addCommunity("practice", on: 1)
        try f.startAll()
        defer { Task { await f.stopAll() } }
        let community = f.base(1) + "/communities/practice"
        let ana = f.base(0) + "/users/ana"
        let carla = f.base(2) + "/users/carla"

        // Ana (node 0) joins by handle; Carla (node 2) by URL. Bob is local to the community.
        try await f.node(0).federation.social.follow(member: "ana", target: "@practice@\(f.domain(1))")
        try await f.node(2).federation.social.follow(member: "carla", target: community)
        try await f.node(1).federation.social.follow(member: "bob", target: community)
        try await f.eventually("ana's follow is accepted") { try await f.read(0, Self.follow(ana, community)) == .accepted }
        try await f.eventually("carla's follow is accepted") { try await f.read(2, Self.follow(carla, community)) == .accepted }
        #expect(try await f.read(1, Self.follow(ana, community)) == .accepted)

        // Bob posts on the community's own node: the community announces it to nodes 0 and 2.
        let bobs = try await f.node(1).federation.social.post(member: "bob", community: community, content: "Is a bid without the signed form non-responsive?")
        try await f.eventually("bob's post reaches node 0") { try await f.read(0, Self.object(bobs.id)) != nil }
        try await f.eventually("bob's post reaches node 2") { try await f.read(2, Self.object(bobs.id)) != nil }
        let copy = try #require(try await f.read(0, Self.object(bobs.id)))
        #expect(copy.content == "<p>Is a bid without the signed form non-responsive?</p>")
        #expect(copy.audience == community)
        #expect(copy.attributedTo == f.base(1) + "/users/bob")

        // Carla answers from node 2: the Create goes to the community, which relays it to node 0;
        // node 0 checks it against its origin (node 2) because the author is not on node 1.
        let carlas = try await f.node(2).federation.social.post(member: "carla", community: community, content: "Ask for clarification first.")
        try await f.eventually("carla's reply reaches the community") { try await f.read(1, Self.object(carlas.id)) != nil }
        try await f.eventually("carla's reply reaches node 0 via the announce") { try await f.read(0, Self.object(carlas.id)) != nil }

        // Edits and deletions follow the same path.
        try await f.node(2).federation.social.edit(member: "carla", objectID: carlas.id, content: "Ask for clarification first (art. 56).")
        try await f.eventually("the edit reaches node 0") {
            try await f.read(0, Self.object(carlas.id))?.content == "<p>Ask for clarification first (art. 56).</p>"
        }
        try await f.node(1).federation.social.delete(member: "bob", objectID: bobs.id)
        try await f.eventually("the deletion reaches node 2") { try await f.read(2, Self.object(bobs.id))?.deletedAt != nil }
        try await f.eventually("the deletion reaches node 0") { try await f.read(0, Self.object(bobs.id))?.deletedAt != nil }

        // Every activity was processed; none went to the dead letters.
        for index in 0..<3 {
            let dead = try await f.read(index) { db in try InboxRepository(db).deadLetters() }
            #expect(dead.isEmpty, "node \(index) dead letters: \(dead.map(\.reason))")
        }
        // The community's followers collection counts the two remote members and Bob.
        let followers = try await f.node(0).federation.client.send(HTTPClientRequest(url: community + "/followers",
                                                                                  headers: ["Accept": "application/activity+json"]))
        #expect(try JSON.parse(followers.body)["totalItems"] == 3)

        // Carla leaves: the Undo reaches the community, and its next post no longer goes to node 2.
        try await f.node(2).federation.social.unfollow(member: "carla", target: community)
        try await f.eventually("the community forgets carla") { try await f.read(1, Self.follow(carla, community)) == nil }
        let later = try await f.node(1).federation.social.post(member: "bob", community: community, content: "After carla left")
        try await f.eventually("node 0 still receives posts") { try await f.read(0, Self.object(later.id)) != nil }
        #expect(try await f.read(2, Self.object(later.id)) == nil)
    }

    @Test(.timeLimit(.minutes(2))) func aStoppedNodeReceivesEverythingQueuedAfterItRestartsOnce() async throws {
        let f = try FederationFixture(nodes: 2)
        try f.addMember("ana", on: 0)
        try f.addMember("bob", on: 1)
        try f.addCommunity("practice", on: 1)
        try f.startAll()
        defer { Task { await f.stopAll() } }
        let community = f.base(1) + "/communities/practice"
        try await f.node(0).federation.social.follow(member: "ana", target: community)
        try await f.node(1).federation.social.follow(member: "bob", target: community)
        try await f.eventually("ana's follow is accepted") {
            try await f.read(0, Self.follow(f.base(0) + "/users/ana", community)) == .accepted
        }

        await f.stop(0)
        var ids: [String] = []
        for n in 1...12 {
            ids.append(try await f.node(1).federation.social.post(member: "bob", community: community, content: "Note \(n)").id)
        }
        try await Task.sleep(for: .seconds(1))  // deliveries fail and back off while node 0 is down
        try f.start(0)
        let expected = ids
        try await f.eventually("every note reaches node 0 after its restart") {
            try await f.read(0) { db in try expected.allSatisfy { try ObjectRepository(db).find(id: $0) != nil } }
        }
        let received = try await f.read(0) { db in
            try db.scalar(
                Int.self,
                "SELECT count(*) FROM inbox_activities WHERE actor_id = ? AND json_extract(CAST(body AS TEXT), '$.type') = 'Announce'",
                community) ?? 0
        }
        #expect(received == 12, "each announce is stored once")
    }

    @Test(.timeLimit(.minutes(2))) func blockedNodesAreRefusedBothWays() async throws {
        let f = try FederationFixture(nodes: 3)
        try f.addMember("ana", on: 0)
        try f.addMember("carla", on: 2)
        try f.addMember("bob", on: 1)
        try f.addCommunity("practice", on: 1)
        // Node 1 blocks node 2 explicitly; node 0 is trusted.
        try await NodeStore(directory: f.directory(1)).database.write { db in
            try TrustRepository(db).set(TrustEntry(domain: f.domain(2), level: .blocked))
        }
        try f.startAll()
        defer { Task { await f.stopAll() } }
        let community = f.base(1) + "/communities/practice"

        // Node 2 cannot even look the community up: node 1 refuses its signed fetch.
        await #expect(throws: DereferenceError.self) {
            try await f.node(2).federation.social.follow(member: "carla", target: community)
        }
        // A signed Follow posted straight to the inbox is refused with 403, and nothing is stored.
        let follow: JSON = [
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": .string(f.base(2) + "/activities/" + UUID().uuidString.lowercased()),
            "type": "Follow", "actor": .string(f.base(2) + "/users/carla"), "object": .string(community),
        ]
        let followRequest = try await Self.signedPost(from: f, node: 2, actor: "carla", to: community + "/inbox", activity: follow,
                                                      profile: .cavage)
        #expect(try await f.node(2).federation.client.send(followRequest).status == .forbidden)
        let fromBlocked = try await f.read(1) { db in
            try db.scalar(Int.self, "SELECT count(*) FROM inbox_activities WHERE origin_domain = ?", f.domain(2)) ?? 0
        }
        #expect(fromBlocked == 0)

        // A raw signed request from the blocked node gets 403 with a reason.
        let request = try await Self.signedPost(from: f, node: 2, actor: "carla", to: community + "/inbox",
                                                 activity: Self.like(f, node: 2, actor: "carla", object: community))
        let response = try await f.node(0).federation.client.send(request)
        #expect(response.status == .forbidden)
        #expect(String(decoding: response.body, as: UTF8.self).contains("blocked"))

        // Ana (node 0) follows; node 0 then blocks... node 1 now blocks node 0 too: nothing is sent to it.
        try await f.node(0).federation.social.follow(member: "ana", target: community)
        try await f.eventually("ana's follow is accepted") {
            try await f.read(0, Self.follow(f.base(0) + "/users/ana", community)) == .accepted
        }
        try await f.node(1).store.database.write { db in
            try TrustRepository(db).set(TrustEntry(domain: f.domain(0), level: .blocked))
        }
        try await f.node(1).federation.social.follow(member: "bob", target: community)
        let post = try await f.node(1).federation.social.post(member: "bob", community: community, content: "Not for node 0")
        // Nothing is queued for the blocked node (deliveries queued before a block are dropped at
        // send time: DeliveryServiceTests.appliesTheTrustListAtSendTime).
        let queuedPost = try await f.read(1) { db in
            try db.scalar(
                Int.self,
                """
                SELECT count(*) FROM deliveries d JOIN delivery_activities a ON a.id = d.activity
                WHERE d.lane = ? AND instr(CAST(a.body AS TEXT), ?) > 0
                """,
                f.domain(0), post.id) ?? 0
        }
        #expect(queuedPost == 0)
        #expect(await f.node(1).federation.delivery.waitUntilIdle(timeout: .seconds(30)))
        #expect(try await f.read(0, Self.object(post.id)) == nil)
    }

    /// A `Like` activity of `actor` on node `node` (acknowledged by receivers, not acted on).
    static func like(_ f: FederationFixture, node: Int, actor: String, object: String) -> JSON {
        [
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": .string(f.base(node) + "/activities/" + UUID().uuidString.lowercased()),
            "type": "Like",
            "actor": .string(f.base(node) + "/users/" + actor),
            "object": .string(object),
        ]
    }

    /// A POST signed with the keys of `actor` on node `node`.
    static func signedPost(from f: FederationFixture, node: Int, actor: String, to url: String, activity: JSON,
                           profile: SignatureProfile = .rfc9421, date: Date = Date()) async throws -> HTTPClientRequest {
        let store = try NodeStore(directory: f.directory(node))
        let keys = try LocalKeyring(store: store, urls: NodeURLs(configuration: store.configuration)).keys(for: actor)
        var request = HTTPClientRequest(method: .post, url: url, headers: ["Content-Type": "application/activity+json"],
                                        body: activity.serializedBytes())
        try HTTPSigner.sign(
            method: .post, url: url, headers: &request.headers, body: request.body,
            keyID: profile == .rfc9421 ? keys.ed25519KeyID : keys.rsaKeyID,
            key: profile == .rfc9421 ? .ed25519(keys.ed25519) : .rsa(keys.rsa), profile: profile, now: date)
        return request
    }
}
