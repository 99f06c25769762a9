import Foundation
import PraxisSQLite
import PraxisStorage
import PraxisTestSupport
import Testing

@Suite struct NodeStoreTests {
    func makeStore() throws -> (TemporaryDirectory, NodeStore) {
        let temp = TemporaryDirectory()
        let store = try NodeStore.create(
            directory: DataDirectory(path: temp.appending("node")),
            configuration: NodeConfiguration(domain: "praxis.test", name: "Test"))
        return (temp, store)
    }

    @Test func createWritesConfigurationAndMigratedDatabaseWithPrivatePermissions() throws {
        let (temp, store) = try makeStore()
        _ = temp
        let attributes = try FileManager.default.attributesOfItem(atPath: store.directory.databaseFile.path)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        let rootAttributes = try FileManager.default.attributesOfItem(atPath: store.directory.root.path)
        #expect((rootAttributes[.posixPermissions] as? Int) == 0o700)
        let configAttributes = try FileManager.default.attributesOfItem(atPath: store.directory.configurationFile.path)
        #expect((configAttributes[.posixPermissions] as? Int) == 0o600)
        let version = try store.database.read { db in try Migrator(Schema.migrations).currentVersion(db) }
        #expect(version == Schema.migrations.last?.version)
        let reopened = try NodeStore(directory: store.directory)
        #expect(reopened.configuration == store.configuration)
    }

    @Test func createRefusesAnInitialisedFolderAndKeepsItsData() throws {
        let (temp, store) = try makeStore()
        _ = temp
        try store.database.write { db in
            try ActorRepository(db).insert(kind: .person, username: "ana", displayName: "Ana", keys: [])
        }
        #expect(throws: StorageError.alreadyInitialised(store.directory.root.path)) {
            _ = try NodeStore.create(directory: store.directory,
                                     configuration: NodeConfiguration(domain: "other.test", name: "Other"))
        }
        let reopened = try NodeStore(directory: store.directory)
        #expect(reopened.configuration.domain == "praxis.test")
        #expect(try reopened.database.read { db in try ActorRepository(db).find(username: "ana") } != nil)
    }

    @Test func openingAnEmptyFolderSaysToRunInit() throws {
        let temp = TemporaryDirectory()
        do {
            _ = try NodeStore(directory: DataDirectory(path: temp.path))
            Issue.record("opened a folder without a node")
        } catch let error as StorageError {
            #expect(error.description.contains("praxis init"))
        }
    }

    @Test func damagedConfigurationIsReportedNotCrashed() throws {
        let (temp, store) = try makeStore()
        _ = temp
        try "{ not json".write(to: store.directory.configurationFile, atomically: true, encoding: .utf8)
        #expect(throws: StorageError.self) { _ = try NodeStore(directory: store.directory) }
    }

    @Test func usernamesAreUniqueAcrossActorKinds() throws {
        let (temp, store) = try makeStore()
        _ = temp
        try store.database.write { db in
            try ActorRepository(db).insert(kind: .person, username: "ana", displayName: "Ana", keys: [])
        }
        #expect(throws: StorageError.duplicate("the name \"ana\" is already taken on this node")) {
            try store.database.write { db in
                try ActorRepository(db).insert(kind: .group, username: "ana", displayName: "Ana group", keys: [])
            }
        }
    }

    @Test func keysKeepCurrentAndRetiredOnesInOrder() throws {
        let (temp, store) = try makeStore()
        _ = temp
        let old = Date(timeIntervalSince1970: 1_700_000_000)
        let keys = try store.database.write { db in
            let actor = try ActorRepository(db).insert(
                kind: .person, username: "ana", displayName: "Ana",
                keys: [
                    ActorKey(algorithm: .ed25519, fragment: "ed-old", publicKey: "z6Mold", privateKeyPEM: "old",
                             createdAt: old, retiredAt: old.addingTimeInterval(60)),
                    ActorKey(algorithm: .ed25519, fragment: "ed-new", publicKey: "z6Mnew", privateKeyPEM: "new"),
                    ActorKey(algorithm: .rsa, fragment: "main-key", publicKey: "pem", privateKeyPEM: "rsa"),
                ])
            return try ActorRepository(db).keys(of: actor.id)
        }
        #expect(keys.count == 3)
        #expect(keys.last?.fragment == "ed-old")
        #expect(keys.last?.retiredAt == old.addingTimeInterval(60))
        // Only one current key per algorithm is allowed.
        #expect(throws: SQLiteError.self) {
            try store.database.write { db in
                let actor = try #require(try ActorRepository(db).find(username: "ana"))
                try ActorRepository(db).addKey(
                    ActorKey(algorithm: .rsa, fragment: "second", publicKey: "p", privateKeyPEM: "k"), to: actor.id)
            }
        }
    }

    @Test func accountsAndCommunitiesRoundTrip() throws {
        let (temp, store) = try makeStore()
        _ = temp
        try store.database.write { db in
            let ana = try ActorRepository(db).insert(kind: .person, username: "ana", displayName: "Ana", keys: [])
            try AccountRepository(db).insert(actorID: ana.id, passwordHash: "h", role: .admin, affiliation: .buyer,
                                             status: .active, email: "ana@achats.gouv.fr")
            let parent = try ActorRepository(db).insert(kind: .group, username: "it", displayName: "IT", keys: [])
            try CommunityRepository(db).insert(actorID: parent.id, visibility: .public, joinPolicy: .open, ownerID: ana.id,
                                               parentID: nil)
            let child = try ActorRepository(db).insert(kind: .group, username: "cloud", displayName: "Cloud", keys: [])
            try CommunityRepository(db).insert(actorID: child.id, visibility: .members, joinPolicy: .invite,
                                               ownerID: nil, parentID: parent.id)
        }
        let (accounts, communities, usage) = try store.database.read { db in
            (try AccountRepository(db).all(), try CommunityRepository(db).all(), try AccountRepository(db).usage())
        }
        #expect(accounts.map(\.actor.username) == ["ana"])
        #expect(accounts.first?.email == "ana@achats.gouv.fr")
        #expect(accounts.first?.role == .admin)
        #expect(communities.map(\.actor.username) == ["cloud", "it"])
        #expect(communities.first?.parentUsername == "it")
        #expect(communities.last?.ownerUsername == "ana")
        #expect(usage.total == 1)
        try store.database.write { db in try AccountRepository(db).setStatus(.suspended, username: "ana") }
        #expect(try store.database.read { db in try AccountRepository(db).usage().total } == 0)
        #expect(throws: StorageError.self) {
            try store.database.write { db in try AccountRepository(db).setStatus(.active, username: "nobody") }
        }
    }
}

@Suite struct DomainTests {
    @Test(arguments: ["praxis.achats.gouv.fr", "127.0.0.1:8001", "localhost", "a-b.example", "[::1]:8443", "x.y:65535"])
    func acceptsAuthorities(_ domain: String) throws {
        try Domain.validate(domain)
    }

    @Test(arguments: ["", "Praxis.Example", "has space.org", "bad_host.org", "-lead.org", "a..b", "host:0", "host:70000",
                      "host:abc", "[::1", "https://x.org", "x.org/path", "ünicode.org"])
    func rejectsMalformedAuthorities(_ domain: String) {
        #expect(throws: StorageError.self) { try Domain.validate(domain) }
    }

    @Test func portOfAuthority() {
        #expect(Domain.port(of: "127.0.0.1:8001") == 8001)
        #expect(Domain.port(of: "praxis.example") == nil)
        #expect(Domain.port(of: "[::1]") == nil)
    }

    @Test func configurationDefaultsFollowDevelopmentMode() {
        let dev = NodeConfiguration(domain: "127.0.0.1:8001", name: "Dev", development: true)
        #expect(dev.baseURL == "http://127.0.0.1:8001")
        #expect(dev.listen == "127.0.0.1:8001")
        let prod = NodeConfiguration(domain: "praxis.example", name: "Prod")
        #expect(prod.baseURL == "https://praxis.example")
        #expect(prod.listen == "127.0.0.1:8080")
        #expect(prod.federation == .allowlist)
    }
}
