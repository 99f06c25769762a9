import Foundation
import PraxisCommunity
import PraxisFederation
import PraxisServer
import PraxisSQLite
import PraxisStorage
import PraxisTestSupport
import Testing

/// Who may take part: registration policy, codes of conduct, and external experts invited for
/// one topic with an end date.
@Suite(.serialized) struct RegistrationAndInvitationTests {
    @Test func registrationAdmitsPractitionersOnly() async throws {
        let f = try FederationFixture(nodes: 1)
        let store = try NodeStore(directory: f.directory(0))
        let registration = RegistrationService(store: store, passwordCost: .testing)
        #expect(try registration.policy().mode == .approval)
        try registration.configure(mode: .approval, emailDomains: ["*.gouv.fr", "achats.example"])
        #expect(throws: CommunityError.self) {
            try registration.configure(mode: .approval, emailDomains: ["not a domain"])
        }
        #expect {
            try registration.register(username: "vendor", password: "a long passphrase", email: "sales@vendor.example",
                                      affiliation: .supplier)
        } throws: { ($0 as? CommunityError)?.message.contains("suppliers cannot register") == true }
        let buyer = try registration.register(username: "ana", password: "a long passphrase", email: "ana@dae.gouv.fr",
                                              affiliation: .buyer)
        #expect(buyer.status == .active)
        let outsider = try registration.register(username: "bob", password: "a long passphrase", email: "bob@mairie.example",
                                                 affiliation: .buyer)
        #expect(outsider.status == .pending)
        try registration.configure(mode: .invitation, emailDomains: ["achats.example"])
        #expect(throws: CommunityError.self) {
            try registration.register(username: "carl", password: "a long passphrase", email: "carl@else.example",
                                      affiliation: .buyer)
        }
        try registration.configure(mode: .closed, emailDomains: [])
        #expect(throws: CommunityError.self) {
            try registration.register(username: "dina", password: "a long passphrase", email: "dina@achats.example",
                                      affiliation: .buyer)
        }
        let accounts = try AccountService(store: store).list().map(\.actor.username)
        #expect(accounts == ["ana", "bob"], "refused registrations leave nothing behind")
    }

    @Test(.timeLimit(.minutes(1))) func codeOfConductMustBeAcceptedBeforePosting() async throws {
        let f = try FederationFixture(nodes: 1)
        try f.addMember("ana", on: 0)
        try f.addCommunity("practice", on: 0)
        let conduct = ConductService(store: try NodeStore(directory: f.directory(0)))
        let nodeCode = try conduct.publish(text: "Speak on your own behalf; no commercial solicitation.")
        let communityCode = try conduct.publish(text: "Share cases without naming bidders.", community: "practice")
        try f.start(0)
        defer { Task { await f.stopAll() } }
        let community = f.base(0) + "/communities/practice"
        let social = f.node(0).federation.social
        try await social.follow(member: "ana", target: community)
        await #expect(throws: CommunityError.self) { try await social.post(member: "ana", community: community, content: "Hi") }
        try conduct.accept(member: "ana", version: nodeCode.version)
        await #expect(throws: CommunityError.self) { try await social.post(member: "ana", community: community, content: "Hi") }
        #expect(throws: CommunityError.self) { try conduct.accept(member: "ana", community: "practice", version: 99) }
        try conduct.accept(member: "ana", community: "practice", version: communityCode.version)
        _ = try await social.post(member: "ana", community: community, content: "Hi")
        // A new version must be accepted again.
        _ = try conduct.publish(text: "Version 2: also no personal data.")
        await #expect(throws: CommunityError.self) { try await social.post(member: "ana", community: community, content: "Again") }
    }

    @Test(.timeLimit(.minutes(1))) func anExpertInvitedForOneTopicStaysInItUntilTheEndDate() async throws {
        let f = try FederationFixture(nodes: 2)
        try f.addMember("manager", on: 0)
        try f.addMember("member", on: 0)
        try f.addMember("peer", on: 1)
        try f.addCommunity("works", on: 0)
        try f.addCommunity("other", on: 0)
        try await NodeStore(directory: f.directory(0)).database.write { db in
            try db.run("UPDATE accounts SET role = 'moderator' WHERE actor_id = (SELECT id FROM actors WHERE username = 'manager')")
        }
        try f.startAll()
        defer { Task { await f.stopAll() } }
        let works = f.base(0) + "/communities/works"
        let social = f.node(0).federation.social
        try await social.follow(member: "member", target: works)
        // A member of another node follows the community too, and sees what the expert writes.
        try await f.node(1).federation.social.follow(member: "peer", target: works)
        try await f.eventually("the peer joins") {
            try await f.read(1) { db in
                try FollowRepository(db).find(follower: f.base(1) + "/users/peer", followed: works)?.state == .accepted
            }
        }
        let tagged = try await social.post(member: "member", community: works, content: "Asbestos survey clauses?",
                                           kind: .question, tags: ["asbestos"])
        let untagged = try await social.post(member: "member", community: works, content: "Unrelated thread")

        let invitations = InvitationService(context: f.node(0).federation.context, passwordCost: .testing)
        #expect(throws: CommunityError.self) {
            try invitations.inviteExpert(manager: "member", community: "works", topic: "asbestos", validFor: 3600)
        }
        let created = try invitations.inviteExpert(manager: "manager", community: "works", topic: "asbestos", validFor: 3600)
        #expect(created.url.hasSuffix(created.token))
        let stored = try await f.read(0) { db in try db.scalar(Int.self, "SELECT count(*) FROM invitations WHERE instr(CAST(token_hash AS TEXT), 'x') >= 0") ?? 0 }
        #expect(stored == 1)
        let expert = try invitations.redeem(token: created.token, username: "lawyer", password: "a long passphrase",
                                            displayName: "Maître Legal", email: nil)
        #expect(expert.affiliation == .expert)
        #expect {
            try invitations.redeem(token: created.token, username: "lawyer2", password: "a long passphrase", displayName: nil, email: nil)
        } throws: { ($0 as? CommunityError)?.message.contains("already used") == true }
        #expect(throws: CommunityError.self) {
            try invitations.redeem(token: "not-a-token", username: "x", password: "a long passphrase", displayName: nil, email: nil)
        }

        // Inside the topic: a reply in the tagged thread, or a new thread carrying the tag. Both
        // federate like any member's posts.
        let reply = try await social.post(member: "lawyer", community: works, content: "Cite the 2012 decree.", inReplyTo: tagged.id)
        try await f.eventually("the expert's reply reaches the other node") {
            try await f.read(1) { db in try ObjectRepository(db).find(id: reply.id) } != nil
        }
        _ = try await social.post(member: "lawyer", community: works, content: "New case", tags: ["asbestos"])
        // Outside it: another thread, an untagged thread, another community.
        await #expect(throws: CommunityError.self) {
            try await social.post(member: "lawyer", community: works, content: "Off topic", inReplyTo: untagged.id)
        }
        await #expect(throws: CommunityError.self) { try await social.post(member: "lawyer", community: works, content: "Untagged") }
        await #expect(throws: CommunityError.self) { try await social.follow(member: "lawyer", target: f.base(0) + "/communities/other") }
        await #expect(throws: CommunityError.self) {
            try await social.post(member: "lawyer", community: f.base(0) + "/communities/other", content: "Elsewhere")
        }
        // Guests cannot invite.
        #expect(throws: CommunityError.self) {
            try invitations.inviteExpert(manager: "lawyer", community: "works", topic: nil, validFor: 60)
        }

        // After the end date, nothing.
        try await NodeStore(directory: f.directory(0)).database.write { db in
            try db.run("UPDATE guest_scopes SET expires_at = ?", Int64(Date().timeIntervalSince1970) - 1)
        }
        await #expect {
            try await social.post(member: "lawyer", community: works, content: "Too late", inReplyTo: tagged.id)
        } throws: { ($0 as? CommunityError)?.message.contains("ended") == true }

        // An expired link is refused with its date.
        let short = try invitations.inviteExpert(manager: "manager", community: "works", topic: nil, validFor: 60)
        #expect {
            try invitations.redeem(token: short.token, username: "late", password: "a long passphrase", displayName: nil,
                                   email: nil, now: Date().addingTimeInterval(120))
        } throws: { ($0 as? CommunityError)?.message.contains("expired") == true }
    }
}
