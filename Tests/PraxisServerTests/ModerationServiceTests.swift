import Foundation
import PraxisCommunity
import PraxisHTTP
import PraxisJSON
import PraxisStorage
import Testing

/// Moderation on one node: reports into the queue, who may see and resolve them, warnings, bans
/// and their effect on joining and posting, suspensions, and the API's refusals.
///
/// Members of `APITestNode`: `ada` (admin), `mo` (node moderator), `ana` (owner of `cloud`),
/// `bob`, `cleo`; `secret` is members-only.
@Suite struct ModerationServiceTests {
    func setUp() async throws -> (APITestNode, ModerationService, StoredObject) {
        let node = try APITestNode()
        for member in ["ana", "bob", "cleo"] { try await node.accept(member, in: "cloud") }
        let post = try await node.federation.social.post(member: "bob", community: node.community("cloud"),
                                                         content: "Off-topic advertising", name: "Offer")
        return (node, ModerationService(context: node.federation.context), post)
    }

    @Test func reportsReachTheQueueOfTheCommunitysModeratorsOnly() async throws {
        let (node, moderation, post) = try await setUp()
        let receipt = try await moderation.report(member: "cleo", object: post.id, account: nil, community: nil,
                                                  reason: "  advertising  ")
        #expect(receipt.sent == false)
        #expect(receipt.community == node.community("cloud"))
        let memberReport = try await moderation.report(member: "cleo", object: nil, account: "bob", community: "cloud",
                                                       reason: "rude to others")
        for moderator in ["ana", "mo", "ada"] {
            let queue = try await moderation.reports(moderator: moderator, community: "cloud")
            #expect(queue.map(\.id) == [receipt.id, memberReport.id].compactMap { $0 })
            #expect(queue.first?.reason == "advertising")
            #expect(queue.first?.reporter == node.person("cleo"))
            #expect(queue.first?.target == node.person("bob"))
            #expect(queue.last?.object == nil)
        }
        await #expect(throws: CommunityError(.forbidden, "only the moderators of Cloud can do this")) {
            try await moderation.reports(moderator: "cleo", community: "cloud")
        }
        // A members-only community does not exist for outsiders.
        await #expect(throws: CommunityError(.notFound, "no community named \"secret\" on this node")) {
            try await moderation.reports(moderator: "bob", community: "secret")
        }
        await #expect(throws: CommunityError(.invalid, "you cannot report yourself")) {
            try await moderation.report(member: "bob", object: post.id, account: nil, community: nil, reason: "me")
        }
        await #expect(throws: CommunityError(.invalid, "a reason must have at most 1000 characters")) {
            try await moderation.report(member: "cleo", object: post.id, account: nil, community: nil,
                                        reason: String(repeating: "x", count: 1_001))
        }
        await #expect(throws: CommunityError(.invalid, "give a reason")) {
            try await moderation.report(member: "cleo", object: post.id, account: nil, community: nil, reason: " ")
        }
        await #expect(throws: CommunityError.self) {
            try await moderation.report(member: "cleo", object: "https://praxis.test/objects/none", account: nil,
                                        community: nil, reason: "x")
        }
    }

    @Test func resolvingWarnsRemovesOrDismissesOnceAndLogsIt() async throws {
        let (node, moderation, post) = try await setUp()
        let first = try #require(try await moderation.report(
            member: "cleo", object: post.id, account: nil, community: nil, reason: "advertising").id)
        let second = try #require(try await moderation.report(
            member: "ana", object: nil, account: "bob", community: "cloud", reason: "spamming").id)
        await #expect(throws: CommunityError(.forbidden, "only the moderators of Cloud can do this")) {
            try await moderation.resolve(moderator: "cleo", reportID: first, action: .dismiss, reason: nil)
        }
        await #expect(throws: CommunityError(.invalid, "report \(second) names no post; ban, warn or dismiss instead")) {
            try await moderation.resolve(moderator: "mo", reportID: second, action: .remove, reason: nil)
        }
        try await moderation.resolve(moderator: "mo", reportID: second, action: .warn, reason: "Please stop posting offers")
        try await moderation.resolve(moderator: "ana", reportID: first, action: .remove, reason: nil)
        await #expect(throws: CommunityError(.conflict, "report \(first) is already resolved")) {
            try await moderation.resolve(moderator: "mo", reportID: first, action: .dismiss, reason: nil)
        }
        await #expect(throws: CommunityError(.notFound, "no report 999 on this node")) {
            try await moderation.resolve(moderator: "mo", reportID: 999, action: .dismiss, reason: nil)
        }
        let removed = try await node.store.database.read { db in try ObjectRepository(db).find(id: post.id) }
        #expect(removed?.deletedAt != nil)
        #expect(removed?.content == "")

        let warnings = try await moderation.warnings(member: "bob")
        #expect(warnings.map(\.reason) == ["Please stop posting offers"])
        #expect(warnings.first?.community == node.community("cloud"))
        #expect(try await moderation.warnings(member: "cleo").isEmpty)

        let queue = try await moderation.reports(moderator: "mo", community: "cloud", includeResolved: true)
        #expect(queue.map(\.resolution) == ["remove", "warn"])
        #expect(try await moderation.reports(moderator: "mo", community: "cloud").isEmpty)
        let log = try await moderation.log(viewer: "ada", community: "cloud")
        #expect(log.map(\.action) == ["remove", "warn"])
        #expect(log.first?.moderator == node.person("ana"))
        #expect(log.first?.reportID == first)
        #expect(log.first?.reason == "advertising")
        // Members see nothing until the community shows removals; then removals only, anonymously.
        await #expect(throws: CommunityError.self) { try await moderation.log(viewer: "cleo", community: "cloud") }
        await #expect(throws: CommunityError(.forbidden, "only the owner or a manager of Cloud can change this setting")) {
            try await moderation.setPublicRemovals(true, community: "cloud", by: "mo")
        }
        try await moderation.setPublicRemovals(true, community: "cloud", by: "ana")
        let shown = try await moderation.log(viewer: "cleo", community: "cloud")
        #expect(shown.map(\.action) == ["remove"])
        #expect(shown.first?.moderator == "")
        #expect(shown.first?.reportID == nil)
    }

    @Test func aBanEndsMembershipAndRefusesJoiningAndPostingUntilLifted() async throws {
        let (node, moderation, _) = try await setUp()
        let cloud = node.community("cloud")
        await #expect(throws: CommunityError(.forbidden, "only the moderators of Cloud can do this")) {
            try await moderation.ban(moderator: "cleo", community: "cloud", member: "bob", reason: "")
        }
        await #expect(throws: CommunityError(.forbidden, "the owner of Cloud cannot be banned from it")) {
            try await moderation.ban(moderator: "mo", community: "cloud", member: "ana", reason: "")
        }
        try await moderation.ban(moderator: "mo", community: "cloud", member: "bob", reason: "spam")
        #expect(try await node.store.database.read { db in
            try FollowRepository(db).find(follower: node.person("bob"), followed: cloud)
        } == nil)
        await #expect(throws: CommunityError(.forbidden, "you are banned from \(cloud)")) {
            try await node.federation.social.follow(member: "bob", target: cloud)
        }
        await #expect(throws: CommunityError(.forbidden, "you are banned from \(cloud)")) {
            try await node.federation.social.post(member: "bob", community: cloud, content: "again")
        }
        let bans = try await moderation.bans(moderator: "ana", community: "cloud")
        #expect(bans.map(\.actor) == [node.person("bob")])
        #expect(bans.first?.reason == "spam")

        // Through the API: the refusal says why.
        let bob = try await node.signIn("bob")
        let join = try await node.call(.post, "/communities/cloud/join", token: bob)
        #expect(join.status == .forbidden)
        #expect(errorMessage(join) == "you are banned from Cloud")

        try await moderation.unban(moderator: "mo", community: "cloud", member: node.person("bob"))
        await #expect(throws: CommunityError(.notFound, "\(node.person("bob")) is not banned from Cloud")) {
            try await moderation.unban(moderator: "mo", community: "cloud", member: "bob")
        }
        let follow = try await node.federation.social.follow(member: "bob", target: cloud)
        #expect(follow.state == .accepted)
        #expect(try await moderation.log(viewer: "mo", community: "cloud").map(\.action) == ["unban", "ban"])
    }

    @Test func nodeModeratorsSuspendAccountsAndTheNodeLogRecordsIt() async throws {
        let (node, moderation, _) = try await setUp()
        await #expect(throws: CommunityError(.forbidden, "only the node's admins and moderators can suspend accounts")) {
            try await moderation.setSuspended(true, username: "bob", by: "cleo", reason: "")
        }
        await #expect(throws: CommunityError(.forbidden, "only an admin can suspend an admin")) {
            try await moderation.setSuspended(true, username: "ada", by: "mo", reason: "")
        }
        await #expect(throws: CommunityError(.invalid, "you cannot suspend yourself")) {
            try await moderation.setSuspended(true, username: "mo", by: "mo", reason: "")
        }
        try await moderation.setSuspended(true, username: "bob", by: "mo", reason: "fraud attempt")
        #expect(try await node.store.database.read { db in try AccountRepository(db).find(username: "bob")?.status }
            == .suspended)
        try await moderation.setSuspended(false, username: "bob", by: "ada", reason: "")
        let log = try await moderation.nodeLog(moderator: "ada")
        #expect(log.map(\.action) == ["reinstate", "suspend"])
        #expect(log.last?.reason == "fraud attempt")
        await #expect(throws: CommunityError.self) { try await moderation.nodeLog(moderator: "cleo") }
    }

    @Test func theAPIRefusesClearly() async throws {
        let (node, _, post) = try await setUp()
        let cleo = try await node.signIn("cleo")
        let mo = try await node.signIn("mo")
        var response = try await node.call(.post, "/reports", token: cleo, body: ["reason": "bad"])
        #expect(response.status == .unprocessableContent)
        #expect(errorField(response) == "object")
        response = try await node.call(.post, "/reports", token: cleo, body: ["object": .string(post.id)])
        #expect(response.status == .unprocessableContent)
        #expect(errorField(response) == "reason")
        response = try await node.call(.post, "/reports", token: cleo, body: ["object": .string(post.id), "reason": "ad"])
        #expect(response.status == .created)
        let id = try #require(try json(response)["id"]?.intValue)
        #expect(try await node.call(.get, "/communities/cloud/reports", token: cleo).status == .forbidden)
        #expect(try await node.call(.get, "/communities/cloud/reports?state=closed", token: mo).status == .badRequest)
        #expect(try await node.call(.get, "/communities/nowhere/reports", token: mo).status == .notFound)
        response = try await node.call(.post, "/reports/\(id)/resolve", token: mo, body: ["action": "explode"])
        #expect(response.status == .unprocessableContent)
        #expect(try await node.call(.post, "/reports/abc/resolve", token: mo, body: ["action": "dismiss"]).status == .notFound)
        #expect(try await node.call(.post, "/reports/\(id)/resolve", token: mo, body: ["action": "dismiss"]).status
            == .noContent)
        #expect(try await node.call(.delete, "/communities/cloud/bans", token: mo).status == .badRequest)
        #expect(try await node.call(.post, "/communities/cloud/bans", token: cleo, body: ["account": "bob"]).status
            == .forbidden)
        #expect(try await node.call(.post, "/accounts/bob/suspend", token: cleo, body: [:]).status == .forbidden)
        #expect(try await node.call(.post, "/accounts/bob/suspend", token: mo, body: ["reason": "x"]).status == .ok)
        response = try await node.call(.get, "/me/warnings", token: cleo)
        #expect(response.status == .ok)
        #expect(try json(response)["warnings"] == .array([]))
        response = try await node.call(.get, "/communities/cloud/moderation-log", token: mo)
        #expect(try json(response)["entries"]?.arrayValue?.map { $0["action"] } == ["dismiss"])
        #expect(try json(response)["publicRemovals"] == false)
    }
}
