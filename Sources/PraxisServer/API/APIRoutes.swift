import Foundation
import PraxisActivityStreams
import PraxisCommunity
import PraxisCrypto
import PraxisFederation
import PraxisHTTP
import PraxisJSON
import PraxisSQLite
import PraxisStorage

/// The client API under `/api/v1` (specified in `Protocol/openapi.yaml`): sign-in sessions,
/// the signed-in account, communities, memberships, follows of remote communities and posts.
///
/// Every answer is JSON; errors are `{"error": {"code", "message", "field"?}}`. Handlers
/// authenticate the bearer token, ask ``Authorization`` what the caller may do, and call the
/// community and social use cases; they decide nothing themselves.
public struct APIRoutes: Sendable {
    public static let prefix = "/api/v1"

    let store: NodeStore
    let urls: NodeURLs
    let social: SocialService?
    let documents: DocumentService?
    let sessions: SessionService
    let passwordCost: PasswordHash.Cost
    /// Per-address request limits (`429` with `Retry-After`).
    let limiters: APILimiters
    /// Answers of thread lists, thread pages and searches, checked against the database's read
    /// generations at each request.
    let readCache: ReadCache
    /// Counts the read cache's hits and misses.
    let metrics: NodeMetrics
    /// Memberships, guest scopes and bans per account, reused while the permissions generation holds.
    let authorizations = AuthorizationMemo()

    /// - Parameters:
    ///   - social: the node's federating use cases; without them (route tests without federation)
    ///     joining, following and posting answer 503.
    ///   - passwordCost: scrypt cost of new password hashes (lowered only by tests).
    ///   - sessionLifetime: how long a token stays valid after sign-in.
    ///   - documents: the document libraries; without them the document endpoints answer 503.
    ///   - metrics: where read cache hits and misses are counted (`/metrics`).
    public init(store: NodeStore, social: SocialService?, documents: DocumentService? = nil,
                passwordCost: PasswordHash.Cost = .standard, sessionLifetime: TimeInterval = 30 * 86_400,
                metrics: NodeMetrics = NodeMetrics()) {
        self.metrics = metrics
        self.store = store
        self.urls = NodeURLs(configuration: store.configuration)
        self.social = social
        self.documents = documents
        self.passwordCost = passwordCost
        self.sessions = SessionService(store: store, passwordCost: passwordCost, lifetime: sessionLifetime)
        self.limiters = APILimiters(store.configuration.effectiveLimits)
        self.readCache = ReadCache(capacityBytes: store.configuration.readCacheBytes)
    }

    /// What an authenticated handler receives.
    struct Context: Sendable {
        var caller: SessionService.Caller
        var authorization: Authorization
        var username: String { caller.account.actor.username }
    }

    typealias AuthedHandler = @Sendable (HTTPRequest, Context) async throws -> HTTPResponse

    /// Adds the API's routes to `router`.
    public func register(into router: inout Router) {
        let api = self
        let p = Self.prefix
        let small = APIBody.maxBytes
        let large = APIBody.postMaxBytes
        router.post("\(p)/auth/sign-in", maxBodySize: small, open { try await api.signIn($0) })
        router.post("\(p)/auth/sign-out", maxBodySize: small, authed { _, c in try await api.signOut(c) })
        router.get("\(p)/me", authed { _, c in try await api.me(c) })
        router.post("\(p)/me/password", maxBodySize: small, authed { r, c in try await api.changePassword(r, c) })
        router.get("\(p)/communities", authed { r, c in try await api.browseCommunities(r, c) })
        router.post("\(p)/communities", maxBodySize: small, authed { r, c in try await api.createCommunity(r, c) })
        router.get("\(p)/communities/:name", authed { r, c in try await api.community(r, c) })
        router.post("\(p)/communities/:name/join", maxBodySize: small, authed { r, c in try await api.join(r, c) })
        router.post("\(p)/communities/:name/leave", maxBodySize: small, authed { r, c in try await api.leave(r, c) })
        router.get("\(p)/communities/:name/posts", authed { r, c in try await api.posts(r, c) })
        router.post("\(p)/communities/:name/posts", maxBodySize: large, authed { r, c in try await api.postInLocal(r, c) })
        router.get("\(p)/communities/:name/members", authed { r, c in try await api.members(r, c) })
        router.put("\(p)/communities/:name/roles", maxBodySize: small, authed { r, c in try await api.setCommunityRole(r, c) })
        router.post("\(p)/follows", maxBodySize: small, authed { r, c in try await api.follow(r, c) })
        router.delete("\(p)/follows", authed { r, c in try await api.unfollow(r, c) })
        router.post("\(p)/posts", maxBodySize: large, authed { r, c in try await api.post(r, c) })
        router.patch("\(p)/posts/:id", maxBodySize: large, authed { r, c in try await api.editPost(r, c) })
        router.delete("\(p)/posts/:id", authed { r, c in try await api.deletePost(r, c) })
        registerParticipation(into: &router)
        registerModeration(into: &router)
        registerAudit(into: &router)
        registerSearch(into: &router)
        registerDocuments(into: &router)
        registerTrust(into: &router)
        registerNotifications(into: &router)
        registerThreads(into: &router)
        registerProfile(into: &router)
        registerExport(into: &router)
        registerHealth(into: &router)
        for method in [HTTPMethod.get, .post, .put, .patch, .delete] {
            router.add(method, "\(p)/*rest", maxBodySize: small, open { request in
                throw APIError.notFound("no API endpoint \(request.method) \(request.path)")
            })
        }
    }

    // MARK: - Plumbing

    /// Turns every error into the API's JSON error, and keeps answers out of shared caches. Every
    /// API request first takes a token from its client address's bucket.
    func open(_ handler: @escaping Router.Handler) -> Router.Handler {
        let limiters = limiters
        return { request in
            var response: HTTPResponse
            do {
                try limiters.admit(request)
                response = try await handler(request)
            } catch {
                response = APIError.from(error).response
            }
            response.headers["Cache-Control"] = "no-store"
            return response
        }
    }

    /// Authenticates the bearer token and loads the caller's authorisation before `handler`.
    func authed(_ handler: @escaping AuthedHandler) -> Router.Handler {
        let sessions = sessions
        let urls = urls
        let memo = authorizations
        return open { request in
            let (caller, authorization) = try await sessions.authenticate(authorization: request.headers["Authorization"]) {
                account, db in try Authorization.load(account: account, urls: urls, db: db, memo: memo)
            }
            return try await handler(request, Context(caller: caller, authorization: authorization))
        }
    }

    func requireSocial() throws -> SocialService {
        guard let social else {
            throw APIError(.serviceUnavailable, "unavailable", "federation is not running on this node; try again later")
        }
        return social
    }

    /// The named local community, or 404.
    func findCommunity(_ request: HTTPRequest) async throws -> Community {
        let name = (request.parameters["name"] ?? "").lowercased()
        let community = try await store.database.read { db in try CommunityRepository(db).find(username: name) }
        guard let community else { throw APIError.notFound("no community named \"\(name)\" on this node") }
        return community
    }

    static func json(_ value: JSON, status: HTTPStatus = .ok) -> HTTPResponse { .json(value, status: status) }

    /// Hides stored content of nodes the trust list blocks or the community excludes, read at
    /// each request so a trust change shows at once.
    var originFilter: OriginFilter {
        TrustPolicy.originFilter(store.configuration, urls: urls)
    }

    static let noContent = HTTPResponse(status: .noContent)

    /// Like ``authed(_:)``, for reads whose answers ``readCache`` keeps (thread lists, thread pages,
    /// search): the token, the caller's authorisation and a kept answer's read generations are
    /// checked in one reader trip, and a kept answer whose generations are unchanged is sent
    /// without running `handler`. The handler builds misses with ``cachedRead(_:_:build:)``.
    ///
    /// Serving before the handler's own checks is sound: an answer is kept only for a target that
    /// passed them, the checks depend only on the target and on the database, and every database
    /// change they depend on (communities, memberships, trust…) bumps a generation of the answer.
    func authedCached(_ route: ReadCacheCounters.Route, _ handler: @escaping AuthedHandler) -> Router.Handler {
        let metrics = metrics
        let sessions = sessions
        let urls = urls
        let cache = readCache
        let memo = authorizations
        let store = store
        return open { request in
            let target = request.target
            let (caller, (authorization, key, kept)) = try await sessions.authenticate(
                authorization: request.headers["Authorization"]
            ) { account, db -> (Authorization, String?, [UInt8]?) in
                let authorization = try Authorization.load(account: account, urls: urls, db: db, memo: memo)
                let key = Self.readCacheKey(authorization, target, cache: cache)
                return (authorization, key, try key.flatMap { try Self.currentAnswer($0, cache: cache, db: db) })
            }
            if let kept {
                metrics.readCacheHits.increment(route)
                return Self.cachedJSON(kept)
            }
            let context = Context(caller: caller, authorization: authorization)
            guard let key else { return try await handler(request, context) }
            // One build per key at a time: a request that finds the same answer being built waits
            // for it and looks again (its generations checked anew) before building it itself.
            if !cache.claimBuild(key) {
                await cache.waitForBuild(key)
                if let built = try await store.database.read({ db in try Self.currentAnswer(key, cache: cache, db: db) }) {
                    metrics.readCacheHits.increment(route)
                    return Self.cachedJSON(built)
                }
                guard cache.claimBuild(key) else {
                    metrics.readCacheMisses.increment(route)
                    return try await handler(request, context)
                }
            }
            defer { cache.finishBuild(key) }
            metrics.readCacheMisses.increment(route)
            return try await handler(request, context)
        }
    }

    /// The read cache key of a request: the reader's actor id and the request target; nil when the
    /// cache is off or the reader is a guest (a guest's scope ends at a set time, which no
    /// generation records).
    static func readCacheKey(_ authorization: Authorization, _ target: String, cache: ReadCache) -> String? {
        guard cache.isEnabled, authorization.guestScope == nil else { return nil }
        return authorization.actorID + "\n" + target
    }

    /// The answer kept for `key` when the read generations it was built at are still the current
    /// ones in `db`; nil when none is kept or it is out of date.
    static func currentAnswer(_ key: String, cache: ReadCache, db: Connection) throws -> [UInt8]? {
        guard let hit = cache.lookup(key) else { return nil }
        return try ReadGenerations(db).stamp(hit.stamp.scopes) == hit.stamp ? hit.body : nil
    }

    /// Builds a read's answer with `build` (which returns it with the stamp of the snapshot it
    /// read) and keeps it in ``readCache`` for ``authedCached(_:)`` to serve again. A build that
    /// returns no stamp (its snapshot could not vouch for the answer) is not kept.
    func cachedRead(_ request: HTTPRequest, _ context: Context, build: () async throws -> (JSON, ReadStamp?)) async throws
        -> HTTPResponse
    {
        let (value, stamp) = try await build()
        let body = value.serializedBytes()
        if let stamp, let key = Self.readCacheKey(context.authorization, request.target, cache: readCache) {
            readCache.store(key, body: body, stamp: stamp)
        }
        return Self.cachedJSON(body)
    }

    static func cachedJSON(_ body: [UInt8]) -> HTTPResponse {
        var response = HTTPResponse(status: .ok, body: body)
        response.headers["Content-Type"] = "application/json; charset=utf-8"
        return response
    }

    // MARK: - Sessions and the account

    func signIn(_ request: HTTPRequest) async throws -> HTTPResponse {
        let body = try APIBody.parse(request)
        let username = try body.requiredString("username")
        let password = try body.requiredString("password")
        try limiters.admitSignIn(request, username: username)
        let signedIn = try await sessions.signIn(
            username: username, password: password, userAgent: request.headers["User-Agent"] ?? "")
        return Self.json([
            "token": .string(signedIn.token),
            "tokenType": "Bearer",
            "expiresAt": .string(ISO8601.string(signedIn.session.expiresAt)),
            "account": .object(APIViews.account(signedIn.account, urls: urls)),
        ])
    }

    func signOut(_ context: Context) async throws -> HTTPResponse {
        try await sessions.signOut(context.caller)
        return Self.noContent
    }

    func me(_ context: Context) async throws -> HTTPResponse {
        var view = APIViews.account(context.caller.account, urls: urls)
        view["communities"] = .array(try await followedCommunities(context.authorization, includeLocal: true))
        return Self.json(.object(view))
    }

    /// The communities the account asked to join or follows, with the state of each.
    func followedCommunities(_ authorization: Authorization, includeLocal: Bool) async throws -> [JSON] {
        let urls = urls
        let memberships = authorization.memberships.sorted { $0.key < $1.key }
        return try await store.database.read { db -> [JSON] in
            var views: [JSON] = []
            for (id, state) in memberships {
                if let reference = urls.localActorReference(id) {
                    guard includeLocal, reference.kind == .group,
                        let community = try CommunityRepository(db).find(username: reference.username)
                    else { continue }
                    let count = try FollowRepository(db).followerCount(of: id)
                    views.append(APIViews.community(community, urls: urls, membership: state, memberCount: count))
                } else {
                    let summary = try RemoteActorSummaries(db).find(id: id)
                    if let summary, summary.type != "Group" { continue }
                    views.append(APIViews.remoteCommunity(id: id, summary: summary, membership: state))
                }
            }
            return views
        }
    }

    func changePassword(_ request: HTTPRequest, _ context: Context) async throws -> HTTPResponse {
        let body = try APIBody.parse(request)
        let current = try body.requiredString("current")
        let new = try body.requiredString("new")
        try await sessions.changePassword(context.caller, current: current, new: new)
        return Self.noContent
    }

    // MARK: - Communities

    func community(_ request: HTTPRequest, _ context: Context) async throws -> HTTPResponse {
        let community = try await findCommunity(request)
        try context.authorization.requireSee(community)
        let id = urls.community(community.actor.username)
        let count = try await store.database.read { db in try FollowRepository(db).followerCount(of: id) }
        return Self.json(APIViews.community(
            community, urls: urls, membership: context.authorization.membership(of: id), memberCount: count))
    }

    func createCommunity(_ request: HTTPRequest, _ context: Context) async throws -> HTTPResponse {
        try context.authorization.requireCreateCommunity()
        let body = try APIBody.parse(request)
        let new = CommunityService.NewCommunity(
            name: try body.requiredString("name"), title: try body.string("title"),
            summary: try body.string("description") ?? "",
            visibility: try body.choice("visibility", as: CommunityVisibility.self, allowed: CommunityVisibility.allCases)
                ?? .public,
            joinPolicy: try body.choice("joinPolicy", as: JoinPolicy.self, allowed: JoinPolicy.allCases) ?? .approval,
            owner: context.username, parent: try body.string("parent"),
            theme: try body.choice("theme", as: ThemeKind.self, allowed: ThemeKind.allCases) ?? .topic,
            languages: try body.strings("languages") ?? [])
        let service = CommunityService(store: store)
        // Key generation (RSA) and the write are blocking work: keep them off the cooperative pool.
        let created = try await SessionService.offPool { try service.create(new) }
        return Self.json(APIViews.community(created, urls: urls, membership: nil, memberCount: 0), status: .created)
    }

    func join(_ request: HTTPRequest, _ context: Context) async throws -> HTTPResponse {
        let social = try requireSocial()
        let community = try await findCommunity(request)
        try context.authorization.requireJoin(community)
        let follow = try await social.follow(member: context.username, target: urls.community(community.actor.username))
        return Self.membership(follow)
    }

    static func membership(_ follow: Follow) -> HTTPResponse {
        json(["target": .string(follow.followed), "state": .string(follow.state.rawValue)],
             status: follow.state == .accepted ? .ok : .accepted)
    }

    func leave(_ request: HTTPRequest, _ context: Context) async throws -> HTTPResponse {
        let social = try requireSocial()
        let community = try await findCommunity(request)
        let id = urls.community(community.actor.username)
        // Someone with a pending request may withdraw it even if the community is hidden from them.
        if context.authorization.membership(of: id) == nil { try context.authorization.requireSee(community) }
        try await social.unfollow(member: context.username, target: id)
        return Self.noContent
    }

    func members(_ request: HTTPRequest, _ context: Context) async throws -> HTTPResponse {
        let community = try await findCommunity(request)
        try context.authorization.requireListMembers(of: community)
        let urls = urls
        let id = urls.community(community.actor.username)
        let follows = try await store.database.read { db -> [(Follow, JSON)] in
            let roles = Dictionary(try CommunityRoleRepository(db).all(communityID: community.actor.id).map { ($0.actor, $0.role) },
                                   uniquingKeysWith: { first, _ in first })
            return try FollowRepository(db).followers(of: id).map { follow in
                let view = try Self.memberView(follow.follower, urls: urls, db: db)
                return (follow, Self.withRole(view, roles[follow.follower], owner: community.ownerUsername, urls: urls, id: follow.follower))
            }
        }
        return Self.membersResponse(follows, local: urls.domain)
    }

    /// A member's view, from the local account or the cached remote actor.
    static func memberView(_ id: String, urls: NodeURLs, db: Connection) throws -> JSON {
        if let reference = urls.localActorReference(id), reference.kind == .person {
            let account = try AccountRepository(db).find(username: reference.username)
            return APIViews.member(id: id, account: account, remote: nil, urls: urls)
        }
        return APIViews.member(id: id, account: nil, remote: try RemoteActorSummaries(db).find(id: id), urls: urls)
    }

    /// Adds `role`: `owner`, `manager`, `moderator` or null.
    static func withRole(_ view: JSON, _ role: CommunityRole?, owner: String?, urls: NodeURLs, id: String) -> JSON {
        guard case .object(var object) = view else { return view }
        let isOwner = owner != nil && urls.localActorReference(id)?.username == owner
        object["role"] = isOwner ? .string("owner") : role.map { .string($0.rawValue) } ?? .null
        return .object(object)
    }

    /// The members with their nodes, and how many members live on each node, this node first.
    static func membersResponse(_ follows: [(Follow, JSON)], local: String) -> HTTPResponse {
        var byNode: [String: Int] = [:]
        for (follow, _) in follows { byNode[follow.followerDomain, default: 0] += 1 }
        let nodes = byNode.sorted { a, b in
            a.key == local ? b.key != local : (b.key != local && a.key < b.key)
        }
        return json([
            "members": .array(follows.map { follow, view in
                guard case .object(var object) = view else { return view }
                object["node"] = .string(follow.followerDomain)
                return .object(object)
            }),
            "nodes": .array(nodes.map { entry -> JSON in
                ["node": .string(entry.key), "members": .integer(Int64(entry.value))]
            }),
        ])
    }

    /// `PUT /communities/:name/roles`: the owner or a node admin makes a member a manager or a
    /// moderator, or takes the role back (`"role": null`). Recorded in the audit log.
    func setCommunityRole(_ request: HTTPRequest, _ context: Context) async throws -> HTTPResponse {
        let community = try await findCommunity(request)
        try context.authorization.requireSee(community)
        let body = try APIBody.parse(request)
        let member = try body.requiredString("member").trimmingCharacters(in: .whitespaces)
        guard !member.isEmpty, member.utf8.count <= 2048 else {
            throw APIError.invalid("\"member\" must name a member: a local username or the member's actor id", field: "member")
        }
        guard body.object.contains("role") else {
            throw APIError.invalid("\"role\" is required: \"manager\", \"moderator\" or null to take the role back", field: "role")
        }
        let role = try body.choice("role", as: CommunityRole.self, allowed: CommunityRole.allCases)
        let name = member.hasPrefix("http") ? member : member.lowercased()
        try await MembershipService(context: try requireSocial().context).setRole(
            role, of: name, in: community.actor.username, by: context.username)
        return Self.json(["member": .string(name), "role": role.map { .string($0.rawValue) } ?? .null])
    }

    // MARK: - Follows of remote communities

    /// A local community named by a follow target (its URL or `@name@this-host`), if it is one.
    func localCommunityName(_ target: String) -> String? {
        if let reference = urls.localActorReference(target) { return reference.kind == .group ? reference.username : nil }
        let handle = target.hasPrefix("@") ? String(target.dropFirst()) : target
        let parts = handle.split(separator: "@", omittingEmptySubsequences: false)
        guard !target.contains("/"), parts.count == 2, parts[1].lowercased() == urls.domain.lowercased() else { return nil }
        return parts[0].lowercased()
    }

    func follow(_ request: HTTPRequest, _ context: Context) async throws -> HTTPResponse {
        let social = try requireSocial()
        let body = try APIBody.parse(request)
        let target = try body.requiredString("target").trimmingCharacters(in: .whitespaces)
        guard !target.isEmpty, target.utf8.count <= 2048 else {
            throw APIError.invalid("\"target\" must be an actor URL or an @name@host handle", field: "target")
        }
        if let name = localCommunityName(target) {
            var local = request
            local.parameters["name"] = name
            return try await join(local, context)
        }
        if urls.localActorReference(target) != nil || target.hasPrefix(urls.base + "/") {
            throw APIError.invalid("only communities can be followed here; \(target) is not one", field: "target")
        }
        try context.authorization.requireFollowRemote()
        guard target.hasPrefix("https://") || target.hasPrefix("http://") || target.contains("@") else {
            throw APIError.invalid("\"target\" must be an actor URL or an @name@host handle", field: "target")
        }
        let follow = try await social.follow(member: context.username, target: target)
        return Self.membership(follow)
    }

    func unfollow(_ request: HTTPRequest, _ context: Context) async throws -> HTTPResponse {
        let social = try requireSocial()
        guard let target = request.queryItems["target"]?.trimmingCharacters(in: .whitespaces), !target.isEmpty else {
            throw APIError.badRequest("name the community to leave with ?target=URL or ?target=@name@host", field: "target")
        }
        if let name = localCommunityName(target) {
            var local = request
            local.parameters["name"] = name
            return try await leave(local, context)
        }
        var id = target
        if !target.hasPrefix("http") {
            guard target.contains("@") else {
                throw APIError.badRequest("\"target\" must be an actor URL or an @name@host handle", field: "target")
            }
            do {
                id = try await social.context.directory.resolve(handle: target).id
            } catch let error as DereferenceError {
                // A malformed handle is a bad query parameter (400), not a bad body member (422).
                let refusal = APIError.from(error)
                guard refusal.status == .unprocessableContent else { throw refusal }
                throw APIError.badRequest(refusal.message, field: "target")
            }
        }
        guard context.authorization.membership(of: id) != nil else {
            throw APIError.notFound("you do not follow \(target)")
        }
        try await social.unfollow(member: context.username, target: id)
        return Self.noContent
    }

    // MARK: - Posts

    func posts(_ request: HTTPRequest, _ context: Context) async throws -> HTTPResponse {
        let community = try await findCommunity(request)
        try context.authorization.requireRead(community)
        let query = request.queryItems
        var limit = 20
        if let text = query["limit"] {
            guard let value = Int(text), (1...100).contains(value) else {
                throw APIError.badRequest("\"limit\" must be a whole number from 1 to 100", field: "limit")
            }
            limit = value
        }
        var cursor: PostCursor?
        if let text = query["before"], !text.isEmpty {
            guard let parsed = APIViews.parseCursor(text) else {
                throw APIError.badRequest("\"before\" must be a cursor returned as \"next\" by this endpoint", field: "before")
            }
            cursor = parsed
        }
        let id = urls.community(community.actor.username)
        let (pageSize, after) = (limit, cursor)
        let authorization = context.authorization
        let visible = originFilter
        let page = try await store.database.read { db in
            // Guests see only their topic; the page may then hold fewer posts than asked.
            try ObjectRepository(db).page(audience: id, limit: pageSize, after: after, visible: visible).filter {
                try authorization.canRead(post: $0, db: db)
            }
        }
        let next: JSON = page.count == limit || (context.authorization.guestScope != nil && !page.isEmpty)
            ? page.last.map { .string(APIViews.cursor($0)) } ?? .null : .null
        return Self.json(["posts": .array(page.map(APIViews.post)), "next": next])
    }

    func postInLocal(_ request: HTTPRequest, _ context: Context) async throws -> HTTPResponse {
        let social = try requireSocial()
        let community = try await findCommunity(request)
        try context.authorization.requireSee(community)
        let id = urls.community(community.actor.username)
        return try await publish(request, context, social: social, community: id)
    }

    func post(_ request: HTTPRequest, _ context: Context) async throws -> HTTPResponse {
        let social = try requireSocial()
        let body = try APIBody.parse(request, maxBytes: APIBody.postMaxBytes)
        let community = try body.requiredString("community")
        guard community.hasPrefix("https://") || community.hasPrefix("http://"), community.utf8.count <= 2048 else {
            throw APIError.invalid("\"community\" must be the community's actor URL", field: "community")
        }
        if let name = localCommunityName(community) {
            var local = request
            local.parameters["name"] = name
            return try await postInLocal(local, context)
        }
        return try await publish(request, context, social: social, community: community)
    }

    func publish(_ request: HTTPRequest, _ context: Context, social: SocialService, community: String) async throws
        -> HTTPResponse
    {
        let body = try APIBody.parse(request, maxBytes: APIBody.postMaxBytes)
        let content = try body.requiredString("content")
        let title = try body.string("title")
        let kind = try body.choice("kind", as: ThreadKind.self, allowed: ThreadKind.allCases) ?? .discussion
        let inReplyTo = try body.string("inReplyTo")
        let tags = try body.strings("tags") ?? []
        let language = try body.string("language")
        try context.authorization.requirePost(in: community)
        let stored = try await social.post(member: context.username, community: community, content: content, name: title,
                                           kind: kind, inReplyTo: inReplyTo, tags: tags, language: language)
        return Self.json(APIViews.post(stored), status: .created)
    }

    /// A post the caller may see, or 404 (posts in hidden communities do not exist for it).
    func findPost(_ request: HTTPRequest, _ context: Context) async throws -> StoredObject {
        let id = request.parameters["id"] ?? ""
        let authorization = context.authorization
        let visible = originFilter
        let post = try await store.database.read { db -> StoredObject? in
            guard let post = try ObjectRepository(db).find(id: id), post.deletedAt == nil,
                try authorization.canReadPost(post, db: db), try visible.shows(objectID: post.id, db: db)
            else { return nil }
            return post
        }
        guard let post else { throw APIError.notFound("no post \(id)") }
        return post
    }

    /// The post the caller may edit or delete here: not a document, whose edits are new versions
    /// and whose deletion must also retire its record and bytes (`/documents/{id}` does both); as
    /// a post it would be rewritten as Markdown, or tombstoned while it stayed listed.
    func findChangeablePost(_ request: HTTPRequest, _ context: Context) async throws -> StoredObject {
        let post = try await findPost(request, context)
        guard post.type != "Document" else {
            throw APIError.notFound("\(post.id) is a document, not a post; documents are changed through /api/v1/documents")
        }
        try context.authorization.requireChange(post)
        return post
    }

    func editPost(_ request: HTTPRequest, _ context: Context) async throws -> HTTPResponse {
        let social = try requireSocial()
        let body = try APIBody.parse(request, maxBytes: APIBody.postMaxBytes)
        let content = try body.requiredString("content")
        let post = try await findChangeablePost(request, context)
        try await social.edit(member: context.username, objectID: post.id, content: content)
        let id = post.id
        let updated = try await store.database.read { db in try ObjectRepository(db).find(id: id) }
        return Self.json(APIViews.post(updated ?? post))
    }

    func deletePost(_ request: HTTPRequest, _ context: Context) async throws -> HTTPResponse {
        let social = try requireSocial()
        let post = try await findChangeablePost(request, context)
        try await social.delete(member: context.username, objectID: post.id)
        return Self.noContent
    }
}
