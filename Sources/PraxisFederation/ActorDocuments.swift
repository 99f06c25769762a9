import PraxisActivityStreams
import PraxisJSON
import PraxisSQLite
import PraxisStorage

/// Renders the AS2 documents of local actors (node, members, communities) from storage.
public struct ActorDocuments: Sendable {
    public let urls: NodeURLs

    public init(urls: NodeURLs) { self.urls = urls }

    /// The actor document of a local actor, or nil when it has no current RSA key (never the case
    /// for actors created through `NodeSetup` or the account and community use cases).
    public func document(for actor: LocalActor, keys: [ActorKey], community: Community? = nil) -> JSON? {
        guard let rsa = keys.first(where: { $0.algorithm == .rsa && $0.retiredAt == nil }) else { return nil }
        let multikeys = keys.filter { $0.algorithm == .ed25519 }.map { key in
            ActorDocument.Multikey(
                id: urls.keyID(actor, fragment: key.fragment), publicKeyMultibase: key.publicKey,
                created: key.createdAt, expires: key.retiredAt)
        }
        let type: ActorType =
            switch actor.kind {
            case .application: .application
            case .person: .person
            case .group: .group
            }
        var extra: JSONObject = [:]
        if let community {
            extra["visibility"] = .string(community.visibility.rawValue)
            extra["joinPolicy"] = .string(community.joinPolicy.rawValue)
            extra["theme"] = .string(community.theme.rawValue)
            if !community.languages.isEmpty { extra["languages"] = .array(community.languages.map(JSON.string)) }
        }
        let document = ActorDocument(
            type: type,
            id: urls.actor(actor),
            preferredUsername: actor.username,
            name: actor.displayName,
            summary: actor.summary,
            url: urls.actor(actor),
            inbox: actor.kind == .application ? urls.sharedInbox : urls.inbox(actor),
            outbox: urls.outbox(actor),
            followers: urls.followers(actor),
            following: actor.kind == .group ? nil : urls.following(actor),
            sharedInbox: urls.sharedInbox,
            rsaKeyID: urls.keyID(actor, fragment: rsa.fragment),
            rsaPublicKeyPEM: rsa.publicKey,
            multikeys: multikeys,
            manuallyApprovesFollowers: community.map { $0.joinPolicy != .open } ?? (actor.kind == .person),
            published: actor.createdAt,
            moderators: actor.kind == .group ? urls.moderators(actor) : nil,
            parent: community?.parentUsername.map(urls.community),
            extra: extra)
        return document.json
    }

    /// Loads and renders the actor named `username` of the given kind; nil when there is none.
    /// Members-only communities are still discoverable as actors (their name, title and keys are
    /// not confidential); their content and member lists are what is protected.
    public func document(kind: ActorKind, username: String, db: Connection) throws -> JSON? {
        let actors = ActorRepository(db)
        let actor: LocalActor?
        if kind == .application {
            actor = try actors.nodeActor()
        } else {
            actor = try actors.find(username: username, kind: kind)
        }
        guard let actor else { return nil }
        if kind == .person, let account = try AccountRepository(db).find(username: actor.username),
            account.status != .active
        {
            return nil
        }
        let community = kind == .group ? try CommunityRepository(db).find(username: actor.username) : nil
        return document(for: actor, keys: try actors.keys(of: actor.id), community: community)
    }
}
