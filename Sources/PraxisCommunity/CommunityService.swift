import PraxisFederation
import PraxisSQLite
import PraxisStorage

/// Communities of practice hosted on this node: creating and listing them.
public struct CommunityService: Sendable {
    public let store: NodeStore

    public init(store: NodeStore) { self.store = store }

    public struct NewCommunity: Sendable {
        public var name: String
        public var title: String?
        public var summary: String
        public var visibility: CommunityVisibility
        public var joinPolicy: JoinPolicy
        public var owner: String?
        public var parent: String?
        public var theme: ThemeKind
        public var languages: [String]
        public init(name: String, title: String? = nil, summary: String = "", visibility: CommunityVisibility = .public,
                    joinPolicy: JoinPolicy = .approval, owner: String? = nil, parent: String? = nil,
                    theme: ThemeKind = .topic, languages: [String] = []) {
            self.theme = theme
            self.languages = languages
            self.name = name
            self.title = title
            self.summary = summary
            self.visibility = visibility
            self.joinPolicy = joinPolicy
            self.owner = owner
            self.parent = parent
        }
    }

    /// Creates a community (a `Group` actor with fresh keys).
    /// - Throws: `CommunityError` `.invalid` for a bad name or title, `.notFound` for an unknown
    ///   owner or parent, `.conflict` when the name is taken.
    @discardableResult
    public func create(_ new: NewCommunity) throws -> Community {
        try Names.validate(new.name, what: "community")
        let title = new.title ?? new.name
        try Names.validateText(title, what: "title")
        try Names.validateText(new.summary, what: "description", max: 5000, allowEmpty: true)
        guard new.languages.count <= 10,
            new.languages.allSatisfy({ (2...35).contains($0.count) && $0.allSatisfy { $0.isASCII && ($0.isLetter || $0 == "-") } })
        else { throw CommunityError(.invalid, "languages are up to 10 language tags such as fr, nl or es") }
        let keys = try ActorKeyFactory.generate()
        do {
            return try store.database.write { db in
                var ownerID: Int64?
                if let owner = new.owner {
                    guard let account = try AccountRepository(db).find(username: owner) else {
                        throw CommunityError(.notFound, "no member named \"\(owner)\" on this node to own the community")
                    }
                    guard account.affiliation != .supplier else {
                        throw CommunityError(.invalid, "suppliers cannot own practitioner communities")
                    }
                    ownerID = account.actor.id
                }
                var parentID: Int64?
                if let parent = new.parent {
                    guard let community = try CommunityRepository(db).find(username: parent) else {
                        throw CommunityError(.notFound, "no community named \"\(parent)\" on this node to be the parent")
                    }
                    parentID = community.actor.id
                }
                let actor = try ActorRepository(db).insert(
                    kind: .group, username: new.name, displayName: title, summary: new.summary, keys: keys)
                let languages = new.languages.map { $0.lowercased() }
                try CommunityRepository(db).insert(
                    actorID: actor.id, visibility: new.visibility, joinPolicy: new.joinPolicy, ownerID: ownerID,
                    parentID: parentID, theme: new.theme, languages: languages)
                return Community(
                    actor: actor, visibility: new.visibility, joinPolicy: new.joinPolicy, ownerUsername: new.owner,
                    parentUsername: new.parent, theme: new.theme, languages: languages)
            }
        } catch let error as StorageError {
            if case .duplicate(let message) = error { throw CommunityError(.conflict, message) }
            throw error
        }
    }

    public func list() throws -> [Community] {
        try store.database.read { db in try CommunityRepository(db).all() }
    }
}
