import Foundation
import PraxisActivityStreams
import PraxisHTTP
import PraxisJSON
import PraxisSQLite
import PraxisStorage

/// Key rotation of local actors (the node, a member, a community): `praxis keys rotate`.
///
/// A rotation, in one transaction: retires the actor's current RSA and Ed25519 keys (their
/// `retired_at` is set and their private halves erased), adds fresh keys under new key ids, and
/// queues an `Update` of the actor, carrying the new actor document, to every node that knows the
/// actor. The document keeps listing retired Ed25519 keys in `assertionMethod` with their
/// `expires` time, so author proofs made before the rotation still verify and proofs made with a
/// retired key after it do not. The retired RSA key is no longer published: a request signed with
/// it just before the rotation is refused once and retried by its sender's delivery queue, signed
/// with the new key.
///
/// It works on the database alone, so the CLI can run it while `praxis serve` runs on the same data
/// folder: the running node's ``LocalKeyring`` sees the new keys within a second (author proofs at
/// once) and its delivery workers pick the queued `Update` up at their next poll.
public struct KeyRotation: Sendable {
    /// Whose keys.
    public enum Target: Sendable, Equatable, CustomStringConvertible {
        case node
        case user(String)
        case community(String)

        public var description: String {
            switch self {
            case .node: "the node actor"
            case .user(let name): "member \"\(name)\""
            case .community(let name): "community \"\(name)\""
            }
        }
    }

    /// What a rotation did.
    public struct Outcome: Sendable {
        /// The actor's id (URL).
        public var actorID: String
        /// Key ids of the keys retired by this rotation.
        public var retiredKeyIDs: [String]
        /// Key ids of the new current keys.
        public var currentKeyIDs: [String]
        /// The id of the queued `Update`.
        public var updateID: String
        /// The inboxes the `Update` was queued for.
        public var inboxes: [String]
    }

    /// One key of an actor, as `praxis keys list` shows it.
    public struct ListedKey: Sendable, Equatable {
        public var keyID: String
        public var algorithm: ActorKey.Algorithm
        public var created: Date
        public var retired: Date?
    }

    /// Why a rotation or listing was refused.
    public struct Failure: Error, CustomStringConvertible, Sendable {
        public let message: String
        public var description: String { message }
    }

    public let store: NodeStore
    public let urls: NodeURLs

    public init(store: NodeStore) {
        self.store = store
        self.urls = NodeURLs(configuration: store.configuration)
    }

    /// Every key the actor has had, current ones first.
    /// - Throws: ``Failure`` when there is no such actor.
    public func keys(of target: Target) throws -> (actorID: String, keys: [ListedKey]) {
        try store.database.read { db in
            let actor = try Self.actor(target, db: db)
            let keys = try ActorRepository(db).keys(of: actor.id).map { key in
                ListedKey(keyID: urls.keyID(actor, fragment: key.fragment), algorithm: key.algorithm,
                          created: key.createdAt, retired: key.retiredAt)
            }
            return (urls.actor(actor), keys)
        }
    }

    /// Rotates the target's keys and queues the `Update` of its actor document.
    /// - Throws: ``Failure`` when there is no such actor (or, for a member, no active account).
    @discardableResult
    public func rotate(_ target: Target, now: Date = Date()) throws -> Outcome {
        let urls = urls
        let policy = TrustPolicy(mode: store.configuration.federation, localDomain: store.configuration.domain)
        return try store.database.write { db in
            let actor = try Self.actor(target, db: db)
            let actors = ActorRepository(db)
            let before = try actors.keys(of: actor.id)
            let retired = before.filter { $0.retiredAt == nil }.map { urls.keyID(actor, fragment: $0.fragment) }
            // Whole seconds, as stored: a proof made in the second of the rotation is dated with it.
            let time = Date(timeIntervalSince1970: now.timeIntervalSince1970.rounded(.down))
            try actors.retireCurrentKeys(of: actor.id, at: time)
            let fresh = try ActorKeyFactory.rotated(from: before, now: time)
            for key in fresh { try actors.addKey(key, to: actor.id) }

            let community = actor.kind == .group ? try CommunityRepository(db).find(username: actor.username) : nil
            guard let document = ActorDocuments(urls: urls).document(for: actor, keys: try actors.keys(of: actor.id),
                                                                     community: community)
            else { throw Failure(message: "the actor document of \(target) cannot be rendered after the rotation") }
            let actorID = urls.actor(actor)
            let inboxes = try Self.recipients(of: actor, actorID: actorID, db: db).filter { inbox in
                guard let domain = try? HTTPClientURL(inbox).authority.lowercased() else { return false }
                return try policy.level(of: domain, db: db) != .blocked
            }
            let followed = try FollowRepository(db).following(by: actorID).map(\.followed).filter { !$0.hasPrefix(urls.base + "/") }
            let publisher = Publisher(urls: urls)
            let update = ActivityBuilder.activity(
                id: publisher.newActivityID(), type: "Update", actor: actorID, object: document,
                to: [ActivityStreams.publicCollection], cc: [urls.followers(actor)] + followed)
            // Signed with the node's key, which receivers already hold: the actor's new key is
            // what the Update announces, so they may not know it yet. The node's own rotation is
            // signed with its new key; receivers refetch the node actor for it.
            try publisher.publish(update, by: actor, orderingKey: actorID, inboxes: inboxes, db: db,
                                  signer: NodeSetup.nodeActorUsername)
            return Outcome(
                actorID: actorID, retiredKeyIDs: retired, currentKeyIDs: fresh.map { urls.keyID(actor, fragment: $0.fragment) },
                updateID: update["id"]?.stringValue ?? "", inboxes: Array(Set(inboxes)).sorted())
        }
    }

    /// Who is told about a rotation: remote followers of the actor and the remote actors it follows
    /// (for a member: the communities it belongs to on other nodes, which relay the news to their
    /// member nodes); for the node actor, every node this node has cached an actor of.
    static func recipients(of actor: LocalActor, actorID: String, db: Connection) throws -> [String] {
        if actor.kind == .application {
            return try db.query("SELECT DISTINCT COALESCE(shared_inbox, inbox) AS inbox FROM remote_actors ORDER BY 1")
                .map { try $0.get("inbox") }
        }
        let follows = FollowRepository(db)
        var inboxes = try follows.followers(of: actorID).compactMap(\.followerInbox)
        for follow in try follows.following(by: actorID) where follow.state == .accepted {
            if let inbox = try db.scalar(
                String.self, "SELECT COALESCE(shared_inbox, inbox) FROM remote_actors WHERE id = ?", follow.followed)
            {
                inboxes.append(inbox)
            }
        }
        return inboxes
    }

    static func actor(_ target: Target, db: Connection) throws -> LocalActor {
        let actors = ActorRepository(db)
        switch target {
        case .node:
            guard let node = try actors.nodeActor() else {
                throw Failure(message: "this data folder has no node actor; run `praxis init` first")
            }
            return node
        case .user(let name):
            guard let account = try AccountRepository(db).find(username: name) else {
                throw Failure(message: "no member named \"\(name)\" on this node (see `praxis user list`)")
            }
            return account.actor
        case .community(let name):
            guard let community = try CommunityRepository(db).find(username: name) else {
                throw Failure(message: "no community named \"\(name)\" on this node (see `praxis community list`)")
            }
            return community.actor
        }
    }
}
