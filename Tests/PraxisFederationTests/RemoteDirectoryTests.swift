import Foundation
import PraxisActivityStreams
import PraxisCrypto
import PraxisFederation
import PraxisHTTP
import PraxisJSON
import PraxisSQLite
import Testing

@Suite struct RemoteDirectoryTests {
    @Test func fetchesVerifiesAndCachesAnActor() async throws {
        try await withRemoteHarness { h in
            let rsa = try RemoteTestKeys.rsa()
            h.serve(h.actorDocument("ana", rsa: rsa))
            let directory = h.directory()
            let id = h.base + "/users/ana"

            let actor = try await directory.actor(id: id)
            #expect(actor.id == id)
            #expect(actor.type == "Person")
            #expect(actor.preferredUsername == "ana")
            #expect(actor.name == "Ana")
            #expect(actor.domain == h.fixture.authority)
            #expect(actor.inbox == id + "/inbox")
            #expect(actor.sharedInbox == h.base + "/inbox")
            #expect(actor.followers == id + "/followers")
            #expect(actor.rsaKey == RemoteKey(id: id + "#main-key", owner: id, material: .rsa(rsa.publicKey)))
            #expect(actor.ed25519Keys.map(\.id) == [id + "#ed25519-key"])
            #expect(actor.ed25519Keys.first?.material == .ed25519(RemoteHarness.ed25519.publicKey))
            #expect(actor.ed25519Keys.first?.created == Date(timeIntervalSince1970: 1_700_000_000))
            #expect(actor.fetchedAt == h.clock.now)

            // Signed, with an AS2 Accept.
            #expect(h.signer.urls == [id])
            let seen = try #require(h.fixture.requests.first)
            #expect(seen.signed)
            #expect(seen.accept?.contains("application/activity+json") == true)

            // Second call: memory cache. A new directory on the same database: SQLite cache.
            #expect(try await directory.actor(id: id) == actor)
            #expect(try await h.directory().actor(id: id) == actor)
            #expect(h.fixture.hits("/users/ana") == 1)
        }
    }

    @Test func refetchesWhenExpiredOrAskedTo() async throws {
        try await withRemoteHarness { h in
            let rsa = try RemoteTestKeys.rsa()
            var document = h.actorDocument("ana", rsa: rsa)
            h.serve(document)
            let directory = h.directory(cacheLifetime: 100)
            let id = h.base + "/users/ana"
            _ = try await directory.actor(id: id)

            h.clock.advance(99)
            _ = try await directory.actor(id: id)
            #expect(h.fixture.hits("/users/ana") == 1)

            document["name"] = "Ana Renamed"
            h.serve(document)
            h.clock.advance(2)
            #expect(try await directory.actor(id: id).name == "Ana Renamed")
            #expect(h.fixture.hits("/users/ana") == 2)
            // The refetched copy is what a fresh directory (database only) sees too.
            #expect(try await h.directory(cacheLifetime: 100).actor(id: id).name == "Ana Renamed")
            #expect(h.fixture.hits("/users/ana") == 2)

            document["name"] = "Ana Again"
            h.serve(document)
            #expect(try await directory.actor(id: id, refresh: true).name == "Ana Again")
            #expect(h.fixture.hits("/users/ana") == 3)
        }
    }

    @Test func findsRSAAndEd25519Keys() async throws {
        try await withRemoteHarness { h in
            let rsa = try RemoteTestKeys.rsa()
            h.serve(h.actorDocument("ana", rsa: rsa))
            let directory = h.directory()
            let id = h.base + "/users/ana"

            let (rsaKey, owner) = try await directory.key(id: id + "#main-key")
            #expect(rsaKey.material == .rsa(rsa.publicKey))
            #expect(rsaKey.owner == id)
            #expect(owner.id == id)

            let (edKey, _) = try await directory.key(id: id + "#ed25519-key")
            #expect(edKey.material == .ed25519(RemoteHarness.ed25519.publicKey))
            #expect(edKey.owner == id)
            #expect(h.fixture.hits("/users/ana") == 1)

            // A key the actor does not list, even after the refetch.
            let error = await dereferenceError { _ = try await directory.key(id: id + "#other-key") }
            #expect(error?.kind == .keyNotFound)
            #expect(h.fixture.hits("/users/ana") == 2)
        }
    }

    @Test func refetchesOnceForARotatedKey() async throws {
        try await withRemoteHarness { h in
            let rsa = try RemoteTestKeys.rsa()
            let id = h.base + "/users/ana"
            let oldKey = ActorDocument.Multikey(
                id: id + "#ed25519-key", publicKeyMultibase: RemoteHarness.ed25519.publicKey.multikey)
            h.serve(h.actorDocument("ana", rsa: rsa, ed25519: [oldKey]))
            let directory = h.directory()
            _ = try await directory.key(id: id + "#ed25519-key")

            // Rotation: the old key gets an expiry, a new one appears.
            let newEd = Ed25519PrivateKey()
            let retired = Date(timeIntervalSince1970: 1_800_000_000)
            var expired = oldKey
            expired.expires = retired
            let newKey = ActorDocument.Multikey(id: id + "#ed25519-key-2", publicKeyMultibase: newEd.publicKey.multikey)
            h.serve(h.actorDocument("ana", rsa: rsa, ed25519: [expired, newKey]))

            let (found, actor) = try await directory.key(id: id + "#ed25519-key-2")
            #expect(found.material == .ed25519(newEd.publicKey))
            #expect(actor.key(id: id + "#ed25519-key")?.expires == retired)
            #expect(actor.key(id: id + "#ed25519-key")?.isExpired(at: retired) == true)
            #expect(h.fixture.hits("/users/ana") == 2)

            // RSA rotated under the same key id: a failed verification asks with refresh.
            let newRSA = try RSAPrivateKey(bits: 2048)
            h.serve(h.actorDocument("ana", rsa: newRSA, ed25519: [expired, newKey]))
            #expect(try await directory.key(id: id + "#main-key").0.material == .rsa(rsa.publicKey))
            #expect(try await directory.key(id: id + "#main-key", refresh: true).0.material == .rsa(newRSA.publicKey))
            #expect(h.fixture.hits("/users/ana") == 3)
        }
    }

    @Test func refetchForUnknownKeysIsThrottled() async throws {
        try await withRemoteHarness { h in
            let rsa = try RemoteTestKeys.rsa()
            h.serve(h.actorDocument("ana", rsa: rsa))
            let directory = h.directory(keyRefetchInterval: 60)
            let id = h.base + "/users/ana"
            _ = try await directory.actor(id: id)
            for n in 0..<5 {
                let error = await dereferenceError { _ = try await directory.key(id: id + "#forged-\(n)") }
                #expect(error?.kind == .keyNotFound)
            }
            _ = try await directory.key(id: id + "#main-key", refresh: true)
            #expect(h.fixture.hits("/users/ana") == 1)
            h.clock.advance(61)
            _ = try await directory.key(id: id + "#main-key", refresh: true)
            #expect(h.fixture.hits("/users/ana") == 2)
        }
    }

    @Test func followsKeyDocumentsThatTheActorListsBack() async throws {
        try await withRemoteHarness { h in
            let rsa = try RemoteTestKeys.rsa()
            let id = h.base + "/users/ana"
            let keyID = h.base + "/keys/ana-main"
            var document = h.actorDocument("ana", rsa: rsa)
            document["publicKey"]?["id"] = .string(keyID)
            h.serve(document)
            h.serve([
                "id": .string(keyID), "owner": .string(id), "publicKeyPem": .string(rsa.publicKey.pemRepresentation),
            ])
            let directory = h.directory()
            let (key, actor) = try await directory.key(id: keyID)
            #expect(key.material == .rsa(rsa.publicKey))
            #expect(actor.id == id)
            // Known now: no new request for the key document or the actor.
            _ = try await h.directory().key(id: keyID)
            #expect(h.fixture.hits("/keys/ana-main") == 1)
            #expect(h.fixture.hits("/users/ana") == 1)

            // A key document claiming an actor that does not list it.
            let stray = h.base + "/keys/stray"
            h.serve(["id": .string(stray), "owner": .string(id), "publicKeyPem": .string(rsa.publicKey.pemRepresentation)])
            let error = await dereferenceError { _ = try await directory.key(id: stray) }
            #expect(error?.kind == .keyNotFound)

            // A key document naming an owner on another host.
            let foreign = h.base + "/keys/foreign"
            h.serve([
                "id": .string(foreign), "owner": .string(h.fixture.otherBase + "/users/ana"),
                "publicKeyPem": .string(rsa.publicKey.pemRepresentation),
            ])
            let other = await dereferenceError { _ = try await directory.key(id: foreign) }
            #expect(other?.kind == .keyOnOtherHost)
        }
    }

    @Test func refusesKeysOwnedBySomeoneElse() async throws {
        try await withRemoteHarness { h in
            let rsa = try RemoteTestKeys.rsa()
            var document = h.actorDocument("ana", rsa: rsa)
            document["publicKey"]?["owner"] = .string(h.base + "/users/mallory")
            h.serve(document)
            var multikey = h.actorDocument("bob", rsa: rsa)
            multikey["assertionMethod"] = [
                [
                    "id": .string(h.base + "/users/bob#ed25519-key"), "type": "Multikey",
                    "controller": .string(h.base + "/users/mallory"),
                    "publicKeyMultibase": .string(RemoteHarness.ed25519.publicKey.multikey),
                ]
            ]
            h.serve(multikey)
            let directory = h.directory()

            let viaActor = await dereferenceError { _ = try await directory.actor(id: h.base + "/users/ana") }
            #expect(viaActor?.kind == .keyOwnerMismatch)
            #expect(viaActor?.message.contains("mallory") == true)
            let viaKey = await dereferenceError { _ = try await directory.key(id: h.base + "/users/ana#main-key") }
            #expect(viaKey?.kind == .keyOwnerMismatch)
            let viaController = await dereferenceError { _ = try await directory.key(id: h.base + "/users/bob#ed25519-key") }
            #expect(viaController?.kind == .keyOwnerMismatch)
        }
    }

    @Test func refusesKeysOnAnotherHost() async throws {
        try await withRemoteHarness { h in
            let rsa = try RemoteTestKeys.rsa()
            var document = h.actorDocument("ana", rsa: rsa)
            document["publicKey"]?["id"] = .string(h.fixture.otherBase + "/users/ana#main-key")
            h.serve(document)
            let error = await dereferenceError { _ = try await h.directory().actor(id: h.base + "/users/ana") }
            #expect(error?.kind == .keyOnOtherHost)
        }
    }

    @Test func refusesADocumentWhoseIdIsNotItsURL() async throws {
        try await withRemoteHarness { h in
            let rsa = try RemoteTestKeys.rsa()
            h.fixture.set("/users/ana", json: h.actorDocument("bob", rsa: rsa))
            let directory = h.directory()
            let error = await dereferenceError { _ = try await directory.actor(id: h.base + "/users/ana") }
            #expect(error?.kind == .idMismatch)
            #expect(error?.message.contains("/users/bob") == true)

            // A redirect on the same host to the document's real id is fine.
            h.serve(h.actorDocument("carol", rsa: rsa))
            h.fixture.set("/users/old-carol", .init(status: 301, contentType: nil, headers: ["Location": "/users/carol"]))
            let carol = try await directory.actor(id: h.base + "/users/old-carol")
            #expect(carol.id == h.base + "/users/carol")
            #expect(h.signer.urls.suffix(2) == [h.base + "/users/old-carol", h.base + "/users/carol"])

            // A redirect to another host serving a document with that host's id is not.
            h.fixture.set("/users/dave", .init(status: 302, contentType: nil, headers: ["Location": h.fixture.otherBase + "/users/dave-real"]))
            h.fixture.set("/users/dave-real", json: h.actorDocument("dave-real", rsa: rsa, base: h.fixture.otherBase))
            let moved = await dereferenceError { _ = try await directory.actor(id: h.base + "/users/dave") }
            #expect(moved?.kind == .idMismatch)

            // Objects get the same check.
            h.fixture.set("/notes/1", json: ["id": .string(h.base + "/notes/2"), "type": "Note"])
            let note = await dereferenceError { _ = try await directory.fetchObject(url: h.base + "/notes/1") }
            #expect(note?.kind == .idMismatch)
            h.fixture.set("/notes/3", json: ["id": .string(h.base + "/notes/3"), "type": "Note", "content": "hi"])
            #expect(try await directory.fetchObject(url: h.base + "/notes/3")["content"] == "hi")
        }
    }

    @Test func refusesAnInboxOnAnotherHost() async throws {
        try await withRemoteHarness { h in
            var document = h.actorDocument("ana", rsa: try RemoteTestKeys.rsa())
            document["inbox"] = .string(h.fixture.otherBase + "/users/ana/inbox")
            h.serve(document)
            let error = await dereferenceError { _ = try await h.directory().actor(id: h.base + "/users/ana") }
            #expect(error?.kind == .inboxOnOtherHost)

            // A shared inbox elsewhere is dropped, not fatal.
            var shared = h.actorDocument("bob", rsa: try RemoteTestKeys.rsa())
            shared["endpoints"] = ["sharedInbox": .string(h.fixture.otherBase + "/inbox")]
            h.serve(shared)
            let bob = try await h.directory().actor(id: h.base + "/users/bob")
            #expect(bob.sharedInbox == nil)
            #expect(bob.deliveryInbox == bob.inbox)
        }
    }

    @Test func refusesWhatIsNotAnActor() async throws {
        try await withRemoteHarness { h in
            h.fixture.set("/notes/1", json: ["id": .string(h.base + "/notes/1"), "type": "Note"])
            let note = await dereferenceError { _ = try await h.directory().actor(id: h.base + "/notes/1") }
            #expect(note?.kind == .notAnActor)

            var noInbox = h.actorDocument("ana", rsa: try RemoteTestKeys.rsa())
            noInbox["inbox"] = nil
            h.serve(noInbox)
            let missing = await dereferenceError { _ = try await h.directory().actor(id: h.base + "/users/ana") }
            #expect(missing?.kind == .malformed)

            // A type array with an actor type is an actor.
            var service = h.actorDocument("bot", rsa: try RemoteTestKeys.rsa())
            service["type"] = ["Service", "http://example.org/ns#Bot"]
            h.serve(service)
            #expect(try await h.directory().actor(id: h.base + "/users/bot").type == "Service")
        }
    }

    @Test(arguments: ["text/html; charset=utf-8", "application/xml", nil])
    func refusesOtherContentTypes(_ contentType: String?) async throws {
        try await withRemoteHarness { h in
            let document = h.actorDocument("ana", rsa: try RemoteTestKeys.rsa())
            h.fixture.set("/users/ana", .init(contentType: contentType, body: document.serializedBytes()))
            let error = await dereferenceError { _ = try await h.directory().actor(id: h.base + "/users/ana") }
            #expect(error?.kind == .unsupportedContentType)
        }
    }

    @Test func acceptsJSONLDAndPlainJSON() async throws {
        try await withRemoteHarness { h in
            let rsa = try RemoteTestKeys.rsa()
            h.serve(h.actorDocument("ana", rsa: rsa),
                    contentType: "application/ld+json; profile=\"https://www.w3.org/ns/activitystreams\"")
            h.serve(h.actorDocument("bob", rsa: rsa), contentType: "application/json")
            _ = try await h.directory().actor(id: h.base + "/users/ana")
            _ = try await h.directory().actor(id: h.base + "/users/bob")
        }
    }

    @Test func reportsNotFoundAndGone() async throws {
        try await withRemoteHarness { h in
            let directory = h.directory()
            let missing = await dereferenceError { _ = try await directory.actor(id: h.base + "/users/nobody") }
            #expect(missing?.kind == .notFound)
            #expect(missing?.isTemporary == false)

            h.serve(h.actorDocument("ana", rsa: try RemoteTestKeys.rsa()))
            let id = h.base + "/users/ana"
            _ = try await directory.actor(id: id)
            h.fixture.set("/users/ana", .init(status: 410, contentType: "text/plain", body: Array("gone".utf8)))
            let gone = await dereferenceError { _ = try await directory.actor(id: id, refresh: true) }
            #expect(gone?.kind == .gone)
            // The cached copy went with it: the next lookup asks again (and hears 410 again).
            let again = await dereferenceError { _ = try await h.directory().actor(id: id) }
            #expect(again?.kind == .gone)
            #expect(h.fixture.hits("/users/ana") == 3)

            h.fixture.set("/users/busy", .init(status: 503, contentType: "text/plain"))
            let busy = await dereferenceError { _ = try await directory.actor(id: h.base + "/users/busy") }
            #expect(busy?.kind == .unexpectedStatus(503))
            #expect(busy?.isTemporary == true)
        }
    }

    @Test func refusesOversizedAndDeeplyNestedDocuments() async throws {
        try await withRemoteHarness { h in
            var big = h.actorDocument("big", rsa: try RemoteTestKeys.rsa())
            big["summary"] = .string(String(repeating: "x", count: 200_000))
            big["attachment"] = .array(Array(repeating: big["summary"] ?? .null, count: 6))
            h.serve(big)
            let tooLarge = await dereferenceError { _ = try await h.directory().actor(id: h.base + "/users/big") }
            #expect(tooLarge?.kind == .tooLarge)

            var deep: JSON = "bottom"
            for _ in 0..<80 { deep = .array([deep]) }
            var nested = h.actorDocument("deep", rsa: try RemoteTestKeys.rsa())
            nested["tag"] = deep
            h.serve(nested)
            let tooDeep = await dereferenceError { _ = try await h.directory().actor(id: h.base + "/users/deep") }
            #expect(tooDeep?.kind == .tooLarge)

            h.fixture.set("/users/junk", .init(body: Array("{\"id\": ".utf8)))
            let junk = await dereferenceError { _ = try await h.directory().actor(id: h.base + "/users/junk") }
            #expect(junk?.kind == .malformed)
        }
    }

    @Test func coalescesConcurrentFetchesOfOneActor() async throws {
        try await withRemoteHarness { h in
            let rsa = try RemoteTestKeys.rsa()
            h.serve(h.actorDocument("ana", rsa: rsa), delay: .milliseconds(300))
            let directory = h.directory()
            let id = h.base + "/users/ana"
            let actors = try await withThrowingTaskGroup(of: RemoteActor.self) { group in
                for _ in 0..<10 { group.addTask { try await directory.actor(id: id) } }
                var all: [RemoteActor] = []
                for try await actor in group { all.append(actor) }
                return all
            }
            #expect(actors.count == 10)
            #expect(Set(actors.map(\.id)) == [id])
            #expect(h.fixture.hits("/users/ana") == 1)
        }
    }

    @Test func forgetsADomain() async throws {
        try await withRemoteHarness { h in
            h.serve(h.actorDocument("ana", rsa: try RemoteTestKeys.rsa()))
            let directory = h.directory()
            let id = h.base + "/users/ana"
            _ = try await directory.actor(id: id)
            try directory.forget(domain: h.fixture.authority.uppercased())
            _ = try await directory.actor(id: id)
            #expect(h.fixture.hits("/users/ana") == 2)
            let rows = try await h.database.read { try $0.scalar(Int.self, "SELECT count(*) FROM remote_keys") }
            #expect(rows == 2)
        }
    }

    @Test func refusesLocalAndMalformedURLs() async throws {
        try await withRemoteHarness { h in
            let directory = h.directory()
            let local = await dereferenceError { _ = try await directory.actor(id: "https://praxis.test/users/ana") }
            #expect(local?.kind == .localResource)
            let fragment = await dereferenceError { _ = try await directory.actor(id: h.base + "/users/ana#main-key") }
            #expect(fragment?.kind == .invalidURL)
            let bad = await dereferenceError { _ = try await directory.fetchObject(url: "ftp://example.org/x") }
            #expect(bad?.kind == .invalidURL)
            #expect(h.fixture.totalHits == 0)
        }
    }
}
