import Foundation
import PraxisHTTP
import PraxisJSON
import PraxisSQLite
import PraxisStorage
import Synchronization

/// Finds remote actors, their keys and other objects, fetching them with signed GETs and caching
/// what was verified.
///
/// Every fetch first asks the trust list: a blocked domain is refused without any request, and
/// so is every redirect hop into one. Every document must come with status 200 and a JSON
/// content type (AS2, JSON-LD or plain JSON), be at most 1 MiB and 64 levels deep, and carry an
/// `id` equal to the URL fetched (or the final URL of a redirect on the same host). Actors must
/// have an actor type, an inbox on their own host, and only keys they own on their own host.
/// Verified actors are cached in SQLite (and the most used in memory) for `cacheLifetime`;
/// concurrent requests for the same missing actor share one fetch.
///
/// ```swift
/// let policy = TrustPolicy(mode: config.federation, localDomain: config.domain)
/// let directory = RemoteDirectory(
///     database: store.database, client: client, signer: nodeSigner, localDomain: config.domain,
///     trust: { domain in (try? store.database.read { try policy.level(of: domain, db: $0) }) ?? .blocked })
/// let (key, actor) = try await directory.key(id: signature.keyID)
/// ```
public final class RemoteDirectory: Sendable {
    /// Largest document accepted from a remote server.
    public static let limits = JSONLimits(maxBytes: 1 << 20, maxDepth: 64)
    /// `Accept` of actor and object fetches.
    public static let activityAccept =
        "application/activity+json, application/ld+json; profile=\"https://www.w3.org/ns/activitystreams\""

    let database: Database
    let client: HTTPClient
    let signer: any FetchSigner
    let localDomain: String
    let trust: @Sendable (String) -> TrustLevel
    let cacheLifetime: TimeInterval
    let keyRefetchInterval: TimeInterval
    let nodeInfoLifetime: TimeInterval
    let nodeInfoRetryInterval: TimeInterval
    let now: @Sendable () -> Date

    let memory: Mutex<RemoteMemoryCache>
    let actorFetches = InFlight<RemoteActor>()
    let nodeChecks = InFlight<RemoteSignatureProfile>()

    /// - Parameters:
    ///   - database: the node database (migrated with `Schema.migrations`).
    ///   - client: the node's HTTP client; its development flag also picks `http` for WebFinger
    ///     and NodeInfo URLs.
    ///   - signer: signs every actor, key and object GET as the node actor.
    ///   - localDomain: this node's authority; URLs on it are refused (look them up locally).
    ///   - trust: the trust level of an authority, asked before every request.
    ///   - cacheLifetime: how long a fetched actor is used without refetching.
    ///   - keyRefetchInterval: an actor is refetched for an unknown key (rotation) or on `refresh`
    ///     at most this often, so forged signatures naming random keys cannot make this node
    ///     hammer the signer's server.
    ///   - nodeInfoLifetime: how long a node's signature profile is trusted (a day).
    ///   - nodeInfoRetryInterval: how soon a node whose NodeInfo could not be read is asked again.
    ///   - memoryCapacity: most actors kept in memory.
    ///   - clock: the current time (tests move it).
    public init(
        database: Database, client: HTTPClient, signer: any FetchSigner, localDomain: String,
        trust: @escaping @Sendable (String) -> TrustLevel, cacheLifetime: TimeInterval = 86_400,
        keyRefetchInterval: TimeInterval = 60, nodeInfoLifetime: TimeInterval = 86_400,
        nodeInfoRetryInterval: TimeInterval = 3_600, memoryCapacity: Int = 10_000,
        clock: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.database = database
        self.client = client
        self.signer = signer
        self.localDomain = localDomain.lowercased()
        self.trust = trust
        self.cacheLifetime = cacheLifetime
        self.keyRefetchInterval = keyRefetchInterval
        self.nodeInfoLifetime = nodeInfoLifetime
        self.nodeInfoRetryInterval = nodeInfoRetryInterval
        self.now = clock
        self.memory = Mutex(RemoteMemoryCache(capacity: memoryCapacity))
    }

    // MARK: - Actors

    /// The actor with this id: from the cache, else fetched with a signed GET
    /// (`Accept: application/activity+json`) and verified.
    ///
    /// - Parameter refresh: fetch even when a cached copy is still fresh (after an `Update`).
    /// - Throws: ``DereferenceError``: `.blocked` (no request made), `.localResource`, `.gone`
    ///   (the cached copy is dropped too), `.notFound`, `.idMismatch`, `.notAnActor`,
    ///   `.inboxOnOtherHost`, `.keyOwnerMismatch`, `.keyOnOtherHost`, ...
    public func actor(id: String, refresh: Bool = false) async throws -> RemoteActor {
        try await actor(id: id, refresh: refresh, hostChecked: false)
    }

    /// ``actor(id:refresh:)``; `hostChecked` when the caller has just checked that the actor's
    /// host is neither this node nor blocked.
    func actor(id: String, refresh: Bool, hostChecked: Bool) async throws -> RemoteActor {
        guard !id.contains("#") else {
            throw DereferenceError(.invalidURL, url: id, "an actor id has no fragment ('#'): \(id.prefix(200))")
        }
        if !hostChecked { try checkAllowed(id, what: "actor") }
        if !refresh, let cached = try await cachedActor(id: id) { return cached }
        return try await actorFetches.run((refresh ? "refresh " : "fetch ") + id) { [self] in
            // A caller that missed the cache just before another fetch stored it finds it here.
            if !refresh, let cached = try await cachedActor(id: id) { return cached }
            return try await fetchActor(id: id)
        }
    }

    /// The cached actor, when present and not expired.
    func cachedActor(id: String) async throws -> RemoteActor? {
        let time = now()
        if let actor = memory.withLock({ $0.actor(id: id, now: time) }) { return actor }
        guard let row = try await database.read({ try RemoteStore(db: $0).actor(id: id) }), row.expiresAt > time else {
            return nil
        }
        // A stored document that no longer passes the checks (rules tightened since) counts as missing.
        guard let json = try? JSON.parse(row.document, limits: Self.limits),
            let actor = try? RemoteActorParser.parse(json, id: id, fetchedAt: row.fetchedAt)
        else { return nil }
        memory.withLock { $0.put(actor, expiresAt: row.expiresAt) }
        return actor
    }

    private func fetchActor(id: String) async throws -> RemoteActor {
        let fetched: Fetched
        do {
            fetched = try await get(id, accept: Self.activityAccept, types: Self.activityTypes, signed: true, what: "actor")
        } catch let error as DereferenceError where error.kind == .gone {
            try await forgetActor(id: id)
            throw error
        }
        let actualID = try Self.checkID(fetched, requested: id)
        let fetchedAt = Date(remoteSeconds: now().remoteSeconds)
        let actor = try RemoteActorParser.parse(fetched.json, id: actualID, fetchedAt: fetchedAt)
        let expiresAt = fetchedAt.addingTimeInterval(cacheLifetime)
        let document = fetched.json.serialized()
        try await database.write { try RemoteStore(db: $0).save(actor, document: document, expiresAt: expiresAt) }
        memory.withLock { $0.put(actor, expiresAt: expiresAt) }
        return actor
    }

    /// Takes the actor document carried by an `Update` of the actor (a key rotation, a new name)
    /// into the cache at once, without a request to its origin.
    ///
    /// The caller has verified the Update's signature by a key of the actor's own host (the inbox
    /// does), so the document comes from the node that is authoritative for the actor. It passes
    /// the same checks as a fetched one: its `id` must be `actorID`, and its inbox and keys must be
    /// the actor's and on its host.
    /// - Throws: ``DereferenceError`` when the document does not pass those checks.
    @discardableResult
    public func applyUpdate(of actorID: String, document: JSON) async throws -> RemoteActor {
        try checkAllowed(actorID, what: "actor")
        guard document["id"]?.stringValue == actorID else {
            throw DereferenceError(.idMismatch, url: actorID, "the updated actor document's id is not \(actorID.prefix(200))")
        }
        let fetchedAt = Date(remoteSeconds: now().remoteSeconds)
        let actor = try RemoteActorParser.parse(document, id: actorID, fetchedAt: fetchedAt)
        let expiresAt = fetchedAt.addingTimeInterval(cacheLifetime)
        let serialized = document.serialized()
        try await database.write { try RemoteStore(db: $0).save(actor, document: serialized, expiresAt: expiresAt) }
        memory.withLock { $0.put(actor, expiresAt: expiresAt) }
        return actor
    }

    private func forgetActor(id: String) async throws {
        memory.withLock { $0.remove(id: id) }
        try await database.write { try RemoteStore(db: $0).deleteActor(id: id) }
    }

    // MARK: - Keys

    /// The key a signature names, and the actor that owns it.
    ///
    /// `https://b.example/users/ana#main-key` is looked up in the actor `https://b.example/users/ana`.
    /// A key id without a fragment is a key document: it is fetched, its `owner` (or `controller`)
    /// must be on the key's host, and that actor must list the key back. A key the cached actor
    /// does not list (a rotation) makes the actor be refetched once, as does `refresh` (a
    /// signature that failed with the cached key); both at most every `keyRefetchInterval`.
    ///
    /// The returned key's owner is the returned actor, and both are on the same host. Whether an
    /// expired key (``RemoteKey/expires``) is still acceptable is the caller's decision.
    /// - Throws: ``DereferenceError``, `.keyNotFound` when the actor does not list the key.
    public func key(id keyID: String, refresh: Bool = false) async throws -> (RemoteKey, RemoteActor) {
        try checkAllowed(keyID, what: "key")
        return try await key(id: keyID, refresh: refresh, hostChecked: true)
    }

    /// ``key(id:refresh:)`` for a caller that has just made sure the key id is an http(s) URL
    /// whose host is neither this node nor blocked (the inbox reads the trust level itself, to
    /// answer `403` before anything else): the same lookup without parsing the URL and asking the
    /// trust list again. The owner found is always on the key's host (keys are only indexed
    /// under actors on their own host, and a key document's owner must be on its host), so the
    /// check covers the actor too. Redirect hops of a fetch are still checked one by one.
    func key(id keyID: String, refresh: Bool, hostChecked: Bool) async throws -> (RemoteKey, RemoteActor) {
        if !hostChecked { try checkAllowed(keyID, what: "key") }
        let actorID = try await ownerOfKey(keyID)
        var actor = try await self.actor(id: actorID, refresh: false, hostChecked: true)
        if !refresh, let key = actor.key(id: keyID) { return (key, actor) }
        if now().timeIntervalSince(actor.fetchedAt) >= keyRefetchInterval {
            actor = try await self.actor(id: actorID, refresh: true, hostChecked: true)
        }
        guard let key = actor.key(id: keyID) else {
            throw DereferenceError(
                .keyNotFound, url: keyID,
                "the actor \(actor.id) does not list the key \(keyID.prefix(200)); sign with a key the actor document publishes")
        }
        return (key, actor)
    }

    /// What ``key(id:refresh:)`` answers for `keyID` when it can from memory alone (no database
    /// read, no fetch, no suspension); nil otherwise. The inbox verifies most requests with it,
    /// and relies on its cached trust level only then.
    public func keyInMemory(_ keyID: String) -> (RemoteKey, RemoteActor)? {
        let time = now()
        return memory.withLock { $0.key(keyID, now: time) }
    }

    /// Which actor a key id belongs to, without trusting the key id's own claims.
    private func ownerOfKey(_ keyID: String) async throws -> String {
        if let actorID = memory.withLock({ $0.actorID(ofKey: keyID) }) { return actorID }
        if let actorID = try await database.read({ try RemoteStore(db: $0).actorID(ofKey: keyID) }) { return actorID }
        if keyID.contains("#") { return RemoteURL.withoutFragment(keyID) }
        let fetched = try await get(keyID, accept: Self.activityAccept, types: Self.activityTypes, signed: true, what: "key")
        let documentID = try Self.checkID(fetched, requested: keyID)
        // Some servers publish the key id as the actor id itself.
        if RemoteActorParser.actorType(fetched.json["type"]) != nil { return documentID }
        guard let owner = fetched.json["owner"]?.stringValue ?? fetched.json["controller"]?.stringValue else {
            throw DereferenceError(.malformed, url: keyID, "the key document \(keyID.prefix(200)) names no owner or controller")
        }
        guard try RemoteURL.authority(of: owner, what: "key owner") == RemoteURL.authority(of: keyID, what: "key id") else {
            throw DereferenceError(
                .keyOnOtherHost, url: keyID,
                "the key document \(keyID.prefix(200)) names an owner on another host (\(owner.prefix(200)))")
        }
        return RemoteURL.withoutFragment(owner)
    }

    // MARK: - Objects

    /// Any object by URL, with a signed GET: the document must be a JSON object within the limits
    /// whose `id` is the URL fetched (or the final URL of a redirect on the same host). Not cached.
    public func fetchObject(url: String) async throws -> JSON {
        try checkAllowed(url, what: "object")
        let fetched = try await get(url, accept: Self.activityAccept, types: Self.activityTypes, signed: true, what: "object")
        _ = try Self.checkID(fetched, requested: url)
        return fetched.json
    }

    // MARK: - Cache maintenance

    /// Drops everything cached about `domain` (its actors, keys and NodeInfo), for instance when the
    /// trust list blocks it.
    public func forget(domain: String) throws {
        let domain = domain.lowercased()
        memory.withLock { $0.forget(domain: domain) }
        try database.write { try RemoteStore(db: $0).forget(domain: domain) }
    }

    // MARK: - Shared checks

    /// Refuses URLs of this node and of blocked nodes before anything is sent.
    @discardableResult
    func checkAllowed(_ url: String, what: String) throws -> String {
        let domain = try RemoteURL.authority(of: url, what: what + " URL")
        if domain == localDomain {
            throw Self.localResource(url, localDomain: localDomain)
        }
        if trust(domain) == .blocked {
            throw DereferenceError(
                .blocked, url: url, "\(domain) is not trusted by \(localDomain) (blocked, or not on its trust list); no request was sent")
        }
        return domain
    }

    /// The refusal of a URL on this node itself.
    static func localResource(_ url: String, localDomain: String) -> DereferenceError {
        DereferenceError(
            .localResource, url: url, "\(url.prefix(200)) is on this node (\(localDomain)); it is looked up locally, not fetched")
    }
}
