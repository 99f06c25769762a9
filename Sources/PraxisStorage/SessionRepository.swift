import Foundation
import PraxisSQLite

/// A sign-in session of the client API, found by the hash of its bearer token.
public struct Session: Sendable, Equatable {
    public var id: Int64
    /// The actor id of the account the session belongs to.
    public var accountID: Int64
    public var createdAt: Date
    public var lastUsedAt: Date
    public var expiresAt: Date
    public var revokedAt: Date?
    public var userAgent: String

    public init(id: Int64, accountID: Int64, createdAt: Date, lastUsedAt: Date, expiresAt: Date, revokedAt: Date?,
                userAgent: String) {
        self.id = id
        self.accountID = accountID
        self.createdAt = createdAt
        self.lastUsedAt = lastUsedAt
        self.expiresAt = expiresAt
        self.revokedAt = revokedAt
        self.userAgent = userAgent
    }

    /// True when the session may still authenticate requests at `date`.
    public func isValid(at date: Date) -> Bool { revokedAt == nil && expiresAt > date }
}

/// Sessions of the client API. Tokens themselves never reach this table, only their SHA-256.
public struct SessionRepository {
    let db: Connection
    public init(_ db: Connection) { self.db = db }

    @discardableResult
    public func insert(tokenHash: [UInt8], accountID: Int64, expiresAt: Date, userAgent: String, now: Date = Date())
        throws -> Session
    {
        try db.run(
            """
            INSERT INTO sessions (token_hash, account_id, created_at, last_used_at, expires_at, user_agent)
            VALUES (?, ?, ?, ?, ?, ?)
            """,
            tokenHash, accountID, now.unixSeconds, now.unixSeconds, expiresAt.unixSeconds, userAgent)
        return Session(
            id: db.lastInsertRowID, accountID: accountID, createdAt: Date(unixSeconds: now.unixSeconds),
            lastUsedAt: Date(unixSeconds: now.unixSeconds), expiresAt: Date(unixSeconds: expiresAt.unixSeconds),
            revokedAt: nil, userAgent: userAgent)
    }

    public func find(tokenHash: [UInt8]) throws -> Session? {
        try db.queryOne("SELECT * FROM sessions WHERE token_hash = ?", tokenHash).map(Self.session)
    }

    /// Records a use of the session.
    public func touch(id: Int64, now: Date = Date()) throws {
        try db.run("UPDATE sessions SET last_used_at = ? WHERE id = ?", now.unixSeconds, id)
    }

    /// Revokes one session; false when it was unknown or already revoked.
    @discardableResult
    public func revoke(id: Int64, now: Date = Date()) throws -> Bool {
        try db.run("UPDATE sessions SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", now.unixSeconds, id)
        return db.changes > 0
    }

    /// Revokes every live session of an account except `keeping` (after a password change).
    public func revokeAll(accountID: Int64, keeping: Int64? = nil, now: Date = Date()) throws {
        try db.run(
            "UPDATE sessions SET revoked_at = ? WHERE account_id = ? AND revoked_at IS NULL AND id != ?",
            now.unixSeconds, accountID, keeping ?? -1)
    }

    /// The account's sessions, newest first.
    public func sessions(accountID: Int64) throws -> [Session] {
        try db.query("SELECT * FROM sessions WHERE account_id = ? ORDER BY id DESC", accountID).map(Self.session)
    }

    /// Drops sessions that expired or were revoked more than `keep` ago.
    public func prune(now: Date = Date(), keep: TimeInterval = 7 * 86_400) throws {
        let limit = now.unixSeconds - Int64(keep)
        try db.run("DELETE FROM sessions WHERE expires_at < ? OR revoked_at < ?", limit, limit)
    }

    static func session(_ row: Row) throws -> Session {
        let revoked: Int64? = try row.optional("revoked_at")
        return Session(
            id: try row.get("id"), accountID: try row.get("account_id"),
            createdAt: Date(unixSeconds: try row.get("created_at")),
            lastUsedAt: Date(unixSeconds: try row.get("last_used_at")),
            expiresAt: Date(unixSeconds: try row.get("expires_at")), revokedAt: revoked.map(Date.init(unixSeconds:)),
            userAgent: try row.get("user_agent"))
    }
}

extension AccountRepository {
    /// The account whose actor has this row id.
    public func find(actorID: Int64) throws -> Account? {
        try db.queryOne(
            """
            SELECT a.*, c.role, c.affiliation, c.status, c.email FROM accounts c JOIN actors a ON a.id = c.actor_id
            WHERE a.id = ?
            """, actorID
        ).map(Self.account(from:))
    }

    /// Replaces an account's password hash.
    public func setPasswordHash(_ hash: String, actorID: Int64) throws {
        try db.run("UPDATE accounts SET password_hash = ? WHERE actor_id = ?", hash, actorID)
        if db.changes == 0 { throw StorageError.notFound("no account with actor id \(actorID) on this node") }
    }

    /// Records that the account did something, for NodeInfo's active-user counts.
    public func markActive(actorID: Int64, now: Date = Date()) throws {
        try db.run("UPDATE accounts SET last_active_at = ? WHERE actor_id = ?", now.unixSeconds, actorID)
    }
}

/// Where a page of posts ends: the sort key of its last post.
public struct PostCursor: Sendable, Equatable {
    public var published: Int64
    public var id: String
    public init(published: Int64, id: String) {
        self.published = published
        self.id = id
    }
}

extension ObjectRepository {
    /// Up to `limit` live objects addressed to a community, newest first, strictly after `cursor`.
    ///
    /// Ordered by (published, id) descending, objects without a date last, so the order is total
    /// and a cursor never skips or repeats an object that shares a timestamp with another.
    public func page(audience: String, limit: Int, after cursor: PostCursor?, visible: OriginFilter? = nil) throws
        -> [StoredObject]
    {
        var sql = "SELECT * FROM objects o WHERE o.audience = ? AND o.deleted_at IS NULL"
        var arguments: [any SQLBindable] = [audience]
        if let cursor {
            sql += " AND (coalesce(o.published, 0) < ? OR (coalesce(o.published, 0) = ? AND o.id < ?))"
            arguments += [cursor.published, cursor.published, cursor.id]
        }
        if let visible {
            let (condition, more) = visible.condition(alias: "o")
            sql += " AND " + condition
            arguments += more
        }
        sql += " ORDER BY coalesce(o.published, 0) DESC, o.id DESC LIMIT ?"
        arguments.append(limit)
        return try db.query(sql, arguments: arguments).map(Self.object)
    }
}

/// What the node knows of a remote actor from its cache, for lists shown to members.
public struct RemoteActorSummary: Sendable, Equatable {
    public var id: String
    public var type: String
    public var preferredUsername: String?
    public var name: String?
    public var acct: String?
    public var domain: String
}

/// Read-only lookups in the remote actor cache.
public struct RemoteActorSummaries {
    let db: Connection
    public init(_ db: Connection) { self.db = db }

    public func find(id: String) throws -> RemoteActorSummary? {
        try db.queryOne("SELECT id, type, preferred_username, name, acct, domain FROM remote_actors WHERE id = ?", id)
            .map { row in
                RemoteActorSummary(
                    id: try row.get("id"), type: try row.get("type"), preferredUsername: try row.optional("preferred_username"),
                    name: try row.optional("name"), acct: try row.optional("acct"), domain: try row.get("domain"))
            }
    }
}
