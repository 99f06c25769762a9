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

/// Members-only communities across nodes: approval by a manager, delivery only to trusted nodes
/// hosting an approved member, and signed fetches refused to everyone else.
@Suite(.serialized) struct MembersOnlyTests {
    @Test(.timeLimit(.minutes(2))) func membersOnlyContentNeverReachesALimitedNode() async throws {
        let f = try FederationFixture(nodes: 3)
        try f.addMember("fred", on: 0)
        try f.addMember("nina", on: 1)
        try f.addMember("esteban", on: 2)
        try f.addCommunity("open-practice", on: 0)
        try f.addCommunity("secret", on: 0, visibility: .members, join: .approval)
        // FR (node 0) trusts NL fully but ES only as limited.
        try await NodeStore(directory: f.directory(0)).database.write { db in
            try TrustRepository(db).set(TrustEntry(domain: f.domain(2), level: .limited))
        }
        // fred owns nothing; he is a node moderator, who may decide join requests.
        try await NodeStore(directory: f.directory(0)).database.write { db in
            try db.run("UPDATE accounts SET role = 'moderator' WHERE actor_id = (SELECT id FROM actors WHERE username = 'fred')")
        }
        try f.startAll()
        defer { Task { await f.stopAll() } }
        let open = f.base(0) + "/communities/open-practice"
        let secret = f.base(0) + "/communities/secret"
        let nina = f.base(1) + "/users/nina"
        let esteban = f.base(2) + "/users/esteban"
        @Sendable func state(_ node: Int, _ follower: String, _ community: String) async throws -> Follow.State? {
            try await f.read(node) { db in try FollowRepository(db).find(follower: follower, followed: community)?.state }
        }

        try await f.node(0).federation.social.follow(member: "fred", target: open)
        try await f.node(0).federation.social.follow(member: "fred", target: secret)
        try await f.node(0).federation.membership.decide(manager: "fred", community: "secret",
                                                         follower: f.base(0) + "/users/fred", accept: true)
        for (node, member, id) in [(1, "nina", nina), (2, "esteban", esteban)] {
            try await f.node(node).federation.social.follow(member: member, target: open)
            try await f.node(node).federation.social.follow(member: member, target: secret)
            try await f.eventually("\(member) joins the public community") { try await state(node, id, open) == .accepted }
        }
        // Nina's request waits for a manager; Esteban's node is not trusted, so his is refused.
        try await f.eventually("nina's request reaches FR") { try await state(0, nina, secret) == .pending }
        try await f.eventually("esteban is refused") { try await state(2, esteban, secret) == .rejected }
        let pending = try await f.node(0).federation.membership.pending(manager: "fred", community: "secret")
        #expect(pending.map(\.follower) == [nina])
        await #expect(throws: CommunityError.self) {
            try await f.node(0).federation.membership.decide(manager: "nobody", community: "secret", follower: nina, accept: true)
        }
        try await f.node(0).federation.membership.decide(manager: "fred", community: "secret", follower: nina, accept: true)
        try await f.eventually("nina is accepted") { try await state(1, nina, secret) == .accepted }

        // Nina asks in the members-only community; Fred answers; Nina accepts the answer and edits
        // her question; a public post goes to everyone.
        let question = try await f.node(1).federation.social.post(member: "nina", community: secret, content: "Confidential question",
                                                                  name: "Conflict of interest", kind: .question)
        try await f.eventually("the question reaches FR") {
            try await f.read(0) { db in try ObjectRepository(db).find(id: question.id) != nil }
        }
        let answer = try await f.node(0).federation.social.post(member: "fred", community: secret, content: "Confidential answer",
                                                                inReplyTo: question.id)
        try await f.eventually("the answer reaches NL") {
            try await f.read(1) { db in try ObjectRepository(db).find(id: answer.id) != nil }
        }
        try await f.node(1).federation.social.acceptAnswer(member: "nina", question: question.id, answer: answer.id)
        try await f.node(1).federation.social.edit(member: "nina", objectID: question.id, content: "Confidential question (edited)")
        @Sendable func thread(_ node: Int) async throws -> [String] {
            try await f.read(node) { db in
                let objects = ObjectRepository(db)
                guard let q = try objects.find(id: question.id) else { return [] }
                return [q.content, q.attributedTo, q.acceptedAnswer ?? "-"] + (try objects.replies(to: question.id).map(\.content))
                    + (try objects.revisions(of: question.id).map(\.content))
            }
        }
        try await f.eventually("FR's and NL's views of the thread agree") {
            let fr = try await thread(0)
            let nl = try await thread(1)
            return fr.count == 5 && fr == nl && fr[2] == answer.id
        }
        let publicPost = try await f.node(0).federation.social.post(member: "fred", community: open, content: "Public note")
        try await f.eventually("the answer reaches NL") {
            try await f.read(1) { db in try ObjectRepository(db).find(id: answer.id) != nil }
        }
        try await f.eventually("the public post reaches ES") {
            try await f.read(2) { db in try ObjectRepository(db).find(id: publicPost.id) != nil }
        }
        #expect(try await f.read(0) { db in try ObjectRepository(db).find(id: question.id) } != nil)

        // Not a byte of the members-only community on ES: no objects, no activities naming it.
        let leaked = try await f.read(2) { db in
            (try db.scalar(Int.self, "SELECT count(*) FROM objects WHERE audience = ?", secret) ?? 0,
             try db.scalar(Int.self, "SELECT count(*) FROM inbox_activities WHERE instr(CAST(body AS TEXT), 'Confidential') > 0") ?? 0)
        }
        #expect(leaked.0 == 0 && leaked.1 == 0)
        // The answer's object is not public: unsigned and ES-signed fetches get 404, NL's gets it.
        let unsigned = try await f.node(2).federation.client.send(HTTPClientRequest(url: answer.id, headers: ["Accept": "application/activity+json"]))
        #expect(unsigned.status == .notFound)
        var fromES = HTTPClientRequest(url: answer.id, headers: ["Accept": "application/activity+json"])
        try f.node(2).federation.signer.sign(&fromES)
        #expect(try await f.node(2).federation.client.send(fromES).status == .notFound)
        var fromNL = HTTPClientRequest(url: answer.id, headers: ["Accept": "application/activity+json"])
        try f.node(1).federation.signer.sign(&fromNL)
        let served = try await f.node(1).federation.client.send(fromNL)
        #expect(served.status == .ok)
        #expect(try JSON.parse(served.body)["content"] == "<p>Confidential answer</p>")
        // And the members-only member list does not exist for outsiders.
        #expect(try await f.node(2).federation.client.send(HTTPClientRequest(url: secret + "/followers")).status == .notFound)
    }
}
