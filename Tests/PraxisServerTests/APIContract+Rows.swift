import Foundation
import PraxisCommunity
import PraxisHTTP
import PraxisJSON

/// The contract rows, in the order of `Protocol/openapi.yaml`. Members: `ada` admin, `mo` node
/// moderator, `ana` owner of `cloud`, `bob` member of cloud and secret, `cleo` asking to join
/// secret, `sam` supplier (see ``ContractWorld``).
enum APIContract {
    static let password = APITestNode.password
    static let notes = Array("Minutes of the buyers' meeting.\n".utf8)

    static let rows: [ContractRow] = account + communities + posts + participation + moderation + documents
        + notifications + reading

    static let account: [ContractRow] = [
        row("POST /auth/sign-in",
            ok: { _ in by(nil, .post, "/auth/sign-in", ["username": "bob", "password": .string(password)], expect: 200) },
            invalid: { _ in by(nil, .post, "/auth/sign-in", ["username": "bob"], expect: 422) },
            noForbidden: "public"),
        row("POST /auth/sign-out", ok: { _ in by("bob", .post, "/auth/sign-out", expect: 204) }),
        row("GET /me", ok: { _ in by("bob", .get, "/me", expect: 200) }),
        row("POST /me/password",
            ok: { _ in by("bob", .post, "/me/password", ["current": .string(password), "new": "another long passphrase"], expect: 204) },
            invalid: { _ in by("bob", .post, "/me/password", ["current": .string(password), "new": "short"], expect: 422) },
            forbidden: { _ in by("bob", .post, "/me/password", ["current": "not my password", "new": "another long passphrase"], expect: 403) }),
        row("POST /registrations",
            ok: { _ in by(nil, .post, "/registrations", [
                "username": "newbuyer", "password": .string(password), "email": "newbuyer@city.example",
            ], expect: 201) },
            invalid: { _ in by(nil, .post, "/registrations", ["username": "newbuyer", "password": .string(password)], expect: 422) },
            noForbidden: "403 only when the operator closed registration or limits it to invitations; not the default"),
        row("GET /conduct",
            ok: { _ in by("bob", .get, "/conduct?community=cloud", expect: 200) },
            noValidation: "`community` only adds that community's code; any other value lists the node's alone"),
        row("POST /conduct/accept",
            ok: { w in
                let code = try ConductService(store: w.api.store).publish(text: "Be kind and keep tenders confidential.")
                return by("bob", .post, "/conduct/accept", ["version": .integer(Int64(code.version))], expect: 204)
            },
            invalid: { _ in by("bob", .post, "/conduct/accept", ["version": "one"], expect: 422) }),
        row("POST /invitations/redeem",
            ok: { w in
                let invitation = try await w.prepare(by("ana", .post, "/communities/cloud/invitations", ["validDays": 7], expect: 201))
                return by(nil, .post, "/invitations/redeem", [
                    "token": invitation["token"] ?? .null, "username": "expert", "password": .string(password),
                ], expect: 201)
            },
            invalid: { _ in by(nil, .post, "/invitations/redeem", ["token": "abc"], expect: 422) },
            noForbidden: "public; 403 is for an invitation that expired or was withdrawn"),
        row("GET /me/profile", ok: { _ in by("bob", .get, "/me/profile", expect: 200) }),
        row("PATCH /me/profile",
            ok: { _ in by("bob", .patch, "/me/profile", ["displayName": "Bob Builder"], expect: 200) },
            invalid: { _ in by("bob", .patch, "/me/profile", ["displayName": 5], expect: 422) }),
        row("GET /me/settings", ok: { _ in by("bob", .get, "/me/settings", expect: 200) }),
        row("PATCH /me/settings",
            ok: { _ in by("bob", .patch, "/me/settings", ["emailDigest": "off"], expect: 200) },
            invalid: { _ in by("bob", .patch, "/me/settings", ["emailDigest": "sometimes"], expect: 422) }),
        row("GET /members/{handle}",
            ok: { _ in by("bob", .get, "/members/ana", expect: 200) },
            forbidden: { w in
                var made = by(nil, .get, "/members/ana", expect: 403)
                made.token = try await w.guestToken()
                return made
            }),
        row("GET /me/export", ok: { _ in by("bob", .get, "/me/export", expect: 200) }),
        row("POST /me/export", ok: { _ in by("bob", .post, "/me/export", expect: 200) }),
    ]

    static let communities: [ContractRow] = [
        row("GET /communities",
            ok: { _ in by("bob", .get, "/communities", expect: 200) },
            invalid: { _ in by("bob", .get, "/communities?theme=nonsense", expect: 400) }),
        row("POST /communities",
            ok: { _ in by("ada", .post, "/communities", ["name": "tenders", "visibility": "public"], expect: 201) },
            invalid: { _ in by("ada", .post, "/communities", ["name": "Not a name!"], expect: 422) },
            forbidden: { _ in by("bob", .post, "/communities", ["name": "tenders"], expect: 403) }),
        row("GET /communities/{name}", ok: { _ in by("bob", .get, "/communities/cloud", expect: 200) }),
        row("POST /communities/{name}/join",
            ok: { _ in by("cleo", .post, "/communities/cloud/join", expect: 200) },
            forbidden: { _ in by("sam", .post, "/communities/cloud/join", expect: 403) }),
        row("POST /communities/{name}/leave", ok: { _ in by("bob", .post, "/communities/cloud/leave", expect: 204) }),
        row("GET /communities/{name}/members",
            ok: { _ in by("bob", .get, "/communities/cloud/members", expect: 200) },
            forbidden: { _ in by("sam", .get, "/communities/cloud/members", expect: 403) }),
        row("POST /follows",
            ok: { _ in by("cleo", .post, "/follows", ["target": "@cloud@praxis.test"], expect: 200) },
            invalid: { _ in by("cleo", .post, "/follows", ["target": "not a community"], expect: 422) },
            forbidden: { _ in by("sam", .post, "/follows", ["target": "https://other.test/communities/x"], expect: 403) }),
        row("DELETE /follows",
            ok: { w in by("bob", .delete, "/follows?target=" + w.encoded("@cloud@praxis.test"), expect: 204) },
            invalid: { _ in by("bob", .delete, "/follows", expect: 400) }),
        row("GET /communities/{name}/requests",
            ok: { _ in by("ada", .get, "/communities/secret/requests", expect: 200) },
            forbidden: { _ in by("bob", .get, "/communities/cloud/requests", expect: 403) }),
        row("POST /communities/{name}/requests",
            ok: { w in by("ada", .post, "/communities/secret/requests", ["follower": .string(w.person("cleo")), "accept": true], expect: 204) },
            invalid: { w in by("ada", .post, "/communities/secret/requests", ["follower": .string(w.person("cleo"))], expect: 422) },
            forbidden: { w in by("bob", .post, "/communities/cloud/requests", ["follower": .string(w.person("cleo")), "accept": true], expect: 403) }),
        row("POST /communities/{name}/invitations",
            ok: { _ in by("ana", .post, "/communities/cloud/invitations", ["validDays": 7, "topic": "cloud"], expect: 201) },
            invalid: { _ in by("ana", .post, "/communities/cloud/invitations", ["validDays": 0], expect: 422) },
            forbidden: { _ in by("bob", .post, "/communities/cloud/invitations", ["validDays": 7], expect: 403) }),
        row("POST /communities/{name}/members/invite",
            ok: { _ in by("ana", .post, "/communities/cloud/members/invite", ["invitee": "cleo"], expect: 202) },
            invalid: { _ in by("ana", .post, "/communities/cloud/members/invite", [:], expect: 422) },
            forbidden: { _ in by("bob", .post, "/communities/cloud/members/invite", ["invitee": "cleo"], expect: 403) }),
        row("GET /me/invitations", ok: { _ in by("cleo", .get, "/me/invitations", expect: 200) }),
        row("POST /me/invitations/respond",
            ok: { w in
                try await w.prepare(by("ana", .post, "/communities/cloud/members/invite", ["invitee": "cleo"], expect: 202))
                let listed = try await w.prepare(by("cleo", .get, "/me/invitations", expect: 200))
                let id = listed["invitations"]?.arrayValue?.first?["id"] ?? .null
                return by("cleo", .post, "/me/invitations/respond", ["invitation": id, "accept": true], expect: 204)
            },
            invalid: { _ in by("cleo", .post, "/me/invitations/respond", ["invitation": "x"], expect: 422) }),
        row("GET /communities/{name}/excluded-nodes",
            ok: { _ in by("ana", .get, "/communities/cloud/excluded-nodes", expect: 200) },
            forbidden: { _ in by("bob", .get, "/communities/cloud/excluded-nodes", expect: 403) }),
        row("POST /communities/{name}/excluded-nodes",
            ok: { _ in by("ana", .post, "/communities/cloud/excluded-nodes", ["domain": "spam.example"], expect: 201) },
            invalid: { _ in by("ana", .post, "/communities/cloud/excluded-nodes", ["domain": "not a domain"], expect: 422) },
            forbidden: { _ in by("bob", .post, "/communities/cloud/excluded-nodes", ["domain": "spam.example"], expect: 403) }),
        row("DELETE /communities/{name}/excluded-nodes",
            ok: { w in
                try await w.prepare(by("ana", .post, "/communities/cloud/excluded-nodes", ["domain": "spam.example"], expect: 200, 201))
                return by("ana", .delete, "/communities/cloud/excluded-nodes?domain=spam.example", expect: 204)
            },
            invalid: { _ in by("ana", .delete, "/communities/cloud/excluded-nodes", expect: 400) },
            forbidden: { _ in by("bob", .delete, "/communities/cloud/excluded-nodes?domain=spam.example", expect: 403) }),
        row("PUT /communities/{name}/roles",
            ok: { _ in by("ana", .put, "/communities/cloud/roles", ["member": "bob", "role": "moderator"], expect: 200) },
            invalid: { _ in by("ana", .put, "/communities/cloud/roles", ["member": "bob", "role": "boss"], expect: 422) },
            forbidden: { _ in by("bob", .put, "/communities/cloud/roles", ["member": "bob", "role": "manager"], expect: 403) }),
        row("GET /communities/{name}/health",
            ok: { _ in by("ana", .get, "/communities/cloud/health", expect: 200) },
            forbidden: { _ in by("bob", .get, "/communities/cloud/health", expect: 403) }),
        row("GET /health",
            ok: { _ in by("ada", .get, "/health", expect: 200) },
            forbidden: { _ in by("bob", .get, "/health", expect: 403) }),
    ]

    static let posts: [ContractRow] = [
        row("GET /communities/{name}/posts",
            ok: { _ in by("bob", .get, "/communities/cloud/posts", expect: 200) },
            invalid: { _ in by("bob", .get, "/communities/cloud/posts?limit=0", expect: 400) },
            forbidden: { _ in by("sam", .get, "/communities/cloud/posts", expect: 403) }),
        row("POST /communities/{name}/posts",
            ok: { _ in by("bob", .post, "/communities/cloud/posts", ["content": "Hello all"], expect: 201) },
            invalid: { _ in by("bob", .post, "/communities/cloud/posts", ["title": "No content"], expect: 422) },
            forbidden: { _ in by("cleo", .post, "/communities/cloud/posts", ["content": "Hello all"], expect: 403) }),
        row("POST /posts",
            ok: { w in by("bob", .post, "/posts", ["community": .string(w.community("cloud")), "content": "Hello"], expect: 201) },
            invalid: { _ in by("bob", .post, "/posts", ["community": "cloud", "content": "Hello"], expect: 422) },
            forbidden: { w in by("cleo", .post, "/posts", ["community": .string(w.community("cloud")), "content": "Hello"], expect: 403) }),
        row("PATCH /posts/{id}",
            ok: { w in by("ana", .patch, "/posts/" + w.encoded(w.question), ["content": "Which lots, and why?"], expect: 200) },
            invalid: { w in by("ana", .patch, "/posts/" + w.encoded(w.question), ["content": 7], expect: 422) },
            forbidden: { w in by("bob", .patch, "/posts/" + w.encoded(w.question), ["content": "Mine now"], expect: 403) }),
        row("DELETE /posts/{id}",
            ok: { w in by("ana", .delete, "/posts/" + w.encoded(w.question), expect: 204) },
            forbidden: { w in by("bob", .delete, "/posts/" + w.encoded(w.question), expect: 403) }),
        row("POST /posts/{id}/accept",
            ok: { w in by("ana", .post, "/posts/\(w.encoded(w.question))/accept", ["answer": .string(w.reply)], expect: 200) },
            invalid: { w in by("ana", .post, "/posts/\(w.encoded(w.question))/accept", [:], expect: 422) },
            forbidden: { w in by("bob", .post, "/posts/\(w.encoded(w.question))/accept", ["answer": .string(w.reply)], expect: 403) }),
        row("POST /posts/{id}/helpful",
            ok: { w in by("bob", .post, "/posts/\(w.encoded(w.question))/helpful", expect: 204) },
            forbidden: { w in by("cleo", .post, "/posts/\(w.encoded(w.question))/helpful", expect: 403) }),
    ]

    static let participation: [ContractRow] = []

    static let moderation: [ContractRow] = [
        row("POST /reports",
            ok: { w in by("bob", .post, "/reports", ["object": .string(w.question), "reason": "Off topic"], expect: 201) },
            invalid: { w in by("bob", .post, "/reports", ["object": .string(w.question)], expect: 422) },
            forbidden: { _ in by("sam", .post, "/reports", ["account": "bob", "community": "cloud", "reason": "Off topic"], expect: 403) }),
        row("POST /reports/{id}/resolve",
            ok: { w in
                let id = try await report(w)
                return by("ana", .post, "/reports/\(id)/resolve", ["action": "dismiss"], expect: 204)
            },
            invalid: { w in
                let id = try await report(w)
                return by("ana", .post, "/reports/\(id)/resolve", ["action": "nuke"], expect: 422)
            },
            forbidden: { w in
                let id = try await report(w)
                return by("bob", .post, "/reports/\(id)/resolve", ["action": "dismiss"], expect: 403)
            }),
        row("GET /communities/{name}/reports",
            ok: { _ in by("ana", .get, "/communities/cloud/reports", expect: 200) },
            invalid: { _ in by("ana", .get, "/communities/cloud/reports?state=closed", expect: 400) },
            forbidden: { _ in by("bob", .get, "/communities/cloud/reports", expect: 403) }),
        row("GET /communities/{name}/moderation-log",
            ok: { _ in by("ana", .get, "/communities/cloud/moderation-log", expect: 200) },
            forbidden: { _ in by("sam", .get, "/communities/cloud/moderation-log", expect: 403) }),
        row("POST /communities/{name}/moderation-settings",
            ok: { _ in by("ana", .post, "/communities/cloud/moderation-settings", ["publicRemovals": true], expect: 204) },
            invalid: { _ in by("ana", .post, "/communities/cloud/moderation-settings", ["publicRemovals": "yes"], expect: 422) },
            forbidden: { _ in by("bob", .post, "/communities/cloud/moderation-settings", ["publicRemovals": true], expect: 403) }),
        row("GET /communities/{name}/bans",
            ok: { _ in by("ana", .get, "/communities/cloud/bans", expect: 200) },
            forbidden: { _ in by("bob", .get, "/communities/cloud/bans", expect: 403) }),
        row("POST /communities/{name}/bans",
            ok: { w in by("ana", .post, "/communities/cloud/bans", ["account": .string(w.person("bob")), "reason": "Spam"], expect: 204) },
            invalid: { _ in by("ana", .post, "/communities/cloud/bans", ["reason": "Spam"], expect: 422) },
            forbidden: { w in by("bob", .post, "/communities/cloud/bans", ["account": .string(w.person("ana"))], expect: 403) }),
        row("DELETE /communities/{name}/bans",
            ok: { w in
                try await w.prepare(by("ana", .post, "/communities/cloud/bans", ["account": .string(w.person("bob"))], expect: 204))
                return by("ana", .delete, "/communities/cloud/bans?account=" + w.encoded(w.person("bob")), expect: 204)
            },
            invalid: { _ in by("ana", .delete, "/communities/cloud/bans", expect: 400) },
            forbidden: { w in by("bob", .delete, "/communities/cloud/bans?account=" + w.encoded(w.person("cleo")), expect: 403) }),
        row("POST /communities/{name}/removals",
            ok: { w in by("ana", .post, "/communities/cloud/removals", ["object": .string(w.reply), "reason": "Spam"], expect: 204) },
            invalid: { _ in by("ana", .post, "/communities/cloud/removals", ["reason": "Spam"], expect: 422) },
            forbidden: { w in by("bob", .post, "/communities/cloud/removals", ["object": .string(w.question)], expect: 403) }),
        row("POST /communities/{name}/warnings",
            ok: { w in by("ana", .post, "/communities/cloud/warnings", ["account": .string(w.person("bob")), "reason": "Be kind"], expect: 204) },
            invalid: { w in by("ana", .post, "/communities/cloud/warnings", ["account": .string(w.person("bob"))], expect: 422) },
            forbidden: { w in by("bob", .post, "/communities/cloud/warnings", ["account": .string(w.person("ana")), "reason": "Be kind"], expect: 403) }),
        row("GET /me/warnings", ok: { _ in by("bob", .get, "/me/warnings", expect: 200) }),
        row("POST /accounts/{name}/suspend",
            ok: { _ in by("ada", .post, "/accounts/bob/suspend", ["reason": "Spam"], expect: 200) },
            invalid: { _ in by("ada", .post, "/accounts/bob/suspend", ["reason": 5], expect: 422) },
            forbidden: { _ in by("ana", .post, "/accounts/bob/suspend", ["reason": "Spam"], expect: 403) }),
        row("POST /accounts/{name}/reinstate",
            ok: { w in
                try await w.prepare(by("ada", .post, "/accounts/bob/suspend", [:], expect: 200))
                return by("ada", .post, "/accounts/bob/reinstate", [:], expect: 200)
            },
            invalid: { _ in by("ada", .post, "/accounts/bob/reinstate", ["reason": 5], expect: 422) },
            forbidden: { _ in by("ana", .post, "/accounts/bob/reinstate", [:], expect: 403) }),
        row("GET /moderation-log",
            ok: { _ in by("mo", .get, "/moderation-log", expect: 200) },
            forbidden: { _ in by("bob", .get, "/moderation-log", expect: 403) }),
        row("GET /audit-log",
            ok: { _ in by("ada", .get, "/audit-log?action=user&limit=10", expect: 200) },
            invalid: { _ in by("ada", .get, "/audit-log?limit=0", expect: 400) },
            forbidden: { _ in by("mo", .get, "/audit-log", expect: 403) }),
    ]

    /// Bob reports ana's question; returns the report's id.
    static func report(_ w: ContractWorld) async throws -> Int64 {
        let receipt = try await w.prepare(by("bob", .post, "/reports", ["object": .string(w.question), "reason": "Off topic"], expect: 201))
        guard let id = receipt["id"]?.intValue else { throw APITestFailure("the report has no id") }
        return id
    }

    /// Bob uploads a text document to cloud; returns its id.
    static func upload(_ w: ContractWorld) async throws -> String {
        let record = try await w.prepare(by("bob", .post, "/communities/cloud/documents?filename=notes.txt", upload: notes, expect: 201))
        guard let id = record["id"]?.stringValue else { throw APITestFailure("the document has no id") }
        return id
    }

    static let documents: [ContractRow] = [
        row("GET /communities/{name}/documents",
            ok: { _ in by("bob", .get, "/communities/cloud/documents", expect: 200) },
            forbidden: { _ in by("sam", .get, "/communities/cloud/documents", expect: 403) }),
        row("POST /communities/{name}/documents",
            ok: { _ in by("bob", .post, "/communities/cloud/documents?filename=notes.txt&title=Minutes", upload: notes, expect: 201) },
            invalid: { _ in by("bob", .post, "/communities/cloud/documents", upload: notes, expect: 400) },
            forbidden: { _ in by("cleo", .post, "/communities/cloud/documents?filename=notes.txt", upload: notes, expect: 403) }),
        row("GET /documents",
            ok: { w in by("bob", .get, "/documents?community=" + w.encoded(w.community("cloud")), expect: 200) },
            invalid: { _ in by("bob", .get, "/documents", expect: 400) }),
        row("GET /documents/{id}", ok: { w in by("bob", .get, "/documents/" + w.encoded(try await upload(w)), expect: 200) }),
        row("DELETE /documents/{id}",
            ok: { w in by("bob", .delete, "/documents/" + w.encoded(try await upload(w)), expect: 204) },
            forbidden: { w in by("cleo", .delete, "/documents/" + w.encoded(try await upload(w)), expect: 403) }),
        row("GET /documents/{id}/content",
            ok: { w in by("bob", .get, "/documents/\(w.encoded(try await upload(w)))/content", expect: 200) }),
    ]

    static let notifications: [ContractRow] = [
        row("GET /notifications",
            ok: { _ in by("ana", .get, "/notifications", expect: 200) },
            invalid: { _ in by("ana", .get, "/notifications?unread=maybe", expect: 400) }),
        row("GET /notifications/unread-count", ok: { _ in by("ana", .get, "/notifications/unread-count", expect: 200) }),
        row("POST /notifications/read",
            ok: { _ in by("ana", .post, "/notifications/read", ["all": true], expect: 200) },
            invalid: { _ in by("ana", .post, "/notifications/read", [:], expect: 422) }),
        row("POST /me/feed-token", ok: { _ in by("ana", .post, "/me/feed-token", expect: 201) }),
        row("DELETE /me/feed-token", ok: { _ in by("ana", .delete, "/me/feed-token", expect: 204) }),
        row("GET /feeds/{token}.atom",
            ok: { w in
                let created = try await w.prepare(by("ana", .post, "/me/feed-token", expect: 201))
                return by(nil, .get, "/feeds/\(created["token"]?.stringValue ?? "").atom", expect: 200)
            }),
    ]

    static let reading: [ContractRow] = [
        row("GET /search",
            ok: { _ in by("bob", .get, "/search?q=cloud", expect: 200) },
            invalid: { _ in by("bob", .get, "/search", expect: 400) },
            forbidden: { _ in by("sam", .get, "/search?q=cloud", expect: 403) }),
        row("GET /communities/{name}/threads",
            ok: { _ in by("bob", .get, "/communities/cloud/threads", expect: 200) },
            invalid: { _ in by("bob", .get, "/communities/cloud/threads?sort=oldest", expect: 400) },
            forbidden: { _ in by("sam", .get, "/communities/cloud/threads", expect: 403) }),
        row("GET /threads",
            ok: { w in by("bob", .get, "/threads?community=" + w.encoded(w.community("cloud")), expect: 200) },
            invalid: { _ in by("bob", .get, "/threads", expect: 400) },
            forbidden: { w in by("sam", .get, "/threads?community=" + w.encoded(w.community("cloud")), expect: 403) }),
        row("GET /threads/{id}",
            ok: { w in by("bob", .get, "/threads/" + w.encoded(w.question), expect: 200) },
            invalid: { w in by("bob", .get, "/threads/\(w.encoded(w.question))?limit=0", expect: 400) }),
    ]
}
