import PraxisSQLite

extension Schema {
    /// Version 20: abuse limits.
    ///
    /// Failed sign-ins are counted per account name in the database, so a restart does not give
    /// a password guesser a fresh start. Rows exist for names that have no account too: a
    /// lock-out must look the same whether or not the account exists.
    ///
    /// The inbox processor takes pending activities round-robin by origin node; the partial
    /// index lets it list the nodes with a backlog (a skip scan, one seek per node) and read each
    /// node's oldest activities without scanning another node's flood.
    static let limits = Migration(version: 20, name: "sign-in lock-out, inbox lanes by origin", sql: """
        CREATE TABLE sign_in_failures (
            username TEXT PRIMARY KEY,
            failures INTEGER NOT NULL,
            window_started_at INTEGER NOT NULL,
            locked_until INTEGER,
            lockouts INTEGER NOT NULL DEFAULT 0,
            updated_at INTEGER NOT NULL
        ) WITHOUT ROWID;
        CREATE INDEX sign_in_failures_updated ON sign_in_failures (updated_at);
        CREATE INDEX inbox_pending_origin ON inbox_activities (origin_domain, seq) WHERE state = 'pending';
        """)
}
