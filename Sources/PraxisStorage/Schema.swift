import PraxisSQLite

/// The node database schema, as an ordered list of migrations. Append only: a released migration
/// is never edited, because nodes in the field have already applied it.
public enum Schema {
    public static let migrations: [Migration] = [
        Migration(version: 1, name: "actors, keys, accounts, communities", sql: """
            CREATE TABLE actors (
                id INTEGER PRIMARY KEY,
                kind TEXT NOT NULL CHECK (kind IN ('application', 'person', 'group')),
                username TEXT NOT NULL UNIQUE,
                display_name TEXT NOT NULL,
                summary TEXT NOT NULL DEFAULT '',
                created_at INTEGER NOT NULL
            );
            -- Every key an actor has had. The current key of each algorithm has retired_at NULL;
            -- retired Ed25519 keys stay so proofs made before their retirement still verify.
            CREATE TABLE actor_keys (
                id INTEGER PRIMARY KEY,
                actor_id INTEGER NOT NULL REFERENCES actors(id) ON DELETE CASCADE,
                algorithm TEXT NOT NULL CHECK (algorithm IN ('rsa', 'ed25519')),
                fragment TEXT NOT NULL,
                public_key TEXT NOT NULL,
                private_key_pem TEXT NOT NULL,
                created_at INTEGER NOT NULL,
                retired_at INTEGER,
                UNIQUE (actor_id, fragment)
            );
            CREATE UNIQUE INDEX actor_keys_current ON actor_keys (actor_id, algorithm) WHERE retired_at IS NULL;
            CREATE TABLE accounts (
                actor_id INTEGER PRIMARY KEY REFERENCES actors(id) ON DELETE CASCADE,
                password_hash TEXT NOT NULL,
                role TEXT NOT NULL CHECK (role IN ('admin', 'moderator', 'member')),
                affiliation TEXT NOT NULL CHECK (affiliation IN ('buyer', 'expert', 'supplier')),
                status TEXT NOT NULL CHECK (status IN ('pending', 'active', 'suspended')),
                email TEXT,
                last_active_at INTEGER
            );
            CREATE TABLE communities (
                actor_id INTEGER PRIMARY KEY REFERENCES actors(id) ON DELETE CASCADE,
                visibility TEXT NOT NULL CHECK (visibility IN ('public', 'members')),
                join_policy TEXT NOT NULL CHECK (join_policy IN ('open', 'approval', 'invite')),
                owner_id INTEGER REFERENCES actors(id),
                parent_id INTEGER REFERENCES communities(actor_id)
            );
            CREATE INDEX communities_parent ON communities (parent_id);
            """),
        // Later versions live beside the code that owns their tables: Schema+Inbox.swift (trust
        // list, inbox queue), Schema+Remote.swift (remote actors, keys, nodes), Schema+Delivery.swift
        // (delivery queue), Schema+Sessions.swift (client API sessions), Schema+Search.swift (full-text
        // search index), Schema+TrustLists.swift (community exclusions, trust-list subscriptions),
        // Schema+Notifications.swift (notifications, digest feed tokens), Schema+Limits.swift
        // (sign-in lock-out, inbox lanes by origin).
        Schema.inbox,
        Schema.remote,
        Schema.delivery,
        Schema.sessions,
        Schema.threads,
        Schema.conduct,
        Schema.receivedInvitations,
        Schema.communityProfile,
        Schema.communityRoles,
        Schema.inboxThroughput,
        Schema.documents,
        Schema.search,
        Schema.moderation,
        Schema.trustLists,
        Schema.notifications,
        Schema.health,
        Schema.threadActivity,
        Schema.limits,
        Schema.searchLookups,
        Schema.readCache,
        Schema.searchFacets,
        Schema.readCacheRemoteGroups,
        Schema.inboxReplayKeys,
    ]
}
