import Foundation
import PraxisActivityStreams
import PraxisCrypto
import PraxisCommunity
import PraxisFederation
import PraxisHTTP
import PraxisJSON
import PraxisSQLite
import PraxisStorage
import PraxisText

/// The HTTP surface of a node: discovery (WebFinger, NodeInfo, host-meta), actor documents with
/// content negotiation, actor collections and the HTML pages. Handlers stay thin: they parse the
/// request, call storage or a use case, and render.
public struct NodeRoutes: Sendable {
    public let store: NodeStore
    public let urls: NodeURLs
    let documents: ActorDocuments
    let webFinger: WebFinger
    let federation: NodeFederation?
    /// The node's in-process measurements: the federation's, or a fresh set in route tests.
    let metrics: NodeMetrics
    /// Who may read `/metrics` without a token; nobody when the configuration is invalid
    /// (`PraxisNode` refuses to start then, naming the bad entry).
    let metricsAccess: MetricsAccess

    /// - Parameter federation: the node's federation parts; without them (route tests) the inbox
    ///   routes are not mounted.
    public init(store: NodeStore, federation: NodeFederation? = nil) {
        self.store = store
        self.urls = NodeURLs(configuration: store.configuration)
        self.documents = ActorDocuments(urls: urls)
        self.webFinger = WebFinger(urls: urls)
        self.federation = federation
        self.metrics = federation?.metrics ?? NodeMetrics()
        self.metricsAccess = (try? MetricsAccess(allowFrom: store.configuration.metricsAllowFrom)) ?? MetricsAccess.nobody
    }

    /// Discovery and read-only routes are GET-only and take no body.
    static let noBody = 0

    public func router() -> Router {
        var router = Router()
        router.use(Self.securityHeaders)
        let guardStore = store
        let policy = TrustPolicy(mode: store.configuration.federation, localDomain: store.configuration.domain)
        let fetches = RateLimiter(InboxPipeline.rule(store.configuration.effectiveLimits.fetchesPerNode))
        router.use { request, next in
            if let refusal = try await Self.refuseBlockedFetchers(request, store: guardStore, policy: policy, limiter: fetches) {
                return refusal
            }
            return try await next(request)
        }
        let routes = self
        router.get("/") { request in try await routes.home(request) }
        router.get("/healthz") { _ in try await routes.health() }
        router.get("/metrics") { request in try await routes.metricsPage(request) }
        router.get("/.well-known/webfinger") { request in try await routes.webFinger(request) }
        router.get("/.well-known/nodeinfo") { _ in
            .json(NodeInfo.discovery(urls: routes.urls))
        }
        router.get("/.well-known/host-meta") { _ in routes.hostMeta() }
        router.get("/nodeinfo/2.1") { _ in try await routes.nodeInfo() }
        router.get("/actor") { request in
            try await routes.actor(kind: .application, username: NodeSetup.nodeActorUsername, request)
        }
        router.get("/users/:name") { request in
            try await routes.actor(kind: .person, username: request.parameters["name"] ?? "", request)
        }
        router.get("/communities/:name") { request in
            try await routes.actor(kind: .group, username: request.parameters["name"] ?? "", request)
        }
        for kind in [ActorKind.person, .group] {
            let prefix = kind == .person ? "/users/:name" : "/communities/:name"
            var collections = ["outbox", "followers"]
            collections.append(kind == .person ? "following" : "moderators")
            for collection in collections {
                router.get("\(prefix)/\(collection)") { request in
                    try await routes.collection(collection, kind: kind, username: request.parameters["name"] ?? "")
                }
            }
        }
        router.get("/actor/outbox") { _ in
            .activityJSON(OrderedCollectionDocument(id: routes.urls.nodeActor + "/outbox", totalItems: 0).json, ldProfile: false)
        }
        router.get(TrustListDocument.path) { _ in try await routes.trustList() }
        router.get("/objects/:id") { request in try await routes.object(request) }
        router.get("/objects/:id/content") { request in try await routes.documentContent(request) }
        router.get("/activities/:id") { request in try await routes.activity(request) }
        // The client API (JSON, bearer tokens) that the web UI and other clients use.
        APIRoutes(store: store, social: federation?.social, documents: federation?.documents, metrics: metrics)
            .register(into: &router)
        if let federation {
            let limit = InboxPipeline.maxBodySize
            let metrics = metrics
            router.post("/inbox", maxBodySize: limit) { request in
                await metrics.receive { await federation.pipeline.receive(request, recipient: "/inbox") }
            }
            for prefix in ["/users", "/communities"] {
                router.post("\(prefix)/:name/inbox", maxBodySize: limit) { request in
                    let name = request.parameters["name"] ?? ""
                    let kind: ActorKind = prefix == "/users" ? .person : .group
                    let exists = try await routes.store.database.read { db in
                        try ActorRepository(db).find(username: name.lowercased(), kind: kind) != nil
                    }
                    guard exists else { throw HTTPError(.notFound, Self.notFoundMessage(kind, name)) }
                    return await metrics.receive {
                        await federation.pipeline.receive(request, recipient: "\(prefix)/\(name.lowercased())/inbox")
                    }
                }
            }
        }
        return router
    }

    /// Headers every response carries: no MIME sniffing, no framing, no referrer leaks, and a
    /// strict content security policy (pages use no script and only inline styles).
    static let securityHeaders: @Sendable (HTTPRequest, Router.Handler) async throws -> HTTPResponse = { request, next in
        var response = try await next(request)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Referrer-Policy"] = "same-origin"
        if response.headers["Content-Security-Policy"] == nil {
            response.headers["Content-Security-Policy"] =
                "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
        }
        return response
    }

    /// Signed GETs name the node they come from (the key id's host): a node the trust list blocks
    /// gets 403 at once, without any key fetch. Unsigned GETs see public documents only; the
    /// signature itself is verified where it grants more (members-only content).
    ///
    /// Signed GETs are also rate-limited per node (``AbuseLimits/fetchesPerNode``), before any
    /// database read. The signature is not verified here, so the bucket is keyed by the named
    /// node *and* the client address: someone naming another node's key only spends their own.
    /// - Returns: a `429` answer when the node's bucket is empty, else nil.
    static func refuseBlockedFetchers(_ request: HTTPRequest, store: NodeStore, policy: TrustPolicy, limiter: RateLimiter)
        async throws -> HTTPResponse?
    {
        guard request.method == .get || request.method == .head,
            request.headers.contains("Signature") || request.headers.contains("Signature-Input"),
            let keyID = try? HTTPSignatureVerifier.keyID(of: request),
            let host = try? HTTPClientURL(keyID).authority.lowercased()
        else { return nil }
        if case .refused(let retryAfter) = limiter.take(host + " " + request.clientAddress) {
            return .tooManyRequests(
                "\(host) fetches more than this node allows (\(limiter.rule)); retry after \(retryAfter) s",
                retryAfter: retryAfter)
        }
        let trust = try await store.database.read { db in try policy.decision(for: host, db: db) }
        if trust.level == .blocked { throw HTTPError(.forbidden, trust.refusal) }
        return nil
    }

    // MARK: - Trust list

    /// The node's trust list, signed by the node actor's Ed25519 key (Protocol/transport.md).
    /// Public, like the node actor: partners subscribe to it and anyone can check its issuer.
    func trustList() async throws -> HTTPResponse {
        let (urls, mode) = (urls, store.configuration.federation)
        let list = try await store.database.read { db in try TrustListDocument.current(urls: urls, mode: mode, db: db) }
        let keyring = federation?.keyring ?? LocalKeyring(store: store, urls: urls)
        let signed = try list.signed(with: try keyring.keys(for: NodeSetup.nodeActorUsername))
        var response = HTTPResponse.json(signed, contentType: "application/ld+json; charset=utf-8")
        response.headers["Access-Control-Allow-Origin"] = "*"
        return response
    }

    // MARK: - Objects and activities

    func object(_ request: HTTPRequest) async throws -> HTTPResponse {
        let id = urls.base + "/objects/" + (request.parameters["id"] ?? "")
        let object = try await store.database.read { db in try ObjectRepository(db).find(id: id) }
        guard let object, object.originDomain == urls.domain else { throw HTTPError(.notFound, "no such object on this node") }
        if let deleted = object.deletedAt {
            let tombstone: JSON = [
                "@context": .string(ActivityStreams.context), "id": .string(id), "type": "Tombstone",
                "formerType": .string(object.type), "deleted": .string(ISO8601.string(deleted)),
            ]
            return .activityJSON(tombstone, ldProfile: false).with(status: .gone)
        }
        guard case .object(var document) = try JSON.parse(object.document) else {
            throw HTTPError(.notFound, "no such object on this node")
        }
        if !JSON.object(document).isPublic {
            guard let audience = object.audience, try await mayFetchMembersOnly(request, audience: audience) else {
                throw HTTPError(.notFound, "no such object on this node")
            }
        }
        document["@context"] = .string(ActivityStreams.context)
        return .activityJSON(.object(document), ldProfile: false)
    }

    /// Members-only content is served only on a signed fetch from a node that the trust list marks
    /// `trusted` and that hosts an approved member of the community. Everyone else, signed or not,
    /// gets the same 404 as for an object that does not exist.
    func mayFetchMembersOnly(_ request: HTTPRequest, audience: String) async throws -> Bool {
        guard let federation, let node = try? await federation.authenticator.verifiedNode(of: request) else { return false }
        let policy = federation.policy
        return try await store.database.read { db in
            guard try policy.level(of: node, db: db) == .trusted else { return false }
            return try FollowRepository(db).followers(of: audience).contains { $0.followerDomain.lowercased() == node }
        }
    }

    func activity(_ request: HTTPRequest) async throws -> HTTPResponse {
        let id = urls.base + "/activities/" + (request.parameters["id"] ?? "")
        let found = try await store.database.read { db in try OutboxRepository(db).find(activityID: id) }
        guard let found, found.isPublic else { throw HTTPError(.notFound, "no such activity on this node") }
        var response = HTTPResponse(status: .ok, body: found.body)
        response.headers["Content-Type"] = ActivityStreams.mediaType + "; charset=utf-8"
        return response
    }

    // MARK: - Discovery

    func webFinger(_ request: HTTPRequest) async throws -> HTTPResponse {
        let query = request.query.map { FormURLEncoding.decodeAll($0) } ?? []
        let resource = query.first { $0.name == "resource" }?.value
        let rels = query.filter { $0.name == "rel" }.map(\.value)
        let finger = webFinger
        do {
            let jrd = try await store.database.read { db in
                try finger.jrd(resource: resource, rels: rels) { name in try ActorRepository(db).find(username: name) }
            }
            var response = HTTPResponse.json(jrd, contentType: WebFinger.mediaType)
            response.headers["Access-Control-Allow-Origin"] = "*"
            return response
        } catch let failure as WebFinger.Failure {
            var response: HTTPResponse
            switch failure {
            case .malformed(let message): response = .error(.badRequest, message)
            case .notFound(let message): response = .error(.notFound, message)
            }
            response.headers["Access-Control-Allow-Origin"] = "*"
            return response
        }
    }

    func hostMeta() -> HTTPResponse {
        let template = HTML.escape(urls.base + "/.well-known/webfinger?resource={uri}")
        let xml = """
            <?xml version="1.0" encoding="UTF-8"?>
            <XRD xmlns="http://docs.oasis-open.org/ns/xri/xrd-1.0">
              <Link rel="lrdd" type="application/jrd+json" template="\(template)"/>
            </XRD>

            """
        var response = HTTPResponse(status: .ok, contentType: "application/xrd+xml; charset=utf-8", body: xml)
        response.headers["Access-Control-Allow-Origin"] = "*"
        return response
    }

    func nodeInfo() async throws -> HTTPResponse {
        let configuration = store.configuration
        let (usage, posts) = try await store.database.read { db in
            let accounts = try AccountRepository(db).usage()
            let communities = try CommunityRepository(db).count(visibility: .public)
            let usage = NodeInfo.Usage(
                users: accounts.total, activeHalfYear: accounts.halfYear, activeMonth: accounts.month,
                communities: communities)
            return (usage, try HealthRepository(db).localPostCounts(localDomain: configuration.domain))
        }
        var document = NodeInfo.document(configuration: configuration, usage: usage)
        // NodeInfo 2.1 `usage.localPosts` / `localComments`: threads and replies written here.
        if case .object(var root) = document, case .object(var figures)? = root["usage"] {
            figures["localPosts"] = .integer(Int64(posts.posts))
            figures["localComments"] = .integer(Int64(posts.comments))
            root["usage"] = .object(figures)
            document = .object(root)
        }
        var response = HTTPResponse.json(document, contentType: NodeInfo.mediaType)
        response.headers["Access-Control-Allow-Origin"] = "*"
        return response
    }

    func health() async throws -> HTTPResponse {
        _ = try await store.database.read { db in try db.scalar(Int.self, "SELECT 1") }
        return HTTPResponse(status: .ok, contentType: "text/plain; charset=utf-8", body: "ok\n")
    }

    // MARK: - Actors

    func actor(kind: ActorKind, username: String, _ request: HTTPRequest) async throws -> HTTPResponse {
        let documents = documents
        let name = username.lowercased()
        let representation = Representation.negotiate(request)
        if representation == .html {
            return try await actorPage(kind: kind, username: name)
        }
        let document = try await store.database.read { db in try documents.document(kind: kind, username: name, db: db) }
        guard let document else { throw HTTPError(.notFound, Self.notFoundMessage(kind, username)) }
        return .activityJSON(document, ldProfile: representation == .ldJSON)
    }

    static func notFoundMessage(_ kind: ActorKind, _ username: String) -> String {
        switch kind {
        case .application: "this node has no actor"
        case .person: "no member named \"\(username)\" on this node"
        case .group: "no community named \"\(username)\" on this node"
        }
    }

    func collection(_ name: String, kind: ActorKind, username: String) async throws -> HTTPResponse {
        let urls = urls
        let lower = username.lowercased()
        let document: JSON? = try await store.database.read { db in
            guard let actor = try ActorRepository(db).find(username: lower, kind: kind) else { return nil }
            if kind == .person, let account = try AccountRepository(db).find(username: lower), account.status != .active {
                return nil
            }
            let id = urls.actor(actor) + "/" + name
            if kind == .group, let community = try CommunityRepository(db).find(username: lower) {
                // The member list of a members-only community does not exist for outsiders.
                if community.visibility == .members && name == "followers" { return nil }
                if name == "moderators" {
                    // FEP-1b12: the owner, managers and moderators, who may moderate the community.
                    var moderators = community.ownerUsername.map { [urls.person($0)] } ?? []
                    for (actor, _) in try CommunityRoleRepository(db).all(communityID: community.actor.id)
                    where !moderators.contains(actor) {
                        moderators.append(actor)
                    }
                    return OrderedCollectionDocument(
                        id: id, totalItems: moderators.count, orderedItems: moderators.map(JSON.string)
                    ).json
                }
            }
            switch name {
            case "followers":
                let count = try FollowRepository(db).followerCount(of: urls.actor(actor))
                return OrderedCollectionDocument(id: id, totalItems: count).json
            case "following":
                let count = try FollowRepository(db).following(by: urls.actor(actor)).filter { $0.state == .accepted }.count
                return OrderedCollectionDocument(id: id, totalItems: count).json
            default:
                let items = try OutboxRepository(db).publicActivities(actorID: actor.id, limit: 20).compactMap {
                    try? JSON.parse($0)
                }
                return OrderedCollectionDocument(
                    id: id, totalItems: try OutboxRepository(db).publicCount(actorID: actor.id), orderedItems: items
                ).json
            }
        }
        guard let document else { throw HTTPError(.notFound, Self.notFoundMessage(kind, username)) }
        return .activityJSON(document, ldProfile: false)
    }

    // MARK: - Pages

    /// The threads of a community, newest first, each with its replies. Post bodies are HTML that
    /// went through the allowlist sanitiser when stored; they are sanitised again here, so nothing
    /// a remote node sent can become active markup. Everything else is escaped.
    static func threadsHTML(communityID: String, visible: OriginFilter? = nil, db: Connection) throws -> String {
        let objects = ObjectRepository(db)
        let threads = try objects.inAudience(communityID, limit: 200, visible: visible).filter { $0.inReplyTo == nil }.prefix(50)
        var body = "<h2>Threads</h2>\n<ul class=\"cards\">\n"
        for thread in threads {
            body += "<li><article>"
            let kind = thread.kind.map { ThreadKind(rawValue: $0) == .caseStudy ? "case study" : $0 } ?? "discussion"
            body += "<p class=\"muted\">\(HTML.escape(kind))"
            if thread.acceptedAnswer != nil { body += " · answered" }
            for tag in thread.tags { body += " · #\(HTML.escape(tag))" }
            body += "</p>"
            if let name = thread.name { body += "<h3>\(HTML.escape(name))</h3>" }
            body += HTMLSanitizer.sanitize(thread.content)
            body += "<p class=\"muted\">\(HTML.escape(thread.attributedTo))"
            if let published = thread.published { body += " · \(ISO8601.string(published))" }
            body += "</p>"
            let replies = try objects.replies(to: thread.id, limit: 100).filter { reply in
                try visible.map { try $0.shows(objectID: reply.id, db: db) } ?? true
            }
            if !replies.isEmpty {
                body += "<ul>"
                for reply in replies {
                    let accepted = reply.id == thread.acceptedAnswer
                    body += "<li>\(accepted ? "<p><strong>Accepted answer</strong></p>" : "")"
                    body += HTMLSanitizer.sanitize(reply.content)
                    body += "<p class=\"muted\">\(HTML.escape(reply.attributedTo)) · \(try objects.likeCount(of: reply.id)) helpful</p></li>"
                }
                body += "</ul>"
            }
            body += "</article></li>\n"
        }
        if threads.isEmpty { body += "<li class=\"muted\">No threads yet.</li>\n" }
        return body + "</ul>\n"
    }

    func home(_ request: HTTPRequest) async throws -> HTTPResponse {
        if Representation.negotiate(request) != .html {
            return try await actor(kind: .application, username: NodeSetup.nodeActorUsername, request)
        }
        let configuration = store.configuration
        let (communities, members) = try await store.database.read { db in
            (try CommunityRepository(db).all(), try AccountRepository(db).usage().total)
        }
        var body = "<h1>\(HTML.escape(configuration.name))</h1>\n"
        body += "<p class=\"muted\">A Praxis node for communities of practice in public procurement · "
        body += "<code>\(HTML.escape(configuration.domain))</code> · \(members) members</p>\n"
        body += "<h2>Communities</h2>\n<ul class=\"cards\">\n"
        for community in communities {
            body += "<li><a href=\"/communities/\(HTML.escape(community.actor.username))\">"
            body += "\(HTML.escape(community.title))</a> <span class=\"muted\">!\(HTML.escape(community.actor.username))@"
            body += "\(HTML.escape(configuration.domain)) · \(community.visibility == .public ? "public" : "members only")"
            body += " · join: \(community.joinPolicy.rawValue)</span>"
            if !community.actor.summary.isEmpty { body += "<br>\(HTML.escape(community.actor.summary))" }
            body += "</li>\n"
        }
        if communities.isEmpty { body += "<li class=\"muted\">No communities yet.</li>\n" }
        body += "</ul>\n"
        return .html(HTML.page(title: "Home", nodeName: configuration.name, body: body))
    }

    func actorPage(kind: ActorKind, username: String) async throws -> HTTPResponse {
        let configuration = store.configuration
        let urls = urls
        let page: String? = try await store.database.read { db in
            switch kind {
            case .application:
                return nil
            case .person:
                guard let account = try AccountRepository(db).find(username: username), account.status == .active else {
                    return nil
                }
                var body = "<h1>\(HTML.escape(account.actor.displayName))</h1>\n"
                body += "<p class=\"muted\">@\(HTML.escape(account.actor.username))@\(HTML.escape(configuration.domain))"
                body += " · \(HTML.escape(account.affiliation.rawValue))</p>\n"
                if !account.actor.summary.isEmpty { body += "<p>\(HTML.escape(account.actor.summary))</p>\n" }
                return HTML.page(title: account.actor.displayName, nodeName: configuration.name, body: body)
            case .group:
                guard let community = try CommunityRepository(db).find(username: username) else { return nil }
                var body = "<h1>\(HTML.escape(community.title))</h1>\n"
                body += "<p class=\"muted\">!\(HTML.escape(community.actor.username))@\(HTML.escape(configuration.domain))"
                body += " · \(community.visibility == .public ? "public" : "members only")"
                body += " · join: \(community.joinPolicy.rawValue)</p>\n"
                if !community.actor.summary.isEmpty { body += "<p>\(HTML.escape(community.actor.summary))</p>\n" }
                if let parent = community.parentUsername {
                    body += "<p>Part of <a href=\"\(HTML.escape(urls.community(parent)))\">\(HTML.escape(parent))</a></p>\n"
                }
                let communityID = urls.community(community.actor.username)
                let members = try FollowRepository(db).followerCount(of: communityID)
                body += "<p class=\"muted\">\(members) member\(members == 1 ? "" : "s")</p>\n"
                if community.visibility == .public {
                    body += try Self.threadsHTML(
                        communityID: communityID,
                        visible: TrustPolicy.originFilter(configuration, urls: urls),
                        db: db)
                }
                return HTML.page(title: community.title, nodeName: configuration.name, body: body)
            }
        }
        if kind == .application {
            return HTTPResponse(status: .found, headers: ["Location": "/"])
        }
        guard let page else {
            return .html(
                HTML.page(title: "Not found", nodeName: configuration.name,
                          body: "<h1>Not found</h1><p>\(HTML.escape(Self.notFoundMessage(kind, username)))</p>"),
                status: .notFound)
        }
        return .html(page)
    }
}
