import Foundation
import PraxisSQLite

/// A version of a code of conduct.
public struct CodeOfConduct: Sendable, Equatable, Codable {
    /// `""` for the node's code, else the community's name.
    public var scope: String
    public var version: Int
    public var text: String
    public var publishedAt: Date
}

/// Codes of conduct and who accepted which version.
public struct ConductRepository {
    let db: Connection
    public init(_ db: Connection) { self.db = db }

    /// Publishes a new version; returns it.
    public func publish(scope: String, text: String, now: Date = Date()) throws -> CodeOfConduct {
        let next = (try db.scalar(Int.self, "SELECT max(version) FROM codes_of_conduct WHERE scope = ?", scope) ?? 0) + 1
        try db.run("INSERT INTO codes_of_conduct (scope, version, text, published_at) VALUES (?, ?, ?, ?)",
                   scope, next, text, now.unixSeconds)
        return CodeOfConduct(scope: scope, version: next, text: text, publishedAt: Date(unixSeconds: now.unixSeconds))
    }

    public func current(scope: String) throws -> CodeOfConduct? {
        try db.queryOne(
            "SELECT * FROM codes_of_conduct WHERE scope = ? ORDER BY version DESC LIMIT 1", scope
        ).map { row in
            CodeOfConduct(scope: try row.get("scope"), version: try row.get("version"), text: try row.get("text"),
                          publishedAt: Date(unixSeconds: try row.get("published_at")))
        }
    }

    public func accept(accountID: Int64, scope: String, version: Int, now: Date = Date()) throws {
        try db.run(
            "INSERT INTO conduct_acceptances (account_id, scope, version, accepted_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
            accountID, scope, version, now.unixSeconds)
    }

    public func hasAccepted(accountID: Int64, scope: String, version: Int) throws -> Bool {
        try db.queryOne(
            "SELECT 1 FROM conduct_acceptances WHERE account_id = ? AND scope = ? AND version = ?", accountID, scope, version
        ) != nil
    }
}

/// Node-wide settings kept in the database (so they change without a restart).
public struct SettingsRepository {
    let db: Connection
    public init(_ db: Connection) { self.db = db }

    public func value(_ key: String) throws -> String? {
        try db.scalar(String.self, "SELECT value FROM node_settings WHERE key = ?", key)
    }

    public func set(_ key: String, _ value: String?) throws {
        if let value {
            try db.run(
                "INSERT INTO node_settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                key, value)
        } else {
            try db.run("DELETE FROM node_settings WHERE key = ?", key)
        }
    }
}

/// An invitation, as stored.
public struct Invitation: Sendable, Equatable {
    public enum Kind: String, Sendable, Codable { case expert, member }
    public var id: Int64
    public var kind: Kind
    public var community: String
    public var topic: String?
    public var inviterID: Int64
    public var invitee: String?
    public var note: String
    public var createdAt: Date
    public var expiresAt: Date
    public var usedAt: Date?
}

public struct InvitationRepository {
    let db: Connection
    public init(_ db: Connection) { self.db = db }

    @discardableResult
    public func insert(kind: Invitation.Kind, tokenHash: [UInt8]?, community: String, topic: String?, inviterID: Int64,
                       invitee: String?, note: String, expiresAt: Date, now: Date = Date()) throws -> Int64 {
        try db.run(
            """
            INSERT INTO invitations (kind, token_hash, community, topic, inviter_id, invitee, note, created_at, expires_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
            kind.rawValue, tokenHash, community, topic, inviterID, invitee, note, now.unixSeconds, expiresAt.unixSeconds)
        return db.lastInsertRowID
    }

    public func find(tokenHash: [UInt8]) throws -> Invitation? {
        try db.queryOne("SELECT * FROM invitations WHERE token_hash = ?", tokenHash).map(Self.invitation)
    }

    public func markUsed(id: Int64, by actorID: Int64?, now: Date = Date()) throws {
        try db.run("UPDATE invitations SET used_at = ?, used_by = ? WHERE id = ? AND used_at IS NULL", now.unixSeconds, actorID, id)
        guard db.changes == 1 else { throw StorageError.invalidValue("this invitation was already used") }
    }

    /// Records the activity id of a member invitation sent over the federation.
    public func setActivityID(_ activityID: String, id: Int64) throws {
        try db.run("UPDATE invitations SET activity_id = ? WHERE id = ?", activityID, id)
    }

    /// The open member invitation of `invitee` (an actor id) to `community` (a local name).
    public func openMemberInvitation(invitee: String, community: String, now: Date = Date()) throws -> Invitation? {
        try db.queryOne(
            """
            SELECT * FROM invitations WHERE kind = 'member' AND invitee = ? AND community = ? AND used_at IS NULL
                AND declined_at IS NULL AND expires_at > ? ORDER BY id DESC LIMIT 1
            """,
            invitee, community, now.unixSeconds
        ).map(Self.invitation)
    }

    public func markDeclined(activityID: String, now: Date = Date()) throws {
        try db.run("UPDATE invitations SET declined_at = ? WHERE activity_id = ? AND used_at IS NULL", now.unixSeconds, activityID)
    }

    public func setGuestScope(accountID: Int64, community: String, topic: String?, expiresAt: Date) throws {
        try db.run(
            """
            INSERT INTO guest_scopes (account_id, community, topic, expires_at) VALUES (?, ?, ?, ?)
            ON CONFLICT (account_id) DO UPDATE SET community = excluded.community, topic = excluded.topic,
                expires_at = excluded.expires_at
            """,
            accountID, community, topic, expiresAt.unixSeconds)
    }

    public func guestScope(accountID: Int64) throws -> (community: String, topic: String?, expiresAt: Date)? {
        try db.queryOne("SELECT * FROM guest_scopes WHERE account_id = ?", accountID).map {
            (try $0.get("community"), try $0.optional("topic"), Date(unixSeconds: try $0.get("expires_at")))
        }
    }

    static func invitation(_ row: Row) throws -> Invitation {
        guard let kind = Invitation.Kind(rawValue: try row.get("kind", as: String.self)) else {
            throw StorageError.invalidValue("unknown invitation kind")
        }
        let used: Int64? = try row.optional("used_at")
        return Invitation(
            id: try row.get("id"), kind: kind, community: try row.get("community"), topic: try row.optional("topic"),
            inviterID: try row.get("inviter_id"), invitee: try row.optional("invitee"), note: try row.get("note"),
            createdAt: Date(unixSeconds: try row.get("created_at")), expiresAt: Date(unixSeconds: try row.get("expires_at")),
            usedAt: used.map(Date.init(unixSeconds:)))
    }
}

/// An invitation a local member received.
public struct ReceivedInvitation: Sendable, Equatable {
    public enum State: String, Sendable, Codable { case pending, accepted, declined }
    public var activityID: String
    public var community: String
    public var inviter: String
    public var note: String
    public var receivedAt: Date
    public var state: State
}

public struct ReceivedInvitationRepository {
    let db: Connection
    public init(_ db: Connection) { self.db = db }

    public func insert(activityID: String, community: String, inviter: String, inviteeID: Int64, note: String,
                       now: Date = Date()) throws {
        try db.run(
            """
            INSERT INTO received_invitations (activity_id, community, inviter, invitee_id, note, received_at)
            VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING
            """,
            activityID, community, inviter, inviteeID, note, now.unixSeconds)
    }

    public func all(inviteeID: Int64) throws -> [ReceivedInvitation] {
        try db.query("SELECT * FROM received_invitations WHERE invitee_id = ? ORDER BY received_at DESC", inviteeID).map(Self.row)
    }

    public func find(activityID: String, inviteeID: Int64) throws -> ReceivedInvitation? {
        try db.queryOne("SELECT * FROM received_invitations WHERE activity_id = ? AND invitee_id = ?", activityID, inviteeID)
            .map(Self.row)
    }

    public func setState(_ state: ReceivedInvitation.State, activityID: String) throws {
        try db.run("UPDATE received_invitations SET state = ? WHERE activity_id = ?", state.rawValue, activityID)
    }

    static func row(_ row: Row) throws -> ReceivedInvitation {
        guard let state = ReceivedInvitation.State(rawValue: try row.get("state", as: String.self)) else {
            throw StorageError.invalidValue("unknown invitation state")
        }
        return ReceivedInvitation(
            activityID: try row.get("activity_id"), community: try row.get("community"), inviter: try row.get("inviter"),
            note: try row.get("note"), receivedAt: Date(unixSeconds: try row.get("received_at")), state: state)
    }
}
