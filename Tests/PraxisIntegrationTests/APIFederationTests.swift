import Foundation
import PraxisHTTP
import PraxisJSON
import PraxisStorage
import PraxisTestSupport
import Testing

/// The client API over real HTTP on two federating nodes: a member of node A signs in, joins a
/// community of node B through the API and posts there, and the post reaches node B.
@Suite(.serialized) struct APIFederationTests {
    @Test(.timeLimit(.minutes(1))) func memberJoinsAndPostsInARemoteCommunityThroughTheAPI() async throws {
        let f = try FederationFixture(nodes: 2)
        try f.addMember("ana", on: 0)
        try f.addCommunity("practice", on: 1)
        try f.startAll()
        defer { Task { await f.stopAll() } }
        let community = f.base(1) + "/communities/practice"

        @Sendable func call(_ method: HTTPMethod, _ path: String, token: String? = nil, body: JSON? = nil) async throws
            -> (HTTPStatus, JSON)
        {
            try await f.api(0, method, path, token: token, body: body)
        }

        let (signInStatus, signIn) = try await call(.post, "/auth/sign-in",
                                                    body: ["username": "ana", "password": "correct horse battery"])
        #expect(signInStatus == .ok)
        let token = try #require(signIn["token"]?.stringValue)
        #expect(try await call(.get, "/me").0 == .unauthorized)

        let (followStatus, follow) = try await call(.post, "/follows", token: token,
                                                    body: ["target": .string("@practice@\(f.domain(1))")])
        #expect(followStatus == .accepted)
        #expect(follow["target"] == .string(community))
        #expect(follow["state"] == "pending")

        try await f.eventually("node B accepts ana's follow") {
            let (_, me) = try await call(.get, "/me", token: token)
            return me["communities"]?.arrayValue?.contains { $0["id"] == .string(community) && $0["membership"] == "accepted" }
                == true
        }
        let (_, list) = try await call(.get, "/communities", token: token)
        let remote = list["communities"]?.arrayValue?.first { $0["id"] == .string(community) }
        #expect(remote?["local"] == false)
        #expect(remote?["name"] == "practice")

        let (postStatus, post) = try await call(.post, "/posts", token: token, body: [
            "community": .string(community), "content": "Has anyone split a framework agreement into lots?",
            "title": "Lots",
        ])
        #expect(postStatus == .created)
        let id = try #require(post["id"]?.stringValue)
        #expect(id.hasPrefix(f.base(0) + "/objects/"))
        try await f.eventually("the post reaches node B") {
            try await f.read(1) { db in try ObjectRepository(db).find(id: id) } != nil
        }
        let copy = try await f.read(1) { db in try ObjectRepository(db).find(id: id) }
        #expect(copy?.content == "<p>Has anyone split a framework agreement into lots?</p>")
        #expect(copy?.audience == community)

        // The edit goes the same way, addressed by the URL-encoded object id.
        let (editStatus, _) = try await call(.patch, "/posts/" + FormURLEncoding.percentEncode(id), token: token,
                                             body: ["content": "Has anyone split a framework agreement into lots? (works)"])
        #expect(editStatus == .ok)
        try await f.eventually("the edit reaches node B") {
            try await f.read(1) { db in try ObjectRepository(db).find(id: id)?.content }
                == "<p>Has anyone split a framework agreement into lots? (works)</p>"
        }

        let (leaveStatus, _) = try await call(.delete, "/follows?target=" + FormURLEncoding.percentEncode(community), token: token)
        #expect(leaveStatus == .noContent)
        try await f.eventually("node B forgets ana") {
            try await f.read(1) { db in try FollowRepository(db).find(follower: f.base(0) + "/users/ana", followed: community) }
                == nil
        }
        #expect(try await call(.post, "/auth/sign-out", token: token).0 == .noContent)
        #expect(try await call(.get, "/me", token: token).0 == .unauthorized)
    }
}
