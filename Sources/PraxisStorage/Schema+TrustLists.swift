import PraxisSQLite

extension Schema {
    /// Version 16: trust lists in full.
    ///
    /// `community_trust` holds the nodes a community excludes although its node trusts them (a
    /// community narrows its node's list, never widens it, so `excluded` is the only level).
    /// `trust_subscriptions` holds partner nodes' published lists the operator follows: the last
    /// fetched document and the last one the operator reviewed, whose difference `praxis trust
    /// review` shows. Nothing here is applied on its own; accepting a difference writes
    /// `trust_entries`.
    static let trustLists = Migration(version: 16, name: "community exclusions, trust-list subscriptions", sql: """
        CREATE TABLE community_trust (
            community_id INTEGER NOT NULL REFERENCES communities(actor_id) ON DELETE CASCADE,
            domain TEXT NOT NULL,
            level TEXT NOT NULL DEFAULT 'excluded' CHECK (level IN ('excluded')),
            note TEXT NOT NULL DEFAULT '',
            created_by TEXT NOT NULL DEFAULT '',
            created_at INTEGER NOT NULL,
            PRIMARY KEY (community_id, domain)
        );
        CREATE INDEX community_trust_domain ON community_trust (domain);
        CREATE TABLE trust_subscriptions (
            url TEXT PRIMARY KEY,
            issuer TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            -- The entries of the last list fetched and verified, and of the last one reviewed, as
            -- JSON arrays of {domain, level, note}.
            fetched TEXT,
            fetched_at INTEGER,
            reviewed TEXT NOT NULL DEFAULT '[]',
            reviewed_at INTEGER
        );
        """)
}
