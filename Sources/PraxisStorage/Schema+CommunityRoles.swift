import Foundation
import PraxisSQLite

extension Schema {
    /// Version 10: community-level roles. The owner is recorded on the community; managers (who
    /// decide joins and invite) and moderators (listed in the community's `attributedTo`
    /// collection, FEP-1b12) are recorded here, local or remote actors alike.
    static let communityRoles = Migration(version: 10, name: "community managers and moderators", sql: """
        CREATE TABLE community_roles (
            community_id INTEGER NOT NULL REFERENCES communities(actor_id) ON DELETE CASCADE,
            actor TEXT NOT NULL,
            role TEXT NOT NULL CHECK (role IN ('manager', 'moderator')),
            granted_at INTEGER NOT NULL,
            PRIMARY KEY (community_id, actor)
        ) WITHOUT ROWID;
        """)
}

/// A community-level role.
public enum CommunityRole: String, Sendable, Codable, CaseIterable {
    case manager, moderator
}

public struct CommunityRoleRepository {
    let db: Connection
    public init(_ db: Connection) { self.db = db }

    public func set(_ role: CommunityRole?, actor: String, communityID: Int64, now: Date = Date()) throws {
        if let role {
            try db.run(
                """
                INSERT INTO community_roles (community_id, actor, role, granted_at) VALUES (?, ?, ?, ?)
                ON CONFLICT (community_id, actor) DO UPDATE SET role = excluded.role, granted_at = excluded.granted_at
                """,
                communityID, actor, role.rawValue, now.unixSeconds)
        } else {
            try db.run("DELETE FROM community_roles WHERE community_id = ? AND actor = ?", communityID, actor)
        }
    }

    public func role(of actor: String, communityID: Int64) throws -> CommunityRole? {
        try db.scalar(String.self, "SELECT role FROM community_roles WHERE community_id = ? AND actor = ?", communityID, actor)
            .flatMap(CommunityRole.init(rawValue:))
    }

    /// Every actor with a role, managers first.
    public func all(communityID: Int64) throws -> [(actor: String, role: CommunityRole)] {
        try db.query("SELECT actor, role FROM community_roles WHERE community_id = ? ORDER BY role, actor", communityID)
            .compactMap { row in
                guard let role = CommunityRole(rawValue: try row.get("role", as: String.self)) else { return nil }
                return (try row.get("actor"), role)
            }
    }
}
