import Foundation
import PraxisCommunity
import PraxisFederation
import PraxisServer
import PraxisSQLite
import PraxisStorage
import PraxisTestSupport
import Testing

/// A question asked from one node in a community of another, answered there, the answer accepted
/// and the question edited: both nodes end up with the same thread.
@Suite(.serialized) struct QuestionAnswerTests {
    struct View: Equatable, Sendable {
        var question: String
        var questionAuthor: String
        var kind: String?
        var tags: [String]
        var language: String?
        var accepted: String?
        var replies: [String]
        var history: [String]
        var helpful: Int
    }

    static func view(_ f: FederationFixture, node: Int, question: String) async throws -> View? {
        try await f.read(node) { db -> View? in
            let objects = ObjectRepository(db)
            guard let q = try objects.find(id: question) else { return nil }
            let replies = try objects.replies(to: question)
            return View(question: q.content, questionAuthor: q.attributedTo, kind: q.kind, tags: q.tags, language: q.language,
                        accepted: q.acceptedAnswer, replies: replies.map(\.content),
                        history: try objects.revisions(of: question).map(\.content),
                        helpful: try replies.first.map { try objects.likeCount(of: $0.id) } ?? 0)
        }
    }

    @Test(.timeLimit(.minutes(2))) func askAnswerAcceptAndEditAgreeOnBothNodes() async throws {
        let f = try FederationFixture(nodes: 2)
        try f.addMember("amelie", on: 0)
        try f.addMember("daan", on: 1)
        try f.addCommunity("drempels", on: 1)
        try f.startAll()
        defer { Task { await f.stopAll() } }
        let community = f.base(1) + "/communities/drempels"
        try await f.node(0).federation.social.follow(member: "amelie", target: "@drempels@\(f.domain(1))")
        try await f.node(1).federation.social.follow(member: "daan", target: community)
        try await f.eventually("amelie joins") {
            try await f.read(0) { db in
                try FollowRepository(db).find(follower: f.base(0) + "/users/amelie", followed: community)?.state == .accepted
            }
        }

        let question = try await f.node(0).federation.social.post(
            member: "amelie", community: community, content: "Seuil pour un accord-cadre à lots ?", name: "Seuils et lots",
            kind: .question, tags: ["seuils", "accord-cadre"], language: "fr")
        try await f.eventually("the question reaches NL") { try await Self.view(f, node: 1, question: question.id) != nil }
        let reply = try await f.node(1).federation.social.post(
            member: "daan", community: community, content: "Tel de waarde van alle percelen samen.", inReplyTo: question.id,
            language: "nl")
        try await f.eventually("the reply reaches FR") { try await Self.view(f, node: 0, question: question.id)?.replies.count == 1 }

        // A reply to an unknown post is refused before anything is stored or sent.
        await #expect(throws: CommunityError.self) {
            try await f.node(1).federation.social.post(member: "daan", community: community, content: "?",
                                                       inReplyTo: f.base(1) + "/objects/unknown")
        }
        // Only the asker can accept, and only a reply to the question.
        await #expect(throws: CommunityError.self) {
            try await f.node(1).federation.social.acceptAnswer(member: "daan", question: question.id, answer: reply.id)
        }
        try await f.node(0).federation.social.acceptAnswer(member: "amelie", question: question.id, answer: reply.id)
        try await f.node(0).federation.social.edit(member: "amelie", objectID: question.id,
                                                   content: "Seuil pour un accord-cadre à plusieurs lots ?")
        try await f.node(0).federation.social.markHelpful(member: "amelie", objectID: reply.id)

        let expected = View(
            question: "<p>Seuil pour un accord-cadre à plusieurs lots ?</p>", questionAuthor: f.base(0) + "/users/amelie",
            kind: "question", tags: ["seuils", "accord-cadre"], language: "fr", accepted: reply.id,
            replies: ["<p>Tel de waarde van alle percelen samen.</p>"], history: ["<p>Seuil pour un accord-cadre à lots ?</p>"],
            helpful: 1)
        try await f.eventually("NL's view matches") { try await Self.view(f, node: 1, question: question.id) == expected }
        try await f.eventually("FR's view matches") { try await Self.view(f, node: 0, question: question.id) == expected }
        for index in 0..<2 {
            let dead = try await f.read(index) { db in try InboxRepository(db).deadLetters() }
            #expect(dead.isEmpty, "node \(index): \(dead.map(\.reason))")
        }
    }
}
