import PraxisSQLite

extension Schema {
    /// Version 7: codes of conduct and their acceptances, node settings (registration policy),
    /// and invitations (members by handle, external experts by one-time token).
    static let conduct = Migration(version: 7, name: "codes of conduct, settings, invitations, guest scopes", sql: """
        -- Versioned codes of conduct: scope '' is the node's, otherwise a community's name.
        CREATE TABLE codes_of_conduct (
            scope TEXT NOT NULL,
            version INTEGER NOT NULL,
            text TEXT NOT NULL,
            published_at INTEGER NOT NULL,
            PRIMARY KEY (scope, version)
        ) WITHOUT ROWID;
        CREATE TABLE conduct_acceptances (
            account_id INTEGER NOT NULL REFERENCES accounts(actor_id) ON DELETE CASCADE,
            scope TEXT NOT NULL,
            version INTEGER NOT NULL,
            accepted_at INTEGER NOT NULL,
            PRIMARY KEY (account_id, scope, version)
        ) WITHOUT ROWID;
        CREATE TABLE node_settings (
            key TEXT PRIMARY KEY,
            value TEXT NOT NULL
        ) WITHOUT ROWID;
        -- One-time invitations. Only the SHA-256 of an expert token is stored.
        CREATE TABLE invitations (
            id INTEGER PRIMARY KEY,
            kind TEXT NOT NULL CHECK (kind IN ('expert', 'member')),
            token_hash BLOB UNIQUE,
            community TEXT NOT NULL,
            topic TEXT,
            inviter_id INTEGER NOT NULL REFERENCES actors(id),
            invitee TEXT,
            note TEXT NOT NULL DEFAULT '',
            created_at INTEGER NOT NULL,
            expires_at INTEGER NOT NULL,
            used_at INTEGER,
            used_by INTEGER REFERENCES actors(id)
        );
        -- What a guest (external expert) may see: one community, optionally one topic, until expiry.
        CREATE TABLE guest_scopes (
            account_id INTEGER PRIMARY KEY REFERENCES accounts(actor_id) ON DELETE CASCADE,
            community TEXT NOT NULL,
            topic TEXT,
            expires_at INTEGER NOT NULL
        );
        """)
}
