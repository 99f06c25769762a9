import Foundation
import PraxisCrypto
import PraxisStorage
import Synchronization

/// Parsed private keys of local actors, loaded once and kept in memory: signing thousands of
/// requests must not parse PEM each time.
public final class LocalKeyring: Sendable {
    /// What an actor signs with.
    public struct SigningKeys: Sendable {
        public var actorID: String
        public var rsaKeyID: String
        public var rsa: RSAPrivateKey
        public var ed25519KeyID: String
        public var ed25519: Ed25519PrivateKey
    }

    private let store: NodeStore
    private let urls: NodeURLs
    private let cache = Mutex<[String: SigningKeys]>([:])

    public init(store: NodeStore, urls: NodeURLs) {
        self.store = store
        self.urls = urls
    }

    /// The current keys of the local actor named `username` (`node` for the node actor).
    /// - Throws: `StorageError.notFound` for an unknown actor or one without current keys.
    public func keys(for username: String) throws -> SigningKeys {
        if let cached = cache.withLock({ $0[username] }) { return cached }
        let (actor, stored) = try store.database.read { db -> (LocalActor?, [ActorKey]) in
            let actors = ActorRepository(db)
            let actor = username == NodeSetup.nodeActorUsername ? try actors.nodeActor() : try actors.find(username: username)
            return (actor, try actor.map { try actors.keys(of: $0.id) } ?? [])
        }
        guard let actor,
            let rsaKey = stored.first(where: { $0.algorithm == .rsa && $0.retiredAt == nil }),
            let edKey = stored.first(where: { $0.algorithm == .ed25519 && $0.retiredAt == nil })
        else { throw StorageError.notFound("no local actor \"\(username)\" with signing keys") }
        let keys = SigningKeys(
            actorID: urls.actor(actor), rsaKeyID: urls.keyID(actor, fragment: rsaKey.fragment),
            rsa: try RSAPrivateKey(pem: rsaKey.privateKeyPEM), ed25519KeyID: urls.keyID(actor, fragment: edKey.fragment),
            ed25519: try Ed25519PrivateKey(pem: edKey.privateKeyPEM))
        cache.withLock { $0[username] = keys }
        return keys
    }

    /// Forgets cached keys (after a rotation).
    public func invalidate(_ username: String? = nil) {
        cache.withLock { cache in
            if let username { cache[username] = nil } else { cache.removeAll() }
        }
    }
}
