import Foundation
import PraxisCrypto
import PraxisFederation
import PraxisHTTP
import PraxisJSON
import PraxisServer
import PraxisSQLite
import PraxisStorage
import PraxisTestSupport
import Testing

/// Hostile requests against a real node's inbox: each is refused with a 4xx and leaves no trace.
@Suite(.serialized) struct InboxSecurityTests {
    static func traces(_ f: FederationFixture) async throws -> (activities: Int, signatures: Int, deadLetters: Int) {
        try await f.read(0) { db in
            (try db.scalar(Int.self, "SELECT count(*) FROM inbox_activities") ?? 0,
             try db.scalar(Int.self, "SELECT count(*) FROM seen_signatures") ?? 0,
             try db.scalar(Int.self, "SELECT count(*) FROM dead_letters") ?? 0)
        }
    }

    @Test(.timeLimit(.minutes(2))) func forgedReplayedStaleTamperedAndForeignRequestsAreRefused() async throws {
        let f = try FederationFixture(nodes: 3)
        try f.addMember("ana", on: 0)
        try f.addMember("bob", on: 1)
        try f.addMember("carla", on: 2)
        try f.startAll()
        defer { Task { await f.stopAll() } }
        let inbox = f.base(0) + "/inbox"
        let client = f.node(1).federation.client
        let target = f.base(0) + "/users/ana"
        func body(_ text: HTTPClientResponse) -> String { String(decoding: text.body, as: UTF8.self) }

        // A genuine request is accepted (for both profiles), which warms the key cache.
        for profile in [SignatureProfile.rfc9421, .cavage] {
            let genuine = try await FederationTests.signedPost(
                from: f, node: 1, actor: "bob", to: inbox, activity: FederationTests.like(f, node: 1, actor: "bob", object: target),
                profile: profile)
            let accepted = try await client.send(genuine)
            #expect(accepted.status == .accepted, "\(profile): \(body(accepted))")
        }
        let before = try await Self.traces(f)

        // Replay: the very same signed request again.
        let once = try await FederationTests.signedPost(
            from: f, node: 1, actor: "bob", to: inbox, activity: FederationTests.like(f, node: 1, actor: "bob", object: target))
        #expect(try await client.send(once).status == .accepted)
        try await f.eventually("the accepted activity is processed") {
            try await f.read(0) { db in try db.scalar(Int.self, "SELECT count(*) FROM inbox_activities WHERE state = 'pending'") == 0 }
        }
        let afterOnce = try await Self.traces(f)
        // Every refusal below leaves the node's storage exactly as it is now.
        let snapshot = try await StorageSnapshot.take(f)
        @Sendable func unchanged(_ what: String) async throws {
            let changed = try await StorageSnapshot.take(f).changed(since: snapshot)
            #expect(changed.isEmpty, "\(what) changed \(changed)")
        }
        let replay = try await client.send(once)
        #expect(replay.status == .unauthorized)
        #expect(body(replay).contains("replay"))
        #expect(try await Self.traces(f) == afterOnce)
        try await unchanged("the replay")

        // Forged: Bob's key id, signed with another key.
        var forged = try await FederationTests.signedPost(
            from: f, node: 1, actor: "bob", to: inbox, activity: FederationTests.like(f, node: 1, actor: "bob", object: target))
        let other = Ed25519PrivateKey()
        var reSigned = HTTPHeaders([("Content-Type", "application/activity+json")])
        try HTTPSigner.sign(method: .post, url: inbox, headers: &reSigned, body: forged.body,
                            keyID: f.base(1) + "/users/bob#ed25519-key", key: .ed25519(other), profile: .rfc9421, now: Date())
        forged.headers = reSigned
        let forgedResponse = try await client.send(forged)
        #expect(forgedResponse.status == .unauthorized, "\(body(forgedResponse))")
        try await unchanged("the forged signature")

        // Stale: signed two hours ago.
        let stale = try await FederationTests.signedPost(
            from: f, node: 1, actor: "bob", to: inbox, activity: FederationTests.like(f, node: 1, actor: "bob", object: target),
            profile: .cavage, date: Date().addingTimeInterval(-7200))
        let staleResponse = try await client.send(stale)
        #expect(staleResponse.status == .unauthorized)
        #expect(body(staleResponse).lowercased().contains("old") || body(staleResponse).lowercased().contains("expired"),
                "\(body(staleResponse))")
        try await unchanged("the stale Date")

        // Wrong digest: the body changed after signing.
        var tampered = try await FederationTests.signedPost(
            from: f, node: 1, actor: "bob", to: inbox, activity: FederationTests.like(f, node: 1, actor: "bob", object: target))
        tampered.body = FederationTests.like(f, node: 1, actor: "bob", object: f.base(0) + "/users/someone-else").serializedBytes()
        let tamperedResponse = try await client.send(tampered)
        #expect(tamperedResponse.status == .unauthorized)
        #expect(body(tamperedResponse).lowercased().contains("digest"), "\(body(tamperedResponse))")
        try await unchanged("the wrong digest")

        // Key from another host: an activity of Carla (node 2) signed with Bob's key (node 1).
        let foreign = try await FederationTests.signedPost(
            from: f, node: 1, actor: "bob", to: inbox, activity: FederationTests.like(f, node: 2, actor: "carla", object: target))
        let foreignResponse = try await client.send(foreign)
        #expect(foreignResponse.status == .unauthorized)
        #expect(body(foreignResponse).contains("belongs to"), "\(body(foreignResponse))")
        try await unchanged("the key from another host")

        // Unsigned, and not JSON media type.
        var unsigned = HTTPClientRequest(method: .post, url: inbox, headers: ["Content-Type": "application/activity+json"],
                                         body: FederationTests.like(f, node: 1, actor: "bob", object: target).serializedBytes())
        #expect(try await client.send(unsigned).status == .unauthorized)
        unsigned.headers["Content-Type"] = "text/plain"
        #expect(try await client.send(unsigned).status == .unsupportedMediaType)
        try await unchanged("the unsigned requests")

        // None of the refusals left anything behind.
        #expect(try await Self.traces(f) == afterOnce)
        #expect(afterOnce.activities == before.activities + 1)
    }
}
