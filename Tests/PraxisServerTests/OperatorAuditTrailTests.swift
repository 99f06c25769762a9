import Foundation
import PraxisCommunity
import PraxisHTTP
import PraxisJSON
import PraxisStorage
import Testing

/// What operators do through the API reaches the audit log as it does from the command line:
/// suspensions and reinstatements (approving or refusing a pending registration), community roles
/// and community exclusions of nodes. Refused attempts record nothing.
@Suite struct OperatorAuditTrailTests {
    let api: APITestNode

    init() throws { api = try APITestNode() }

    func trail() async throws -> [AuditEntry] {
        try await api.store.database.read { db in try AuditRepository(db).entries() }.reversed()
    }

    func addPending(_ name: String) async throws {
        try APITestNode.addMember(name, to: api.store)
        try await api.store.database.write { db in try AccountRepository(db).setStatus(.pending, username: name) }
    }

    @Test func suspendingAndReinstatingThroughTheAPIAreAudited() async throws {
        let ada = try await api.signIn("ada")
        #expect(try await api.call(.post, "/accounts/bob/suspend", token: ada, body: ["reason": "spam"]).status.code < 300)
        #expect(try await api.call(.post, "/accounts/bob/reinstate", token: ada, body: [:]).status.code < 300)
        let entries = try await trail()
        #expect(entries.map(\.action) == ["user.suspend", "user.reinstate"])
        #expect(entries.map(\.operatorName) == ["ada", "ada"])
        #expect(entries.map(\.target) == ["bob", "bob"])
        #expect(entries.map(\.detail) == ["was active: spam", "was suspended"])
    }

    @Test func pendingRegistrationsApprovedOrRefusedThroughTheAPIAreAudited() async throws {
        try await addPending("pia")
        try await addPending("pat")
        let mo = try await api.signIn("mo")
        #expect(try await api.call(.post, "/accounts/pia/reinstate", token: mo, body: [:]).status.code < 300)
        #expect(try await api.call(.post, "/accounts/pat/suspend", token: mo, body: [:]).status.code < 300)
        let entries = try await trail()
        #expect(entries.map(\.action) == ["user.approve", "user.refuse"])
        #expect(entries.map(\.operatorName) == ["mo", "mo"])
        #expect(entries.map(\.detail) == ["was pending", "was pending"])
        let statuses = try await api.store.database.read { db in
            try ["pia", "pat"].map { try AccountRepository(db).find(username: $0)?.status }
        }
        #expect(statuses == [.active, .suspended])
    }

    @Test func refusedSuspensionsLeaveNoEntry() async throws {
        let ana = try await api.signIn("ana")
        let mo = try await api.signIn("mo")
        #expect(try await api.call(.post, "/accounts/bob/suspend", token: ana, body: [:]).status == .forbidden)
        #expect(try await api.call(.post, "/accounts/ada/suspend", token: mo, body: [:]).status == .forbidden)
        #expect(try await api.call(.post, "/accounts/ghost/suspend", token: mo, body: [:]).status == .notFound)
        #expect(try await trail().isEmpty)
    }

    @Test func communityRoleChangesAreAudited() async throws {
        try await api.accept("bob", in: "cloud")
        let memberships = MembershipService(context: api.federation.social.context)
        try await memberships.setRole(.moderator, of: "bob", in: "cloud", by: "ana")
        try await memberships.setRole(nil, of: "bob", in: "cloud", by: "ada")
        // Refused: bob does not own cloud, and cleo is no member of it.
        await #expect(throws: CommunityError.self) { try await memberships.setRole(.manager, of: "bob", in: "cloud", by: "bob") }
        await #expect(throws: CommunityError.self) { try await memberships.setRole(.manager, of: "cleo", in: "cloud", by: "ana") }
        let entries = try await trail()
        #expect(entries.map(\.action) == ["community.role", "community.role"])
        #expect(entries.map(\.operatorName) == ["ana", "ada"])
        #expect(entries.map(\.target) == ["bob in cloud", "bob in cloud"])
        #expect(entries.map(\.detail) == ["moderator", "none"])
    }

    @Test func communityExclusionsThroughTheAPIAreAudited() async throws {
        let ana = try await api.signIn("ana")
        let added = try await api.call(.post, "/communities/cloud/excluded-nodes", token: ana, body: ["domain": "spam.example"])
        #expect(added.status == .created)
        let removed = try await api.call(.delete, "/communities/cloud/excluded-nodes?domain=spam.example", token: ana)
        #expect(removed.status == .noContent)
        let entries = try await trail()
        #expect(entries.map(\.action) == ["community.exclude-node", "community.include-node"])
        #expect(entries.map(\.operatorName) == ["ana", "ana"])
        #expect(entries.map(\.detail) == ["spam.example", "spam.example"])
    }
}
