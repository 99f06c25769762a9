import PraxisSQLite

extension Schema {
    /// Version 8: invitations received by local members from communities (local or on other
    /// nodes), and declines of sent ones.
    static let receivedInvitations = Migration(version: 8, name: "received invitations", sql: """
        CREATE TABLE received_invitations (
            activity_id TEXT PRIMARY KEY,
            community TEXT NOT NULL,
            inviter TEXT NOT NULL,
            invitee_id INTEGER NOT NULL REFERENCES actors(id) ON DELETE CASCADE,
            note TEXT NOT NULL DEFAULT '',
            received_at INTEGER NOT NULL,
            state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'accepted', 'declined'))
        ) WITHOUT ROWID;
        CREATE INDEX received_invitations_invitee ON received_invitations (invitee_id, state);
        ALTER TABLE invitations ADD COLUMN declined_at INTEGER;
        ALTER TABLE invitations ADD COLUMN activity_id TEXT;
        """)
}
