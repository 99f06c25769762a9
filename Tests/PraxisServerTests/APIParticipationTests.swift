import Foundation
import PraxisCommunity
import PraxisHTTP
import PraxisJSON
import PraxisStorage
import Testing

/// Registration, codes of conduct, join requests, expert invitations, accepted answers and
/// helpful marks through the client API: success, validation error and refusal for each.
@Suite struct APIParticipationTests {
    @Test func registrationRefusesSuppliersAndHonoursThePolicy() async throws {
        let n = try APITestNode()
        try RegistrationService(store: n.store, passwordCost: .testing).configure(mode: .approval, emailDomains: ["*.gouv.fr"])
        var response = try await n.call(.post, "/registrations", body: [
            "username": "vendor", "password": "a long passphrase", "email": "s@vendor.example", "affiliation": "supplier",
        ])
        #expect(response.status == .forbidden)
        #expect(errorMessage(response)?.contains("suppliers") == true)
        response = try await n.call(.post, "/registrations", body: [
            "username": "lea", "password": "a long passphrase", "email": "lea@dae.gouv.fr",
        ])
        #expect(response.status == .created)
        #expect(try json(response)["status"] == "active")
        response = try await n.call(.post, "/registrations", body: [
            "username": "olga", "password": "a long passphrase", "email": "olga@town.example",
        ])
        #expect(try json(response)["status"] == "pending")
        // Pending accounts cannot sign in yet.
        let signIn = try await n.call(.post, "/auth/sign-in", body: ["username": "olga", "password": "a long passphrase"])
        #expect(signIn.status == .unauthorized)
        response = try await n.call(.post, "/registrations", body: ["username": "x", "password": "a long passphrase"])
        #expect(response.status == .unprocessableContent)
        #expect(errorField(response) == "email")
        response = try await n.call(.post, "/registrations", body: [
            "username": "Bad Name", "password": "a long passphrase", "email": "b@dae.gouv.fr",
        ])
        #expect(response.status == .unprocessableContent)
    }

    @Test func codeOfConductIsListedAndAcceptedBeforePosting() async throws {
        let n = try APITestNode()
        let code = try ConductService(store: n.store).publish(text: "Act on your own behalf.")
        let token = try await n.signIn("bob")
        var response = try await n.call(.get, "/conduct", token: token)
        #expect(try json(response)["codes"]?[0]?["version"] == .integer(Int64(code.version)))
        #expect(try json(response)["codes"]?[0]?["scope"] == "node")
        try await n.accept("bob", in: "cloud")
        response = try await n.call(.post, "/communities/cloud/posts", token: token, body: ["content": "Hello"])
        #expect(response.status == .forbidden)
        #expect(errorMessage(response)?.contains("code of conduct") == true)
        response = try await n.call(.post, "/conduct/accept", token: token, body: ["version": 42])
        #expect(response.status == .unprocessableContent)
        response = try await n.call(.post, "/conduct/accept", token: token, body: ["version": "one"])
        #expect(response.status == .unprocessableContent)
        response = try await n.call(.post, "/conduct/accept", token: token, body: ["version": .integer(Int64(code.version))])
        #expect(response.status == .noContent)
        response = try await n.call(.post, "/communities/cloud/posts", token: token, body: ["content": "Hello"])
        #expect(response.status == .created)
        #expect(try await n.call(.get, "/conduct").status == .unauthorized)
    }

    @Test func managersDecideJoinRequests() async throws {
        let n = try APITestNode()
        let bob = try await n.signIn("bob")
        let joined = try await n.call(.post, "/communities/secret/join", token: bob)
        #expect(joined.status.isSuccess, "\(joined.status)")
        let ada = try await n.signIn("ada")
        var response = try await n.call(.get, "/communities/secret/requests", token: ada)
        #expect(response.status == .ok)
        #expect(try json(response)["requests"]?[0]?["follower"]?.stringValue == n.person("bob"))
        // A plain member may not decide.
        let cleo = try await n.signIn("cleo")
        response = try await n.call(.get, "/communities/secret/requests", token: cleo)
        #expect(response.status == .forbidden)
        response = try await n.call(.post, "/communities/secret/requests", token: ada, body: ["follower": .string(n.person("bob"))])
        #expect(response.status == .unprocessableContent)
        response = try await n.call(.post, "/communities/secret/requests", token: ada,
                                    body: ["follower": .string(n.person("bob")), "accept": true])
        #expect(response.status == .noContent)
        response = try await n.call(.get, "/communities/secret/posts", token: bob)
        #expect(response.status == .ok, "bob is now a member")
        response = try await n.call(.post, "/communities/secret/requests", token: ada,
                                    body: ["follower": .string(n.person("bob")), "accept": true])
        #expect(response.status == .notFound, "nothing pending any more")
    }

    @Test func expertInvitationsAreCreatedAndRedeemedOnce() async throws {
        let n = try APITestNode()
        let ana = try await n.signIn("ana")  // owner of cloud
        var response = try await n.call(.post, "/communities/cloud/invitations", token: ana,
                                        body: ["topic": "asbestos", "validDays": 7])
        #expect(response.status == .created)
        let invitation = try json(response)
        let token = try #require(invitation["token"]?.stringValue)
        #expect(invitation["url"]?.stringValue?.hasSuffix(token) == true)
        response = try await n.call(.post, "/communities/cloud/invitations", token: ana, body: ["validDays": 400])
        #expect(response.status == .unprocessableContent)
        response = try await n.call(.post, "/communities/cloud/invitations", token: try await n.signIn("bob"), body: ["validDays": 1])
        #expect(response.status == .forbidden)

        response = try await n.call(.post, "/invitations/redeem", body: [
            "token": .string(token), "username": "expert", "password": "a long passphrase", "displayName": "Dr Expert",
        ])
        #expect(response.status == .created)
        #expect(try json(response)["affiliation"] == "expert")
        response = try await n.call(.post, "/invitations/redeem", body: [
            "token": .string(token), "username": "expert2", "password": "a long passphrase",
        ])
        #expect(response.status == .forbidden)
        #expect(errorMessage(response)?.contains("already used") == true)
        response = try await n.call(.post, "/invitations/redeem", body: ["token": "nope", "username": "x", "password": "a long passphrase"])
        #expect(response.status == .notFound)

        // The expert reads the topic only, and nothing once the invitation has ended.
        try await n.accept("ana", in: "cloud")
        let tagged = try json(try await n.call(.post, "/communities/cloud/posts", token: ana,
                                               body: ["content": "Asbestos clauses?", "tags": ["asbestos"], "kind": "question"]))
        let other = try json(try await n.call(.post, "/communities/cloud/posts", token: ana, body: ["content": "Another topic"]))
        let expert = try await n.signIn("expert", password: "a long passphrase")
        response = try await n.call(.get, "/communities/cloud/posts", token: expert)
        #expect(response.status == .ok)
        let visible = try json(response)["posts"]?.arrayValue?.compactMap { $0["id"]?.stringValue } ?? []
        #expect(visible == [tagged["id"]?.stringValue].compactMap { $0 })
        let otherPath = "/posts/" + FormURLEncoding.percentEncode(other["id"]?.stringValue ?? "")
        #expect(try await n.call(.post, otherPath + "/helpful", token: expert).status == .notFound)
        #expect(try await n.call(.get, "/communities/secret", token: expert).status == .notFound)
        #expect(try await n.call(.get, "/communities/club/posts", token: expert).status == .notFound)
        #expect(try await n.call(.post, "/follows", token: expert, body: ["target": "@someone@elsewhere.example"]).status == .forbidden)
        try await n.store.database.write { db in
            try db.run("UPDATE guest_scopes SET expires_at = ?", Int64(Date().timeIntervalSince1970) - 1)
        }
        #expect(try await n.call(.get, "/communities/cloud/posts", token: expert).status == .notFound)
    }

    @Test func askersAcceptAnswersAndMembersMarkHelpful() async throws {
        let n = try APITestNode()
        try await n.accept("ana", in: "cloud")
        try await n.accept("bob", in: "cloud")
        let ana = try await n.signIn("ana")
        let bob = try await n.signIn("bob")
        var response = try await n.call(.post, "/communities/cloud/posts", token: ana,
                                        body: ["content": "Which SaaS exit clause?", "title": "Exit clauses", "kind": "question",
                                               "tags": ["saas"], "language": "en"])
        #expect(response.status == .created)
        let question = try json(response)
        #expect(question["kind"] == "question")
        #expect(question["tags"] == ["saas"])
        let questionID = try #require(question["id"]?.stringValue)
        response = try await n.call(.post, "/communities/cloud/posts", token: ana, body: ["content": "x", "kind": "poll"])
        #expect(response.status == .unprocessableContent)
        response = try await n.call(.post, "/communities/cloud/posts", token: bob,
                                    body: ["content": "Ask for a data export.", "inReplyTo": .string(questionID)])
        let answerID = try #require(try json(response)["id"]?.stringValue)
        let path = "/posts/" + FormURLEncoding.percentEncode(questionID)
        response = try await n.call(.post, path + "/accept", token: bob, body: ["answer": .string(answerID)])
        #expect(response.status == .forbidden, "only the asker accepts")
        response = try await n.call(.post, path + "/accept", token: ana, body: [:])
        #expect(response.status == .unprocessableContent)
        response = try await n.call(.post, path + "/accept", token: ana, body: ["answer": .string(answerID)])
        #expect(response.status == .ok)
        #expect(try json(response)["acceptedAnswer"]?.stringValue == answerID)
        response = try await n.call(.post, "/posts/" + FormURLEncoding.percentEncode(answerID) + "/helpful", token: ana)
        #expect(response.status == .noContent)
        #expect(try await n.store.database.read { db in try ObjectRepository(db).likeCount(of: answerID) } == 1)
        response = try await n.call(.post, "/posts/" + FormURLEncoding.percentEncode("https://praxis.test/objects/none") + "/helpful",
                                    token: ana)
        #expect(response.status == .notFound)
    }

    @Test func membersInvitedByAManagerJoinInvitationOnlyCommunities() async throws {
        let n = try APITestNode()
        let mo = try await n.signIn("mo")  // node moderator
        let cleo = try await n.signIn("cleo")
        #expect(try await n.call(.post, "/communities/club/join", token: cleo).status == .notFound)
        var response = try await n.call(.post, "/communities/club/members/invite", token: cleo, body: ["invitee": "bob"])
        #expect(response.status == .forbidden)
        response = try await n.call(.post, "/communities/club/members/invite", token: mo, body: [:])
        #expect(response.status == .unprocessableContent)
        response = try await n.call(.post, "/communities/club/members/invite", token: mo, body: ["invitee": "sam"])
        #expect(response.status == .forbidden, "suppliers are never invited")
        response = try await n.call(.post, "/communities/club/members/invite", token: mo, body: ["invitee": "cleo", "note": "Join us"])
        #expect(response.status == .accepted)
        response = try await n.call(.get, "/me/invitations", token: cleo)
        let invitation = try #require(try json(response)["invitations"]?[0])
        #expect(invitation["note"] == "Join us")
        #expect(invitation["state"] == "pending")
        response = try await n.call(.post, "/me/invitations/respond", token: cleo, body: ["invitation": invitation["id"] ?? .null])
        #expect(response.status == .unprocessableContent)
        response = try await n.call(.post, "/me/invitations/respond", token: cleo,
                                    body: ["invitation": invitation["id"] ?? .null, "accept": true])
        #expect(response.status == .noContent)
        #expect(try await n.call(.get, "/communities/club/posts", token: cleo).status == .ok)
        response = try await n.call(.post, "/me/invitations/respond", token: cleo,
                                    body: ["invitation": invitation["id"] ?? .null, "accept": true])
        #expect(response.status == .notFound, "an invitation works once")
    }
}
