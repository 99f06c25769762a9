import Foundation
import PraxisHTTP
import PraxisJSON
import PraxisStorage
import PraxisTestSupport
import Testing

/// Communities, memberships and follows through the client API, and who may see what.
@Suite struct APICommunityTests {
    let t: APITestNode
    init() throws { t = try APITestNode() }

    func names(_ response: HTTPResponse) throws -> [String] {
        try json(response)["communities"]?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? []
    }

    @Test func listShowsOnlyWhatTheCallerMaySee() async throws {
        let ana = try await t.signIn("ana")
        #expect(try names(try await t.call(.get, "/communities", token: ana)) == ["cloud"])
        let ada = try await t.signIn("ada")
        #expect(try names(try await t.call(.get, "/communities", token: ada)) == ["cloud", "secret"], "ada owns secret")
        #expect(try await t.call(.get, "/communities").status == .unauthorized)

        try await t.accept("bob", in: "club")
        let bob = try await t.signIn("bob")
        #expect(try names(try await t.call(.get, "/communities", token: bob)) == ["cloud", "club"])
    }

    @Test func oneCommunity() async throws {
        let bob = try await t.signIn("bob")
        let cloud = try await t.call(.get, "/communities/cloud", token: bob)
        #expect(cloud.status == .ok)
        let body = try json(cloud)
        #expect(body["id"] == "https://praxis.test/communities/cloud")
        #expect(body["visibility"] == "public")
        #expect(body["joinPolicy"] == "open")
        #expect(body["owner"] == "ana")
        #expect(body["memberCount"] == 0)
        #expect(body["membership"] == .null)

        let hidden = try await t.call(.get, "/communities/secret", token: bob)
        #expect(hidden.status == .notFound)
        let missing = try await t.call(.get, "/communities/nowhere", token: bob)
        #expect(missing.status == .notFound)
        #expect(errorMessage(hidden)?.replacingOccurrences(of: "secret", with: "nowhere") == errorMessage(missing),
                "a hidden community looks exactly like a missing one")
        #expect(try await t.call(.get, "/communities/cloud").status == .unauthorized)
    }

    @Test func onlyAdminsAndModeratorsCreateCommunities() async throws {
        let ana = try await t.signIn("ana")
        let refused = try await t.call(.post, "/communities", token: ana, body: ["name": "tenders"])
        #expect(refused.status == .forbidden)
        #expect(errorCode(refused) == "forbidden")
        #expect(try await t.call(.post, "/communities", body: ["name": "tenders"]).status == .unauthorized)

        let mo = try await t.signIn("mo")
        let created = try await t.call(.post, "/communities", token: mo, body: [
            "name": "tenders", "title": "Tenders", "description": "Calls for tender", "visibility": "members",
            "joinPolicy": "approval", "unknown": "ignored",
        ])
        #expect(created.status == .created)
        let body = try json(created)
        #expect(body["name"] == "tenders")
        #expect(body["owner"] == "mo")
        #expect(body["visibility"] == "members")
        #expect(try await t.call(.get, "/communities/tenders", token: mo).status == .ok, "the owner sees it")
        #expect(try await t.call(.get, "/communities/tenders", token: ana).status == .notFound)

        let ada = try await t.signIn("ada")
        let duplicate = try await t.call(.post, "/communities", token: ada, body: ["name": "tenders"])
        #expect(duplicate.status == .conflict)
        let badName = try await t.call(.post, "/communities", token: ada, body: ["name": "Bad Name"])
        #expect(badName.status == .unprocessableContent)
        let badVisibility = try await t.call(.post, "/communities", token: ada, body: ["name": "x1", "visibility": "secret"])
        #expect(badVisibility.status == .unprocessableContent)
        #expect(errorField(badVisibility) == "visibility")
        let wrongType = try await t.call(.post, "/communities", token: ada, body: ["name": 7])
        #expect(wrongType.status == .unprocessableContent)
        #expect(errorField(wrongType) == "name")
        let missing = try await t.call(.post, "/communities", token: ada, body: ["title": "No name"])
        #expect(errorField(missing) == "name")
    }

    @Test func joinAndLeave() async throws {
        let bob = try await t.signIn("bob")
        let joined = try await t.call(.post, "/communities/cloud/join", token: bob)
        #expect(joined.status == .ok)
        #expect(try json(joined)["state"] == "accepted")
        #expect(try json(try await t.call(.get, "/communities/cloud", token: bob))["memberCount"] == 1)

        let pending = try await t.call(.post, "/communities/secret/join", token: bob)
        #expect(pending.status == .accepted)
        #expect(try json(pending)["state"] == "pending")
        #expect(try await t.call(.get, "/communities/secret", token: bob).status == .notFound, "pending is not a member")
        #expect(try await t.call(.post, "/communities/secret/leave", token: bob).status == .noContent, "a request can be withdrawn")

        #expect(try await t.call(.post, "/communities/club/join", token: bob).status == .notFound, "invite-only and hidden")
        #expect(try await t.call(.post, "/communities/nowhere/join", token: bob).status == .notFound)
        #expect(try await t.call(.post, "/communities/cloud/join").status == .unauthorized)

        #expect(try await t.call(.post, "/communities/cloud/leave", token: bob).status == .noContent)
        #expect(try await t.call(.post, "/communities/cloud/leave", token: bob).status == .notFound)
        #expect(try json(try await t.call(.get, "/communities/cloud", token: bob))["memberCount"] == 0)
    }

    @Test func suppliersCannotJoinReadOrFollow() async throws {
        let sam = try await t.signIn("sam")
        let join = try await t.call(.post, "/communities/cloud/join", token: sam)
        #expect(join.status == .forbidden)
        #expect(errorMessage(join)?.contains("suppliers") == true)
        #expect(try await t.call(.get, "/communities/cloud/posts", token: sam).status == .forbidden)
        #expect(try await t.call(.get, "/communities/cloud/members", token: sam).status == .forbidden)
        #expect(try await t.call(.post, "/follows", token: sam, body: ["target": "https://other.test/communities/x"]).status
                == .forbidden)
        #expect(try await t.call(.post, "/follows", token: sam, body: ["target": "@cloud@praxis.test"]).status == .forbidden)
        #expect(try await t.call(.get, "/communities/secret", token: sam).status == .notFound)
        let count = try await t.store.database.read { db in try FollowRepository(db).following(by: t.person("sam")).count }
        #expect(count == 0)
    }

    @Test func membersOnlyCommunitiesDoNotExistForNonMembers() async throws {
        let bob = try await t.signIn("bob")
        for path in ["/communities/secret/posts", "/communities/secret/members", "/communities/secret"] {
            #expect(try await t.call(.get, path, token: bob).status == .notFound, "\(path)")
        }
        try await t.accept("bob", in: "secret")
        for path in ["/communities/secret/posts", "/communities/secret/members", "/communities/secret"] {
            #expect(try await t.call(.get, path, token: bob).status == .ok, "\(path)")
        }
        let mo = try await t.signIn("mo")
        #expect(try await t.call(.get, "/communities/secret/members", token: mo).status == .notFound,
                "a node moderator who is not a member does not see it either")
    }

    @Test func memberListsAreForMembersManagersAndModerators() async throws {
        try await t.accept("bob", in: "cloud")
        // A member of another node, as an accepted remote follow records it.
        try await t.store.database.write { db in
            try FollowRepository(db).upsert(Follow(
                follower: "https://nl.example/users/nina", followed: t.community("cloud"), followerInbox: "https://nl.example/inbox",
                followerDomain: "nl.example", followedDomain: "praxis.test", state: .accepted,
                activityID: "https://nl.example/activities/1"))
        }
        let cleo = try await t.signIn("cleo")
        let refused = try await t.call(.get, "/communities/cloud/members", token: cleo)
        #expect(refused.status == .forbidden)
        for name in ["bob", "ana", "mo", "ada"] {
            let token = try await t.signIn(name)
            let response = try await t.call(.get, "/communities/cloud/members", token: token)
            #expect(response.status == .ok, "\(name)")
            let members = try json(response)["members"]?.arrayValue ?? []
            #expect(members.map { $0["node"] } == ["praxis.test", "nl.example"])
            #expect(members.first?["name"] == "bob")
            #expect(members.first?["local"] == true)
            #expect(members.last?["local"] == false)
            #expect(try json(response)["nodes"] == [["node": "praxis.test", "members": 1], ["node": "nl.example", "members": 1]])
        }
        #expect(try await t.call(.get, "/communities/cloud/members").status == .unauthorized)
    }

    @Test func followsOfLocalCommunitiesByHandleAndValidation() async throws {
        let bob = try await t.signIn("bob")
        let byHandle = try await t.call(.post, "/follows", token: bob, body: ["target": "@cloud@praxis.test"])
        #expect(byHandle.status == .ok)
        #expect(try json(byHandle)["target"] == "https://praxis.test/communities/cloud")
        #expect(try await t.call(.delete, "/follows?target=\(FormURLEncoding.percentEncode(t.community("cloud")))", token: bob)
                .status == .noContent)
        #expect(try await t.call(.delete, "/follows?target=%40cloud%40praxis.test", token: bob).status == .notFound)

        let missing = try await t.call(.post, "/follows", token: bob, body: ["other": "x"])
        #expect(missing.status == .unprocessableContent)
        #expect(errorField(missing) == "target")
        let wrongType = try await t.call(.post, "/follows", token: bob, body: ["target": ["a"]])
        #expect(wrongType.status == .unprocessableContent)
        #expect(try await t.call(.post, "/follows", token: bob, body: ["target": "not a target"]).status == .unprocessableContent)
        #expect(try await t.call(.post, "/follows", token: bob, body: ["target": "https://praxis.test/users/ana"]).status
                == .unprocessableContent)
        let noTarget = try await t.call(.delete, "/follows", token: bob)
        #expect(noTarget.status == .badRequest)
        #expect(errorField(noTarget) == "target")
        #expect(try await t.call(.post, "/follows", body: ["target": "@cloud@praxis.test"]).status == .unauthorized)
        #expect(try await t.call(.delete, "/follows?target=x").status == .unauthorized)
    }
}

/// Community roles through the API: the owner (or a node admin) appoints managers and
/// moderators among the members; the member list shows them; each change is audited.
@Suite struct APICommunityRoleTests {
    let t: APITestNode
    init() throws { t = try APITestNode() }

    func roles(_ token: String) async throws -> [String: JSON] {
        let members = try json(try await t.call(.get, "/communities/cloud/members", token: token))["members"]?.arrayValue ?? []
        return Dictionary(uniqueKeysWithValues: members.compactMap { m in m["name"]?.stringValue.map { ($0, m["role"] ?? .null) } })
    }

    @Test func ownerAppointsAndRemovesAModerator() async throws {
        try await t.accept("ana", in: "cloud")
        try await t.accept("bob", in: "cloud")
        let ana = try await t.signIn("ana")
        #expect(try await roles(ana) == ["ana": "owner", "bob": .null])

        let set = try await t.call(.put, "/communities/cloud/roles", token: ana, body: ["member": "Bob", "role": "moderator"])
        #expect(set.status == .ok)
        #expect(try json(set) == ["member": "bob", "role": "moderator"])
        #expect(try await roles(ana)["bob"] == "moderator")
        // Now a moderator of cloud, bob sees its report queue.
        let bob = try await t.signIn("bob")
        #expect(try await t.call(.get, "/communities/cloud/reports", token: bob).status == .ok)

        let removed = try await t.call(.put, "/communities/cloud/roles", token: ana, body: ["member": "bob", "role": .null])
        #expect(try json(removed) == ["member": "bob", "role": .null])
        #expect(try await roles(ana)["bob"] == .null)
        #expect(try await t.call(.get, "/communities/cloud/reports", token: bob).status == .forbidden)

        let ada = try await t.signIn("ada")
        let log = try json(try await t.call(.get, "/audit-log?action=community.role", token: ada))
        let details = log["entries"]?.arrayValue?.compactMap { $0["detail"]?.stringValue }
        #expect(details == ["none", "moderator"])
    }

    @Test func refusalsSayWhatToDoAndChangeNothing() async throws {
        try await t.accept("bob", in: "cloud")
        let ana = try await t.signIn("ana")
        let bob = try await t.signIn("bob")
        let before = try await StorageSnapshot.take(t.store)

        let notOwner = try await t.call(.put, "/communities/cloud/roles", token: bob, body: ["member": "bob", "role": "manager"])
        #expect(notOwner.status == .forbidden)
        #expect(errorMessage(notOwner)?.contains("only the owner of cloud or a node admin") == true)
        let badRole = try await t.call(.put, "/communities/cloud/roles", token: ana, body: ["member": "bob", "role": "boss"])
        #expect(badRole.status == .unprocessableContent)
        #expect(errorMessage(badRole)?.contains("\"manager\", \"moderator\"") == true)
        let noRole = try await t.call(.put, "/communities/cloud/roles", token: ana, body: ["member": "bob"])
        #expect(noRole.status == .unprocessableContent)
        #expect(errorMessage(noRole)?.contains("null to take the role back") == true)
        let notMember = try await t.call(.put, "/communities/cloud/roles", token: ana, body: ["member": "cleo", "role": "moderator"])
        #expect(notMember.status == .unprocessableContent)
        #expect(errorMessage(notMember)?.contains("must be a member of cloud first") == true)
        let nobody = try await t.call(.put, "/communities/cloud/roles", token: ana, body: ["member": "nobody", "role": "moderator"])
        #expect(nobody.status == .notFound)
        let hidden = try await t.call(.put, "/communities/secret/roles", token: ana, body: ["member": "ana", "role": "moderator"])
        #expect(hidden.status == .notFound, "a members-only community stays hidden from non-members")
        #expect(try await t.call(.put, "/communities/cloud/roles", body: ["member": "bob", "role": "moderator"]).status == .unauthorized)
        #expect(try await StorageSnapshot.take(t.store).changed(since: before) == [])
    }
}
