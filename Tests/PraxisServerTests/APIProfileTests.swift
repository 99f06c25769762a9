import Foundation
import PraxisHTTP
import PraxisJSON
import PraxisSQLite
import PraxisStorage
import Testing

/// Profiles and settings through the client API.
@Suite struct APIProfileTests {
    let t: APITestNode
    init() throws { t = try APITestNode() }

    @Test func aMemberEditsTheirProfileAndTheChangeFederatesAsAnUpdate() async throws {
        // A remote follower on a trusted node is told about the change.
        try await t.store.database.write { db in
            try TrustRepository(db).set(TrustEntry(domain: "other.test", level: .trusted))
            try FollowRepository(db).upsert(Follow(
                follower: "https://other.test/users/zoe", followed: "https://praxis.test/users/ana",
                followerInbox: "https://other.test/users/zoe/inbox", followerDomain: "other.test",
                followedDomain: "praxis.test", state: .accepted, activityID: "https://other.test/activities/f1"))
        }
        let ana = try await t.signIn("ana")
        let before = try json(try await t.call(.get, "/me/profile", token: ana))
        #expect(before["displayName"] == "Ana Ruiz")
        #expect(before["organisation"] == "")
        #expect(before["country"] == .null)

        let response = try await t.call(.patch, "/me/profile", token: ana, body: [
            "displayName": "  Ana Ruiz García ", "summary": "Buyer for the city of Seville", "organisation": "Ayuntamiento",
            "country": "es", "languages": ["ES", "en-GB", "es"],
        ])
        #expect(response.status == .ok, "\(errorMessage(response) ?? "")")
        let profile = try json(response)
        #expect(profile["displayName"] == "Ana Ruiz García")
        #expect(profile["country"] == "ES")
        #expect(profile["languages"] == ["es", "en-GB"])
        let update = try #require(profile["update"]?.stringValue)
        let queued = try await t.store.database.read { db in
            (try db.scalar(String.self, "SELECT type FROM outbox WHERE activity_id = ?", update),
             try db.query("SELECT inbox FROM deliveries").map { try $0.get("inbox", as: String.self) })
        }
        #expect(queued.0 == "Update")
        #expect(queued.1 == ["https://other.test/users/zoe/inbox"])

        let again = try json(try await t.call(.get, "/me/profile", token: ana))
        #expect(again["summary"] == "Buyer for the city of Seville")
        #expect(again["organisation"] == "Ayuntamiento")
        // Changing only the organisation sends no Update: the actor document did not change.
        let quiet = try json(try await t.call(.patch, "/me/profile", token: ana, body: ["organisation": "Sevilla", "country": nil]))
        #expect(quiet["update"] == .null)
        #expect(quiet["country"] == .null)
    }

    @Test func profileChangesAreValidatedAndNeedATokenField() async throws {
        let ana = try await t.signIn("ana")
        for (body, field) in [
            (["country": "Spain"] as JSON, "country"), (["languages": ["not a tag"]], "languages"), (["displayName": "  "], "displayName"),
            (["displayName": 7], "displayName"), (["summary": .string(String(repeating: "x", count: 2_001))], "summary"),
            (["languages": "fr"], "languages"),
        ] {
            let response = try await t.call(.patch, "/me/profile", token: ana, body: body)
            #expect(response.status == .unprocessableContent, "\(body)")
            #expect(errorField(response) == field, "\(body): \(errorMessage(response) ?? "")")
        }
        #expect(try await t.call(.patch, "/me/profile", token: ana, raw: Array("{".utf8)).status == .badRequest)
        #expect(try json(try await t.call(.get, "/me/profile", token: ana))["displayName"] == "Ana Ruiz")
        #expect(try await t.call(.get, "/me/profile").status == .unauthorized)
        #expect(try await t.call(.patch, "/me/profile", body: ["displayName": "X"]).status == .unauthorized)
    }

    @Test func settingsKeepKnownKeysOnly() async throws {
        let bob = try await t.signIn("bob")
        let defaults = try json(try await t.call(.get, "/me/settings", token: bob))
        #expect(defaults["emailDigest"] == "weekly")
        #expect(defaults["notifications"]?["replies"] == true)
        #expect(defaults["defaultLanguage"] == .null)

        let changed = try await t.call(.patch, "/me/settings", token: bob, body: [
            "emailDigest": "daily", "defaultLanguage": "fr-BE", "notifications": ["replies": false],
        ])
        #expect(changed.status == .ok)
        let stored = try json(try await t.call(.get, "/me/settings", token: bob))
        #expect(stored["emailDigest"] == "daily")
        #expect(stored["defaultLanguage"] == "fr-BE")
        #expect(stored["notifications"]?["replies"] == false)
        #expect(stored["notifications"]?["mentions"] == true)

        for (body, field) in [
            (["colour": "red"] as JSON, "colour"), (["emailDigest": "hourly"], "emailDigest"),
            (["notifications": ["bogus": true]], "notifications.bogus"), (["notifications": ["replies": "no"]], "notifications.replies"),
            (["defaultLanguage": "xx_YY"], "defaultLanguage"), (["emailDigest": "off", "notifications": 3], "notifications"),
        ] {
            let response = try await t.call(.patch, "/me/settings", token: bob, body: body)
            #expect(response.status == .unprocessableContent, "\(body)")
            #expect(errorField(response) == field, "\(body)")
        }
        // A refused change changes nothing, not even its valid parts.
        #expect(try json(try await t.call(.get, "/me/settings", token: bob))["emailDigest"] == "daily")
        #expect(try await t.call(.get, "/me/settings").status == .unauthorized)
        #expect(try await t.call(.patch, "/me/settings", body: ["emailDigest": "off"]).status == .unauthorized)
    }

    @Test func memberProfilesAreVisibleToMembersButNotGuests() async throws {
        let bob = try await t.signIn("bob")
        _ = try await t.call(.patch, "/me/profile", token: try await t.signIn("ana"), body: ["organisation": "City"])
        for handle in ["ana", "ana@praxis.test", "%40ana%40praxis.test", FormURLEncoding.percentEncode(t.person("ana"))] {
            let response = try await t.call(.get, "/members/\(handle)", token: bob)
            #expect(response.status == .ok, "\(handle)")
            let profile = try json(response)
            #expect(profile["organisation"] == "City")
            #expect(profile["email"] == nil, "only the member sees their e-mail")
        }
        try await t.addRemoteActor("https://other.test/users/zoe", type: "Person", username: "zoe", name: "Zoé",
                                   document: "{\"summary\":\"Expert\"}")
        let remote = try json(try await t.call(.get, "/members/zoe@other.test", token: bob))
        #expect(remote["local"] == false)
        #expect(remote["displayName"] == "Zoé")
        #expect(remote["summary"] == "Expert")
        #expect(try await t.call(.get, "/members/nobody", token: bob).status == .notFound)
        #expect(try await t.call(.get, "/members/cloud", token: bob).status == .notFound)
        #expect(try await t.call(.get, "/members/ana").status == .unauthorized)

        let cleo = try await t.store.database.read { db in try AccountRepository(db).find(username: "cleo")?.actor.id }
        try await t.store.database.write { db in
            try InvitationRepository(db).setGuestScope(
                accountID: cleo ?? 0, community: "https://praxis.test/communities/cloud", topic: nil,
                expiresAt: Date().addingTimeInterval(86_400))
        }
        let guest = try await t.signIn("cleo")
        #expect(try await t.call(.get, "/members/ana", token: guest).status == .forbidden)
        #expect(try await t.call(.get, "/me/profile", token: guest).status == .ok)
    }
}
