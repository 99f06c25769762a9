import Foundation
import PraxisFederation
import PraxisJSON
import PraxisSQLite
import PraxisStorage

/// What the node knows of a remote actor (community or person), read from its cached actor document.
public struct RemoteProfile: Sendable, Equatable {
    public var id: String
    public var domain: String
    public var type: String
    public var preferredUsername: String?
    public var name: String?
    /// `name@host` when WebFinger confirmed it, else built from the preferred username.
    public var handle: String?
    public var summary: String?
    /// Praxis extensions of community actors (`visibility`, `joinPolicy`, `theme`, `languages`).
    public var visibility: String?
    public var joinPolicy: String?
    public var theme: String?
    public var languages: [String]

    public init(_ record: RemoteActorRecord) {
        let document = try? JSON.parse(Array(record.document.utf8))
        id = record.summary.id
        domain = record.summary.domain
        type = record.summary.type
        preferredUsername = record.summary.preferredUsername
        name = record.summary.name
        handle = record.summary.acct ?? record.summary.preferredUsername.map { "\($0)@\(record.summary.domain)" }
        summary = document?["summary"]?.stringValue
        visibility = document?["visibility"]?.stringValue
        joinPolicy = document?["joinPolicy"]?.stringValue
        theme = document?["theme"]?.stringValue
        languages = document?["languages"]?.arrayValue?.compactMap(\.stringValue) ?? []
    }

    public var isMembersOnly: Bool { visibility == CommunityVisibility.members.rawValue }

    /// Whether a cached actor document declares a members-only community.
    public static func isMembersOnly(_ document: String?) -> Bool {
        guard let document, let json = try? JSON.parse(Array(document.utf8)) else { return false }
        return json["visibility"]?.stringValue == CommunityVisibility.members.rawValue
    }
}

/// Browsing communities: this node's, and those of other nodes it knows.
///
/// Remote communities listed are the `Group` actors in the actor cache whose node is `trusted`,
/// plus any a local member follows (unless their node is now blocked). Everything passes
/// through ``Authorization``: hidden local communities and members-only remote ones the caller
/// never asked to join are left out.
public struct CommunityDirectory: Sendable {
    /// At most this many remote communities are considered per request.
    public static let maxRemote = 1_000
    public let store: NodeStore
    public let urls: NodeURLs

    public init(store: NodeStore) {
        self.store = store
        self.urls = NodeURLs(configuration: store.configuration)
    }

    public struct Filter: Sendable, Equatable {
        /// A ``ThemeKind`` raw value.
        public var theme: ThemeKind?
        /// A language the community works in; `es` also matches `es-ES`.
        public var language: String?
        /// The node's authority (`host` or `host:port`).
        public var node: String?
        /// Words found in the name, title or description (case-insensitive).
        public var text: String?
        public init(theme: ThemeKind? = nil, language: String? = nil, node: String? = nil, text: String? = nil) {
            self.theme = theme
            self.language = language
            self.node = node
            self.text = text
        }
    }

    public enum Listing: Sendable {
        case local(Community, memberCount: Int)
        case remote(RemoteProfile)
    }

    /// Local communities first (by name), then remote ones by node and id.
    public func browse(_ filter: Filter, by authorization: Authorization) throws -> [Listing] {
        let urls = urls
        let policy = TrustPolicy(mode: store.configuration.federation, localDomain: store.configuration.domain)
        return try store.database.read { db in
            var listings: [Listing] = []
            if filter.node.map({ $0.lowercased() == urls.domain.lowercased() }) ?? true {
                for community in try CommunityRepository(db).all() where authorization.canSee(community) {
                    guard Self.matches(filter, theme: community.theme.rawValue, languages: community.languages,
                                       texts: [community.actor.username, community.title, community.actor.summary])
                    else { continue }
                    let id = urls.community(community.actor.username)
                    listings.append(.local(community, memberCount: try FollowRepository(db).followerCount(of: id)))
                }
            }
            for record in try MemberRecords(db).remoteGroups(limit: Self.maxRemote) {
                let profile = RemoteProfile(record)
                if let node = filter.node, node.lowercased() != profile.domain.lowercased() { continue }
                let level = try policy.level(of: profile.domain, db: db)
                guard level != .blocked else { continue }
                if level != .trusted, authorization.membership(of: profile.id) == nil,
                    try db.queryOne("SELECT 1 FROM follows WHERE followed = ? LIMIT 1", profile.id) == nil
                {
                    continue
                }
                guard authorization.canSee(remoteCommunity: profile.id, membersOnly: profile.isMembersOnly),
                    Self.matches(filter, theme: profile.theme, languages: profile.languages,
                                 texts: [profile.preferredUsername, profile.name, profile.summary].compactMap { $0 })
                else { continue }
                listings.append(.remote(profile))
            }
            return listings
        }
    }

    static func matches(_ filter: Filter, theme: String?, languages: [String], texts: [String]) -> Bool {
        if let wanted = filter.theme, theme != wanted.rawValue { return false }
        if let language = filter.language?.lowercased() {
            guard languages.contains(where: { tag in
                let tag = tag.lowercased()
                return tag == language || tag.hasPrefix(language + "-")
            }) else { return false }
        }
        if let text = filter.text?.trimmingCharacters(in: .whitespaces), !text.isEmpty {
            let words = text.lowercased().split(separator: " ")
            let haystack = texts.joined(separator: " ").lowercased()
            guard words.allSatisfy({ haystack.contains($0) }) else { return false }
        }
        return true
    }
}
