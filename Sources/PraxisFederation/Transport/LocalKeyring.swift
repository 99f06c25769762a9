import Foundation
import PraxisCrypto
import PraxisStorage
import Synchronization

/// Parsed private keys of local actors, loaded once and kept in memory: signing thousands of
/// requests must not parse PEM each time.
///
/// Keys can be rotated by another process (`praxis keys rotate` works on the data folder while
/// `praxis serve` runs), so a cached entry is checked against the database again when it is older
/// than ``recheckInterval``: one indexed read of the current key fragments, and a new PEM parse
/// only when they changed. Author proofs ask for ``keys(for:fresh:)`` with `fresh: true`, which
/// checks every time: a proof made with a key retired a moment ago would be refused everywhere.
public final class LocalKeyring: Sendable {
    /// What an actor signs with.
    public struct SigningKeys: Sendable {
        public var actorID: String
        public var rsaKeyID: String
        public var rsa: RSAPrivateKey
        public var ed25519KeyID: String
        public var ed25519: Ed25519PrivateKey
    }

    private struct Entry: Sendable {
        var keys: SigningKeys
        var checkedAt: Date
    }

    /// How long HTTP signing trusts a cached entry before checking for a rotation. A request signed
    /// with a key retired within this window is refused by its receiver and retried by the
    /// delivery queue with the new key.
    public static let recheckInterval: TimeInterval = 1

    private let store: NodeStore
    private let urls: NodeURLs
    private let cache = Mutex<[String: Entry]>([:])

    public init(store: NodeStore, urls: NodeURLs) {
        self.store = store
        self.urls = urls
    }

    /// The current keys of the local actor named `username` (`node` for the node actor).
    /// - Parameter fresh: check the database for a rotation even when the cached entry is recent.
    /// - Throws: `StorageError.notFound` for an unknown actor or one without current keys.
    public func keys(for username: String, fresh: Bool = false) throws -> SigningKeys {
        let now = Date()
        let cached = cache.withLock { $0[username] }
        if let cached, !fresh, now.timeIntervalSince(cached.checkedAt) < Self.recheckInterval { return cached.keys }
        let (actor, stored) = try store.database.read { db -> (LocalActor?, [ActorKey]) in
            let actors = ActorRepository(db)
            let actor = username == NodeSetup.nodeActorUsername ? try actors.nodeActor() : try actors.find(username: username)
            return (actor, try actor.map { try actors.keys(of: $0.id) } ?? [])
        }
        guard let actor,
            let rsaKey = stored.first(where: { $0.algorithm == .rsa && $0.retiredAt == nil }),
            let edKey = stored.first(where: { $0.algorithm == .ed25519 && $0.retiredAt == nil })
        else { throw StorageError.notFound("no local actor \"\(username)\" with signing keys") }
        let rsaKeyID = urls.keyID(actor, fragment: rsaKey.fragment)
        let edKeyID = urls.keyID(actor, fragment: edKey.fragment)
        let keys: SigningKeys
        if let cached, cached.keys.rsaKeyID == rsaKeyID, cached.keys.ed25519KeyID == edKeyID {
            keys = cached.keys
        } else {
            keys = SigningKeys(
                actorID: urls.actor(actor), rsaKeyID: rsaKeyID, rsa: try RSAPrivateKey(pem: rsaKey.privateKeyPEM),
                ed25519KeyID: edKeyID, ed25519: try Ed25519PrivateKey(pem: edKey.privateKeyPEM))
        }
        cache.withLock { $0[username] = Entry(keys: keys, checkedAt: now) }
        return keys
    }

    /// Forgets cached keys (after a rotation made in this process).
    public func invalidate(_ username: String? = nil) {
        cache.withLock { cache in
            if let username { cache[username] = nil } else { cache.removeAll() }
        }
    }
}
