import PraxisSQLite

extension Schema {
    /// Version 4: the cache of remote actors, their keys, and what software remote nodes run.
    ///
    /// Everything here can be fetched again, so rows may be dropped at any time (expiry, a domain
    /// blocked by the trust list); nothing else references these tables.
    static let remote = Migration(version: 3, name: "remote actors, keys and nodes cache", sql: """
        -- Remote actors as last fetched: the verified raw document plus the columns other code
        -- queries (delivery looks up inboxes by actor, operators list actors by domain).
        CREATE TABLE remote_actors (
            id TEXT PRIMARY KEY,
            domain TEXT NOT NULL,
            type TEXT NOT NULL,
            preferred_username TEXT,
            name TEXT,
            -- preferredUsername@domain, lowercase, set once WebFinger confirmed it maps back to id.
            acct TEXT,
            inbox TEXT NOT NULL,
            shared_inbox TEXT,
            followers TEXT,
            document TEXT NOT NULL,
            fetched_at INTEGER NOT NULL,
            expires_at INTEGER NOT NULL
        );
        CREATE INDEX remote_actors_domain ON remote_actors (domain);
        CREATE INDEX remote_actors_acct ON remote_actors (acct) WHERE acct IS NOT NULL;
        -- Which actor lists a key id, for key ids that are not ACTOR#fragment (key documents).
        CREATE TABLE remote_keys (
            key_id TEXT PRIMARY KEY,
            actor_id TEXT NOT NULL REFERENCES remote_actors(id) ON DELETE CASCADE,
            algorithm TEXT NOT NULL CHECK (algorithm IN ('rsa', 'ed25519')),
            expires_at INTEGER
        );
        CREATE INDEX remote_keys_actor ON remote_keys (actor_id);
        -- What a remote node runs (NodeInfo) and which HTTP signature profile it wants.
        CREATE TABLE remote_nodes (
            domain TEXT PRIMARY KEY,
            software TEXT,
            version TEXT,
            signature_profile TEXT NOT NULL CHECK (signature_profile IN ('rfc9421', 'cavage')),
            reachable INTEGER NOT NULL,
            checked_at INTEGER NOT NULL,
            expires_at INTEGER NOT NULL
        );
        """)
}
