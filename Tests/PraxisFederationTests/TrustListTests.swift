import Foundation
import PraxisFederation
import PraxisJSON
import PraxisStorage
import PraxisTestSupport
import Testing

/// The signed trust-list document, its import preview and the community exclusions.
struct TrustListTests {
    static func node() async throws -> TestNode {
        let node = try TestNode(domain: "achats.example")
        try await node.store.database.write { db in
            try TrustRepository(db).set(TrustEntry(domain: "partner.example", level: .trusted, note: "EU partner"))
            try TrustRepository(db).set(TrustEntry(domain: "spam.example", level: .blocked))
        }
        return node
    }

    @Test func exportIsSignedByTheNodeKeyAndVerifies() async throws {
        let node = try await Self.node()
        let service = TrustListService(store: node.store)
        let signed = try service.export()
        #expect(signed["type"]?.stringValue == TrustListDocument.type)
        #expect(signed["issuer"]?.stringValue == "https://achats.example/actor")
        #expect(signed["proof"]?["cryptosuite"]?.stringValue == "eddsa-jcs-2022")
        let list = try TrustListDocument(parsing: signed)
        #expect(list.entries == [.init(domain: "partner.example", level: .trusted, note: "EU partner"),
                                 .init(domain: "spam.example", level: .blocked)])
        try await service.verify(signed, issuer: list.issuer, directory: nil)

        // One changed level breaks the proof.
        var text = signed.serialized()
        text = text.replacingOccurrences(of: "\"blocked\"", with: "\"trusted\"")
        let tampered = try JSON.parse(Array(text.utf8))
        await #expect(throws: TrustListError.self) { try await service.verify(tampered, issuer: list.issuer, directory: nil) }
    }

    @Test func importShowsTheDifferenceAndAppliesOnlyWhenAsked() async throws {
        let node = try await Self.node()
        let service = TrustListService(store: node.store)
        let proposed = TrustListDocument(
            id: "https://other.example/trust-list", issuer: "https://other.example/actor", issued: Date(), mode: .allowlist,
            entries: [.init(domain: "partner.example", level: .limited), .init(domain: "new.example", level: .trusted),
                      .init(domain: "achats.example", level: .blocked)])
        let diff = try service.preview(TrustListDocument(parsing: proposed.json))
        #expect(diff.added.map(\.domain) == ["new.example"])
        #expect(diff.removed.map(\.domain) == ["spam.example"])
        #expect(diff.changed == [.init(domain: "partner.example", from: .trusted, to: .limited, note: "")])
        #expect(try await node.store.database.read { db in try TrustRepository(db).all().count } == 2, "a preview writes nothing")
        try service.apply(diff, operatorName: "test", source: "file")
        let after = try await node.store.database.read { db in try TrustRepository(db).all().map(\.listEntry) }
        #expect(after == [.init(domain: "new.example", level: .trusted), .init(domain: "partner.example", level: .limited)])
    }

    static let malformed: [(JSON, String)] = [
        (["type": "Note"], "\"type\" must be"),
        (["type": "praxis:TrustList", "issuer": "https://a.example/actor", "issued": "2025-01-01T00:00:00Z",
               "mode": "allowlist", "entries": [["domain": "bad domain", "level": "trusted"]]], "entry 1"),
        (["type": "praxis:TrustList", "issuer": "https://a.example/actor", "issued": "2025-01-01T00:00:00Z",
               "mode": "allowlist", "entries": [["domain": "b.example", "level": "friendly"]]], "\"level\" must be"),
        (["type": "praxis:TrustList", "issuer": "https://a.example/actor", "issued": "yesterday",
               "mode": "allowlist", "entries": []], "\"issued\""),
    ]

    @Test(arguments: malformed)
    func malformedListsAreRefusedWithTheReason(_ document: JSON, _ message: String) throws {
        let error = try #require(throws: TrustListError.self) { try TrustListDocument(parsing: document) }
        #expect(error.message.contains(message), "\(error.message)")
    }

    @Test func aCommunityNarrowsButNeverWidensItsNodeList() async throws {
        let node = try await Self.node()
        try node.communities.create(.init(name: "works", title: "Works", visibility: .public, joinPolicy: .open))
        let policy = TrustPolicy(mode: .allowlist, localDomain: "achats.example")
        try await node.store.database.write { db in
            try CommunityTrustRepository(db).exclude(CommunityExclusion(community: "works", domain: "partner.example"))
            // Excluding a blocked node changes nothing: it stays blocked with the node's reason.
            try CommunityTrustRepository(db).exclude(CommunityExclusion(community: "works", domain: "spam.example"))
        }
        try await node.store.database.read { db in
            let excluded = try policy.decision(for: "partner.example", community: "works", db: db)
            #expect(excluded.level == .blocked)
            #expect(excluded.refusal == "partner.example is excluded from the community works on achats.example")
            #expect(try policy.level(of: "partner.example", db: db) == .trusted, "the node's own level is unchanged")
            #expect(try policy.decision(for: "spam.example", community: "works", db: db).refusal
                == "spam.example is blocked by achats.example")
            #expect(try policy.level(of: "unknown.example", community: "works", db: db) == .blocked)
        }
        await #expect(throws: StorageError.self) {
            try await node.store.database.write { db in
                try CommunityTrustRepository(db).exclude(CommunityExclusion(community: "nope", domain: "x.example"))
            }
        }
    }
}
