import Foundation
import PraxisCommunity
import PraxisHTTP
import PraxisJSON
import PraxisStorage
import PraxisTestSupport
import Testing

/// Moderation across two real nodes: a member of node B reports a post in a community of node A;
/// A's moderator sees the report, removes the post (tombstoned on B too), warns and bans a member
/// of B; the ban reaches B, whose member can then no longer post there.
@Suite(.serialized) struct ModerationFederationTests {
    @Test(.timeLimit(.minutes(1))) func reportRemoveWarnAndBanAcrossNodes() async throws {
        let f = try FederationFixture(nodes: 2)
        let accountsOfA = PraxisNodeSetupForTests.Handle(store: try NodeStore(directory: f.directory(0))).accounts
        try accountsOfA.add(.init(username: "mod", password: "correct horse battery", role: .moderator))
        try accountsOfA.add(.init(username: "root", password: "correct horse battery", role: .admin))
        try f.addMember("alice", on: 0)
        try f.addMember("bob", on: 1)
        try f.addMember("carol", on: 1)
        try f.addCommunity("practice", on: 0)
        try f.startAll()
        defer { Task { await f.stopAll() } }
        let community = f.base(0) + "/communities/practice"
        let bobID = f.base(1) + "/users/bob"
        let client = f.node(0).federation.client

        @Sendable func call(_ node: Int, _ method: HTTPMethod, _ path: String, token: String? = nil, body: JSON? = nil)
            async throws -> (HTTPStatus, JSON)
        {
            var headers: HTTPHeaders = ["Accept": "application/json"]
            if let token { headers["Authorization"] = "Bearer \(token)" }
            if body != nil { headers["Content-Type"] = "application/json" }
            let response = try await client.send(HTTPClientRequest(
                method: method, url: f.base(node) + "/api/v1" + path, headers: headers, body: body?.serializedBytes() ?? []))
            return (response.status, response.body.isEmpty ? .null : try JSON.parse(response.body))
        }
        func signIn(_ node: Int, _ name: String) async throws -> String {
            let (_, answer) = try await call(node, .post, "/auth/sign-in",
                                             body: ["username": .string(name), "password": "correct horse battery"])
            guard let token = answer["token"]?.stringValue else { throw CancellationError() }
            return token
        }

        try await f.node(0).federation.social.follow(member: "alice", target: community)
        try await f.join([(1, "bob"), (1, "carol")], community: community)
        let alicePost = try await f.node(0).federation.social.post(
            member: "alice", community: community, content: "Buy from my brother-in-law, he is cheaper.", name: "Tip")
        let bobPost = try await f.node(1).federation.social.post(
            member: "bob", community: community, content: "Spam spam spam", name: "Offer")
        try await f.eventually("alice's post reaches node B and bob's reaches node A") {
            let onB = try await f.read(1) { db in try ObjectRepository(db).find(id: alicePost.id) } != nil
            let onA = try await f.read(0) { db in try ObjectRepository(db).find(id: bobPost.id) } != nil
            return onB && onA
        }

        // Carol (node B) reports alice's post; the Flag goes to node A from B's node actor.
        let carol = try await signIn(1, "carol")
        let (reportStatus, receipt) = try await call(1, .post, "/reports", token: carol, body: [
            "object": .string(alicePost.id), "reason": "Favours a relative: conflict of interest",
        ])
        #expect(reportStatus == .accepted)
        #expect(receipt["sent"] == true)
        #expect(receipt["community"] == .string(community))
        #expect(try await call(1, .post, "/reports", token: carol, body: ["object": .string(alicePost.id)]).0
            == .unprocessableContent)

        let mod = try await signIn(0, "mod")
        let alice = try await signIn(0, "alice")
        try await f.eventually("node A's moderator sees the report") {
            let (_, queue) = try await call(0, .get, "/communities/practice/reports", token: mod)
            return queue["reports"]?.arrayValue?.first?["object"] == .string(alicePost.id)
        }
        let (_, queue) = try await call(0, .get, "/communities/practice/reports", token: mod)
        let report = try #require(queue["reports"]?.arrayValue?.first)
        let reportID = try #require(report["id"]?.intValue)
        #expect(report["reason"] == "Favours a relative: conflict of interest")
        #expect(report["node"] == .string(f.domain(1)))
        #expect(report["reporter"] == nil)  // the reporter's identity stays on node B
        #expect(report["account"] == .string(f.base(0) + "/users/alice"))

        // A member who does not moderate is refused.
        #expect(try await call(0, .get, "/communities/practice/reports", token: alice).0 == .forbidden)
        #expect(try await call(0, .post, "/reports/\(reportID)/resolve", token: alice, body: ["action": "dismiss"]).0
            == .forbidden)

        let (resolveStatus, _) = try await call(0, .post, "/reports/\(reportID)/resolve", token: mod, body: [
            "action": "remove", "reason": "Conflict of interest",
        ])
        #expect(resolveStatus == .noContent)
        #expect(try await call(0, .post, "/reports/\(reportID)/resolve", token: mod, body: ["action": "dismiss"]).0
            == .conflict)
        #expect(try await f.read(0) { db in try ObjectRepository(db).find(id: alicePost.id)?.deletedAt } != nil)
        try await f.eventually("the removed post is a tombstone on node B") {
            try await f.read(1) { db in try ObjectRepository(db).find(id: alicePost.id)?.deletedAt } != nil
        }

        // A removal without a report, of a post written on node B: its origin tombstones it too.
        let (removeStatus, _) = try await call(0, .post, "/communities/practice/removals", token: mod, body: [
            "object": .string(bobPost.id), "reason": "Advertising",
        ])
        #expect(removeStatus == .noContent)
        try await f.eventually("bob's removed post is a tombstone on his own node") {
            try await f.read(1) { db in try ObjectRepository(db).find(id: bobPost.id)?.deletedAt } != nil
        }

        // A warning reaches bob on node B.
        let (warnStatus, _) = try await call(0, .post, "/communities/practice/warnings", token: mod, body: [
            "account": .string(bobID), "reason": "No advertising here, please.",
        ])
        #expect(warnStatus == .noContent)
        let bob = try await signIn(1, "bob")
        try await f.eventually("bob sees the warning") {
            let (_, warnings) = try await call(1, .get, "/me/warnings", token: bob)
            return warnings["warnings"]?.arrayValue?.first?["reason"] == "No advertising here, please."
        }

        // The ban: bob leaves the members on A, node B learns it, and bob's next post is refused.
        let (banStatus, _) = try await call(0, .post, "/communities/practice/bans", token: mod, body: [
            "account": .string(bobID), "reason": "Repeated advertising",
        ])
        #expect(banStatus == .noContent)
        #expect(try await f.read(0) { db in try FollowRepository(db).find(follower: bobID, followed: community) } == nil)
        try await f.eventually("node B records the ban") {
            try await f.read(1) { db in try ModerationRepository(db).findBan(community: community, actor: bobID) } != nil
        }
        let (postStatus, refusal) = try await call(1, .post, "/posts", token: bob, body: [
            "community": .string(community), "content": "Still selling!",
        ])
        #expect(postStatus == .forbidden)
        #expect(refusal["error"]?["message"]?.stringValue?.contains("banned") == true)
        await #expect(throws: CommunityError.self) {
            try await f.node(1).federation.social.follow(member: "bob", target: community)
        }

        // The log: moderators see everything; members see nothing until removals are made public,
        // then only removals, without moderator or report.
        let (_, log) = try await call(0, .get, "/communities/practice/moderation-log", token: mod)
        #expect(log["entries"]?.arrayValue?.compactMap { $0["action"]?.stringValue } == ["ban", "warn", "remove", "remove"])
        #expect(log["entries"]?.arrayValue?.first?["moderator"] == .string(f.base(0) + "/users/mod"))
        #expect(log["entries"]?.arrayValue?.last?["report"]?.intValue == reportID)
        #expect(try await call(0, .get, "/communities/practice/moderation-log", token: alice).0 == .forbidden)
        // The setting is the community's managers' (and node admins') choice, not a moderator's.
        #expect(try await call(0, .post, "/communities/practice/moderation-settings", token: mod,
                               body: ["publicRemovals": true]).0 == .forbidden)
        let root = try await signIn(0, "root")
        #expect(try await call(0, .post, "/communities/practice/moderation-settings", token: root,
                               body: ["publicRemovals": true]).0 == .noContent)
        let (memberLogStatus, memberLog) = try await call(0, .get, "/communities/practice/moderation-log", token: alice)
        #expect(memberLogStatus == .ok)
        let shown = memberLog["entries"]?.arrayValue ?? []
        #expect(shown.count == 2)
        #expect(shown.allSatisfy { $0["action"] == "remove" && $0["moderator"] == nil && $0["report"] == nil })

        // Lifting the ban reaches node B.
        #expect(try await call(0, .delete, "/communities/practice/bans?account=" + FormURLEncoding.percentEncode(bobID),
                               token: mod).0 == .noContent)
        try await f.eventually("node B forgets the ban") {
            try await f.read(1) { db in try ModerationRepository(db).findBan(community: community, actor: bobID) } == nil
        }
    }
}
