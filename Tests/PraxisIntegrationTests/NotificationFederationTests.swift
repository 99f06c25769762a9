import Foundation
import PraxisCommunity
import PraxisServer
import PraxisStorage
import PraxisTestSupport
import Testing

/// Notifications across two real nodes: a reply written on the community's node reaches the
/// thread author's node and notifies them there; a mention of a member of the community's node,
/// written on another node, notifies that member on their own node.
@Suite(.serialized) struct NotificationFederationTests {
    static func notifications(_ f: FederationFixture, node: Int, member: String) async throws -> [NotificationService.Item] {
        let context = f.node(node).federation.context
        return try await NotificationService(store: context.store, urls: context.urls).list(member: member).items
    }

    @Test(.timeLimit(.minutes(2))) func remoteRepliesAndMentionsNotifyOnTheRecipientsNode() async throws {
        let f = try FederationFixture(nodes: 2)
        let community = try f.startAll(members: [("amelie", 0), ("daan", 1)], community: "drempels", on: 1)
        defer { Task { await f.stopAll() } }
        try await f.join([(0, "amelie"), (1, "daan")], community: community)
        let amelie = f.base(0) + "/users/amelie"
        let daan = f.base(1) + "/users/daan"

        // The community's Accept is a join decision for amelie, told on her node.
        try await f.eventually("amelie hears she was accepted") {
            try await Self.notifications(f, node: 0, member: "amelie").contains { $0.record.kind == .joinAccepted }
        }

        let thread = try await f.node(0).federation.social.post(
            member: "amelie", community: community, content: "Seuils ?", name: "Seuils", kind: .question)
        try await f.eventually("the thread reaches the community") {
            try await f.read(1) { db in try ObjectRepository(db).find(id: thread.id) != nil }
        }
        let reply = try await f.node(1).federation.social.post(
            member: "daan", community: community, content: "Tel alle percelen samen.", inReplyTo: thread.id)
        try await f.eventually("amelie is told of daan's reply on her own node") {
            try await Self.notifications(f, node: 0, member: "amelie").contains { $0.record.kind == .reply }
        }
        let told = try #require(try await Self.notifications(f, node: 0, member: "amelie").first { $0.record.kind == .reply })
        #expect(told.record.actor == daan)
        #expect(told.record.object == reply.id)
        #expect(told.record.thread == thread.id)
        #expect(told.record.community == community)
        #expect(told.title == "Seuils")
        // daan wrote it: nothing for him about his own reply.
        #expect(try await Self.notifications(f, node: 1, member: "daan").isEmpty)

        let question = try await f.node(0).federation.social.post(
            member: "amelie", community: community, content: "@daan@\(f.domain(1)), une question sur les lots ?",
            name: "Lots")
        try await f.eventually("daan is told of the mention on his node") {
            try await Self.notifications(f, node: 1, member: "daan").contains { $0.record.kind == .mention }
        }
        let mention = try #require(try await Self.notifications(f, node: 1, member: "daan").first)
        #expect(mention.record.actor == amelie)
        #expect(mention.record.object == question.id)
        #expect(mention.title == "Lots")
        // amelie's own post notifies nobody on her node.
        #expect(try await Self.notifications(f, node: 0, member: "amelie").map(\.record.kind) == [.reply, .joinAccepted])
    }
}
