import PraxisStorage

/// Every URL a node publishes, built in one place so ids never drift between documents.
///
/// Layout (see Protocol/federation.md):
/// - node actor `BASE/actor`, shared inbox `BASE/inbox`
/// - member `BASE/users/NAME`, community `BASE/communities/NAME`
/// - per actor: `/inbox`, `/outbox`, `/followers`, `/following`; communities also `/moderators`
public struct NodeURLs: Sendable, Equatable {
    /// `scheme://domain`, no trailing slash.
    public let base: String
    public let domain: String

    public init(configuration: NodeConfiguration) {
        self.base = configuration.baseURL
        self.domain = configuration.domain
    }

    public init(base: String, domain: String) {
        self.base = base
        self.domain = domain
    }

    public var nodeActor: String { base + "/actor" }
    public var sharedInbox: String { base + "/inbox" }
    public var nodeInfoDiscovery: String { base + "/.well-known/nodeinfo" }
    public var nodeInfo: String { base + "/nodeinfo/2.1" }

    public func person(_ username: String) -> String { base + "/users/" + username }
    public func community(_ username: String) -> String { base + "/communities/" + username }

    /// The actor id of a local actor.
    public func actor(_ actor: LocalActor) -> String {
        switch actor.kind {
        case .application: nodeActor
        case .person: person(actor.username)
        case .group: community(actor.username)
        }
    }

    public func keyID(_ actor: LocalActor, fragment: String) -> String { self.actor(actor) + "#" + fragment }
    public func inbox(_ actor: LocalActor) -> String { self.actor(actor) + "/inbox" }
    public func outbox(_ actor: LocalActor) -> String { self.actor(actor) + "/outbox" }
    public func followers(_ actor: LocalActor) -> String { self.actor(actor) + "/followers" }
    public func following(_ actor: LocalActor) -> String { self.actor(actor) + "/following" }
    public func moderators(_ actor: LocalActor) -> String { self.actor(actor) + "/moderators" }

    /// The `acct:` URI of a local actor (RFC 7565).
    public func acct(_ actor: LocalActor) -> String { "acct:\(actor.username)@\(domain)" }

    /// Maps a URL of this node back to the kind and name of a local actor, if it is an actor id.
    public func localActorReference(_ url: String) -> (kind: ActorKind, username: String)? {
        guard url.hasPrefix(base + "/") else { return nil }
        let rest = url.dropFirst(base.count + 1)
        if rest == "actor" { return (.application, NodeSetup.nodeActorUsername) }
        let parts = rest.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[1].isEmpty else { return nil }
        switch parts[0] {
        case "users": return (.person, String(parts[1]))
        case "communities": return (.group, String(parts[1]))
        default: return nil
        }
    }
}
