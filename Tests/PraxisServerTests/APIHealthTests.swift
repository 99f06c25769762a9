import Foundation
import PraxisHTTP
import PraxisJSON
import PraxisStorage
import Testing

/// `GET /api/v1/communities/:name/health` and `GET /api/v1/health`: who may look, and the
/// figures as the client receives them. The exact arithmetic is covered on a larger data set
/// with a fixed clock in `HealthRepositoryTests`.
@Suite struct APIHealthTests {
    let api: APITestNode

    init() throws {
        api = try APITestNode()
        let store = api.store
        let cloud = api.community("cloud")
        let now = Date()
        // A question by ana a day ago, answered by bob an hour later; a thread from another node.
        let posts: [(String, String, String?, String?, String, TimeInterval)] = [
            ("q1", api.person("ana"), nil, "question", "praxis.test", 86_400),
            ("a1", api.person("bob"), "q1", nil, "praxis.test", 86_400 - 3_600),
            ("d1", "https://other.test/users/rita", nil, "discussion", "other.test", 2 * 86_400),
        ]
        try store.database.write { db in
            for (name, author, parent, kind, origin, ago) in posts {
                try ObjectRepository(db).upsert(StoredObject(
                    id: "https://praxis.test/objects/\(name)", type: "Note", attributedTo: author, audience: cloud,
                    inReplyTo: parent.map { "https://praxis.test/objects/\($0)" }, name: parent == nil ? name : nil,
                    content: name, published: now.addingTimeInterval(-ago), updated: nil, document: Array("{}".utf8),
                    originDomain: origin, kind: kind, tags: parent == nil ? ["tenders"] : []))
            }
            // Content of nodes the trust list does not admit counts nowhere, as in lists and search.
            try TrustRepository(db).set(TrustEntry(domain: "other.test", level: .trusted))
            let community = try CommunityRepository(db).find(username: "cloud")
            try CommunityRoleRepository(db).set(.manager, actor: "https://praxis.test/users/cleo", communityID: community?.actor.id ?? 0)
        }
    }

    func health(_ community: String?, as member: String?) async throws -> HTTPResponse {
        var token: String?
        if let member { token = try await api.signIn(member) }
        return try await api.call(.get, community.map { "/communities/\($0)/health" } ?? "/health", token: token)
    }

    @Test func ownerManagersAndNodeStaffMayLook() async throws {
        for member in ["ana", "cleo", "mo", "ada"] {
            let response = try await health("cloud", as: member)
            #expect(response.status == .ok, "\(member) should see the health of cloud")
        }
        // An admin looks after every community, even a members-only one it does not belong to.
        #expect(try await health("secret", as: "ada").status == .ok)
    }

    @Test func othersAreRefusedWithWhoMayLook() async throws {
        let member = try await health("cloud", as: "bob")
        #expect(member.status == .forbidden)
        #expect(errorCode(member) == "forbidden")
        #expect(errorMessage(member)?.contains("owner, managers and moderators") == true)
        #expect(try await health("cloud", as: "sam").status == .forbidden)
        // A members-only community stays invisible to outsiders.
        #expect(try await health("secret", as: "bob").status == .notFound)
        #expect(try await health("nowhere", as: "ada").status == .notFound)
        #expect(try await health("cloud", as: nil).status == .unauthorized)
    }

    @Test func nodeHealthIsForAdminsOnly() async throws {
        let admin = try await health(nil, as: "ada")
        #expect(admin.status == .ok)
        let body = try json(admin)
        #expect(body["scope"] == "node")
        #expect(body["communities"]?.intValue == 3)
        #expect(body["members"]?.intValue == 6)
        for member in ["mo", "ana"] {
            let refused = try await health(nil, as: member)
            #expect(refused.status == .forbidden)
            #expect(errorMessage(refused)?.contains("operators") == true)
        }
    }

    @Test func figuresAsTheClientSeesThem() async throws {
        let body = try json(try await health("cloud", as: "ana"))
        #expect(body["scope"] == "community")
        #expect(body["community"] == .string(api.community("cloud")))
        #expect(body["activeMembers"]?["days7"]?.intValue == 3)
        #expect(body["activeMembers"]?["days30"]?.intValue == 3)
        #expect(body["newThreadsPerWeek"]?.arrayValue?.count == 8)
        #expect(body["newThreadsPerWeek"]?[7]?["threads"]?.intValue == 2)
        #expect(body["questions"]?["days30"]?["asked"]?.intValue == 1)
        #expect(body["questions"]?["days30"]?["answeredShare"]?.doubleValue == 1)
        #expect(body["questions"]?["days30"]?["medianSecondsToFirstAnswer"]?.doubleValue == 3_600)
        #expect(body["questions"]?["days90"]?["accepted"]?.intValue == 0)
        #expect(body["participation"]?["posts30d"]?.intValue == 3)
        #expect(body["participation"]?["fromOtherNodes30d"]?.intValue == 1)
        #expect(body["trendingTags"]?[0]?["tag"] == "tenders")
        #expect(body["trendingTags"]?[0]?["count"]?.intValue == 2)
        #expect(body["trendingThreads"]?[0]?["id"] == "https://praxis.test/objects/q1")
        #expect(body["trendingThreads"]?[0]?["replies"]?.intValue == 1)
        #expect(body["documents"]?["total"]?.intValue == 0)
    }

    @Test func nodeInfoCountsLocalPostsAndComments() async throws {
        let response = try await api.router.respond(
            to: HTTPRequest(method: .get, target: "/nodeinfo/2.1", headers: ["Host": "praxis.test"]))
        let usage = try json(response)["usage"]
        // q1 (ana) and a1 (bob) were written here; d1 came from other.test.
        #expect(usage?["localPosts"]?.intValue == 1)
        #expect(usage?["localComments"]?.intValue == 1)
        #expect(usage?["users"]?["total"]?.intValue == 6)
    }
}
