import Foundation

/// What kind of local actor a row is.
public enum ActorKind: String, Sendable, Codable, CaseIterable {
    /// The node itself (signs fetches and node-to-node messages).
    case application
    /// A member account.
    case person
    /// A community.
    case group
}

/// A local actor: the node, a member or a community.
public struct LocalActor: Sendable, Equatable {
    public var id: Int64
    public var kind: ActorKind
    public var username: String
    public var displayName: String
    public var summary: String
    public var createdAt: Date

    public init(id: Int64, kind: ActorKind, username: String, displayName: String, summary: String, createdAt: Date) {
        self.id = id
        self.kind = kind
        self.username = username
        self.displayName = displayName
        self.summary = summary
        self.createdAt = createdAt
    }
}

/// One key of an actor. `publicKey` is an SPKI PEM for RSA and a Multikey for Ed25519.
public struct ActorKey: Sendable, Equatable {
    public enum Algorithm: String, Sendable, Codable { case rsa, ed25519 }
    public var algorithm: Algorithm
    /// The key id is the actor id, `#`, and this fragment (`main-key`, `ed25519-key`, ...).
    public var fragment: String
    public var publicKey: String
    public var privateKeyPEM: String
    public var createdAt: Date
    public var retiredAt: Date?

    public init(algorithm: Algorithm, fragment: String, publicKey: String, privateKeyPEM: String, createdAt: Date = Date(),
                retiredAt: Date? = nil) {
        self.algorithm = algorithm
        self.fragment = fragment
        self.publicKey = publicKey
        self.privateKeyPEM = privateKeyPEM
        self.createdAt = createdAt
        self.retiredAt = retiredAt
    }
}

/// Node-wide role of an account.
public enum AccountRole: String, Sendable, Codable, CaseIterable {
    case admin, moderator, member
}

/// Who a person is professionally. Suppliers may hold accounts but never enter practitioner
/// communities.
public enum Affiliation: String, Sendable, Codable, CaseIterable {
    case buyer, expert, supplier
}

public enum AccountStatus: String, Sendable, Codable, CaseIterable {
    case pending, active, suspended
}

/// A member account on this node.
public struct Account: Sendable, Equatable {
    public var actor: LocalActor
    public var role: AccountRole
    public var affiliation: Affiliation
    public var status: AccountStatus
    public var email: String?

    public init(actor: LocalActor, role: AccountRole, affiliation: Affiliation, status: AccountStatus, email: String?) {
        self.actor = actor
        self.role = role
        self.affiliation = affiliation
        self.status = status
        self.email = email
    }
}

public enum CommunityVisibility: String, Sendable, Codable, CaseIterable {
    case `public`, members
}

public enum JoinPolicy: String, Sendable, Codable, CaseIterable {
    case open, approval, invite
}

/// What a community gathers around.
public enum ThemeKind: String, Sendable, Codable, CaseIterable {
    case sector, purchasingNetwork, project, topic
}

/// A community hosted on this node.
public struct Community: Sendable, Equatable {
    public var actor: LocalActor
    public var visibility: CommunityVisibility
    public var joinPolicy: JoinPolicy
    public var ownerUsername: String?
    public var parentUsername: String?
    public var theme: ThemeKind
    /// Language tags the community works in (`fr`, `nl`, ...), most used first.
    public var languages: [String]

    public init(actor: LocalActor, visibility: CommunityVisibility, joinPolicy: JoinPolicy, ownerUsername: String?,
                parentUsername: String?, theme: ThemeKind = .topic, languages: [String] = []) {
        self.actor = actor
        self.visibility = visibility
        self.joinPolicy = joinPolicy
        self.ownerUsername = ownerUsername
        self.parentUsername = parentUsername
        self.theme = theme
        self.languages = languages
    }

    public var title: String { actor.displayName }
}
