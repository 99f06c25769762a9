import Foundation
import PraxisActivityStreams
import PraxisCommunity
import PraxisCrypto
import PraxisHTTP
import PraxisJSON
import PraxisStorage

/// Browsing communities (local and known remote ones), thread lists and thread pages.
extension APIRoutes {
    func registerThreads(into router: inout Router) {
        let api = self
        let p = Self.prefix
        router.get("\(p)/communities/:name/threads", authedCached(.lists) { r, c in try await api.localThreads(r, c) })
        router.get("\(p)/threads", authedCached(.lists) { r, c in try await api.threads(r, c) })
        router.get("\(p)/threads/:id", authedCached(.pages) { r, c in try await api.thread(r, c) })
    }

    // MARK: - Communities

    /// `GET /communities?theme=&language=&node=&q=`: local communities the caller may see, then
    /// remote ones this node knows (trusted nodes, or followed by a local member).
    func browseCommunities(_ request: HTTPRequest, _ context: Context) async throws -> HTTPResponse {
        let query = request.queryItems
        var filter = CommunityDirectory.Filter()
        if let theme = try Self.nonEmpty(query["theme"], field: "theme") {
            guard let kind = ThemeKind(rawValue: theme) else {
                let names = ThemeKind.allCases.map(\.rawValue).joined(separator: ", ")
                throw APIError.badRequest("\"theme\" must be one of \(names)", field: "theme")
            }
            filter.theme = kind
        }
        filter.language = try Self.nonEmpty(query["language"], field: "language")
        filter.node = try Self.nonEmpty(query["node"], field: "node")
        filter.text = try Self.nonEmpty(query["q"], field: "q")
        let authorization = context.authorization
        let directory = CommunityDirectory(store: store)
        let chosen = filter
        let listings = try await SessionService.offPool { try directory.browse(chosen, by: authorization) }
        let urls = urls
        // Remote communities the caller follows that the actor cache no longer describes still
        // belong in an unfiltered list (filters cannot be checked against them).
        var extra: [JSON] = []
        if filter.theme == nil, filter.language == nil, filter.text == nil {
            let listed = Set(listings.compactMap { listing -> String? in
                if case .remote(let profile) = listing { return profile.id }
                return nil
            })
            extra = try await followedCommunities(authorization, includeLocal: false).filter { view in
                guard let id = view["id"]?.stringValue, !listed.contains(id) else { return false }
                guard let node = filter.node else { return true }
                return (try? HTTPClientURL(id).authority.lowercased()) == node.lowercased()
            }
        }
        let views = listings.map { listing -> JSON in
            switch listing {
            case .local(let community, let count):
                return APIViews.community(
                    community, urls: urls, membership: authorization.membership(of: urls.community(community.actor.username)),
                    memberCount: count)
            case .remote(let profile):
                return APIViews.remoteCommunity(profile, membership: authorization.membership(of: profile.id))
            }
        }
        return Self.json(["communities": .array(views + extra)])
    }

    // MARK: - Threads

    func localThreads(_ request: HTTPRequest, _ context: Context) async throws -> HTTPResponse {
        // Found inside the cached read: a hit needs no lookup (removing or renaming a community
        // bumps the permissions generation, so its cached lists go with it).
        let api = self
        return try await threadList(request, context) {
            api.urls.community(try await api.findCommunity(request).actor.username)
        }
    }

    /// `GET /threads?community=ACTOR_URL`: the same list for any community, local or remote.
    func threads(_ request: HTTPRequest, _ context: Context) async throws -> HTTPResponse {
        guard let community = try Self.nonEmpty(request.queryItems["community"], field: "community"),
            community.hasPrefix("https://") || community.hasPrefix("http://")
        else {
            throw APIError.badRequest("name the community with ?community=ACTOR_URL", field: "community")
        }
        return try await threadList(request, context) { community }
    }

    /// A thread list of the community `community` names (looked up only when the answer is not cached).
    func threadList(_ request: HTTPRequest, _ context: Context, community: @Sendable () async throws -> String)
        async throws -> HTTPResponse
    {
        let query = request.queryItems
        var list = ThreadService.ListRequest(community: "")
        if let sort = try Self.nonEmpty(query["sort"], field: "sort") {
            guard let value = ThreadSort(rawValue: sort) else {
                throw APIError.badRequest("\"sort\" must be latest, newest or unanswered", field: "sort")
            }
            list.sort = value
        }
        if let kind = try Self.nonEmpty(query["kind"], field: "kind") {
            guard ThreadKind(rawValue: kind) != nil else {
                let names = ThreadKind.allCases.map(\.rawValue).joined(separator: ", ")
                throw APIError.badRequest("\"kind\" must be one of \(names)", field: "kind")
            }
            list.filter.kind = kind
        }
        list.filter.tag = try Self.nonEmpty(query["tag"], field: "tag")
        list.filter.language = try Self.nonEmpty(query["language"], field: "language")
        list.limit = try Self.limit(query["limit"], default: 20)
        if let cursor = try Self.nonEmpty(query["cursor"], field: "cursor") {
            guard let parsed = APIViews.parseThreadCursor(cursor) else {
                throw APIError.badRequest("\"cursor\" must be a value returned as \"next\" by this endpoint", field: "cursor")
            }
            list.after = parsed
        }
        let service = ThreadService(store: store)
        let authorization = context.authorization
        let parameters = list
        return try await cachedRead(request, context) {
            var request = parameters
            request.community = try await community()
            let wanted = request
            let page = try await SessionService.offPool { try service.threads(wanted, by: authorization) }
            let view: JSON = [
                "threads": .array(page.threads.map(APIViews.threadSummary)),
                "next": page.next.map { .string(APIViews.threadCursor($0)) } ?? .null,
            ]
            return (view, page.stamp)
        }
    }

    /// `GET /threads/:id`: the thread a post belongs to, with a page of replies (`?cursor=`, `?limit=`).
    func thread(_ request: HTTPRequest, _ context: Context) async throws -> HTTPResponse {
        let id = request.parameters["id"] ?? ""
        let limit = try Self.limit(request.queryItems["limit"], default: 50)
        var after: PostCursor?
        if let cursor = try Self.nonEmpty(request.queryItems["cursor"], field: "cursor") {
            guard let parsed = APIViews.parseCursor(cursor) else {
                throw APIError.badRequest("\"cursor\" must be a value returned as \"next\" by this endpoint", field: "cursor")
            }
            after = parsed
        }
        let service = ThreadService(store: store)
        let authorization = context.authorization
        let start = after
        return try await cachedRead(request, context) {
            let detail = try await SessionService.offPool {
                try service.thread(id: id, limit: limit, after: start, by: authorization)
            }
            var root = APIViews.threadSummary(detail.root.entry)
            if case .object(var object) = root {
                object["revisions"] = .integer(Int64(detail.root.revisions))
                object["markedHelpful"] = .bool(detail.root.markedHelpful)
                root = .object(object)
            }
            let view: JSON = [
                "thread": root,
                "acceptedAnswer": detail.acceptedAnswer.map(APIViews.threadPost) ?? .null,
                "replies": .array(detail.replies.map(APIViews.threadPost)),
                "next": detail.next.map { .string(APIViews.cursor($0)) } ?? .null,
            ]
            return (view, detail.stamp)
        }
    }

    /// `limit` from 1 to ``ThreadService/maxLimit``.
    static func limit(_ text: String?, default value: Int) throws -> Int {
        guard let text else { return value }
        guard let parsed = Int(text), (1...ThreadService.maxLimit).contains(parsed) else {
            throw APIError.badRequest("\"limit\" must be a whole number from 1 to \(ThreadService.maxLimit)", field: "limit")
        }
        return parsed
    }
}

extension APIViews {
    /// A community on another node, with what its cached actor document says.
    static func remoteCommunity(_ profile: RemoteProfile, membership: Follow.State?) -> JSON {
        [
            "id": .string(profile.id),
            "local": false,
            "node": .string(profile.domain),
            "name": profile.preferredUsername.map { .string($0) } ?? .null,
            "handle": profile.handle.map { .string($0) } ?? .null,
            "title": (profile.name ?? profile.preferredUsername).map { .string($0) } ?? .null,
            "description": profile.summary.map { .string($0) } ?? .null,
            "visibility": profile.visibility.map { .string($0) } ?? .null,
            "joinPolicy": profile.joinPolicy.map { .string($0) } ?? .null,
            "theme": profile.theme.map { .string($0) } ?? .null,
            "languages": .array(profile.languages.map(JSON.string)),
            "membership": membership.map { .string($0.rawValue) } ?? .null,
        ]
    }

    /// A thread in a list: the root post with its counters.
    static func threadSummary(_ entry: ThreadEntry) -> JSON {
        let base = post(entry.object, source: entry.source)
        guard case .object(var view) = base else { return base }
        view["replyCount"] = .integer(Int64(entry.replyCount))
        view["helpfulCount"] = .integer(Int64(entry.helpfulCount))
        view["lastActivity"] = .string(ISO8601.string(entry.lastActivity))
        view["answered"] = .bool(entry.object.acceptedAnswer != nil)
        return .object(view)
    }

    /// A reply on a thread page.
    static func threadPost(_ post: ThreadService.Post) -> JSON {
        let base = self.post(post.entry.object, source: post.entry.source)
        guard case .object(var view) = base else { return base }
        view["helpfulCount"] = .integer(Int64(post.entry.helpfulCount))
        view["markedHelpful"] = .bool(post.markedHelpful)
        view["revisions"] = .integer(Int64(post.revisions))
        view["accepted"] = .bool(post.accepted)
        return .object(view)
    }

    /// The opaque cursor of a page of replies, in the form ``parseCursor(_:)`` reads.
    static func cursor(_ cursor: PostCursor) -> String {
        Base64.urlEncode(Array("\(cursor.published):\(cursor.id)".utf8))
    }

    /// The opaque thread list cursor: base64url of `sort:key:id`.
    static func threadCursor(_ cursor: ThreadCursor) -> String {
        Base64.urlEncode(Array("\(cursor.sort.rawValue):\(cursor.key):\(cursor.id)".utf8))
    }

    static func parseThreadCursor(_ text: String) -> ThreadCursor? {
        guard text.utf8.count <= 4096, let bytes = try? Base64.urlDecode(text),
            let decoded = String(validating: bytes, as: UTF8.self)
        else { return nil }
        let parts = decoded.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3, let sort = ThreadSort(rawValue: String(parts[0])), let key = Int64(parts[1]), !parts[2].isEmpty
        else { return nil }
        return ThreadCursor(sort: sort, key: key, id: String(parts[2]))
    }
}
