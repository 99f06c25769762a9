import Foundation
import PraxisCommunity
import PraxisStorage
import Testing

/// Notifications on one node: each kind is recorded where its change is stored, never for the
/// actor's own action, never about content the recipient may not read; counts, marking read and
/// cursor pagination.
///
/// Members of `APITestNode`: `ada` (admin, owner of members-only `secret`), `mo` (node moderator),
/// `ana` (owner of public `cloud`), `bob`, `cleo`; `club` is members-only by invitation.
@Suite struct NotificationServiceTests {
    func setUp() async throws -> (APITestNode, NotificationService) {
        let node = try APITestNode()
        for member in ["ana", "bob", "cleo"] { try await node.accept(member, in: "cloud") }
        return (node, NotificationService(store: node.store, urls: node.federation.context.urls))
    }

    /// (kind, actor, object) of each notification of `member`, newest first.
    func summary(_ service: NotificationService, _ member: String) async throws -> [String] {
        try await service.list(member: member, limit: 100).items.map {
            "\($0.record.kind.rawValue) \($0.record.actor.split(separator: "/").last ?? "")"
        }
    }

    @Test func repliesNotifyTheParentAndThreadAuthorsButNeverTheReplier() async throws {
        let (node, service) = try await setUp()
        let social = node.federation.social
        let cloud = node.community("cloud")
        let thread = try await social.post(member: "bob", community: cloud, content: "Framework lots?", name: "Lots")
        let first = try await social.post(member: "cleo", community: cloud, content: "Sum them.", inReplyTo: thread.id)
        let second = try await social.post(member: "ana", community: cloud, content: "Agreed.", inReplyTo: first.id)
        _ = try await social.post(member: "bob", community: cloud, content: "Thanks!", inReplyTo: thread.id)

        #expect(try await summary(service, "bob") == ["reply ana", "reply cleo"])
        #expect(try await summary(service, "cleo") == ["reply ana"])
        #expect(try await summary(service, "ana").isEmpty)
        let newest = try #require(try await service.list(member: "bob").items.first)
        #expect(newest.record.object == second.id)
        #expect(newest.record.thread == thread.id)
        #expect(newest.record.community == cloud)
        #expect(newest.title == "Lots")
        #expect(try await service.unreadCount(member: "bob") == 2)
    }

    @Test func mentionsNotifyLocalMembersWhoMayReadThePost() async throws {
        let (node, service) = try await setUp()
        let social = node.federation.social
        let post = try await social.post(
            member: "bob", community: node.community("cloud"),
            content: "Ask @cleo and @ana@praxis.test. Not me (@bob), not mail@cleo.org, not @zed@other.example.", name: "Q")
        #expect(try await summary(service, "cleo") == ["mention bob"])
        #expect(try await summary(service, "ana") == ["mention bob"])
        #expect(try await summary(service, "bob").isEmpty)
        // An edit that adds a mention notifies the newly named member only; the others once.
        try await social.edit(member: "bob", objectID: post.id, content: "Ask @cleo, @ana@praxis.test and @mo.")
        #expect(try await summary(service, "mo") == ["mention bob"])
        #expect(try await summary(service, "cleo") == ["mention bob"])

        // Members-only: outsiders named in a post hear nothing of it; the owner and members do.
        try await node.accept("bob", in: "secret")
        let secret = try await social.post(member: "bob", community: node.community("secret"),
                                           content: "@cleo @ada @sam see this", name: "Confidential")
        #expect(try await summary(service, "cleo") == ["mention bob"])
        #expect(try await summary(service, "sam").isEmpty)
        let adaItems = try await service.list(member: "ada").items
        #expect(adaItems.map(\.record.object) == [secret.id])
        #expect(adaItems.first?.title == "Confidential")
    }

    @Test func acceptedAnswersNotifyTheirAuthor() async throws {
        let (node, service) = try await setUp()
        let social = node.federation.social
        let cloud = node.community("cloud")
        let question = try await social.post(member: "bob", community: cloud, content: "Threshold?", name: "Thresholds",
                                             kind: .question)
        let answer = try await social.post(member: "cleo", community: cloud, content: "EUR 143,000.", inReplyTo: question.id)
        try await social.acceptAnswer(member: "bob", question: question.id, answer: answer.id)
        let items = try await service.list(member: "cleo").items
        #expect(items.map(\.record.kind) == [.acceptedAnswer])
        #expect(items.first?.record.object == answer.id)
        #expect(items.first?.title == "Thresholds")
        // The asker's own answer accepted: nothing to tell.
        let own = try await social.post(member: "bob", community: cloud, content: "Found it.", inReplyTo: question.id)
        try await social.acceptAnswer(member: "bob", question: question.id, answer: own.id)
        #expect(try await summary(service, "bob") == ["reply cleo"])
    }

    @Test func invitationsAndJoinDecisionsNotifyTheMember() async throws {
        let (node, service) = try await setUp()
        let membership = MembershipService(context: node.federation.context)
        try await membership.invite(manager: "ada", community: "club", invitee: "cleo", note: "Join us")
        let invitation = try #require(try await service.list(member: "cleo").items.first?.record)
        #expect(invitation.kind == .invitation)
        #expect(invitation.actor == node.person("ada"))
        #expect(invitation.community == node.community("club"))

        for member in ["bob", "cleo"] {
            try await node.federation.social.follow(member: member, target: node.community("secret"))
        }
        try await membership.decide(manager: "ada", community: "secret", follower: node.person("bob"), accept: true)
        try await membership.decide(manager: "ada", community: "secret", follower: node.person("cleo"), accept: false)
        #expect(try await summary(service, "bob") == ["joinAccepted ada"])
        #expect(try await summary(service, "cleo") == ["joinRejected ada", "invitation ada"])
        // Nobody hears about their own decision.
        try await node.federation.social.follow(member: "mo", target: node.community("secret"))
        try await membership.decide(manager: "mo", community: "secret", follower: node.person("mo"), accept: true)
        #expect(try await summary(service, "mo").isEmpty)
    }

    @Test func moderationActionsNotifyTheirTarget() async throws {
        let (node, service) = try await setUp()
        let moderation = ModerationService(context: node.federation.context)
        let post = try await node.federation.social.post(member: "cleo", community: node.community("cloud"),
                                                         content: "Buy now", name: "Offer")
        try await moderation.warn(moderator: "mo", community: "cloud", member: "cleo", reason: "No offers", object: post.id)
        try await moderation.remove(moderator: "ana", community: "cloud", object: post.id, reason: "advertising")
        try await moderation.ban(moderator: "mo", community: "cloud", member: "cleo", reason: "spam")
        #expect(try await summary(service, "cleo") == ["ban mo", "removal ana", "warning mo"])
        let items = try await service.list(member: "cleo").items
        // The removed post's title is gone with it.
        #expect(items.allSatisfy { $0.title == nil })
        #expect(items.map(\.record.community) == Array(repeating: node.community("cloud"), count: 3))
        // A moderator deleting their own post is not a removal to be told about.
        let own = try await node.federation.social.post(member: "ana", community: node.community("cloud"), content: "x")
        try await moderation.remove(moderator: "ana", community: "cloud", object: own.id, reason: "")
        #expect(try await summary(service, "ana").isEmpty)
    }

    @Test func unreadCountsMarkingReadAndPagination() async throws {
        let (node, service) = try await setUp()
        let social = node.federation.social
        let thread = try await social.post(member: "bob", community: node.community("cloud"), content: "Hi", name: "Hello")
        for index in 1...5 {
            _ = try await social.post(member: "cleo", community: node.community("cloud"), content: "Reply \(index)",
                                      inReplyTo: thread.id)
        }
        #expect(try await service.unreadCount(member: "bob") == 5)
        let first = try await service.list(member: "bob", limit: 2)
        #expect(first.items.count == 2)
        let cursor = try #require(first.nextBefore)
        let second = try await service.list(member: "bob", before: cursor, limit: 2)
        let secondCursor = try #require(second.nextBefore)
        let third = try await service.list(member: "bob", before: secondCursor, limit: 2)
        #expect(third.items.count == 1)
        #expect(third.nextBefore == nil)
        let ids = (first.items + second.items + third.items).map(\.record.id)
        #expect(ids == ids.sorted(by: >))
        #expect(Set(ids).count == 5)

        #expect(try await service.markRead(member: "bob", .ids([ids[0]])) == 1)
        #expect(try await service.markRead(member: "bob", .ids([ids[0]])) == 0)
        // Another member's ids are not theirs to mark.
        #expect(try await service.markRead(member: "cleo", .ids([ids[1]])) == 0)
        #expect(try await service.list(member: "bob", unreadOnly: true).items.map(\.record.id) == Array(ids.dropFirst()))
        #expect(try await service.markRead(member: "bob", .upTo(ids[3])) == 2)
        #expect(try await service.unreadCount(member: "bob") == 2)
        #expect(try await service.markRead(member: "bob", .all) == 2)
        #expect(try await service.unreadCount(member: "bob") == 0)
        #expect(try await service.list(member: "bob").items.allSatisfy { $0.record.isRead })

        await #expect(throws: CommunityError(.invalid, "limit must be a whole number from 1 to 100")) {
            try await service.list(member: "bob", limit: 0)
        }
        await #expect(throws: CommunityError(.invalid, "give 1 to 500 notification ids")) {
            try await service.markRead(member: "bob", .ids([]))
        }
    }

    @Test func feedTokensRotateAndRevoke() async throws {
        let (node, service) = try await setUp()
        _ = try await node.federation.social.post(member: "cleo", community: node.community("cloud"), content: "@bob hi")
        let token = try await service.rotateFeedToken(member: "bob")
        #expect(token.utf8.count == 43)
        #expect(service.feedURL(token: token) == "https://praxis.test/feeds/\(token).atom")
        let feed = try await service.feed(token: token)
        #expect(feed.account.actor.username == "bob")
        #expect(feed.items.map(\.record.kind) == [.mention])
        // Only the hash is stored.
        let stored = try await node.store.database.read { db in
            try db.query("SELECT token_hash FROM feed_tokens").map { try $0.get("token_hash", as: [UInt8].self) }
        }
        #expect(stored.count == 1)
        #expect(stored.first != Array(token.utf8))

        let rotated = try await service.rotateFeedToken(member: "bob")
        #expect(rotated != token)
        await #expect(throws: CommunityError(.notFound, "no feed here")) { try await service.feed(token: token) }
        _ = try await service.feed(token: rotated)
        #expect(try await service.revokeFeedToken(member: "bob"))
        #expect(try await service.revokeFeedToken(member: "bob") == false)
        for bad in [rotated, "", "short", String(repeating: "A", count: 43)] {
            await #expect(throws: CommunityError(.notFound, "no feed here")) { try await service.feed(token: bad) }
        }
    }
}
