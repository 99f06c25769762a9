import PraxisCrypto
import PraxisHTTP
import PraxisJSON
import PraxisServer
import PraxisStorage
import PraxisTestSupport
import Testing

/// The node's routes, exercised in-process through the router (no sockets).
@Suite struct NodeRoutesTests {
    let node: TestNode
    let router: Router

    init() throws {
        node = try TestNode(domain: "praxis.test", name: "Centre <national> & co")
        try node.addMember("ana", displayName: "Ana <b>Ruiz</b>")
        try node.addMember("gone")
        try node.accounts.setStatus(.suspended, username: "gone")
        try node.communities.create(.init(name: "cloud", title: "Cloud <script>alert(1)</script>", owner: "ana"))
        try node.communities.create(.init(name: "secret", title: "Secret", visibility: .members, joinPolicy: .invite))
        router = NodeRoutes(store: node.store).router()
    }

    func get(_ target: String, accept: String? = nil) async throws -> HTTPResponse {
        var headers: HTTPHeaders = ["Host": "praxis.test"]
        if let accept { headers["Accept"] = accept }
        return try await router.respond(to: HTTPRequest(method: .get, target: target, headers: headers))
    }

    func json(_ response: HTTPResponse) throws -> JSON { try JSON.parse(response.body) }
    func text(_ response: HTTPResponse) -> String { String(decoding: response.body, as: UTF8.self) }

    @Test func webFingerAnswersWithJRDAndCORS() async throws {
        let response = try await get("/.well-known/webfinger?resource=acct%3Aana%40praxis.test")
        #expect(response.status == .ok)
        #expect(response.headers["Content-Type"] == "application/jrd+json")
        #expect(response.headers["Access-Control-Allow-Origin"] == "*")
        let jrd = try json(response)
        #expect(jrd["subject"] == "acct:ana@praxis.test")
        #expect(jrd["links"]?[0]?["href"] == "https://praxis.test/users/ana")

        let missing = try await get("/.well-known/webfinger")
        #expect(missing.status == .badRequest)
        #expect(missing.headers["Access-Control-Allow-Origin"] == "*")
        #expect(text(missing).contains("resource"))
        #expect(try await get("/.well-known/webfinger?resource=acct:ana").status == .badRequest)
        #expect(try await get("/.well-known/webfinger?resource=acct:bob@praxis.test").status == .notFound)
        #expect(try await get("/.well-known/webfinger?resource=acct:gone@praxis.test").status == .ok,
                "WebFinger resolves the name; the actor document is what suspension hides")
        #expect(try await get("/.well-known/webfinger?resource=acct:ana@other.test").status == .notFound)
    }

    @Test func nodeInfoDiscoveryAndDocument() async throws {
        let discovery = try json(try await get("/.well-known/nodeinfo"))
        let href = try #require(discovery["links"]?[0]?["href"]?.stringValue)
        #expect(href == "https://praxis.test/nodeinfo/2.1")
        let response = try await get("/nodeinfo/2.1")
        #expect(response.headers["Content-Type"]?.contains("schema/2.1#") == true)
        let doc = try json(response)
        #expect(doc["version"] == "2.1")
        #expect(doc["software"]?["name"] == "praxis")
        #expect(doc["usage"]?["users"]?["total"] == 1)
        #expect(doc["metadata"]?["praxis"]?["communities"] == 1)
    }

    @Test func actorsNegotiateActivityJSONAndHTML() async throws {
        let activity = try await get("/users/ana", accept: "application/activity+json")
        #expect(activity.status == .ok)
        #expect(activity.headers["Content-Type"]?.hasPrefix("application/activity+json") == true)
        #expect(activity.headers["Vary"] == "Accept")
        #expect(try json(activity)["id"] == "https://praxis.test/users/ana")

        let ld = try await get("/users/ana", accept: "application/ld+json; profile=\"https://www.w3.org/ns/activitystreams\"")
        #expect(ld.headers["Content-Type"] == "application/ld+json; profile=\"https://www.w3.org/ns/activitystreams\"")
        #expect(try json(ld)["type"] == "Person")

        let mastodon = try await get("/users/ana", accept: "application/activity+json, application/ld+json")
        #expect(mastodon.headers["Content-Type"]?.hasPrefix("application/activity+json") == true)

        for accept in [nil, "text/html", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "*/*"] {
            let html = try await get("/users/ana", accept: accept)
            #expect(html.status == .ok)
            #expect(html.headers["Content-Type"] == "text/html; charset=utf-8", "Accept: \(accept ?? "none")")
            #expect(text(html).contains("Ana &lt;b&gt;Ruiz&lt;/b&gt;"))
            #expect(!text(html).contains("<b>Ruiz"))
        }

        let group = try json(try await get("/communities/cloud", accept: "application/activity+json"))
        #expect(group["type"] == "Group")
        let app = try json(try await get("/actor", accept: "application/activity+json"))
        #expect(app["type"] == "Application")
        let rootAsActivity = try json(try await get("/", accept: "application/activity+json"))
        #expect(rootAsActivity["id"] == "https://praxis.test/actor")
        #expect(try await get("/actor", accept: "text/html").status == .found)
    }

    @Test func unknownAndSuspendedActorsAreNotFound() async throws {
        for (target, accept) in [("/users/nobody", "application/activity+json"), ("/users/gone", "application/activity+json"),
                                 ("/users/gone", "text/html"), ("/communities/ana", "application/activity+json"),
                                 ("/users/cloud", "application/activity+json"), ("/communities/nobody", "text/html")] {
            let response = try await get(target, accept: accept)
            #expect(response.status == .notFound, "\(target) \(accept)")
        }
        #expect(try await get("/no/such/page").status == .notFound)
    }

    @Test func collections() async throws {
        let outbox = try json(try await get("/users/ana/outbox"))
        #expect(outbox["type"] == "OrderedCollection")
        #expect(outbox["totalItems"] == 0)
        var moderators = try json(try await get("/communities/cloud/moderators"))
        #expect(moderators["orderedItems"] == ["https://praxis.test/users/ana"])
        try await node.store.database.write { db in
            let cloud = try #require(try CommunityRepository(db).find(username: "cloud"))
            try CommunityRoleRepository(db).set(.moderator, actor: "https://other.test/users/remote-mod", communityID: cloud.actor.id)
        }
        moderators = try json(try await get("/communities/cloud/moderators"))
        #expect(moderators["orderedItems"] == ["https://praxis.test/users/ana", "https://other.test/users/remote-mod"])
        #expect(try await get("/communities/cloud/followers").status == .ok)
        #expect(try await get("/communities/secret/followers").status == .notFound,
                "a members-only community's member list does not exist for outsiders")
        #expect(try await get("/users/gone/outbox").status == .notFound)
    }

    @Test func pagesEscapeEverythingAndCarrySecurityHeaders() async throws {
        let home = try await get("/")
        #expect(home.status == .ok)
        let page = text(home)
        #expect(page.contains("Centre &lt;national&gt; &amp; co"))
        #expect(page.contains("Cloud &lt;script&gt;alert(1)&lt;/script&gt;"))
        #expect(!page.contains("<script>"))
        #expect(page.contains("/communities/secret"))
        #expect(home.headers["X-Content-Type-Options"] == "nosniff")
        #expect(home.headers["Content-Security-Policy"]?.contains("default-src 'none'") == true)
        #expect(home.headers["X-Frame-Options"] == "DENY")
    }

    @Test func hostMetaAndHealth() async throws {
        let hostMeta = try await get("/.well-known/host-meta")
        #expect(text(hostMeta).contains("https://praxis.test/.well-known/webfinger?resource={uri}"))
        #expect(try await get("/healthz").status == .ok)
    }

    @Test func postingToReadOnlyRoutesIsRefused() async throws {
        let response = try await router.respond(
            to: HTTPRequest(method: .post, target: "/users/ana", headers: ["Host": "praxis.test"]))
        #expect(response.status == .methodNotAllowed)
        #expect(response.headers["Allow"]?.contains("GET") == true)
    }
}
