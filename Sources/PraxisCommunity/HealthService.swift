import Foundation
import PraxisFederation
import PraxisSQLite
import PraxisStorage

/// How active a community, or the whole node, is: active members, new threads, answered
/// questions, documents, participation from other nodes and what is trending.
///
/// Community figures are for the people who look after the community: its owner, managers and
/// moderators and the node's admins and moderators (the same people who moderate it). Node-wide
/// figures are for the node's operators (admins). Everyone else is refused with a message that
/// says who may look; a members-only community stays invisible (`.notFound`) to outsiders.
///
/// ```swift
/// let report = try await HealthService(store: store).community("cloud", by: authorization)
/// print(report.figures.activeMembers30d)
/// ```
public struct HealthService: Sendable {
    /// Figures with what they describe.
    public struct Report: Sendable, Equatable {
        /// The community's actor id; nil for the node-wide report.
        public var community: String?
        /// Communities included (1 for a community report).
        public var communities: Int
        /// Accepted members of the community, or active accounts of the node.
        public var members: Int
        public var figures: HealthFigures
    }

    public let store: NodeStore
    public let urls: NodeURLs

    public init(store: NodeStore) {
        self.store = store
        self.urls = NodeURLs(configuration: store.configuration)
    }

    /// The health of the local community `name`.
    /// - Throws: `CommunityError` `.notFound` for an unknown community or one hidden from the
    ///   caller, `.forbidden` for a caller who does not look after it.
    public func community(_ name: String, by authorization: Authorization, now: Date = Date()) async throws -> Report {
        let urls = urls
        let domain = store.configuration.domain
        let visible = visibleContent
        return try await store.database.read { db in
            let lower = name.lowercased()
            guard let community = try CommunityRepository(db).find(username: lower) else {
                throw CommunityError(.notFound, "no community named \"\(lower)\" on this node")
            }
            try Self.requireLooksAfter(community, authorization, urls: urls, db: db)
            let id = urls.community(community.actor.username)
            return Report(
                community: id, communities: 1, members: try FollowRepository(db).followerCount(of: id),
                figures: try HealthRepository(db).figures(communities: [id], localDomain: domain, now: now, visible: visible))
        }
    }

    /// The health of every community of this node taken together.
    /// - Throws: `CommunityError.forbidden` unless the caller is an active admin of the node.
    public func node(by authorization: Authorization, now: Date = Date()) async throws -> Report {
        try Self.requireOperator(authorization)
        let urls = urls
        let domain = store.configuration.domain
        let visible = visibleContent
        return try await store.database.read { db in
            let ids = try CommunityRepository(db).all().map { urls.community($0.actor.username) }
            return Report(
                community: nil, communities: ids.count, members: try AccountRepository(db).usage(now: now).total,
                figures: try HealthRepository(db).figures(communities: ids, localDomain: domain, now: now, visible: visible))
        }
    }

    /// Content of nodes blocked now, or excluded by the community, counts in no figure: the
    /// same rule (read at each request) that hides it from lists, pages and search.
    var visibleContent: OriginFilter {
        TrustPolicy.originFilter(store.configuration, urls: urls)
    }

    /// Owner, managers and moderators of the community, and the node's admins and moderators.
    static func requireLooksAfter(_ community: Community, _ authorization: Authorization, urls: NodeURLs, db: Connection)
        throws
    {
        let account = authorization.account
        let looksAfter = try account.status == .active && account.affiliation != .supplier
            && ChangeAuthority.isModerator(authorization.actorID, of: community.actor, urls: urls, db: db)
        guard looksAfter else {
            try authorization.requireSee(community)
            throw CommunityError(
                .forbidden,
                "the health of \(community.title) is for its owner, managers and moderators and for the node's admins and moderators")
        }
    }

    static func requireOperator(_ authorization: Authorization) throws(CommunityError) {
        let account = authorization.account
        guard account.status == .active, account.role == .admin else {
            throw CommunityError(.forbidden, "node-wide health is for the node's operators (admin accounts)")
        }
    }
}
