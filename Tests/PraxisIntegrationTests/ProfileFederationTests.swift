import Foundation
import PraxisHTTP
import PraxisJSON
import PraxisSQLite
import PraxisStorage
import PraxisTestSupport
import Testing

/// Profiles and remote threads over real HTTP on two federating nodes: a member of node A joins a
/// community of node B, reads its threads from node A, and renames herself; node B learns the new
/// name from the `Update` of her actor.
@Suite(.serialized) struct ProfileFederationTests {
    @Test(.timeLimit(.minutes(1))) func aRenameReachesTheCommunityNodeAndRemoteThreadsAreListed() async throws {
        let f = try FederationFixture(nodes: 2)
        try f.addMember("ana", on: 0)
        try f.addCommunity("practice", on: 1)
        try f.startAll()
        defer { Task { await f.stopAll() } }
        let community = f.base(1) + "/communities/practice"
        let ana = f.base(0) + "/users/ana"

        @Sendable func call(_ method: HTTPMethod, _ path: String, token: String? = nil, body: JSON? = nil) async throws
            -> (HTTPStatus, JSON)
        {
            try await f.api(0, method, path, token: token, body: body)
        }

        let token = try #require(try await call(.post, "/auth/sign-in",
                                                body: ["username": "ana", "password": "correct horse battery"]).1["token"]?.stringValue)
        _ = try await call(.post, "/follows", token: token, body: ["target": .string(community)])
        try await f.eventually("node B accepts ana") {
            try await call(.get, "/me", token: token).1["communities"]?.arrayValue?
                .contains { $0["id"] == .string(community) && $0["membership"] == "accepted" } == true
        }
        let (postStatus, post) = try await call(.post, "/posts", token: token, body: [
            "community": .string(community), "content": "Who splits framework agreements into lots?", "title": "Lots",
            "kind": "question",
        ])
        #expect(postStatus == .created)
        let id = try #require(post["id"]?.stringValue)

        let encoded = FormURLEncoding.percentEncode(community)
        let (listStatus, list) = try await call(.get, "/threads?community=\(encoded)&sort=unanswered", token: token)
        #expect(listStatus == .ok)
        #expect(list["threads"]?.arrayValue?.compactMap { $0["id"]?.stringValue } == [id])
        let (threadStatus, thread) = try await call(.get, "/threads/\(FormURLEncoding.percentEncode(id))", token: token)
        #expect(threadStatus == .ok)
        #expect(thread["thread"]?["title"] == "Lots")

        let (patchStatus, profile) = try await call(.patch, "/me/profile", token: token, body: ["displayName": "Ana Ruiz"])
        #expect(patchStatus == .ok)
        #expect(profile["update"]?.stringValue != nil)
        try await f.eventually("node B knows ana's new name") {
            try await f.read(1) { db in
                try db.scalar(String.self, "SELECT name FROM remote_actors WHERE id = ?", ana)
            } == "Ana Ruiz"
        }
    }
}
