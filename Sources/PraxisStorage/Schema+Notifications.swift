import Foundation
import PraxisSQLite

extension Schema {
    /// Version 17: notifications of local members (replies, mentions, invitations, join decisions,
    /// accepted answers, moderation), and the secret tokens of their Atom digest feeds.
    ///
    /// A notification names what happened by actor and object ids only; titles are looked up when
    /// the notification is shown, so a post removed or no longer readable shows nothing of itself.
    /// The unique index makes recording idempotent: a redelivered activity or a later edit of the
    /// same post adds nothing.
    static let notifications = Migration(version: 17, name: "notifications and digest feed tokens", sql: """
        CREATE TABLE notifications (
            id INTEGER PRIMARY KEY,
            account_id INTEGER NOT NULL REFERENCES accounts(actor_id) ON DELETE CASCADE,
            kind TEXT NOT NULL,
            actor TEXT NOT NULL,
            object TEXT,
            community TEXT,
            thread TEXT,
            created_at INTEGER NOT NULL,
            read_at INTEGER
        );
        CREATE INDEX notifications_unread ON notifications (account_id, read_at, id);
        CREATE INDEX notifications_account ON notifications (account_id, id);
        CREATE UNIQUE INDEX notifications_once ON notifications (account_id, kind, object) WHERE object IS NOT NULL;
        -- One digest feed per account; only the SHA-256 of its token is kept.
        CREATE TABLE feed_tokens (
            account_id INTEGER PRIMARY KEY REFERENCES accounts(actor_id) ON DELETE CASCADE,
            token_hash BLOB NOT NULL UNIQUE,
            created_at INTEGER NOT NULL
        );
        """)
}

/// What a notification is about.
public enum NotificationKind: String, Sendable, Codable, CaseIterable {
    /// Someone replied to the member's thread or reply (`object`: the reply).
    case reply
    /// Someone mentioned the member (`@name@host`) in a post (`object`: the post).
    case mention
    /// A manager invited the member to a community (`object`: the `Invite` activity).
    case invitation
    /// The member's request to join a community was accepted (`object`: the `Follow` activity).
    case joinAccepted
    /// The member's request to join a community was refused (`object`: the `Follow` activity).
    case joinRejected
    /// The asker accepted the member's reply as the answer (`object`: the reply).
    case acceptedAnswer
    /// A community's moderators warned the member (`object`: the post concerned, if any).
    case warning
    /// A community's moderators banned the member (`object`: the `Block` activity).
    case ban
    /// A moderator removed the member's post (`object`: the removed post).
    case removal
}

/// One notification of a local account.
public struct NotificationRecord: Sendable, Equatable {
    public var id: Int64
    public var accountID: Int64
    public var kind: NotificationKind
    /// Who acted (actor id, local or remote).
    public var actor: String
    public var object: String?
    public var community: String?
    /// The thread (root post) the object belongs to, for content notifications.
    public var thread: String?
    public var createdAt: Date
    public var readAt: Date?

    public var isRead: Bool { readAt != nil }
}

/// Storage of notifications and digest feed tokens.
public struct NotificationRepository {
    let db: Connection
    public init(_ db: Connection) { self.db = db }

    /// Records a notification; false when the same one (account, kind, object) already exists.
    @discardableResult
    public func insert(accountID: Int64, kind: NotificationKind, actor: String, object: String?, community: String?,
                       thread: String?, now: Date = Date()) throws -> Bool {
        try db.run(
            """
            INSERT INTO notifications (account_id, kind, actor, object, community, thread, created_at)
            VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING
            """,
            accountID, kind.rawValue, actor, object, community, thread, now.unixSeconds)
        return db.changes > 0
    }

    /// The account's notifications, newest first, older than `before` when given.
    public func list(accountID: Int64, unreadOnly: Bool, before: Int64?, limit: Int) throws -> [NotificationRecord] {
        var sql = "SELECT * FROM notifications WHERE account_id = ?"
        var arguments: [any SQLBindable] = [accountID]
        if unreadOnly { sql += " AND read_at IS NULL" }
        if let before {
            sql += " AND id < ?"
            arguments.append(before)
        }
        sql += " ORDER BY id DESC LIMIT ?"
        arguments.append(limit)
        return try db.query(sql, arguments: arguments).compactMap(Self.record)
    }

    public func unreadCount(accountID: Int64) throws -> Int {
        try db.scalar(Int.self, "SELECT count(*) FROM notifications WHERE account_id = ? AND read_at IS NULL", accountID) ?? 0
    }

    /// Marks the given notifications of the account read; returns how many were unread.
    @discardableResult
    public func markRead(accountID: Int64, ids: [Int64], now: Date = Date()) throws -> Int {
        guard !ids.isEmpty else { return 0 }
        let placeholders = ids.map { _ in "?" }.joined(separator: ", ")
        try db.run(
            "UPDATE notifications SET read_at = ? WHERE account_id = ? AND read_at IS NULL AND id IN (\(placeholders))",
            arguments: [now.unixSeconds, accountID] + ids.map { $0 as any SQLBindable })
        return db.changes
    }

    /// Marks every notification of the account up to and including `upTo` (all when nil) read.
    @discardableResult
    public func markAllRead(accountID: Int64, upTo: Int64? = nil, now: Date = Date()) throws -> Int {
        try db.run(
            "UPDATE notifications SET read_at = ? WHERE account_id = ? AND read_at IS NULL AND id <= ?",
            now.unixSeconds, accountID, upTo ?? Int64.max)
        return db.changes
    }

    // MARK: Feed tokens

    /// Replaces the account's feed token hash (the previous feed URL stops working).
    public func setFeedToken(hash: [UInt8], accountID: Int64, now: Date = Date()) throws {
        try db.run(
            """
            INSERT INTO feed_tokens (account_id, token_hash, created_at) VALUES (?, ?, ?)
            ON CONFLICT (account_id) DO UPDATE SET token_hash = excluded.token_hash, created_at = excluded.created_at
            """,
            accountID, hash, now.unixSeconds)
    }

    /// Removes the account's feed token; false when it had none.
    @discardableResult
    public func removeFeedToken(accountID: Int64) throws -> Bool {
        try db.run("DELETE FROM feed_tokens WHERE account_id = ?", accountID)
        return db.changes > 0
    }

    /// The account and stored hash of a feed token hash, if one matches.
    public func feedToken(hash: [UInt8]) throws -> (accountID: Int64, hash: [UInt8])? {
        try db.queryOne("SELECT account_id, token_hash FROM feed_tokens WHERE token_hash = ?", hash).map {
            (try $0.get("account_id"), try $0.get("token_hash"))
        }
    }

    /// A row whose kind this version does not know (written by a newer one) is skipped.
    static func record(_ row: Row) throws -> NotificationRecord? {
        guard let kind = NotificationKind(rawValue: try row.get("kind", as: String.self)) else { return nil }
        let read: Int64? = try row.optional("read_at")
        return NotificationRecord(
            id: try row.get("id"), accountID: try row.get("account_id"), kind: kind, actor: try row.get("actor"),
            object: try row.optional("object"), community: try row.optional("community"), thread: try row.optional("thread"),
            createdAt: Date(unixSeconds: try row.get("created_at")), readAt: read.map(Date.init(unixSeconds:)))
    }
}
