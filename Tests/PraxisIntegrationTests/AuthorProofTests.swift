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

/// Author proofs (eddsa-jcs-2022) survive relaying: an unaltered relayed post is accepted with no
/// request to its origin; a post whose text the relaying community changed is rejected.
@Suite(.serialized) struct AuthorProofTests {
    @Test(.timeLimit(.minutes(2))) func relayedPostsAreCheckedByTheirAuthorsProofAlone() async throws {
        let f = try FederationFixture(nodes: 3)
        try f.addMember("ana", on: 0)
        try f.addMember("bob", on: 1)
        try f.addMember("carla", on: 2)
        try f.addCommunity("practice", on: 1)
        try f.startAll()
        defer { Task { await f.stopAll() } }
        let community = f.base(1) + "/communities/practice"
        try await f.join([(0, "ana"), (1, "bob"), (2, "carla")], community: community)

        // Carla (node 2) posts; the community (node 1) relays it to node 0.
        let post = try await f.node(2).federation.social.post(member: "carla", community: community, content: "Signed by Carla")
        #expect(try JSON.parse(post.document)["proof"]?["cryptosuite"] == "eddsa-jcs-2022")
        try await f.eventually("node 0 has Carla's post") {
            try await f.read(0) { db in try ObjectRepository(db).find(id: post.id) } != nil
        }
        let objectPath = String(post.id.dropFirst(f.base(2).count))
        #expect(f.served(2, containing: "GET \(objectPath)").isEmpty, "node 0 did not ask Carla's node for the post")
        let stored = try #require(try await f.read(0) { db in try ObjectRepository(db).find(id: post.id) })
        #expect(try JSON.parse(stored.document)["proof"] != nil, "the proof is kept with the copy")

        // A community node that alters the text: the relayed copy fails the author's proof.
        let create = try #require(try await f.read(1) { db -> JSON? in
            for row in try db.query("SELECT body FROM inbox_activities") {
                let activity = try JSON.parse(try row.get("body", as: [UInt8].self), limits: .unlimited)
                if activity["object"]?["id"]?.stringValue == post.id { return activity }
            }
            return nil
        })
        guard case .object(var inner) = create, case .object(var note)? = inner["object"] else {
            Issue.record("no Create for Carla's post on the community's node")
            return
        }
        note["content"] = "<p>Signed by Carla (and quietly changed by the community)</p>"
        note["id"] = .string(post.id)
        inner["object"] = .object(note)
        let forgedAnnounce: JSON = [
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": .string(f.base(1) + "/activities/" + UUID().uuidString.lowercased()),
            "type": "Announce", "actor": .string(community), "object": .object(inner),
            "to": ["https://www.w3.org/ns/activitystreams#Public"],
        ]
        let request = try await FederationTests.signedPost(from: f, node: 1, actor: "practice", to: f.base(0) + "/inbox",
                                                            activity: forgedAnnounce)
        #expect(try await f.node(1).federation.client.send(request).status == .accepted)
        try await f.eventually("node 0 rejects the altered relay") {
            try await f.read(0) { db in try InboxRepository(db).deadLetters().contains { $0.reason.contains("proof") } }
        }
        let kept = try #require(try await f.read(0) { db in try ObjectRepository(db).find(id: post.id) })
        #expect(kept.content == "<p>Signed by Carla</p>", "the genuine text is kept")
    }
}
