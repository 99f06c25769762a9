import Foundation
import PraxisCrypto
import PraxisFederation
import PraxisHTTP
import PraxisJSON
import Testing

@Suite struct RemoteDiscoveryTests {
    /// The JRD a node answers for `acct:NAME@AUTHORITY`, pointing at `href`.
    static func jrd(_ name: String, authority: String, href: String, type: String = "application/activity+json") -> JSON {
        [
            "subject": .string("acct:\(name)@\(authority)"),
            "aliases": [.string(href)],
            "links": [
                ["rel": "http://webfinger.net/rel/profile-page", "type": "text/html", "href": .string(href)],
                ["rel": "self", "type": .string(type), "href": .string(href)],
            ],
        ]
    }

    static func webFingerTarget(_ name: String, authority: String) -> String {
        "/.well-known/webfinger?resource=acct:\(name)@\(authority)"
    }

    func serveWebFinger(_ h: RemoteHarness, _ name: String, authority: String? = nil, href: String,
                        type: String = "application/activity+json") {
        let authority = authority ?? h.fixture.authority
        h.fixture.set(
            Self.webFingerTarget(name, authority: authority),
            json: Self.jrd(name, authority: authority, href: href, type: type), contentType: "application/jrd+json")
    }

    @Test func resolvesAHandleAndCachesIt() async throws {
        try await withRemoteHarness { h in
            let rsa = try RemoteTestKeys.rsa()
            h.serve(h.actorDocument("ana", rsa: rsa))
            let id = h.base + "/users/ana"
            serveWebFinger(h, "ana", href: id)
            let directory = h.directory()

            for handle in ["@ana@\(h.fixture.authority)", "ana@\(h.fixture.authority)", "acct:ana@\(h.fixture.authority)"] {
                let actor = try await directory.resolve(handle: handle)
                #expect(actor.id == id)
            }
            // The handle is the actor's own: one WebFinger request confirms it; later lookups use the cache.
            let target = Self.webFingerTarget("ana", authority: h.fixture.authority)
            #expect(h.fixture.hits(target) == 1)
            #expect(h.fixture.hits("/users/ana") == 1)
            // WebFinger is not signed; the actor fetch is.
            #expect(h.fixture.requests.first { $0.target == target }?.signed == false)
            #expect(h.signer.urls == [id])
            _ = try await h.directory().resolve(handle: "ANA@\(h.fixture.authority)")
            #expect(h.fixture.hits(target) == 1)
        }
    }

    @Test func confirmsAnAliasHandleByLoopBack() async throws {
        try await withRemoteHarness { h in
            h.serve(h.actorDocument("ana", rsa: try RemoteTestKeys.rsa()))
            let id = h.base + "/users/ana"
            // The handle's domain (localhost:PORT) differs from the actor's host (127.0.0.1:PORT), as
            // for nodes that serve WebFinger on a bare domain; the actor's own handle must agree.
            serveWebFinger(h, "ana", authority: h.fixture.otherAuthority, href: id, type: "application/ld+json; profile=\"https://www.w3.org/ns/activitystreams\"")
            serveWebFinger(h, "ana", href: id)
            let actor = try await h.directory().resolve(handle: "ana@\(h.fixture.otherAuthority)")
            #expect(actor.id == id)
            #expect(h.fixture.hits(Self.webFingerTarget("ana", authority: h.fixture.authority)) == 1)
        }
    }

    @Test func refusesAHandleWhoseActorDoesNotLoopBack() async throws {
        try await withRemoteHarness { h in
            let rsa = try RemoteTestKeys.rsa()
            h.serve(h.actorDocument("carol", rsa: rsa))
            h.serve(h.actorDocument("other", rsa: rsa))
            // boss@ claims carol, but carol@ is someone else.
            serveWebFinger(h, "boss", href: h.base + "/users/carol")
            serveWebFinger(h, "carol", href: h.base + "/users/other")
            let directory = h.directory()
            let error = await dereferenceError { _ = try await directory.resolve(handle: "boss@\(h.fixture.authority)") }
            #expect(error?.kind == .webFingerMismatch)
            #expect(error?.message.contains("carol@\(h.fixture.authority)") == true)

            // A claim about an actor whose own handle WebFinger does not know.
            h.serve(h.actorDocument("dora", rsa: rsa))
            serveWebFinger(h, "impostor", href: h.base + "/users/dora")
            let unknown = await dereferenceError { _ = try await directory.resolve(handle: "impostor@\(h.fixture.authority)") }
            #expect(unknown?.kind == .webFingerMismatch)

            // No such account, and a handle that is not one.
            let missing = await dereferenceError { _ = try await directory.resolve(handle: "nobody@\(h.fixture.authority)") }
            #expect(missing?.kind == .notFound)
            for handle in ["ana", "@ana", "ana@", "a b@host", "ana@host/path"] {
                let malformed = await dereferenceError { _ = try await directory.resolve(handle: handle) }
                #expect(malformed?.kind == .invalidURL, "\(handle)")
            }
        }
    }

    @Test func detectsThePraxisSignatureProfile() async throws {
        try await withRemoteHarness { h in
            h.fixture.set("/.well-known/nodeinfo", json: [
                "links": [["rel": "http://nodeinfo.diaspora.software/ns/schema/2.1", "href": .string(h.base + "/nodeinfo/2.1")]]
            ], contentType: "application/json")
            h.fixture.set("/nodeinfo/2.1", json: [
                "version": "2.1", "software": ["name": "praxis", "version": "0.1.0"], "protocols": ["activitypub"],
                "metadata": ["praxis": ["profile": "praxis/1", "httpSignatures": ["rfc9421", "draft-cavage-12"]]],
            ], contentType: "application/json; profile=\"http://nodeinfo.diaspora.software/ns/schema/2.1#\"")
            let directory = h.directory()
            #expect(await directory.signatureProfile(domain: h.fixture.authority) == .rfc9421)
            // Cached for a day, also across directories (database).
            #expect(await h.directory().signatureProfile(domain: h.fixture.authority) == .rfc9421)
            #expect(h.fixture.hits("/nodeinfo/2.1") == 1)
            h.clock.advance(86_401)
            #expect(await directory.signatureProfile(domain: h.fixture.authority) == .rfc9421)
            #expect(h.fixture.hits("/nodeinfo/2.1") == 2)
            let software = try await h.database.read { try $0.scalar(String.self, "SELECT software FROM remote_nodes") }
            #expect(software == "praxis")
        }
    }

    @Test func usesCavageForOtherSoftware() async throws {
        try await withRemoteHarness { h in
            // Mastodon-like: NodeInfo 2.0 only, no praxis metadata.
            h.fixture.set("/.well-known/nodeinfo", json: [
                "links": [["rel": "http://nodeinfo.diaspora.software/ns/schema/2.0", "href": .string(h.base + "/nodeinfo/2.0")]]
            ], contentType: "application/json")
            h.fixture.set("/nodeinfo/2.0", json: [
                "version": "2.0", "software": ["name": "mastodon", "version": "4.3.0"], "protocols": ["activitypub"],
                "openRegistrations": true, "metadata": ["nodeName": "mastodon.example"],
            ], contentType: "application/json; profile=\"http://nodeinfo.diaspora.software/ns/schema/2.0#\"")
            #expect(await h.directory().signatureProfile(domain: h.fixture.authority) == .cavage)
            #expect(h.fixture.hits("/nodeinfo/2.0") == 1)
            let software = try await h.database.read { try $0.scalar(String.self, "SELECT software FROM remote_nodes") }
            #expect(software == "mastodon")
        }
    }

    @Test func fallsBackToCavageWhenNodeInfoIsMissingAndRetriesLater() async throws {
        try await withRemoteHarness { h in
            let directory = h.directory()
            #expect(await directory.signatureProfile(domain: h.fixture.authority) == .cavage)
            #expect(await directory.signatureProfile(domain: h.fixture.authority) == .cavage)
            #expect(h.fixture.hits("/.well-known/nodeinfo") == 1)
            h.clock.advance(3_601)
            _ = await directory.signatureProfile(domain: h.fixture.authority)
            #expect(h.fixture.hits("/.well-known/nodeinfo") == 2)

            // A discovery document pointing at another host is not followed.
            h.fixture.set("/.well-known/nodeinfo", json: [
                "links": [["rel": "http://nodeinfo.diaspora.software/ns/schema/2.1", "href": .string(h.fixture.otherBase + "/nodeinfo/2.1")]]
            ], contentType: "application/json")
            h.clock.advance(3_601)
            #expect(await directory.signatureProfile(domain: h.fixture.authority) == .cavage)
            #expect(h.fixture.requests.allSatisfy { $0.host == h.fixture.authority })
        }
    }

    @Test func blockedDomainsGetNoRequestAtAll() async throws {
        try await withRemoteHarness { h in
            let rsa = try RemoteTestKeys.rsa()
            h.serve(h.actorDocument("ana", rsa: rsa))
            serveWebFinger(h, "ana", href: h.base + "/users/ana")
            h.fixture.set("/notes/1", json: ["id": .string(h.base + "/notes/1"), "type": "Note"])
            h.block(h.fixture.authority)
            let directory = h.directory()

            let errors = [
                await dereferenceError { _ = try await directory.actor(id: h.base + "/users/ana") },
                await dereferenceError { _ = try await directory.key(id: h.base + "/users/ana#main-key") },
                await dereferenceError { _ = try await directory.key(id: h.base + "/keys/1") },
                await dereferenceError { _ = try await directory.fetchObject(url: h.base + "/notes/1") },
                await dereferenceError { _ = try await directory.resolve(handle: "ana@\(h.fixture.authority)") },
            ]
            for error in errors {
                #expect(error?.kind == .blocked)
                #expect(error?.message.contains("no request was sent") == true)
            }
            #expect(await directory.signatureProfile(domain: h.fixture.authority) == .cavage)
            #expect(h.fixture.totalHits == 0)
            #expect(h.signer.urls.isEmpty)
        }
    }

    @Test func redirectsIntoABlockedDomainAreNotFollowed() async throws {
        try await withRemoteHarness { h in
            h.fixture.set("/users/ana", .init(status: 302, contentType: nil, headers: ["Location": h.fixture.otherBase + "/users/ana-moved"]))
            h.fixture.set("/users/ana-moved", json: h.actorDocument("ana-moved", rsa: try RemoteTestKeys.rsa(), base: h.fixture.otherBase))
            h.block(h.fixture.otherAuthority)
            let error = await dereferenceError { _ = try await h.directory().actor(id: h.base + "/users/ana") }
            #expect(error?.kind == .blocked)
            #expect(h.fixture.hits("/users/ana") == 1)
            #expect(h.fixture.hits("/users/ana-moved") == 0)
        }
    }
}
