import Foundation
import PraxisSQLite

/// A node a local community excludes although the node's own trust list lets it in.
public struct CommunityExclusion: Sendable, Equatable {
    /// The community's username (local communities only: a community narrows its own node's list).
    public var community: String
    /// The excluded node's authority, lowercase.
    public var domain: String
    public var note: String
    /// Who excluded it (a manager's username, or `operator` from the command line).
    public var createdBy: String
    public var createdAt: Date

    public init(community: String, domain: String, note: String = "", createdBy: String = "", createdAt: Date = Date()) {
        self.community = community
        self.domain = domain
        self.note = note
        self.createdBy = createdBy
        self.createdAt = createdAt
    }
}

/// Per-community narrowing of the node's trust list.
public struct CommunityTrustRepository {
    let db: Connection
    public init(_ db: Connection) { self.db = db }

    /// Excludes `domain` from the community; false when it was excluded already.
    /// - Throws: ``StorageError/notFound(_:)`` when the community does not exist on this node.
    @discardableResult
    public func exclude(_ exclusion: CommunityExclusion) throws -> Bool {
        let id = try communityID(exclusion.community)
        try db.run(
            """
            INSERT INTO community_trust (community_id, domain, level, note, created_by, created_at)
            VALUES (?, ?, 'excluded', ?, ?, ?) ON CONFLICT (community_id, domain) DO NOTHING
            """, id, exclusion.domain.lowercased(), exclusion.note, exclusion.createdBy, exclusion.createdAt.unixSeconds)
        return db.changes > 0
    }

    /// Lifts an exclusion; false when there was none.
    @discardableResult
    public func include(community: String, domain: String) throws -> Bool {
        let id = try communityID(community)
        try db.run("DELETE FROM community_trust WHERE community_id = ? AND domain = ?", id, domain.lowercased())
        return db.changes > 0
    }

    /// Whether the community excludes `domain`.
    public func isExcluded(community: String, domain: String) throws -> Bool {
        try db.queryOne(
            """
            SELECT 1 FROM community_trust ct JOIN actors a ON a.id = ct.community_id
            WHERE a.username = ? AND a.kind = 'group' AND ct.domain = ?
            """, community.lowercased(), domain.lowercased()) != nil
    }

    /// The community's exclusions, by domain.
    public func all(community: String) throws -> [CommunityExclusion] {
        try db.query(
            """
            SELECT a.username, ct.* FROM community_trust ct JOIN actors a ON a.id = ct.community_id
            WHERE a.username = ? AND a.kind = 'group' ORDER BY ct.domain
            """, community.lowercased()
        ).map(Self.exclusion)
    }

    /// Every exclusion of every community, by community then domain.
    public func all() throws -> [CommunityExclusion] {
        try db.query(
            """
            SELECT a.username, ct.* FROM community_trust ct JOIN actors a ON a.id = ct.community_id
            ORDER BY a.username, ct.domain
            """
        ).map(Self.exclusion)
    }

    /// The community's row id.
    /// - Throws: ``StorageError/notFound(_:)`` when there is no such local community.
    public func communityID(_ username: String) throws -> Int64 {
        guard let id = try db.scalar(
            Int64.self, "SELECT c.actor_id FROM communities c JOIN actors a ON a.id = c.actor_id WHERE a.username = ?",
            username.lowercased())
        else { throw StorageError.notFound("no community named \"\(username)\" on this node") }
        return id
    }

    static func exclusion(_ row: Row) throws -> CommunityExclusion {
        CommunityExclusion(
            community: try row.get("username"), domain: try row.get("domain"), note: try row.get("note"),
            createdBy: try row.get("created_by"), createdAt: Date(unixSeconds: try row.get("created_at")))
    }
}

/// A partner node's published trust list that the operator follows, never applied on its own.
public struct TrustSubscription: Sendable, Equatable {
    /// Where the list is published (`https://partner/trust-list`).
    public var url: String
    /// The partner's node actor, whose key must have signed the list.
    public var issuer: String
    public var createdAt: Date
    /// Entries of the last list fetched and verified; nil before the first review.
    public var fetched: [TrustEntry]?
    public var fetchedAt: Date?
    /// Entries of the last list the operator reviewed; differences are shown against these.
    public var reviewed: [TrustEntry]
    public var reviewedAt: Date?

    public init(url: String, issuer: String, createdAt: Date = Date(), fetched: [TrustEntry]? = nil,
                fetchedAt: Date? = nil, reviewed: [TrustEntry] = [], reviewedAt: Date? = nil) {
        self.url = url
        self.issuer = issuer
        self.createdAt = createdAt
        self.fetched = fetched
        self.fetchedAt = fetchedAt
        self.reviewed = reviewed
        self.reviewedAt = reviewedAt
    }
}

/// The node's subscriptions to partner trust lists.
public struct TrustSubscriptionRepository {
    let db: Connection
    public init(_ db: Connection) { self.db = db }

    /// Adds a subscription; false when the URL is subscribed already.
    @discardableResult
    public func add(_ subscription: TrustSubscription) throws -> Bool {
        try db.run(
            "INSERT INTO trust_subscriptions (url, issuer, created_at) VALUES (?, ?, ?) ON CONFLICT (url) DO NOTHING",
            subscription.url, subscription.issuer, subscription.createdAt.unixSeconds)
        return db.changes > 0
    }

    @discardableResult
    public func remove(url: String) throws -> Bool {
        try db.run("DELETE FROM trust_subscriptions WHERE url = ?", url)
        return db.changes > 0
    }

    public func all() throws -> [TrustSubscription] {
        try db.query("SELECT * FROM trust_subscriptions ORDER BY url").map(Self.subscription)
    }

    public func find(url: String) throws -> TrustSubscription? {
        try db.queryOne("SELECT * FROM trust_subscriptions WHERE url = ?", url).map(Self.subscription)
    }

    /// Records the entries of a freshly fetched and verified list.
    public func recordFetched(url: String, entries: [TrustEntry], at date: Date = Date()) throws {
        try db.run("UPDATE trust_subscriptions SET fetched = ?, fetched_at = ? WHERE url = ?",
                   try Self.encode(entries), date.unixSeconds, url)
    }

    /// Records what the operator has now reviewed (accepted or knowingly left aside).
    public func recordReviewed(url: String, entries: [TrustEntry], at date: Date = Date()) throws {
        try db.run("UPDATE trust_subscriptions SET reviewed = ?, reviewed_at = ? WHERE url = ?",
                   try Self.encode(entries), date.unixSeconds, url)
    }

    struct Stored: Codable {
        var domain: String
        var level: TrustLevel
        var note: String?
    }

    static func encode(_ entries: [TrustEntry]) throws -> String {
        let data = try JSONEncoder().encode(entries.map { Stored(domain: $0.domain, level: $0.level, note: $0.note) })
        return String(decoding: data, as: UTF8.self)
    }

    static func decode(_ text: String) throws -> [TrustEntry] {
        do {
            return try JSONDecoder().decode([Stored].self, from: Data(text.utf8)).map {
                TrustEntry(domain: $0.domain, level: $0.level, note: $0.note ?? "", updatedAt: Date(timeIntervalSince1970: 0))
            }
        } catch {
            throw StorageError.invalidValue("a stored trust-list subscription cannot be read: \(error)")
        }
    }

    static func subscription(_ row: Row) throws -> TrustSubscription {
        let fetchedText: String? = try row.optional("fetched")
        let fetchedAt: Int64? = try row.optional("fetched_at")
        let reviewedAt: Int64? = try row.optional("reviewed_at")
        return TrustSubscription(
            url: try row.get("url"), issuer: try row.get("issuer"), createdAt: Date(unixSeconds: try row.get("created_at")),
            fetched: try fetchedText.map(decode), fetchedAt: fetchedAt.map(Date.init(unixSeconds:)),
            reviewed: try decode(try row.get("reviewed")), reviewedAt: reviewedAt.map(Date.init(unixSeconds:)))
    }
}

/// Which cached objects may be shown, decided from the trust list at read time, so blocking a
/// node hides its content at once and unblocking shows it again (nothing is deleted).
///
/// An object is shown when its origin node is not blocked (in allowlist mode: is the node
/// itself or is on the list as `trusted` or `limited`; in open mode: is not listed as `blocked`)
/// and the local community it is addressed to does not exclude its origin node.
public struct OriginFilter: Sendable, Equatable {
    public var mode: FederationMode
    public var localDomain: String
    /// The URL prefix of local communities (`https://host/communities/`), to match `audience`.
    public var communityPrefix: String

    public init(mode: FederationMode, localDomain: String, communityPrefix: String) {
        self.mode = mode
        self.localDomain = localDomain.lowercased()
        self.communityPrefix = communityPrefix
    }

    /// A SQL condition on a row of `objects` aliased `alias`, and its arguments.
    public func condition(alias: String) -> (sql: String, arguments: [any SQLBindable]) {
        let sql = sql(alias: alias, local: "?", prefix: "?")
        switch mode {
        case .allowlist: return (sql, [localDomain, communityPrefix])
        case .open: return (sql, [communityPrefix])
        }
    }

    /// The same condition with named parameters (`:visible_local`, `:visible_prefix`), for
    /// statements bound by name; it can be repeated for several aliases of one statement.
    /// - Parameter alias: the table alias, or the table name when the statement has no alias.
    public func namedCondition(alias: String) -> (sql: String, arguments: [String: any SQLBindable]) {
        let sql = sql(alias: alias, local: ":visible_local", prefix: ":visible_prefix")
        switch mode {
        case .allowlist: return (sql, [":visible_local": localDomain, ":visible_prefix": communityPrefix])
        case .open: return (sql, [":visible_prefix": communityPrefix])
        }
    }

    private func sql(alias: String, local: String, prefix: String) -> String {
        let origin = "lower(\(alias).origin_domain)"
        let node = switch mode {
        case .allowlist:
            "(\(origin) = \(local) OR EXISTS (SELECT 1 FROM trust_entries te WHERE te.domain = \(origin) AND te.level <> 'blocked'))"
        case .open:
            "NOT EXISTS (SELECT 1 FROM trust_entries te WHERE te.domain = \(origin) AND te.level = 'blocked')"
        }
        let community = """
            NOT EXISTS (SELECT 1 FROM community_trust ct JOIN actors ca ON ca.id = ct.community_id
                WHERE ct.domain = \(origin) AND \(alias).audience = \(prefix) || ca.username)
            """
        return "(\(node) AND \(community))"
    }

    /// Whether the stored object `id` may be shown (false also when there is no such object).
    public func shows(objectID id: String, db: Connection) throws -> Bool {
        let (condition, arguments) = condition(alias: "o")
        return try db.queryOne("SELECT 1 FROM objects o WHERE o.id = ? AND \(condition)", arguments: [id] + arguments) != nil
    }
}
