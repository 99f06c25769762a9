import PraxisSQLite

extension Schema {
    /// Version 5: sign-in sessions of the client API.
    ///
    /// Only the SHA-256 hash of a bearer token is stored, so a copy of the database (a backup, a
    /// support dump) grants nobody a session. Revoked and expired rows are kept until pruned so an
    /// operator can see recent sign-ins.
    static let sessions = Migration(version: 5, name: "client API sessions", sql: """
        CREATE TABLE sessions (
            id INTEGER PRIMARY KEY,
            token_hash BLOB NOT NULL UNIQUE,
            account_id INTEGER NOT NULL REFERENCES accounts(actor_id) ON DELETE CASCADE,
            created_at INTEGER NOT NULL,
            last_used_at INTEGER NOT NULL,
            expires_at INTEGER NOT NULL,
            revoked_at INTEGER,
            user_agent TEXT NOT NULL DEFAULT ''
        );
        CREATE INDEX sessions_account ON sessions (account_id);
        CREATE INDEX sessions_expiry ON sessions (expires_at);
        """)
}
