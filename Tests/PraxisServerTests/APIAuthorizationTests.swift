import Foundation
import PraxisCommunity
import PraxisFederation
import PraxisHTTP
import PraxisServer
import PraxisStorage
import Testing

/// The permission rules of ``Authorization`` on their own, without storage.
@Suite struct APIAuthorizationTests {
    static let urls = NodeURLs(base: "https://praxis.test", domain: "praxis.test")

    static func account(_ name: String, role: AccountRole = .member, affiliation: Affiliation = .buyer,
                        status: AccountStatus = .active) -> Account {
        Account(actor: LocalActor(id: 1, kind: .person, username: name, displayName: name, summary: "", createdAt: Date()),
                role: role, affiliation: affiliation, status: status, email: nil)
    }

    static func community(_ name: String, _ visibility: CommunityVisibility, _ join: JoinPolicy, owner: String? = nil)
        -> Community
    {
        Community(actor: LocalActor(id: 2, kind: .group, username: name, displayName: name, summary: "", createdAt: Date()),
                  visibility: visibility, joinPolicy: join, ownerUsername: owner, parentUsername: nil)
    }

    static func authorization(_ account: Account, _ memberships: [String: Follow.State] = [:]) -> Authorization {
        Authorization(account: account, urls: urls, memberships: memberships)
    }

    let open = community("open", .public, .open)
    let hidden = community("hidden", .members, .approval, owner: "owner")
    let invite = community("invite", .members, .invite)
    let hiddenID = "https://praxis.test/communities/hidden"
    let openID = "https://praxis.test/communities/open"

    @Test func practitionersReadPublicCommunitiesAndPostOnlyAsMembers() {
        let ana = Self.authorization(Self.account("ana"), [openID: .accepted, hiddenID: .pending])
        #expect(ana.canSee(open) && ana.canRead(community: open))
        #expect(ana.canPost(in: openID))
        #expect(!ana.canSee(hidden) && !ana.canRead(community: hidden), "pending is not a member")
        #expect(!ana.canPost(in: hiddenID))
        #expect(ana.canJoin(hidden), "approval communities take requests")
        #expect(!ana.canJoin(invite))
        #expect(throws: CommunityError(.notFound, "no community named \"invite\" on this node")) { try ana.requireJoin(invite) }
        #expect(!ana.canCreateCommunity)
        #expect(!ana.canManage(community: open))
        #expect(ana.canListMembers(of: open))
    }

    @Test func suppliersAreKeptOutOfPractitionerCommunities() {
        let sam = Self.authorization(Self.account("sam", role: .admin, affiliation: .supplier), [openID: .accepted])
        #expect(sam.canSee(open), "the public description is public")
        #expect(!sam.canRead(community: open))
        #expect(!sam.canJoin(open))
        #expect(!sam.canPost(in: openID), "even with a membership recorded")
        #expect(!sam.canFollowRemote)
        #expect(!sam.canCreateCommunity, "even as an admin")
        #expect(!sam.canListMembers(of: open))
        #expect(throws: CommunityError.self) { try sam.requireRead(open) }
    }

    @Test func ownersAdminsAndModerators() {
        let owner = Self.authorization(Self.account("owner"))
        #expect(owner.canSee(hidden) && owner.canRead(community: hidden) && owner.canManage(community: hidden))
        let admin = Self.authorization(Self.account("root", role: .admin))
        #expect(admin.canCreateCommunity)
        #expect(admin.canManage(community: open))
        #expect(!admin.canSee(hidden), "members-only content is for members, whatever the node role")
        let moderator = Self.authorization(Self.account("mo", role: .moderator))
        #expect(moderator.canCreateCommunity)
        #expect(moderator.canListMembers(of: open))
        #expect(!moderator.canListMembers(of: hidden))
    }

    @Test func inactiveAccountsMayDoNothing() {
        for status in [AccountStatus.pending, .suspended] {
            let gone = Self.authorization(Self.account("owner", role: .admin, status: status), [openID: .accepted])
            #expect(!gone.canSee(open) && !gone.canSee(hidden) && !gone.canPost(in: openID) && !gone.canCreateCommunity)
            let post = StoredObject(id: "https://praxis.test/objects/1", type: "Note", attributedTo: gone.actorID,
                                    audience: openID, inReplyTo: nil, name: nil, content: "x", published: nil, updated: nil,
                                    document: [], originDomain: "praxis.test")
            #expect(!gone.canChange(post))
        }
    }

    @Test func withoutFederationJoiningAndPostingAnswer503() async throws {
        let t = try APITestNode()
        let router = NodeRoutes(store: t.store).router()
        let token = try await t.signIn("bob")
        let response = try await router.respond(to: HTTPRequest(
            method: .post, target: "/api/v1/communities/cloud/join",
            headers: ["Host": "praxis.test", "Authorization": "Bearer \(token)"]))
        #expect(response.status == .serviceUnavailable)
        #expect(errorCode(response) == "unavailable")
    }
}
