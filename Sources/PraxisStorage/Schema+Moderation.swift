import Foundation
import PraxisSQLite

extension Schema {
    /// Version 15: moderation and audit. Reports (flags) waiting for a community's moderators,
    /// the moderation log of what they decided, community bans (kept on the community's node and
    /// on the banned member's node), warnings received by local members, the operators' audit log,
    /// and the community setting that shows removals to members.
    static let moderation = Migration(version: 15, name: "reports, moderation log, bans, warnings, audit log", sql: """
        CREATE TABLE reports (
            id INTEGER PRIMARY KEY,
            -- The local community the report is about (its actor id).
            community TEXT NOT NULL,
            -- The reported post, when a post is reported.
            object TEXT,
            -- The reported member: the post's author, or the member reported directly.
            target TEXT NOT NULL,
            reason TEXT NOT NULL,
            -- The reporting member when they are local; NULL when another node sent the report
            -- (Flags come from the node actor, which protects the reporter).
            reporter TEXT,
            reporter_node TEXT NOT NULL,
            activity_id TEXT UNIQUE,
            state TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'resolved')),
            resolution TEXT CHECK (resolution IN ('remove', 'ban', 'warn', 'dismiss')),
            resolved_by TEXT,
            resolved_at INTEGER,
            created_at INTEGER NOT NULL
        );
        CREATE INDEX reports_community ON reports (community, state, id);
        -- What moderators did. community '' is the node itself (account suspensions).
        CREATE TABLE moderation_log (
            id INTEGER PRIMARY KEY,
            community TEXT NOT NULL,
            moderator TEXT NOT NULL,
            action TEXT NOT NULL,
            target TEXT NOT NULL,
            reason TEXT NOT NULL DEFAULT '',
            report_id INTEGER REFERENCES reports(id),
            created_at INTEGER NOT NULL
        );
        CREATE INDEX moderation_log_community ON moderation_log (community, id);
        -- Who may not take part in a community (local or remote), by actor id.
        CREATE TABLE community_bans (
            community TEXT NOT NULL,
            actor TEXT NOT NULL,
            reason TEXT NOT NULL DEFAULT '',
            banned_by TEXT NOT NULL,
            activity_id TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            PRIMARY KEY (community, actor)
        ) WITHOUT ROWID;
        -- Every authorisation decision reads the caller's bans.
        CREATE INDEX community_bans_actor ON community_bans (actor);
        -- Warnings local members received from a community's moderators (local or remote).
        CREATE TABLE warnings (
            id INTEGER PRIMARY KEY,
            account_id INTEGER NOT NULL REFERENCES accounts(actor_id) ON DELETE CASCADE,
            community TEXT NOT NULL,
            moderator TEXT NOT NULL,
            reason TEXT NOT NULL,
            object TEXT,
            activity_id TEXT UNIQUE,
            created_at INTEGER NOT NULL
        );
        CREATE INDEX warnings_account ON warnings (account_id, id);
        -- What operators did to the node (trust list, registrations, roles).
        CREATE TABLE audit_log (
            id INTEGER PRIMARY KEY,
            operator TEXT NOT NULL,
            action TEXT NOT NULL,
            target TEXT NOT NULL,
            detail TEXT NOT NULL DEFAULT '',
            created_at INTEGER NOT NULL
        );
        ALTER TABLE communities ADD COLUMN public_removals INTEGER NOT NULL DEFAULT 0;
        """)
}

/// A report (flag) about a post or a member, waiting in a community's moderation queue.
public struct Report: Sendable, Equatable {
    public enum State: String, Sendable, Codable { case open, resolved }
    public var id: Int64
    public var community: String
    public var object: String?
    public var target: String
    public var reason: String
    /// The local reporter; nil when another node reported (its node actor sent the `Flag`).
    public var reporter: String?
    public var reporterNode: String
    public var state: State
    public var resolution: String?
    public var resolvedBy: String?
    public var resolvedAt: Date?
    public var createdAt: Date
}

/// One decision of a moderator.
public struct ModerationLogEntry: Sendable, Equatable {
    public var id: Int64
    /// The community's actor id, or `""` for node-level actions (suspensions).
    public var community: String
    public var moderator: String
    public var action: String
    public var target: String
    public var reason: String
    public var reportID: Int64?
    public var createdAt: Date
}

/// A ban of an actor from a community.
public struct CommunityBan: Sendable, Equatable {
    public var community: String
    public var actor: String
    public var reason: String
    public var bannedBy: String
    public var activityID: String
    public var createdAt: Date
}

/// A warning a local member received.
public struct Warning: Sendable, Equatable {
    public var id: Int64
    public var community: String
    public var moderator: String
    public var reason: String
    public var object: String?
    public var createdAt: Date
}

/// Reports, the moderation log, bans, warnings and the community moderation settings.
public struct ModerationRepository {
    let db: Connection
    public init(_ db: Connection) { self.db = db }

    // MARK: Reports

    /// Stores a report; returns its id, or nil when a report with that activity id was already
    /// received (federation delivers at least once).
    @discardableResult
    public func insertReport(community: String, object: String?, target: String, reason: String, reporter: String?,
                             reporterNode: String, activityID: String?, now: Date = Date()) throws -> Int64? {
        try db.run(
            """
            INSERT INTO reports (community, object, target, reason, reporter, reporter_node, activity_id, created_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (activity_id) DO NOTHING
            """,
            community, object, target, reason, reporter, reporterNode, activityID, now.unixSeconds)
        return db.changes > 0 ? db.lastInsertRowID : nil
    }

    public func report(id: Int64) throws -> Report? {
        try db.queryOne("SELECT * FROM reports WHERE id = ?", id).map(Self.report)
    }

    /// Reports of a community, oldest first; only open ones unless `includeResolved`.
    public func reports(community: String, includeResolved: Bool = false, limit: Int = 200) throws -> [Report] {
        try db.query(
            "SELECT * FROM reports WHERE community = ? AND (state = 'open' OR ?) ORDER BY id LIMIT ?",
            community, includeResolved, limit
        ).map(Self.report)
    }

    /// Closes an open report; false when it was not open.
    @discardableResult
    public func resolve(reportID: Int64, resolution: String, by moderator: String, now: Date = Date()) throws -> Bool {
        try db.run(
            """
            UPDATE reports SET state = 'resolved', resolution = ?, resolved_by = ?, resolved_at = ?
            WHERE id = ? AND state = 'open'
            """,
            resolution, moderator, now.unixSeconds, reportID)
        return db.changes > 0
    }

    static func report(_ row: Row) throws -> Report {
        guard let state = Report.State(rawValue: try row.get("state", as: String.self)) else {
            throw StorageError.invalidValue("unknown report state")
        }
        let resolved: Int64? = try row.optional("resolved_at")
        return Report(
            id: try row.get("id"), community: try row.get("community"), object: try row.optional("object"),
            target: try row.get("target"), reason: try row.get("reason"), reporter: try row.optional("reporter"),
            reporterNode: try row.get("reporter_node"), state: state, resolution: try row.optional("resolution"),
            resolvedBy: try row.optional("resolved_by"), resolvedAt: resolved.map(Date.init(unixSeconds:)),
            createdAt: Date(unixSeconds: try row.get("created_at")))
    }

    // MARK: Log

    @discardableResult
    public func log(community: String, moderator: String, action: String, target: String, reason: String,
                    reportID: Int64?, now: Date = Date()) throws -> Int64 {
        try db.run(
            """
            INSERT INTO moderation_log (community, moderator, action, target, reason, report_id, created_at)
            VALUES (?, ?, ?, ?, ?, ?, ?)
            """,
            community, moderator, action, target, reason, reportID, now.unixSeconds)
        return db.lastInsertRowID
    }

    /// Log entries of a community (or `""` for the node), newest first, optionally of some
    /// actions only.
    public func logEntries(community: String, actions: Set<String>? = nil, limit: Int = 200) throws -> [ModerationLogEntry] {
        var sql = "SELECT * FROM moderation_log WHERE community = ?"
        var arguments: [any SQLBindable] = [community]
        if let actions {
            let sorted = actions.sorted()
            sql += " AND action IN (" + sorted.map { _ in "?" }.joined(separator: ", ") + ")"
            arguments += sorted.map { $0 as any SQLBindable }
        }
        sql += " ORDER BY id DESC LIMIT ?"
        arguments.append(limit)
        return try db.query(sql, arguments: arguments).map { row in
            ModerationLogEntry(
                id: try row.get("id"), community: try row.get("community"), moderator: try row.get("moderator"),
                action: try row.get("action"), target: try row.get("target"), reason: try row.get("reason"),
                reportID: try row.optional("report_id"), createdAt: Date(unixSeconds: try row.get("created_at")))
        }
    }

    // MARK: Bans

    public func ban(community: String, actor: String, reason: String, by moderator: String, activityID: String,
                    now: Date = Date()) throws {
        try db.run(
            """
            INSERT INTO community_bans (community, actor, reason, banned_by, activity_id, created_at)
            VALUES (?, ?, ?, ?, ?, ?)
            ON CONFLICT (community, actor) DO UPDATE SET reason = excluded.reason, banned_by = excluded.banned_by,
                activity_id = excluded.activity_id, created_at = excluded.created_at
            """,
            community, actor, reason, moderator, activityID, now.unixSeconds)
    }

    public func findBan(community: String, actor: String) throws -> CommunityBan? {
        try db.queryOne("SELECT * FROM community_bans WHERE community = ? AND actor = ?", community, actor).map(Self.ban)
    }

    /// The communities (actor ids) `actor` is banned from.
    public func bannedCommunities(actor: String) throws -> Set<String> {
        Set(try db.query("SELECT community FROM community_bans WHERE actor = ?", actor).map { try $0.get("community") })
    }

    public func bans(community: String) throws -> [CommunityBan] {
        try db.query("SELECT * FROM community_bans WHERE community = ? ORDER BY created_at, actor", community).map(Self.ban)
    }

    /// Lifts a ban; false when there was none.
    @discardableResult
    public func unban(community: String, actor: String) throws -> Bool {
        try db.run("DELETE FROM community_bans WHERE community = ? AND actor = ?", community, actor)
        return db.changes > 0
    }

    static func ban(_ row: Row) throws -> CommunityBan {
        CommunityBan(
            community: try row.get("community"), actor: try row.get("actor"), reason: try row.get("reason"),
            bannedBy: try row.get("banned_by"), activityID: try row.get("activity_id"),
            createdAt: Date(unixSeconds: try row.get("created_at")))
    }

    // MARK: Warnings

    /// Stores a warning for a local account; false when that activity was already received.
    @discardableResult
    public func insertWarning(accountID: Int64, community: String, moderator: String, reason: String, object: String?,
                              activityID: String?, now: Date = Date()) throws -> Bool {
        try db.run(
            """
            INSERT INTO warnings (account_id, community, moderator, reason, object, activity_id, created_at)
            VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (activity_id) DO NOTHING
            """,
            accountID, community, moderator, reason, object, activityID, now.unixSeconds)
        return db.changes > 0
    }

    /// Warnings of a local account, newest first.
    public func warnings(accountID: Int64) throws -> [Warning] {
        try db.query("SELECT * FROM warnings WHERE account_id = ? ORDER BY id DESC", accountID).map { row in
            Warning(
                id: try row.get("id"), community: try row.get("community"), moderator: try row.get("moderator"),
                reason: try row.get("reason"), object: try row.optional("object"),
                createdAt: Date(unixSeconds: try row.get("created_at")))
        }
    }

    // MARK: Settings

    /// Whether members of a local community see its removals in the moderation log.
    public func publicRemovals(communityID: Int64) throws -> Bool {
        try db.scalar(Bool.self, "SELECT public_removals FROM communities WHERE actor_id = ?", communityID) ?? false
    }

    public func setPublicRemovals(_ value: Bool, communityID: Int64) throws {
        try db.run("UPDATE communities SET public_removals = ? WHERE actor_id = ?", value, communityID)
        if db.changes == 0 { throw StorageError.notFound("no community with id \(communityID) on this node") }
    }
}
