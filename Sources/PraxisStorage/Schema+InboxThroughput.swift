import PraxisSQLite

extension Schema {
    /// Version 11: inbox storage laid out for throughput.
    ///
    /// Replay keys are ordered by the signature's own signed creation time, then its hash: the
    /// signatures accepted now all land at the right edge of the index, so a commit of many of
    /// them rewrites a page or two instead of one random page each, and expired keys go in one
    /// contiguous range delete. A replayed request carries the same signature, hence the same
    /// creation time and hash, so it still collides. Keys recorded before this version stay in
    /// `seen_signatures_v2` (keyed by hash alone) until their window closes.
    ///
    /// The activity type, already validated when the activity was accepted, is stored beside it
    /// so that the processor acknowledges types it does not act on without parsing the body again.
    static let inboxThroughput = Migration(version: 11, name: "time-ordered replay keys, stored activity type", sql: """
        ALTER TABLE seen_signatures RENAME TO seen_signatures_v2;
        CREATE TABLE seen_signatures (
            created_at INTEGER NOT NULL,
            signature_hash BLOB NOT NULL,
            PRIMARY KEY (created_at, signature_hash)
        ) WITHOUT ROWID;
        ALTER TABLE inbox_activities ADD COLUMN type TEXT;
        """)
}

extension Schema {
    /// Version 25: the replay key of the request that carried an activity, in the activity's row.
    ///
    /// A signature covers its body's digest, so a replayed request repeats the activity id: the
    /// key is compared only when the id is already stored, and accepting a new activity writes
    /// one row instead of a row and a random page of the `seen_signatures` index. That table
    /// keeps the keys of duplicates (a redelivery signed anew) and those recorded before this
    /// version, until their window closes. See `InboxRepository.receive`.
    static let inboxReplayKeys = Migration(version: 25, name: "replay key in the inbox row", sql: """
        ALTER TABLE inbox_activities ADD COLUMN signature_hash BLOB;
        """)
}
