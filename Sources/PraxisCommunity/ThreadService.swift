import Foundation
import PraxisFederation
import PraxisSQLite
import PraxisStorage

/// Thread lists and thread pages of local and remote communities, as one member may read them.
///
/// Reading rules come from ``Authorization``: a local community's threads as
/// ``Authorization/requireRead(_:)`` allows, a remote one's as
/// ``Authorization/requireRead(remoteCommunity:membersOnly:)`` allows (members-only when its cached
/// actor document says `"visibility": "members"`); guests see only their topic. Content whose
/// origin node is blocked now (or excluded by the community) is left out as in post lists and
/// search (``OriginFilter``, read from the trust list at each request), so blocking a node hides its
/// threads and replies at once and unblocking shows them again.
public struct ThreadService: Sendable {
    public static let maxLimit = 100
    public let store: NodeStore
    public let urls: NodeURLs

    public init(store: NodeStore) {
        self.store = store
        self.urls = NodeURLs(configuration: store.configuration)
    }

    /// Which origins may be shown, from the node's federation mode and its trust list.
    var visible: OriginFilter {
        TrustPolicy.originFilter(store.configuration, urls: urls)
    }

    public struct ListRequest: Sendable {
        /// The community's actor id (local or remote).
        public var community: String
        public var sort: ThreadSort = .latest
        public var filter = ThreadFilter()
        public var limit = 20
        public var after: ThreadCursor?
        public init(community: String) { self.community = community }
    }

    public struct ThreadPage: Sendable {
        public var threads: [ThreadEntry]
        /// Where the next page starts; nil on the last page.
        public var next: ThreadCursor?
        /// The read generations this page was built at (the community and permissions), for a cache.
        public var stamp: ReadStamp
    }

    /// A page of the threads of a community.
    /// - Throws: ``CommunityError`` `.notFound` for a community the caller cannot see or this node
    ///   does not know, `.forbidden` when it may not read it, `.invalid` for a bad limit or a cursor
    ///   of another order.
    public func threads(_ request: ListRequest, by authorization: Authorization) throws -> ThreadPage {
        guard (1...Self.maxLimit).contains(request.limit) else {
            throw CommunityError(.invalid, "\"limit\" must be a whole number from 1 to \(Self.maxLimit)", field: "limit")
        }
        if let after = request.after, after.sort != request.sort {
            throw CommunityError(
                .invalid, "this cursor belongs to sort=\(after.sort.rawValue); start again without it", field: "cursor")
        }
        let visible = visible
        return try store.database.read { db in
            try requireRead(community: request.community, authorization: authorization, db: db)
            let stamp = try ReadGenerations(db).stamp(
                [ReadGenerations.permissions, ReadGenerations.community(request.community)])
            let raw = try ThreadRepository(db).page(
                audience: request.community, sort: request.sort, filter: request.filter, limit: request.limit,
                after: request.after, visible: visible)
            let readable = try raw.filter { try authorization.canRead(post: $0.object, db: db) }
            // The cursor follows the unfiltered page, so a guest's filtered pages still advance.
            let next = raw.count == request.limit ? raw.last?.cursor(request.sort) : nil
            return ThreadPage(threads: readable, next: next, stamp: stamp)
        }
    }

    /// One post of a thread as the caller sees it.
    public struct Post: Sendable {
        public var entry: ThreadEntry
        /// Earlier versions kept (the post was edited this many times).
        public var revisions: Int
        /// Whether the caller marked it helpful.
        public var markedHelpful: Bool
        /// Whether it is the root's accepted answer.
        public var accepted: Bool
    }

    public struct ThreadDetail: Sendable {
        public var root: Post
        /// The accepted answer, on the first page only (it also appears, flagged, in its place).
        public var acceptedAnswer: Post?
        /// Replies, nested ones included, oldest first.
        public var replies: [Post]
        public var next: PostCursor?
        /// The read generations this page was built at (the thread's community and permissions,
        /// and the accepted answer's community when it differs), for a cache.
        public var stamp: ReadStamp
    }

    /// The thread a post belongs to (its root, even when `id` names a reply), with a page of replies.
    /// - Throws: ``CommunityError`` `.notFound` when there is no such live post or the caller may
    ///   not read it (existence is not revealed), `.invalid` for a bad limit.
    public func thread(id: String, limit: Int = 50, after: PostCursor? = nil, by authorization: Authorization) throws
        -> ThreadDetail
    {
        guard (1...Self.maxLimit).contains(limit) else {
            throw CommunityError(.invalid, "\"limit\" must be a whole number from 1 to \(Self.maxLimit)", field: "limit")
        }
        let missing = CommunityError(.notFound, "no thread \(id)")
        let visible = visible
        return try store.database.read { db in
            let threads = ThreadRepository(db)
            guard let start = try threads.entry(id: id), start.object.deletedAt == nil,
                try visible.shows(objectID: start.object.id, db: db)
            else { throw missing }
            let rootID = start.object.inReplyTo == nil ? start.object.id : (try rootOf(id, db: db) ?? start.object.id)
            guard let root = try threads.entry(id: rootID), root.object.deletedAt == nil,
                let audience = root.object.audience, try authorization.canRead(post: root.object, db: db),
                try rootID == start.object.id || visible.shows(objectID: rootID, db: db)
            else { throw missing }
            do {
                try requireRead(community: audience, authorization: authorization, db: db)
            } catch {
                throw missing
            }
            let replies = try threads.replies(root: root.object.id, limit: limit, after: after, visible: visible)
            var accepted: ThreadEntry?
            if after == nil, let answer = root.object.acceptedAnswer, let entry = try threads.entry(id: answer),
                entry.object.deletedAt == nil, entry.object.inReplyTo != nil, try visible.shows(objectID: answer, db: db)
            {
                accepted = entry
            }
            let ids = [root.object.id] + replies.map(\.object.id) + (accepted.map { [$0.object.id] } ?? [])
            var scopes = [ReadGenerations.permissions, ReadGenerations.community(audience)]
            if let other = accepted?.object.audience, other != audience { scopes.append(ReadGenerations.community(other)) }
            let stamp = try ReadGenerations(db).stamp(scopes)
            let marked = try threads.marked(by: authorization.actorID, among: ids)
            let revisions = try threads.revisionCounts(of: ids)
            func post(_ entry: ThreadEntry) throws -> Post {
                Post(entry: entry, revisions: revisions[entry.object.id] ?? 0,
                     markedHelpful: marked.contains(entry.object.id),
                     accepted: entry.object.id == root.object.acceptedAnswer)
            }
            return ThreadDetail(
                root: try post(root), acceptedAnswer: try accepted.map(post), replies: try replies.map(post),
                next: replies.count == limit ? replies.last.map {
                    PostCursor(published: $0.object.published.map { Int64($0.timeIntervalSince1970) } ?? 0, id: $0.object.id)
                } : nil, stamp: stamp)
        }
    }

    /// The root a reply's thread is filed under.
    func rootOf(_ id: String, db: Connection) throws -> String? {
        try db.scalar(String.self, "SELECT thread_root FROM objects WHERE id = ?", id)
    }

    /// Refuses reading a community, local or remote, through ``Authorization``.
    func requireRead(community id: String, authorization: Authorization, db: Connection) throws {
        if let reference = urls.localActorReference(id) {
            guard reference.kind == .group, let community = try CommunityRepository(db).find(username: reference.username)
            else { throw CommunityError(.notFound, "no community \(id) on this node") }
            try authorization.requireRead(community)
            return
        }
        let document = try MemberRecords(db).remoteDocument(id: id)
        let known = try document != nil || db.queryOne("SELECT 1 FROM objects WHERE audience = ? LIMIT 1", id) != nil
        guard known || authorization.membership(of: id) != nil else {
            throw CommunityError(.notFound, "no community \(id) known to this node")
        }
        try authorization.requireRead(remoteCommunity: id, membersOnly: RemoteProfile.isMembersOnly(document))
    }
}
