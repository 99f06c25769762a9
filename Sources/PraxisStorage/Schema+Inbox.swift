import PraxisSQLite

extension Schema {
    /// Version 2: the trust list, the persisted inbox queue and its dead letters.
    static let inbox = Migration(version: 2, name: "trust list, inbox queue, dead letters", sql: """
        CREATE TABLE trust_entries (
            domain TEXT PRIMARY KEY,
            level TEXT NOT NULL CHECK (level IN ('trusted', 'limited', 'blocked')),
            note TEXT NOT NULL DEFAULT '',
            updated_at INTEGER NOT NULL
        );
        -- Verified activities, persisted before 202 Accepted and processed asynchronously in seq
        -- order. activity_id is unique: a redelivered activity is acknowledged and dropped.
        CREATE TABLE inbox_activities (
            seq INTEGER PRIMARY KEY,
            activity_id TEXT NOT NULL UNIQUE,
            actor_id TEXT NOT NULL,
            origin_domain TEXT NOT NULL,
            recipient TEXT NOT NULL,
            body BLOB NOT NULL,
            received_at INTEGER NOT NULL,
            state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'done', 'dead')),
            attempts INTEGER NOT NULL DEFAULT 0,
            processed_at INTEGER
        );
        CREATE INDEX inbox_pending ON inbox_activities (seq) WHERE state = 'pending';
        -- Activities that could not be processed, with the reason, for the operator.
        CREATE TABLE dead_letters (
            id INTEGER PRIMARY KEY,
            activity_id TEXT NOT NULL,
            actor_id TEXT NOT NULL,
            origin_domain TEXT NOT NULL,
            body BLOB NOT NULL,
            reason TEXT NOT NULL,
            failed_at INTEGER NOT NULL
        );
        """)
}
