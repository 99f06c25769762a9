import Foundation
import PraxisCrypto
import PraxisHTTP
import PraxisJSON

/// A remote actor as fetched and verified by ``RemoteDirectory``.
///
/// Only documents that passed every check reach this type: the `id` is the URL it was fetched
/// from, the type is an actor type, the inbox lives on the actor's own host, and every key is
/// owned by this actor and lives on its host. Anything else the document holds (a community's
/// `attributedTo`, `visibility`, ...) is in ``document``.
public struct RemoteActor: Sendable, Equatable {
    /// The fields, in one immutable box shared by every copy: an actor is copied several times
    /// per inbox request (cache, key lookup, verifier, pipeline), and copying a dozen strings,
    /// keys and a JSON document retained and released each of them every time. Setting a field
    /// (rare) makes a new box.
    private final class Storage: Sendable {
        let fields: Fields
        init(_ fields: Fields) { self.fields = fields }
    }

    private struct Fields: Sendable, Equatable {
        var id: String
        var type: String
        var preferredUsername: String?
        var name: String?
        var domain: String
        var inbox: String
        var sharedInbox: String?
        var followers: String?
        var rsaKey: RemoteKey?
        var ed25519Keys: [RemoteKey]
        var fetchedAt: Date
        var document: JSON
    }

    private var storage: Storage

    private mutating func update(_ change: (inout Fields) -> Void) {
        var fields = storage.fields
        change(&fields)
        storage = Storage(fields)
    }

    /// The actor's id (an `https` URL; `http` only in development mode).
    public var id: String {
        get { storage.fields.id }
        set { update { $0.id = newValue } }
    }
    /// The AS2 type that made it an actor: `Person`, `Group`, `Application`, `Service` or `Organization`.
    public var type: String {
        get { storage.fields.type }
        set { update { $0.type = newValue } }
    }
    public var preferredUsername: String? {
        get { storage.fields.preferredUsername }
        set { update { $0.preferredUsername = newValue } }
    }
    public var name: String? {
        get { storage.fields.name }
        set { update { $0.name = newValue } }
    }
    /// Authority (`host` or `host:port`, lowercase) of ``id``: the node the actor lives on, as
    /// the trust list names it.
    public var domain: String {
        get { storage.fields.domain }
        set { update { $0.domain = newValue } }
    }
    public var inbox: String {
        get { storage.fields.inbox }
        set { update { $0.inbox = newValue } }
    }
    /// `endpoints.sharedInbox`, kept only when it is on the actor's host.
    public var sharedInbox: String? {
        get { storage.fields.sharedInbox }
        set { update { $0.sharedInbox = newValue } }
    }
    public var followers: String? {
        get { storage.fields.followers }
        set { update { $0.followers = newValue } }
    }
    /// The RSA key of `publicKey` (draft-cavage signatures).
    public var rsaKey: RemoteKey? {
        get { storage.fields.rsaKey }
        set { update { $0.rsaKey = newValue } }
    }
    /// The Ed25519 `Multikey` entries of `assertionMethod` (RFC 9421 signatures, Data Integrity
    /// proofs), retired ones included with their `expires`.
    public var ed25519Keys: [RemoteKey] {
        get { storage.fields.ed25519Keys }
        set { update { $0.ed25519Keys = newValue } }
    }
    /// When the document was fetched (whole seconds).
    public var fetchedAt: Date {
        get { storage.fields.fetchedAt }
        set { update { $0.fetchedAt = newValue } }
    }
    /// The verified document as received.
    public var document: JSON {
        get { storage.fields.document }
        set { update { $0.document = newValue } }
    }

    public init(
        id: String, type: String, preferredUsername: String? = nil, name: String? = nil, domain: String,
        inbox: String, sharedInbox: String? = nil, followers: String? = nil, rsaKey: RemoteKey? = nil,
        ed25519Keys: [RemoteKey] = [], fetchedAt: Date, document: JSON
    ) {
        storage = Storage(Fields(
            id: id, type: type, preferredUsername: preferredUsername, name: name, domain: domain, inbox: inbox,
            sharedInbox: sharedInbox, followers: followers, rsaKey: rsaKey, ed25519Keys: ed25519Keys,
            fetchedAt: fetchedAt, document: document))
    }

    public static func == (lhs: RemoteActor, rhs: RemoteActor) -> Bool {
        lhs.storage === rhs.storage || lhs.storage.fields == rhs.storage.fields
    }

    /// Every key of the actor, RSA first.
    public var keys: [RemoteKey] { (rsaKey.map { [$0] } ?? []) + ed25519Keys }

    /// The key with this id, if the actor lists it (without building ``keys``: this runs on
    /// every inbox request).
    public func key(id keyID: String) -> RemoteKey? {
        if let rsa = storage.fields.rsaKey, rsa.id == keyID { return rsa }
        return storage.fields.ed25519Keys.first { $0.id == keyID }
    }

    /// Where to deliver to this actor: the shared inbox when there is one, else its own inbox.
    public var deliveryInbox: String { sharedInbox ?? inbox }

    /// The AS2 types accepted as actors.
    public static let actorTypes: Set<String> = ["Person", "Group", "Application", "Service", "Organization"]
}

/// A public key published by a remote actor.
public struct RemoteKey: Sendable, Equatable {
    /// The key material, by algorithm.
    public enum Material: Sendable, Equatable {
        case rsa(RSAPublicKey)
        case ed25519(Ed25519PublicKey)
    }

    /// The key id, as signatures name it (`ACTOR#main-key`, `ACTOR#ed25519-key`, or a key document URL).
    public var id: String
    /// The actor that owns (`owner`) or controls (`controller`) the key; always the listing actor's id.
    public var owner: String
    public var material: Material
    /// `created` of a Multikey, when given.
    public var created: Date?
    /// `expires` of a Multikey: set on keys retired by a rotation. Signatures made after it must be
    /// refused; proofs made before it still verify.
    public var expires: Date?

    public init(id: String, owner: String, material: Material, created: Date? = nil, expires: Date? = nil) {
        self.id = id
        self.owner = owner
        self.material = material
        self.created = created
        self.expires = expires
    }

    /// Whether the key has expired at `date`.
    public func isExpired(at date: Date = Date()) -> Bool { expires.map { $0 <= date } ?? false }
}

/// Which HTTP signature profile to use towards a remote node.
public enum RemoteSignatureProfile: String, Sendable, Equatable, CaseIterable {
    /// RFC 9421 HTTP Message Signatures: nodes whose NodeInfo lists `rfc9421` (Praxis nodes).
    case rfc9421
    /// draft-cavage-12 `rsa-sha256`: every other server (Mastodon and most of the fediverse).
    case cavage
}

/// Adds the node actor's HTTP signature to an outgoing GET.
///
/// ``RemoteDirectory`` calls it once for the first request and again for each redirect hop (the
/// request then already points at the new URL), because a signature covers the target and host.
public protocol FetchSigner: Sendable {
    func sign(_ request: inout HTTPClientRequest) throws
}
