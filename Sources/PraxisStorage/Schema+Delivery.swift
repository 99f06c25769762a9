import PraxisSQLite

extension Schema {
    /// Version 3: the durable outgoing delivery queue (see PraxisFederation's `DeliveryService`).
    ///
    /// One `delivery_activities` row holds an activity's body once, however many inboxes it goes
    /// to; one `deliveries` row per (activity, inbox). A delivery's `lane` is the destination
    /// node's authority (`host[:port]` of the inbox URL). States:
    ///
    /// - `waiting`: an earlier delivery with the same `ordering_key` in the same lane is not
    ///   finished yet; promoted to `queued` when it is (so ordering needs no query at claim time);
    /// - `queued`: ready from `next_attempt_at` on;
    /// - `inflight`: claimed by a sender; reset to `queued` when the service starts, because a
    ///   row still `inflight` then was left by a crash;
    /// - `failed`: permanently failed (4xx, trust list, horizon), kept with the reason.
    ///
    /// Delivered rows are deleted, and an activity's body with its last delivery row.
    /// `id` is AUTOINCREMENT so ids are never reused: the service picks up newly queued rows by id.
    static let delivery = Migration(version: 4, name: "delivery queue", sql: """
        CREATE TABLE delivery_activities (
            id INTEGER PRIMARY KEY,
            activity_id TEXT NOT NULL UNIQUE,
            signer TEXT NOT NULL,
            body BLOB NOT NULL,
            created_at INTEGER NOT NULL
        );
        CREATE TABLE deliveries (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            activity INTEGER NOT NULL REFERENCES delivery_activities(id) ON DELETE CASCADE,
            inbox TEXT NOT NULL,
            lane TEXT NOT NULL,
            ordering_key TEXT NOT NULL,
            state TEXT NOT NULL CHECK (state IN ('waiting', 'queued', 'inflight', 'failed')),
            attempts INTEGER NOT NULL DEFAULT 0,
            enqueued_at INTEGER NOT NULL,
            next_attempt_at INTEGER NOT NULL,
            last_status INTEGER,
            last_error TEXT,
            finished_at INTEGER,
            UNIQUE (activity, inbox)
        );
        -- Next due per lane: the claim reads the first rows of one lane in due order.
        CREATE INDEX deliveries_due ON deliveries (lane, next_attempt_at) WHERE state = 'queued';
        -- Head of an ordering key in a lane: the unfinished row with the smallest id.
        CREATE INDEX deliveries_key ON deliveries (lane, ordering_key, id)
            WHERE state IN ('waiting', 'queued', 'inflight');
        -- Per-destination circuit breaker and rate-limit pause, kept across restarts (times in ms).
        CREATE TABLE delivery_lanes (
            lane TEXT PRIMARY KEY,
            consecutive_failures INTEGER NOT NULL DEFAULT 0,
            parked_at INTEGER,
            next_probe_at INTEGER,
            probe_interval INTEGER,
            paused_until INTEGER NOT NULL DEFAULT 0,
            last_error TEXT
        );
        """)
}
