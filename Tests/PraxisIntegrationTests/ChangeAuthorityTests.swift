import Foundation
import PraxisActivityStreams
import PraxisCommunity
import PraxisFederation
import PraxisHTTP
import PraxisJSON
import PraxisServer
import PraxisStorage
import PraxisTestSupport
import Testing

/// `Update` and `Delete` of a post are applied only with its author's proof or from a moderator of
/// its community; a third party's, sent directly or relayed, is refused and changes nothing.
@Suite(.serialized) struct ChangeAuthorityTests {
    @Test(.timeLimit(.minutes(2))) func onlyTheAuthorOrAModeratorChangesAPost() async throws {
        let f = try FederationFixture(nodes: 3)
        try f.addMember("ana", on: 0)
        try f.addMember("bob", on: 1)
        try f.addMember("mallory", on: 2)
        try f.addMember("mia", on: 2)
        try f.addCommunity("practice", on: 1)
        let community = f.base(1) + "/communities/practice"
        let ana = f.base(0) + "/users/ana"
        let mallory = f.base(2) + "/users/mallory"
        let mia = f.base(2) + "/users/mia"
        // Mia (node 2) moderates the community of node 1.
        try await NodeStore(directory: f.directory(1)).database.write { db in
            guard let group = try CommunityRepository(db).find(username: "practice") else { return }
            try CommunityRoleRepository(db).set(.moderator, actor: mia, communityID: group.actor.id)
        }
        try f.startAll()
        defer { Task { await f.stopAll() } }
        try await f.join([(0, "ana"), (1, "bob"), (2, "mallory"), (2, "mia")], community: community)

        let first = try await f.node(0).federation.social.post(member: "ana", community: community, content: "First")
        let second = try await f.node(0).federation.social.post(member: "ana", community: community, content: "Second")
        for node in [1, 2] {
            try await f.eventually("node \(node) has both posts") {
                try await f.read(node) { db in
                    try ObjectRepository(db).find(id: first.id) != nil && ObjectRepository(db).find(id: second.id) != nil
                }
            }
        }
        @Sendable func content(_ node: Int, _ id: String) async throws -> (String?, Bool) {
            let object = try await f.read(node) { db in try ObjectRepository(db).find(id: id) }
            return (object?.content, object?.deletedAt != nil)
        }
        @Sendable func deadLetters(_ node: Int, containing text: String) async throws -> Int {
            try await f.read(node) { db in try InboxRepository(db).deadLetters().filter { $0.reason.contains(text) }.count }
        }

        // What a refused Update or Delete may leave: the activity and its dead letter, the
        // signature seen and the sender's cached key. Nothing else, above all no object.
        let traces: Set<String> = ["inbox_activities", "seen_signatures", "dead_letters", "remote_actors", "remote_keys"]
        for node in [1, 2] { #expect(await f.node(node).federation.delivery.waitUntilIdle(timeout: .seconds(20))) }
        let before = [try await StorageSnapshot.take(f, node: 1), try await StorageSnapshot.take(f, node: 2)]

        // Mallory sends the community an Update and a Delete of Ana's post.
        var altered = try JSON.parse(first.document)
        altered["content"] = "<p>Rewritten by Mallory</p>"
        altered["proof"] = nil
        let update = ActivityBuilder.activity(
            id: f.base(2) + "/activities/" + UUID().uuidString.lowercased(), type: "Update", actor: mallory, object: altered,
            to: [community], audience: community)
        let delete = ActivityBuilder.activity(
            id: f.base(2) + "/activities/" + UUID().uuidString.lowercased(), type: "Delete", actor: mallory,
            object: ["id": .string(first.id), "type": "Tombstone"], to: [community], audience: community)
        for activity in [update, delete] {
            let request = try await FederationTests.signedPost(from: f, node: 2, actor: "mallory", to: f.base(1) + "/inbox",
                                                                activity: activity)
            #expect(try await f.node(2).federation.client.send(request).status == .accepted)
        }
        try await f.eventually("the community's node refuses Mallory's Update and Delete") {
            try await deadLetters(1, containing: "only the author (\(ana))") == 2
        }
        // Relayed: an Announce (here forged with the community's key) of Mallory's Delete.
        let announce = ActivityBuilder.activity(
            id: f.base(1) + "/activities/" + UUID().uuidString.lowercased(), type: "Announce", actor: community,
            object: delete, to: [ActivityStreams.publicCollection], audience: community)
        let relayed = try await FederationTests.signedPost(from: f, node: 1, actor: "practice", to: f.base(2) + "/inbox",
                                                            activity: announce)
        #expect(try await f.node(1).federation.client.send(relayed).status == .accepted)
        try await f.eventually("node 2 refuses the relayed Delete") {
            try await f.read(2) { db in try InboxRepository(db).deadLetters().contains { $0.activityID == announce["id"]?.stringValue } }
        }
        for node in [1, 2] {
            #expect(try await content(node, first.id) == ("<p>First</p>", false), "node \(node) keeps Ana's post unchanged")
            let changed = try await StorageSnapshot.take(f, node: node).changed(since: before[node - 1])
            #expect(Set(changed).isSubset(of: traces), "node \(node) changed \(changed)")
        }

        // Ana's own edit, signed by her, is applied everywhere.
        try await f.node(0).federation.social.edit(member: "ana", objectID: first.id, content: "First, edited")
        for node in [1, 2] {
            try await f.eventually("node \(node) has Ana's edit") {
                try await content(node, first.id) == ("<p>First, edited</p>", false)
            }
        }

        // A moderator of another node removes Ana's second post: the community publishes the removal.
        try await f.node(2).federation.social.delete(member: "mia", objectID: second.id)
        for node in [0, 1, 2] {
            try await f.eventually("node \(node) has the second post removed") { try await content(node, second.id).1 }
        }
        // Bob, a member but no moderator, cannot remove Ana's post in his own node's community.
        await #expect(throws: CommunityError.self) {
            try await f.node(1).federation.social.delete(member: "bob", objectID: first.id)
        }
        #expect(try await content(1, first.id).1 == false)

        // Ana deletes her first post with a signed Tombstone.
        try await f.node(0).federation.social.delete(member: "ana", objectID: first.id)
        for node in [1, 2] {
            try await f.eventually("node \(node) has Ana's first post deleted") { try await content(node, first.id).1 }
        }
    }
}
