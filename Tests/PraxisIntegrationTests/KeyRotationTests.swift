import Foundation
import PraxisActivityStreams
import PraxisCommunity
import PraxisCrypto
import PraxisFederation
import PraxisHTTP
import PraxisJSON
import PraxisServer
import PraxisStorage
import PraxisTestSupport
import Testing

/// Key rotation across real nodes: after `praxis keys rotate`, posts signed before it still verify
/// everywhere, new posts carry the new key, and a post signed with the retired key afterwards is
/// refused.
@Suite(.serialized) struct KeyRotationTests {
    @Test(.timeLimit(.minutes(2))) func oldPostsStillVerifyAndTheRetiredKeyIsRefusedAfterwards() async throws {
        let f = try FederationFixture(nodes: 3)
        try f.addMember("ana", on: 0)
        try f.addMember("bob", on: 1)
        try f.addMember("carla", on: 2)
        try f.addCommunity("practice", on: 1)
        try f.startAll()
        defer { Task { await f.stopAll() } }
        let community = f.base(1) + "/communities/practice"
        let ana = f.base(0) + "/users/ana"
        try await f.join([(0, "ana"), (1, "bob"), (2, "carla")], community: community)

        let before = try await f.node(0).federation.social.post(member: "ana", community: community, content: "Before the rotation")
        try await f.eventually("node 2 has Ana's first post") {
            try await f.read(2) { db in try ObjectRepository(db).find(id: before.id) } != nil
        }
        let store = try NodeStore(directory: f.directory(0))
        let oldKeys = try LocalKeyring(store: store, urls: NodeURLs(configuration: store.configuration)).keys(for: "ana")

        // As `praxis keys rotate --user ana` does: on the data folder, beside the running node.
        let outcome = try KeyRotation(store: store).rotate(.user("ana"))
        #expect(outcome.retiredKeyIDs.contains(oldKeys.ed25519KeyID))
        #expect(outcome.inboxes == [f.base(1) + "/inbox"], "the community's node is the one that knows Ana")
        let newKeyID = try #require(outcome.currentKeyIDs.first { $0.contains("#ed25519-key-") })

        // Node 1 applies the Update it receives; node 2 refetches Ana when the community relays it.
        for node in [1, 2] {
            try await f.eventually("node \(node) lists Ana's old key as retired and knows the new one") {
                let actor = try await f.node(node).federation.directory.actor(id: ana)
                return actor.key(id: oldKeys.ed25519KeyID)?.expires != nil && actor.key(id: newKeyID) != nil
            }
        }

        // Posts signed before the rotation still verify on every node, with the retired key.
        for node in [1, 2] {
            let stored = try #require(try await f.read(node) { db in try ObjectRepository(db).find(id: before.id) })
            let document = try JSON.parse(stored.document)
            #expect(document["proof"]?["verificationMethod"]?.stringValue == oldKeys.ed25519KeyID)
            #expect(try await AuthorProof.verify(document, author: ana, directory: f.node(node).federation.directory))
        }

        // New posts carry the new key and are relayed as before.
        let after = try await f.node(0).federation.social.post(member: "ana", community: community, content: "After the rotation")
        #expect(try JSON.parse(after.document)["proof"]?["verificationMethod"]?.stringValue == newKeyID)
        try await f.eventually("node 2 has Ana's post signed with her new key") {
            try await f.read(2) { db in try ObjectRepository(db).find(id: after.id) } != nil
        }

        // A post signed with the retired key after its retirement (someone who kept the old key).
        let note: JSON = [
            "@context": ActivityStreams.contentContext,
            "id": .string(f.base(0) + "/objects/" + UUID().uuidString.lowercased()),
            "type": "Page", "attributedTo": .string(ana), "content": "<p>Signed with a retired key</p>", "kind": "discussion",
            "to": [.string(ActivityStreams.publicCollection)], "cc": [.string(community)], "audience": .string(community),
            "published": .string(ISO8601.string(Date())),
        ]
        let forged = try EddsaJcs2022.sign(note, key: oldKeys.ed25519, verificationMethod: oldKeys.ed25519KeyID,
                                           created: Date().addingTimeInterval(2))
        let forgedID = try #require(forged["id"]?.stringValue)
        let create = ActivityBuilder.activity(
            id: f.base(0) + "/activities/" + UUID().uuidString.lowercased(), type: "Create", actor: ana, object: forged,
            to: [ActivityStreams.publicCollection], cc: [community], audience: community)
        let request = try await FederationTests.signedPost(from: f, node: 0, actor: "ana", to: f.base(1) + "/inbox",
                                                            activity: create)
        #expect(try await f.node(0).federation.client.send(request).status == .accepted,
                "the transport signature (Ana's new key) is fine; the content's proof is not")
        try await f.eventually("the community's node refuses the post signed with the retired key") {
            try await f.read(1) { db in try InboxRepository(db).deadLetters().contains { $0.reason.contains("retired") } }
        }
        #expect(try await f.read(1) { db in try ObjectRepository(db).find(id: forgedID) } == nil)
        // Every other node that checks the proof refuses it as well.
        await #expect(throws: ActivityRejection.self) {
            _ = try await AuthorProof.verify(forged, author: ana, directory: f.node(2).federation.directory)
        }
    }
}
