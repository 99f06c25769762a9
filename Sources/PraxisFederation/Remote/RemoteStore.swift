import Foundation
import PraxisJSON
import PraxisSQLite
import Synchronization

/// The SQLite side of the remote cache (tables of `Schema.remote`), on one connection.
struct RemoteStore {
    let db: Connection

    struct ActorRow {
        var document: String
        var fetchedAt: Date
        var expiresAt: Date
    }

    struct NodeRow {
        var profile: RemoteSignatureProfile
        var expiresAt: Date
    }

    func actor(id: String) throws -> ActorRow? {
        try db.queryOne("SELECT document, fetched_at, expires_at FROM remote_actors WHERE id = ?", id).map(Self.actorRow)
    }

    /// The actor whose WebFinger handle was confirmed as `acct` (lowercase `name@domain`).
    func actor(acct: String) throws -> (id: String, row: ActorRow)? {
        guard let row = try db.queryOne(
            "SELECT id, document, fetched_at, expires_at FROM remote_actors WHERE acct = ? ORDER BY fetched_at DESC LIMIT 1",
            acct)
        else { return nil }
        return (try row.get("id"), try Self.actorRow(row))
    }

    func actorID(ofKey keyID: String) throws -> String? {
        try db.scalar(String.self, "SELECT actor_id FROM remote_keys WHERE key_id = ?", keyID)
    }

    /// Stores a freshly verified actor and replaces its key index. The confirmed WebFinger handle
    /// survives a refetch only while `preferredUsername` stays the same.
    func save(_ actor: RemoteActor, document: String, expiresAt: Date) throws {
        try db.run(
            """
            INSERT INTO remote_actors (id, domain, type, preferred_username, name, acct, inbox, shared_inbox, followers,
                                       document, fetched_at, expires_at)
            VALUES (?, ?, ?, ?, ?, NULL, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (id) DO UPDATE SET
                domain = excluded.domain, type = excluded.type, name = excluded.name,
                acct = CASE WHEN remote_actors.preferred_username IS excluded.preferred_username
                            THEN remote_actors.acct ELSE NULL END,
                preferred_username = excluded.preferred_username,
                inbox = excluded.inbox, shared_inbox = excluded.shared_inbox, followers = excluded.followers,
                document = excluded.document, fetched_at = excluded.fetched_at, expires_at = excluded.expires_at
            """,
            arguments: [
                actor.id, actor.domain, actor.type, actor.preferredUsername, actor.name, actor.inbox, actor.sharedInbox,
                actor.followers, document, actor.fetchedAt.remoteSeconds, expiresAt.remoteSeconds,
            ])
        try db.run("DELETE FROM remote_keys WHERE actor_id = ?", actor.id)
        for key in actor.keys {
            let algorithm: String
            switch key.material {
            case .rsa: algorithm = "rsa"
            case .ed25519: algorithm = "ed25519"
            }
            // A key id listed by another actor of the same host before: the latest listing wins.
            try db.run(
                "INSERT OR REPLACE INTO remote_keys (key_id, actor_id, algorithm, expires_at) VALUES (?, ?, ?, ?)",
                arguments: [key.id, actor.id, algorithm, key.expires?.remoteSeconds])
        }
    }

    func setAcct(_ acct: String, actorID: String) throws {
        try db.run("UPDATE remote_actors SET acct = NULL WHERE acct = ? AND id <> ?", acct, actorID)
        try db.run("UPDATE remote_actors SET acct = ? WHERE id = ?", acct, actorID)
    }

    func deleteActor(id: String) throws {
        try db.run("DELETE FROM remote_keys WHERE actor_id = ?", id)
        try db.run("DELETE FROM remote_actors WHERE id = ?", id)
    }

    func node(domain: String) throws -> NodeRow? {
        guard let row = try db.queryOne(
            "SELECT signature_profile, expires_at FROM remote_nodes WHERE domain = ?", domain)
        else { return nil }
        guard let profile = RemoteSignatureProfile(rawValue: try row.get("signature_profile")) else { return nil }
        return NodeRow(profile: profile, expiresAt: Date(remoteSeconds: try row.get("expires_at")))
    }

    func saveNode(
        domain: String, software: String?, version: String?, profile: RemoteSignatureProfile, reachable: Bool,
        checkedAt: Date, expiresAt: Date
    ) throws {
        try db.run(
            """
            INSERT OR REPLACE INTO remote_nodes (domain, software, version, signature_profile, reachable, checked_at, expires_at)
            VALUES (?, ?, ?, ?, ?, ?, ?)
            """,
            arguments: [
                domain, software, version, profile.rawValue, reachable, checkedAt.remoteSeconds, expiresAt.remoteSeconds,
            ])
    }

    /// Drops everything cached about `domain`.
    func forget(domain: String) throws {
        try db.run("DELETE FROM remote_keys WHERE actor_id IN (SELECT id FROM remote_actors WHERE domain = ?)", domain)
        try db.run("DELETE FROM remote_actors WHERE domain = ?", domain)
        try db.run("DELETE FROM remote_nodes WHERE domain = ?", domain)
    }

    private static func actorRow(_ row: Row) throws -> ActorRow {
        ActorRow(
            document: try row.get("document"), fetchedAt: Date(remoteSeconds: try row.get("fetched_at")),
            expiresAt: Date(remoteSeconds: try row.get("expires_at")))
    }
}

/// The most recently used verified actors, in memory, so the inbox finds a signer's key without a
/// database read or a PEM parse. Bounded; the database stays the source of truth.
struct RemoteMemoryCache {
    /// A held actor. A class, so that the key index shares it: finding a key is one lookup, and
    /// marking the actor used changes it in place (copying an entry out and back retained and
    /// released it on every inbox request).
    final class Entry {
        let actor: RemoteActor
        let expiresAt: Date
        var lastUsed: UInt64

        init(actor: RemoteActor, expiresAt: Date, lastUsed: UInt64) {
            self.actor = actor
            self.expiresAt = expiresAt
            self.lastUsed = lastUsed
        }
    }

    let capacity: Int
    private var actors: [String: Entry] = [:]
    /// key id → the entry of its actor, for every key of every actor held.
    private var keyOwners: [String: Entry] = [:]
    private var tick: UInt64 = 0

    init(capacity: Int) { self.capacity = max(1, capacity) }

    mutating func actor(id: String, now: Date) -> RemoteActor? {
        guard let entry = actors[id], entry.expiresAt > now else { return nil }
        tick += 1
        entry.lastUsed = tick
        return entry.actor
    }

    func actorID(ofKey keyID: String) -> String? { keyOwners[keyID]?.actor.id }

    /// The key and its unexpired owner, when held; counts as a use of the owner.
    mutating func key(_ keyID: String, now: Date) -> (RemoteKey, RemoteActor)? {
        guard let entry = keyOwners[keyID], entry.expiresAt > now, let key = entry.actor.key(id: keyID) else { return nil }
        tick += 1
        entry.lastUsed = tick
        return (key, entry.actor)
    }

    mutating func put(_ actor: RemoteActor, expiresAt: Date) {
        remove(id: actor.id)
        if actors.count >= capacity { evict() }
        tick += 1
        let entry = Entry(actor: actor, expiresAt: expiresAt, lastUsed: tick)
        actors[actor.id] = entry
        for key in actor.keys { keyOwners[key.id] = entry }
    }

    mutating func remove(id: String) {
        guard let old = actors.removeValue(forKey: id) else { return }
        for key in old.actor.keys where keyOwners[key.id] === old { keyOwners[key.id] = nil }
    }

    mutating func forget(domain: String) {
        for (id, entry) in actors where entry.actor.domain == domain { remove(id: id) }
    }

    /// Drops the least recently used quarter at once, so eviction stays rare and cheap on average.
    private mutating func evict() {
        let victims = actors.sorted { $0.value.lastUsed < $1.value.lastUsed }.prefix(max(1, capacity / 4))
        for (id, _) in victims { remove(id: id) }
    }
}

extension Date {
    /// Whole seconds since 1970, as the remote tables store times.
    var remoteSeconds: Int64 { Int64(timeIntervalSince1970.rounded(.down)) }
    init(remoteSeconds: Int64) { self.init(timeIntervalSince1970: TimeInterval(remoteSeconds)) }
}
