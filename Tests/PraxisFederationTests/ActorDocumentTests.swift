import Foundation
import PraxisCrypto
import PraxisFederation
import PraxisJSON
import PraxisStorage
import PraxisTestSupport
import Testing

@Suite struct ActorDocumentTests {
    @Test func personDocumentCarriesBothKeysAndEndpoints() throws {
        let node = try TestNode()
        try node.addMember("ana", displayName: "Ana Ruiz")
        let documents = ActorDocuments(urls: NodeURLs(configuration: node.store.configuration))
        let (doc, keys) = try node.store.database.read { db in
            let actor = try #require(try ActorRepository(db).find(username: "ana"))
            return (try documents.document(kind: .person, username: "ana", db: db), try ActorRepository(db).keys(of: actor.id))
        }
        let person = try #require(doc)
        let context = try #require(person["@context"]?.arrayValue)
        #expect(context.first == "https://www.w3.org/ns/activitystreams")
        #expect(context.contains("https://w3id.org/security/v1"))
        #expect(context.contains("https://w3id.org/security/multikey/v1"))
        #expect(person["id"] == "https://praxis.test/users/ana")
        #expect(person["type"] == "Person")
        #expect(person["preferredUsername"] == "ana")
        #expect(person["name"] == "Ana Ruiz")
        #expect(person["inbox"] == "https://praxis.test/users/ana/inbox")
        #expect(person["outbox"] == "https://praxis.test/users/ana/outbox")
        #expect(person["followers"] == "https://praxis.test/users/ana/followers")
        #expect(person["following"] == "https://praxis.test/users/ana/following")
        #expect(person["endpoints"]?["sharedInbox"] == "https://praxis.test/inbox")
        #expect(person["publicKey"]?["id"] == "https://praxis.test/users/ana#main-key")
        #expect(person["publicKey"]?["owner"] == "https://praxis.test/users/ana")

        // The published keys are the stored ones and parse as real keys.
        let pem = try #require(person["publicKey"]?["publicKeyPem"]?.stringValue)
        #expect(pem.hasPrefix("-----BEGIN PUBLIC KEY-----"))
        let rsa = try RSAPublicKey(pem: pem)
        let rsaPrivate = try RSAPrivateKey(pem: try #require(keys.first { $0.algorithm == .rsa }).privateKeyPEM)
        let message = Array("signed by ana".utf8)
        #expect(rsa.isValidSignature(try rsaPrivate.signature(for: message, padding: .pkcs1v15SHA256), for: message,
                                     padding: .pkcs1v15SHA256))

        let method = try #require(person["assertionMethod"]?[0])
        #expect(method["type"] == "Multikey")
        #expect(method["controller"] == "https://praxis.test/users/ana")
        #expect(method["id"] == "https://praxis.test/users/ana#ed25519-key")
        let multikey = try #require(method["publicKeyMultibase"]?.stringValue)
        #expect(multikey.hasPrefix("z6Mk"))
        let ed = try Ed25519PublicKey(multikey: multikey)
        let edPrivate = try Ed25519PrivateKey(pem: try #require(keys.first { $0.algorithm == .ed25519 }).privateKeyPEM)
        #expect(ed.isValidSignature(try edPrivate.signature(for: message), for: message))
    }

    @Test func groupAndApplicationDocuments() throws {
        let node = try TestNode()
        try node.addMember("ana")
        try node.communities.create(.init(name: "cloud", title: "Cloud buying", visibility: .members, joinPolicy: .invite,
                                          owner: "ana", theme: .purchasingNetwork, languages: ["fr", "NL"]))
        try node.communities.create(.init(name: "saas", title: "SaaS", parent: "cloud"))
        let documents = ActorDocuments(urls: NodeURLs(configuration: node.store.configuration))
        let (group, child, app) = try node.store.database.read { db in
            (try documents.document(kind: .group, username: "cloud", db: db),
             try documents.document(kind: .group, username: "saas", db: db),
             try documents.document(kind: .application, username: "node", db: db))
        }
        let g = try #require(group)
        #expect(g["type"] == "Group")
        #expect(g["name"] == "Cloud buying")
        #expect(g["attributedTo"] == "https://praxis.test/communities/cloud/moderators")
        #expect(g["manuallyApprovesFollowers"] == true)
        #expect(g["visibility"] == "members")
        #expect(g["joinPolicy"] == "invite")
        #expect(g["theme"] == "purchasingNetwork")
        #expect(g["languages"] == ["fr", "nl"])
        #expect(g["following"] == nil)
        #expect(try #require(child)["parent"] == "https://praxis.test/communities/cloud")
        let a = try #require(app)
        #expect(a["type"] == "Application")
        #expect(a["id"] == "https://praxis.test/actor")
        #expect(a["preferredUsername"] == "node")
        #expect(a["inbox"] == "https://praxis.test/inbox")
        #expect(a["publicKey"]?["id"] == "https://praxis.test/actor#main-key")
    }

    @Test func suspendedMembersAndUnknownNamesHaveNoDocument() throws {
        let node = try TestNode()
        try node.addMember("ana")
        try node.accounts.setStatus(.suspended, username: "ana")
        let documents = ActorDocuments(urls: NodeURLs(configuration: node.store.configuration))
        let found = try node.store.database.read { db in
            [try documents.document(kind: .person, username: "ana", db: db),
             try documents.document(kind: .person, username: "nobody", db: db),
             try documents.document(kind: .group, username: "node", db: db)]
        }
        #expect(found == [nil, nil, nil])
    }

    @Test func localActorReferences() {
        let urls = NodeURLs(base: "https://praxis.test", domain: "praxis.test")
        #expect(urls.localActorReference("https://praxis.test/users/ana").map { $0 == (.person, "ana") } == true)
        #expect(urls.localActorReference("https://praxis.test/communities/it").map { $0 == (.group, "it") } == true)
        #expect(urls.localActorReference("https://praxis.test/actor").map { $0 == (.application, "node") } == true)
        #expect(urls.localActorReference("https://praxis.test/users/ana/inbox") == nil)
        #expect(urls.localActorReference("https://other.test/users/ana") == nil)
        #expect(urls.localActorReference("https://praxis.test/users/") == nil)
    }
}

/// `RemoteActor` keeps its fields in one shared box; copies must still behave as values.
@Suite struct RemoteActorValueTests {
    static func actor() -> RemoteActor {
        let rsa = RemoteKey(
            id: "https://a.test/users/ann#main-key", owner: "https://a.test/users/ann",
            material: .rsa(try! RSAPrivateKey(bits: 2048).publicKey))
        let ed = RemoteKey(
            id: "https://a.test/users/ann#ed25519-key", owner: "https://a.test/users/ann",
            material: .ed25519(Ed25519PrivateKey().publicKey))
        return RemoteActor(
            id: "https://a.test/users/ann", type: "Person", preferredUsername: "ann", domain: "a.test",
            inbox: "https://a.test/users/ann/inbox", rsaKey: rsa, ed25519Keys: [ed], fetchedAt: Date(timeIntervalSince1970: 0),
            document: .object(["id": .string("https://a.test/users/ann")]))
    }

    @Test func aChangedCopyLeavesTheOriginal() {
        let original = Self.actor()
        var copy = original
        #expect(copy == original)
        copy.name = "Ann"
        copy.ed25519Keys = []
        #expect(copy != original)
        #expect(original.name == nil)
        #expect(original.ed25519Keys.count == 1)
        #expect(copy.name == "Ann" && copy.id == original.id && copy.rsaKey == original.rsaKey)
        copy.name = nil
        copy.ed25519Keys = original.ed25519Keys
        #expect(copy == original)
    }

    @Test func keysAreFoundByIDWhicheverListHoldsThem() {
        let actor = Self.actor()
        #expect(actor.key(id: "https://a.test/users/ann#main-key") == actor.rsaKey)
        #expect(actor.key(id: "https://a.test/users/ann#ed25519-key") == actor.ed25519Keys.first)
        #expect(actor.key(id: "https://a.test/users/ann#other") == nil)
        #expect(actor.keys.map(\.id) == ["https://a.test/users/ann#main-key", "https://a.test/users/ann#ed25519-key"])
    }
}
