import Foundation
import PraxisSQLite

/// An actor of another node as the remote actor cache holds it, for community browsing and profiles.
public struct RemoteActorRecord: Sendable, Equatable {
    public var summary: RemoteActorSummary
    /// The actor document as last fetched (JSON text).
    public var document: String
}

/// Look-ups of what one member did and what the node knows, for community browsing and the
/// member's data export.
public struct MemberRecords {
    let db: Connection
    public init(_ db: Connection) { self.db = db }

    /// Remote communities in the actor cache, by node then id, at most `limit`.
    public func remoteGroups(limit: Int) throws -> [RemoteActorRecord] {
        try db.query(
            """
            SELECT id, type, preferred_username, name, acct, domain, document FROM remote_actors
            WHERE type = 'Group' ORDER BY domain, id LIMIT ?
            """, Int64(limit)
        ).map(Self.record)
    }

    static func record(_ row: Row) throws -> RemoteActorRecord {
        RemoteActorRecord(
            summary: RemoteActorSummary(
                id: try row.get("id"), type: try row.get("type"), preferredUsername: try row.optional("preferred_username"),
                name: try row.optional("name"), acct: try row.optional("acct"), domain: try row.get("domain")),
            document: try row.get("document"))
    }

    /// The cached actor document of a remote actor, if any.
    public func remoteDocument(id: String) throws -> String? {
        try db.scalar(String.self, "SELECT document FROM remote_actors WHERE id = ?", id)
    }

    /// The cached remote actor with this id.
    public func remoteActor(id: String) throws -> RemoteActorRecord? {
        try db.queryOne(
            "SELECT id, type, preferred_username, name, acct, domain, document FROM remote_actors WHERE id = ?", id
        ).map(Self.record)
    }

    /// The cached remote actor whose `acct` is `handle` (lower case `name@host`).
    public func remoteActor(acct handle: String) throws -> RemoteActorRecord? {
        try db.queryOne(
            "SELECT id, type, preferred_username, name, acct, domain, document FROM remote_actors WHERE acct = ?",
            handle.lowercased()
        ).map(Self.record)
    }

    /// Reports a local member filed, oldest first.
    public func reports(filedBy reporter: String, limit: Int) throws -> [Report] {
        try db.query("SELECT * FROM reports WHERE reporter = ? ORDER BY id LIMIT ?", reporter, Int64(limit))
            .map(ModerationRepository.report)
    }

    /// Document versions a member uploaded, deleted ones included, oldest first.
    public func documents(uploadedBy uploader: String, limit: Int) throws -> [DocumentRecord] {
        try db.query("SELECT * FROM documents WHERE uploader = ? ORDER BY created, id LIMIT ?", uploader, Int64(limit))
            .map(DocumentStore.record)
    }

    /// Member invitations the member received.
    public func receivedInvitations(inviteeID: Int64) throws -> [ReceivedInvitation] {
        try ReceivedInvitationRepository(db).all(inviteeID: inviteeID)
    }

    /// Invitations the member sent as a manager (expert tokens and member invitations).
    public func sentInvitations(inviterID: Int64, limit: Int) throws -> [Invitation] {
        try db.query("SELECT * FROM invitations WHERE inviter_id = ? ORDER BY id LIMIT ?", inviterID, Int64(limit))
            .map(InvitationRepository.invitation)
    }
}
