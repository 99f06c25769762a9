import Foundation
import PraxisHTTP
import PraxisJSON
import PraxisStorage
import PraxisTestSupport
import Testing

/// Search across two real nodes: a members-only thread is found by members on the community's node
/// and on a member's node, and by nobody else on either.
@Suite(.serialized) struct SearchFederationTests {
    @Test(.timeLimit(.minutes(2))) func membersOnlyThreadIsFoundByMembersOnBothNodesAndByNobodyElse() async throws {
        let f = try FederationFixture(nodes: 2)
        try f.addMember("fred", on: 0)
        try f.addMember("olga", on: 0)
        try f.addMember("nina", on: 1)
        try f.addMember("otto", on: 1)
        try f.addCommunity("secret", on: 0, visibility: .members, join: .approval)
        try f.addCommunity("open-practice", on: 0)
        try await NodeStore(directory: f.directory(0)).database.write { db in
            try db.run("UPDATE accounts SET role = 'moderator' WHERE actor_id = (SELECT id FROM actors WHERE username = 'fred')")
        }
        try f.startAll()
        defer { Task { await f.stopAll() } }
        let secret = f.base(0) + "/communities/secret"
        let open = f.base(0) + "/communities/open-practice"

        @Sendable func signIn(_ node: Int, _ name: String) async throws -> String {
            let response = try await f.node(node).federation.client.send(HTTPClientRequest(
                method: .post, url: f.base(node) + "/api/v1/auth/sign-in", headers: ["Content-Type": "application/json"],
                body: JSON.object(["username": .string(name), "password": "correct horse battery"]).serializedBytes()))
            return try #require(try JSON.parse(response.body)["token"]?.stringValue)
        }
        @Sendable func search(_ node: Int, _ token: String, _ query: String) async throws -> (HTTPStatus, [String]) {
            let response = try await f.node(node).federation.client.send(HTTPClientRequest(
                url: f.base(node) + "/api/v1/search?q=" + FormURLEncoding.percentEncode(query),
                headers: ["Authorization": "Bearer \(token)"]))
            let ids = (try? JSON.parse(response.body))?["results"]?.arrayValue?.compactMap { $0["id"]?.stringValue } ?? []
            return (response.status, ids)
        }

        try await f.node(0).federation.social.follow(member: "fred", target: secret)
        try await f.node(0).federation.membership.decide(manager: "fred", community: "secret",
                                                         follower: f.base(0) + "/users/fred", accept: true)
        try await f.node(1).federation.social.follow(member: "nina", target: secret)
        let nina = f.base(1) + "/users/nina"
        try await f.eventually("nina's request reaches the community") {
            try await f.read(0) { db in try FollowRepository(db).find(follower: nina, followed: secret)?.state == .pending }
        }
        try await f.node(0).federation.membership.decide(manager: "fred", community: "secret", follower: nina, accept: true)
        try await f.join([(0, "fred"), (1, "otto")], community: open)
        try await f.eventually("nina is accepted") {
            try await f.read(1) { db in try FollowRepository(db).find(follower: nina, followed: secret)?.state == .accepted }
        }

        let thread = try await f.node(0).federation.social.post(
            member: "fred", community: secret, content: "¿Quién revisa la adjudicación del lote 3?", name: "Lote 3",
            kind: .question, language: "es")
        let publicPost = try await f.node(0).federation.social.post(
            member: "fred", community: open, content: "Guía pública de adjudicación", name: "Guía")
        try await f.eventually("both posts reach nina's node") {
            try await f.read(1) { db in
                try ObjectRepository(db).find(id: thread.id) != nil && ObjectRepository(db).find(id: publicPost.id) != nil
            }
        }

        // On the community's node: the member finds it, a non-member only the public post.
        let fredToken = try await signIn(0, "fred")
        let olgaToken = try await signIn(0, "olga")
        #expect(try await search(0, fredToken, "adjudicacion").1.sorted() == [thread.id, publicPost.id].sorted())
        let olga = try await search(0, olgaToken, "adjudicacion")
        #expect(olga.0 == .ok)
        #expect(olga.1 == [publicPost.id])
        // On the member's node: the same for nina and otto.
        let ninaToken = try await signIn(1, "nina")
        let ottoToken = try await signIn(1, "otto")
        #expect(try await search(1, ninaToken, "lote").1 == [thread.id])
        #expect(try await search(1, ninaToken, "adjudicacion").1.sorted() == [thread.id, publicPost.id].sorted())
        let otto = try await search(1, ottoToken, "adjudicacion")
        #expect(otto.0 == .ok)
        #expect(otto.1 == [publicPost.id])
        #expect(try await search(1, ottoToken, "lote").1.isEmpty)

        // An edit made on the community's node reaches the index of the member's node.
        try await f.node(0).federation.social.edit(member: "fred", objectID: thread.id, content: "¿Quién firma el contrato?")
        try await f.eventually("the edit reaches nina's node") {
            try await f.read(1) { db in try ObjectRepository(db).find(id: thread.id)?.content.contains("firma") == true }
        }
        #expect(try await search(1, ninaToken, "firma").1 == [thread.id])
        #expect(try await search(1, ninaToken, "adjudicacion").1 == [publicPost.id])
    }
}
