import PraxisSQLite

extension Schema {
    /// Version 2: the trust list, the persisted inbox queue and its dead letters, replay
    /// protection, follow relationships, content objects and the local outbox.
    static let inbox = Migration(version: 2, name: "trust list, inbox, follows, objects, outbox", sql: """
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
        CREATE INDEX dead_letters_time ON dead_letters (failed_at);
        -- Hashes of accepted request signatures until their window closes: the same signed request
        -- sent twice is a replay and is refused.
        CREATE TABLE seen_signatures (
            signature_hash BLOB PRIMARY KEY,
            expires_at INTEGER NOT NULL
        ) WITHOUT ROWID;
        CREATE INDEX seen_signatures_expiry ON seen_signatures (expires_at);
        -- Follow relationships in both directions (local follower of a remote actor, remote or
        -- local follower of a local actor). Actor ids are URLs.
        CREATE TABLE follows (
            id INTEGER PRIMARY KEY,
            follower TEXT NOT NULL,
            followed TEXT NOT NULL,
            follower_inbox TEXT,
            follower_domain TEXT NOT NULL,
            followed_domain TEXT NOT NULL,
            state TEXT NOT NULL CHECK (state IN ('pending', 'accepted', 'rejected')),
            activity_id TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL,
            UNIQUE (follower, followed)
        );
        CREATE INDEX follows_followed ON follows (followed, state);
        -- Content objects known to this node, local and remote (notes now; threads, replies and
        -- documents build on it).
        CREATE TABLE objects (
            id TEXT PRIMARY KEY,
            type TEXT NOT NULL,
            attributed_to TEXT NOT NULL,
            audience TEXT,
            in_reply_to TEXT,
            name TEXT,
            content TEXT NOT NULL DEFAULT '',
            published INTEGER,
            updated INTEGER,
            deleted_at INTEGER,
            document BLOB NOT NULL,
            origin_domain TEXT NOT NULL,
            received_at INTEGER NOT NULL
        ) WITHOUT ROWID;
        CREATE INDEX objects_audience ON objects (audience, published);
        -- Activities published by local actors, served in their outboxes and at their ids.
        CREATE TABLE outbox (
            seq INTEGER PRIMARY KEY,
            activity_id TEXT NOT NULL UNIQUE,
            actor_id INTEGER NOT NULL REFERENCES actors(id) ON DELETE CASCADE,
            type TEXT NOT NULL,
            object_id TEXT,
            public INTEGER NOT NULL,
            body BLOB NOT NULL,
            published INTEGER NOT NULL
        );
        CREATE INDEX outbox_actor ON outbox (actor_id, seq);
        """)
}
