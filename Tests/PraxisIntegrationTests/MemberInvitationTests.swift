import Foundation
import PraxisCommunity
import PraxisFederation
import PraxisJSON
import PraxisServer
import PraxisSQLite
import PraxisStorage
import PraxisTestSupport
import Testing

/// A manager invites members of other nodes by handle (`Invite`); the invitee accepts (its
/// `Follow` is admitted even to an invitation-only community) or declines (`Reject`).
@Suite(.serialized) struct MemberInvitationTests {
    @Test(.timeLimit(.minutes(2))) func invitedMembersJoinAnInvitationOnlyCommunityOrDecline() async throws {
        let f = try FederationFixture(nodes: 3)
        try f.addMember("fred", on: 0)
        try f.addMember("gina", on: 0)
        try f.addMember("nina", on: 1)
        try f.addMember("esteban", on: 2)
        try f.addCommunity("club", on: 0, visibility: .members, join: .invite)
        try await NodeStore(directory: f.directory(0)).database.write { db in
            try db.run("UPDATE accounts SET role = 'moderator' WHERE actor_id = (SELECT id FROM actors WHERE username = 'fred')")
        }
        try f.startAll()
        defer { Task { await f.stopAll() } }
        let club = f.base(0) + "/communities/club"
        let nina = f.base(1) + "/users/nina"

        // Without an invitation nobody joins.
        await #expect(throws: CommunityError.self) { try await f.node(0).federation.social.follow(member: "gina", target: club) }

        let membership = f.node(0).federation.membership
        try await membership.invite(manager: "fred", community: "club", invitee: "@nina@\(f.domain(1))", note: "Welcome, Nina")
        try await membership.invite(manager: "fred", community: "club", invitee: f.base(2) + "/users/esteban")
        try await membership.invite(manager: "fred", community: "club", invitee: "gina")
        await #expect(throws: CommunityError.self) {
            try await membership.invite(manager: "gina", community: "club", invitee: "@nina@\(f.domain(1))")
        }

        try await f.eventually("nina receives the invitation") {
            try await f.node(1).federation.membership.invitations(member: "nina").count == 1
        }
        let received = try await f.node(1).federation.membership.invitations(member: "nina")
        #expect(received.first?.community == club)
        // The Invite carries fred's author proof, which NL checked on receipt and anyone can check again.
        let inviteBody = try await f.read(1) { db in
            try db.scalar([UInt8].self, "SELECT body FROM inbox_activities WHERE activity_id = ?", received[0].activityID)
        }
        let invite = try JSON.parse(try #require(inviteBody))
        #expect(invite["proof"]?["verificationMethod"]?.stringValue?.hasPrefix(f.base(0) + "/users/fred#") == true)
        #expect(try await AuthorProof.verify(invite, author: f.base(0) + "/users/fred", directory: f.node(1).federation.directory))
        var forged = invite
        forged["content"] = JSON.string("Welcome, Nina, and bring your tender files")
        await #expect(throws: ActivityRejection.self) {
            _ = try await AuthorProof.verify(forged, author: f.base(0) + "/users/fred", directory: f.node(1).federation.directory)
        }
        #expect(received.first?.note == "Welcome, Nina")
        try await f.node(1).federation.membership.respond(member: "nina", invitation: received[0].activityID, accept: true,
                                                          social: f.node(1).federation.social)
        try await f.eventually("nina is a member of the club") {
            try await f.read(1) { db in try FollowRepository(db).find(follower: nina, followed: club)?.state == .accepted }
        }

        try await f.eventually("esteban receives the invitation") {
            try await f.node(2).federation.membership.invitations(member: "esteban").count == 1
        }
        let estebans = try await f.node(2).federation.membership.invitations(member: "esteban")
        try await f.node(2).federation.membership.respond(member: "esteban", invitation: estebans[0].activityID, accept: false,
                                                          social: f.node(2).federation.social)
        try await f.eventually("FR records the decline") {
            try await f.read(0) { db in
                try db.scalar(Int.self, "SELECT count(*) FROM invitations WHERE declined_at IS NOT NULL") ?? 0
            } == 1
        }
        // The local invitee accepts directly.
        let ginas = try await f.node(0).federation.membership.invitations(member: "gina")
        try await f.node(0).federation.membership.respond(member: "gina", invitation: ginas[0].activityID, accept: true,
                                                          social: f.node(0).federation.social)
        #expect(try await f.read(0) { db in
            try FollowRepository(db).find(follower: f.base(0) + "/users/gina", followed: club)?.state
        } == .accepted)
        // Each invitation works once.
        await #expect(throws: CommunityError.self) {
            try await f.node(0).federation.membership.respond(member: "gina", invitation: ginas[0].activityID, accept: true,
                                                              social: f.node(0).federation.social)
        }
        for index in 0..<3 {
            let dead = try await f.read(index) { db in try InboxRepository(db).deadLetters() }
            #expect(dead.isEmpty, "node \(index): \(dead.map(\.reason))")
        }
    }
}
