import Foundation
import PraxisCrypto
import PraxisHTTP
import PraxisJSON
import PraxisSQLite
import PraxisStorage
import Testing

/// Sign-in, tokens, sign-out, expiry, revocation and password changes of the client API.
@Suite struct APIAuthTests {
    let t: APITestNode
    init() throws { t = try APITestNode() }

    @Test func signInIssuesATokenStoredOnlyAsItsHash() async throws {
        let response = try await t.call(.post, "/auth/sign-in", body: ["username": "Ana", "password": .string(APITestNode.password)])
        #expect(response.status == .ok)
        #expect(response.headers["Cache-Control"] == "no-store")
        let body = try json(response)
        let token = try #require(body["token"]?.stringValue)
        #expect(token.utf8.count == 43)
        #expect(try Base64.urlDecode(token).count == 32)
        #expect(body["tokenType"] == "Bearer")
        #expect(body["account"]?["name"] == "ana")
        #expect(body["account"]?["actor"] == "https://praxis.test/users/ana")
        let expires = try #require(body["expiresAt"]?.stringValue.flatMap { ISO8601DateFormatter().date(from: $0) })
        #expect(abs(expires.timeIntervalSinceNow - 30 * 86_400) < 120)

        let rows = try await t.store.database.read { db in
            try db.query("SELECT token_hash, user_agent FROM sessions").map { row -> ([UInt8], String) in
                (try row.get("token_hash"), try row.get("user_agent"))
            }
        }
        #expect(rows.count == 1)
        #expect(rows.first?.0 == SHA256.hash(Array(token.utf8)))
        #expect(rows.first?.1 == "api-tests/1.0")
    }

    @Test func wrongPasswordUnknownUserAndSuspendedAccountGetTheSame401() async throws {
        try t.addMember("gone")
        try t.node.accounts.setStatus(.suspended, username: "gone")
        var messages: Set<String> = []
        for (name, password) in [("ana", "wrong password!"), ("nobody", "correct horse battery"), ("gone", APITestNode.password)] {
            let response = try await t.call(.post, "/auth/sign-in", body: ["username": .string(name), "password": .string(password)])
            #expect(response.status == .unauthorized, "\(name)")
            #expect(response.headers["WWW-Authenticate"]?.hasPrefix("Bearer") == true)
            #expect(response.headers["Content-Type"]?.hasPrefix("application/json") == true)
            messages.insert(errorMessage(response) ?? "")
        }
        #expect(messages.count == 1)
        let count = try await t.store.database.read { db in try db.scalar(Int.self, "SELECT count(*) FROM sessions") }
        #expect(count == 0)
    }

    @Test func signInValidatesItsBody() async throws {
        let missing = try await t.call(.post, "/auth/sign-in", body: ["username": "ana"])
        #expect(missing.status == .unprocessableContent)
        #expect(errorField(missing) == "password")
        let wrongType = try await t.call(.post, "/auth/sign-in", body: ["username": "ana", "password": 12345, "extra": true])
        #expect(wrongType.status == .unprocessableContent)
        #expect(errorField(wrongType) == "password")
        #expect(try await t.call(.post, "/auth/sign-in", raw: Array("{\"username\": ".utf8)).status == .badRequest)
        #expect(try await t.call(.post, "/auth/sign-in").status == .badRequest)
        #expect(try await t.call(.post, "/auth/sign-in", body: ["not", "an object"]).status == .badRequest)
        let deep = String(repeating: "[", count: 40) + String(repeating: "]", count: 40)
        let tooDeep = try await t.call(.post, "/auth/sign-in", raw: Array("{\"username\": \(deep)}".utf8))
        #expect(tooDeep.status == .badRequest)
    }

    @Test func requestsWithoutAValidTokenGet401() async throws {
        let none = try await t.call(.get, "/me")
        #expect(none.status == .unauthorized)
        #expect(none.headers["WWW-Authenticate"] == "Bearer realm=\"praxis\"")
        #expect(errorCode(none) == "unauthenticated")

        let malformed = try await t.call(.get, "/me", token: "not-a-token")
        #expect(malformed.status == .unauthorized)
        #expect(malformed.headers["WWW-Authenticate"]?.contains("invalid_token") == true)

        let unknown = try await t.call(.get, "/me", token: SecureRandom.token(bytes: 32))
        #expect(unknown.status == .unauthorized)
        #expect(errorCode(unknown) == "invalid_token")

        let basic: HTTPHeaders = ["Host": "praxis.test", "Authorization": "Basic YW5hOnB3"]
        let wrongScheme = try await t.router.respond(to: HTTPRequest(method: .get, target: "/api/v1/me", headers: basic))
        #expect(wrongScheme.status == .unauthorized)
    }

    @Test func meDescribesTheAccountAndItsCommunities() async throws {
        let token = try await t.signIn("bob")
        #expect(try await t.call(.post, "/communities/cloud/join", token: token).status == .ok)
        #expect(try await t.call(.post, "/communities/secret/join", token: token).status == .accepted)
        let me = try await t.call(.get, "/me", token: token)
        #expect(me.status == .ok)
        let body = try json(me)
        #expect(body["name"] == "bob")
        #expect(body["role"] == "member")
        #expect(body["affiliation"] == "buyer")
        #expect(body["actor"] == "https://praxis.test/users/bob")
        let communities = try #require(body["communities"]?.arrayValue)
        let states = Dictionary(uniqueKeysWithValues: communities.compactMap { c in
            c["name"]?.stringValue.map { ($0, c["membership"]?.stringValue ?? "") }
        })
        #expect(states == ["cloud": "accepted", "secret": "pending"])
    }

    @Test func signOutRevokesTheToken() async throws {
        let token = try await t.signIn("ana")
        let other = try await t.signIn("ana")
        #expect(try await t.call(.get, "/me", token: token).status == .ok)
        #expect(try await t.call(.post, "/auth/sign-out", token: token).status == .noContent)
        let after = try await t.call(.get, "/me", token: token)
        #expect(after.status == .unauthorized)
        #expect(errorCode(after) == "invalid_token")
        #expect(try await t.call(.post, "/auth/sign-out", token: token).status == .unauthorized)
        #expect(try await t.call(.get, "/me", token: other).status == .ok, "other sessions stay valid")
    }

    @Test func expiredTokensAndSuspendedAccountsAreRefused() async throws {
        let token = try await t.signIn("ana")
        let hash = SHA256.hash(Array(token.utf8))
        try await t.store.database.write { db in
            try db.run("UPDATE sessions SET expires_at = ? WHERE token_hash = ?", Int64(Date().timeIntervalSince1970) - 1, hash)
        }
        #expect(try await t.call(.get, "/me", token: token).status == .unauthorized)

        // Sessions dead for more than a week are forgotten at the next sign-in.
        try await t.store.database.write { db in
            try db.run("UPDATE sessions SET expires_at = ? WHERE token_hash = ?", Int64(Date().timeIntervalSince1970) - 8 * 86_400, hash)
        }
        _ = try await t.signIn("cleo")
        let kept = try await t.store.database.read { db in
            try db.scalar(Int.self, "SELECT count(*) FROM sessions WHERE token_hash = ?", hash)
        }
        #expect(kept == 0)

        let bob = try await t.signIn("bob")
        #expect(try await t.call(.get, "/communities", token: bob).status == .ok)
        try t.node.accounts.setStatus(.suspended, username: "bob")
        let suspended = try await t.call(.get, "/communities", token: bob)
        #expect(suspended.status == .unauthorized)
        #expect(suspended.headers["WWW-Authenticate"] != nil)
    }

    @Test func passwordChange() async throws {
        let token = try await t.signIn("cleo")
        let elsewhere = try await t.signIn("cleo")
        let wrong = try await t.call(.post, "/me/password", token: token,
                                     body: ["current": "not my password", "new": "a brand new secret"])
        #expect(wrong.status == .forbidden)
        #expect(errorField(wrong) == "current")
        let short = try await t.call(.post, "/me/password", token: token, body: ["current": .string(APITestNode.password), "new": "short"])
        #expect(short.status == .unprocessableContent)
        #expect(errorField(short) == "new")
        let missing = try await t.call(.post, "/me/password", token: token, body: ["current": .string(APITestNode.password)])
        #expect(missing.status == .unprocessableContent)
        #expect(try await t.call(.post, "/me/password", body: ["current": "x", "new": "y"]).status == .unauthorized)

        let changed = try await t.call(.post, "/me/password", token: token,
                                       body: ["current": .string(APITestNode.password), "new": "a brand new secret"])
        #expect(changed.status == .noContent)
        #expect(try await t.call(.get, "/me", token: token).status == .ok, "the session that changed it stays")
        #expect(try await t.call(.get, "/me", token: elsewhere).status == .unauthorized, "other sessions are revoked")
        let old = try await t.call(.post, "/auth/sign-in", body: ["username": "cleo", "password": .string(APITestNode.password)])
        #expect(old.status == .unauthorized)
        _ = try await t.signIn("cleo", password: "a brand new secret")
    }

    @Test func unknownEndpointsAnswerJSON404() async throws {
        let response = try await t.call(.get, "/nothing/here")
        #expect(response.status == .notFound)
        #expect(errorCode(response) == "not_found")
        #expect(response.headers["Content-Type"]?.hasPrefix("application/json") == true)
    }
}
