import Foundation
import PraxisActivityStreams
import PraxisFederation
import PraxisJSON
import PraxisSQLite
import PraxisStorage

/// A member's settings: a JSON object of known keys, each validated.
///
/// - `defaultLanguage`: BCP 47 tag new posts default to, or null;
/// - `emailDigest`: `off`, `daily` or `weekly` (default `weekly`);
/// - `notifications`: an object of booleans, one per kind in ``notificationKinds`` (all on by default).
public struct MemberSettings: Sendable, Equatable {
    public enum Digest: String, Sendable, CaseIterable { case off, daily, weekly }
    public static let notificationKinds = ["replies", "mentions", "invitations", "joinRequests", "moderation", "documents"]
    public static let keys = ["defaultLanguage", "emailDigest", "notifications"]

    public var defaultLanguage: String?
    public var emailDigest: Digest = .weekly
    public var notifications: [String: Bool] = Dictionary(uniqueKeysWithValues: notificationKinds.map { ($0, true) })

    public init() {}

    /// Reads stored settings, keeping defaults for anything missing or unreadable.
    public init(stored: String) {
        guard case .object(let object)? = try? JSON.parse(Array(stored.utf8)) else { return }
        try? apply(object)
    }

    public var json: JSON {
        [
            "defaultLanguage": defaultLanguage.map { .string($0) } ?? .null,
            "emailDigest": .string(emailDigest.rawValue),
            "notifications": .object(JSONObject(Self.notificationKinds.map { ($0, JSON.bool(notifications[$0] ?? true)) })),
        ]
    }

    /// Applies a partial change; every key and value is checked first, so a refused change changes nothing.
    /// - Throws: ``CommunityError`` `.invalid` naming the field at fault (`notifications.replies`…).
    public mutating func apply(_ patch: JSONObject) throws(CommunityError) {
        var next = self
        for (key, value) in patch {
            switch key {
            case "defaultLanguage":
                switch value {
                case .null: next.defaultLanguage = nil
                case .string(let tag): next.defaultLanguage = try Profiles.languageTag(tag, field: key)
                default: throw CommunityError(.invalid, "\"defaultLanguage\" must be a language tag or null", field: key)
                }
            case "emailDigest":
                guard let text = value.stringValue, let digest = Digest(rawValue: text) else {
                    throw CommunityError(.invalid, "\"emailDigest\" must be \"off\", \"daily\" or \"weekly\"", field: key)
                }
                next.emailDigest = digest
            case "notifications":
                guard case .object(let kinds) = value else {
                    throw CommunityError(.invalid, "\"notifications\" must be an object of true/false values", field: key)
                }
                for (kind, flag) in kinds {
                    let field = "notifications.\(kind)"
                    guard Self.notificationKinds.contains(kind) else {
                        throw CommunityError(
                            .invalid, "unknown notification kind \"\(kind)\"; known: \(Self.notificationKinds.joined(separator: ", "))",
                            field: field)
                    }
                    guard let on = flag.boolValue else { throw CommunityError(.invalid, "\"\(field)\" must be true or false", field: field) }
                    next.notifications[kind] = on
                }
            default:
                throw CommunityError(.invalid, "unknown setting \"\(key)\"; known: \(Self.keys.joined(separator: ", "))", field: key)
            }
        }
        self = next
    }
}

/// Value checks shared by profiles and settings.
enum Profiles {
    /// A BCP 47 language tag, shape only (`fr`, `es-ES`, `zh-Hant-TW`), lower-cased primary subtag.
    static func languageTag(_ text: String, field: String) throws(CommunityError) -> String {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        let valid = text.utf8.count <= 35 && (parts.first.map { (2...3).contains($0.count) && $0.allSatisfy(\.isASCII) } ?? false)
            && parts.allSatisfy { part in
                (1...8).contains(part.count) && part.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0)) }
            }
            && parts[0].unicodeScalars.allSatisfy(\.properties.isAlphabetic)
        guard valid else { throw CommunityError(.invalid, "\"\(text)\" is not a language tag such as \"fr\" or \"es-ES\"", field: field) }
        return ([parts[0].lowercased()] + parts.dropFirst().map(String.init)).joined(separator: "-")
    }
}

/// A member's own profile and settings, and other members' profiles as one member sees them.
///
/// Changes of the display name or summary federate as an `Update` of the member's `Person`
/// actor, signed with the member's key, to the remote nodes that follow the member and to the
/// remote communities the member belongs to (which relay it to their members' nodes).
/// Organisation, country and languages are shown through this node's client API only.
public struct ProfileService: Sendable {
    public let store: NodeStore
    public let urls: NodeURLs

    public init(store: NodeStore) {
        self.store = store
        self.urls = NodeURLs(configuration: store.configuration)
    }

    /// A member's profile: the actor's name and summary plus the stored extras.
    public struct Profile: Sendable, Equatable {
        public var account: Account
        public var details: MemberProfile
    }

    /// What a profile change may set; nil leaves a field as it is, an empty `country` clears it.
    public struct Change: Sendable, Equatable {
        public var displayName: String?
        public var summary: String?
        public var organisation: String?
        public var country: String?
        public var languages: [String]?
        public init(displayName: String? = nil, summary: String? = nil, organisation: String? = nil, country: String? = nil,
                    languages: [String]? = nil) {
            self.displayName = displayName
            self.summary = summary
            self.organisation = organisation
            self.country = country
            self.languages = languages
        }
    }

    public func profile(of account: Account) throws -> Profile {
        let details = try store.database.read { db in try MemberProfileRepository(db).find(accountID: account.actor.id) }
        return Profile(account: account, details: details)
    }

    /// Applies a change to the member's own profile; returns the new profile and the id of the
    /// queued `Update` when the actor document changed.
    /// - Throws: ``CommunityError`` `.invalid` naming the field at fault.
    public func update(_ change: Change, by authorization: Authorization, now: Date = Date()) throws
        -> (profile: Profile, update: String?)
    {
        try authorization.requireManageOwnData()
        let validated = try Self.validate(change)
        let username = authorization.account.actor.username
        let urls = urls
        let policy = TrustPolicy(mode: store.configuration.federation, localDomain: store.configuration.domain)
        return try store.database.write { db in
            guard let account = try AccountRepository(db).find(username: username) else {
                throw CommunityError(.notFound, "no member named \"\(username)\" on this node")
            }
            let profiles = MemberProfileRepository(db)
            var details = try profiles.find(accountID: account.actor.id)
            if let organisation = validated.organisation { details.organisation = organisation }
            if let country = validated.country { details.country = country.isEmpty ? nil : country }
            if let languages = validated.languages { details.languages = languages }
            try profiles.save(details, accountID: account.actor.id, now: now)
            let displayName = validated.displayName ?? account.actor.displayName
            let summary = validated.summary ?? account.actor.summary
            var updateID: String?
            if displayName != account.actor.displayName || summary != account.actor.summary {
                try profiles.setActorText(actorID: account.actor.id, displayName: displayName, summary: summary)
                updateID = try publishUpdate(username: username, urls: urls, policy: policy, db: db)
            }
            guard let saved = try AccountRepository(db).find(username: username) else {
                throw CommunityError(.notFound, "no member named \"\(username)\" on this node")
            }
            return (Profile(account: saved, details: try profiles.find(accountID: saved.actor.id)), updateID)
        }
    }

    /// Queues the `Update` of the member's actor document for the nodes that know the member.
    func publishUpdate(username: String, urls: NodeURLs, policy: TrustPolicy, db: Connection) throws -> String? {
        let actors = ActorRepository(db)
        guard let actor = try actors.find(username: username, kind: .person),
            let document = ActorDocuments(urls: urls).document(for: actor, keys: try actors.keys(of: actor.id))
        else { return nil }
        let actorID = urls.actor(actor)
        let follows = FollowRepository(db)
        var inboxes = try follows.followers(of: actorID).compactMap(\.followerInbox)
        var followed: [String] = []
        for follow in try follows.following(by: actorID) where follow.state == .accepted && !follow.followed.hasPrefix(urls.base + "/") {
            followed.append(follow.followed)
            if let inbox = try db.scalar(
                String.self, "SELECT COALESCE(shared_inbox, inbox) FROM remote_actors WHERE id = ?", follow.followed)
            {
                inboxes.append(inbox)
            }
        }
        inboxes = inboxes.filter { inbox in
            guard let domain = URLComponents(string: inbox)?.host else { return false }
            let authority = URLComponents(string: inbox)?.port.map { "\(domain):\($0)" } ?? domain
            return (try? policy.level(of: authority.lowercased(), db: db)) != .blocked
        }
        let publisher = Publisher(urls: urls)
        let update = ActivityBuilder.activity(
            id: publisher.newActivityID(), type: "Update", actor: actorID, object: document,
            to: [ActivityStreams.publicCollection], cc: [urls.followers(actor)] + followed)
        try publisher.publish(update, by: actor, orderingKey: actorID, inboxes: inboxes, db: db)
        return update["id"]?.stringValue
    }

    static func validate(_ change: Change) throws(CommunityError) -> Change {
        var out = change
        if let name = change.displayName?.trimmingCharacters(in: .whitespacesAndNewlines) {
            guard (1...100).contains(name.count), !name.contains(where: \.isNewline) else {
                throw CommunityError(.invalid, "\"displayName\" must be 1 to 100 characters on one line", field: "displayName")
            }
            out.displayName = name
        }
        if let summary = change.summary {
            guard summary.count <= 2_000 else {
                throw CommunityError(.invalid, "\"summary\" may hold at most 2,000 characters", field: "summary")
            }
        }
        if let organisation = change.organisation?.trimmingCharacters(in: .whitespacesAndNewlines) {
            guard organisation.count <= 200 else {
                throw CommunityError(.invalid, "\"organisation\" may hold at most 200 characters", field: "organisation")
            }
            out.organisation = organisation
        }
        if let country = change.country, !country.isEmpty {
            guard country.count == 2, country.unicodeScalars.allSatisfy({ $0.isASCII && $0.properties.isAlphabetic }) else {
                throw CommunityError(.invalid, "\"country\" must be a two-letter ISO 3166 code such as \"FR\"", field: "country")
            }
            out.country = country.uppercased()
        }
        if let languages = change.languages {
            guard languages.count <= 20 else {
                throw CommunityError(.invalid, "\"languages\" may list at most 20 languages", field: "languages")
            }
            var tags: [String] = []
            for language in languages {
                let tag = try Profiles.languageTag(language, field: "languages")
                if !tags.contains(tag) { tags.append(tag) }
            }
            out.languages = tags
        }
        return out
    }

    // MARK: - Settings

    public func settings(of account: Account) throws -> MemberSettings {
        let stored = try store.database.read { db in try MemberProfileRepository(db).find(accountID: account.actor.id).settings }
        return MemberSettings(stored: stored)
    }

    /// Applies a partial settings change.
    /// - Throws: ``CommunityError`` `.invalid` naming the key at fault; nothing is saved then.
    public func updateSettings(_ patch: JSONObject, by authorization: Authorization, now: Date = Date()) throws -> MemberSettings {
        try authorization.requireManageOwnData()
        let accountID = authorization.account.actor.id
        return try store.database.write { db in
            let profiles = MemberProfileRepository(db)
            var details = try profiles.find(accountID: accountID)
            var settings = MemberSettings(stored: details.settings)
            try settings.apply(patch)
            details.settings = settings.json.serialized()
            try profiles.save(details, accountID: accountID, now: now)
            return settings
        }
    }

    // MARK: - Other members

    /// A member's public profile, as another member sees it.
    public enum Visible: Sendable, Equatable {
        case local(Profile)
        case remote(RemoteProfile)
    }

    /// A local member (by `name` or `name@this-host`) or a remote person this node knows (by
    /// `name@host` or actor URL).
    /// - Throws: ``CommunityError`` `.notFound` for anyone unknown or not active, `.forbidden` for guests.
    public func member(_ handle: String, by authorization: Authorization) throws -> Visible {
        try authorization.requireSeeProfiles()
        let trimmed = handle.hasPrefix("@") ? String(handle.dropFirst()) : handle
        let missing = CommunityError(.notFound, "no member \(handle) known to this node")
        let urls = urls
        return try store.database.read { db in
            var localName: String?
            if let reference = urls.localActorReference(trimmed) {
                guard reference.kind == .person else { throw missing }
                localName = reference.username
            } else if !trimmed.contains("/") {
                let parts = trimmed.split(separator: "@", omittingEmptySubsequences: false)
                if parts.count == 1 || (parts.count == 2 && parts[1].lowercased() == urls.domain.lowercased()) {
                    localName = parts[0].lowercased()
                }
            }
            if let localName {
                guard let account = try AccountRepository(db).find(username: localName), account.status == .active else {
                    throw missing
                }
                return .local(Profile(account: account, details: try MemberProfileRepository(db).find(accountID: account.actor.id)))
            }
            let records = MemberRecords(db)
            let record = trimmed.hasPrefix("http") ? try records.remoteActor(id: trimmed) : try records.remoteActor(acct: trimmed)
            guard let record, record.summary.type == "Person" else { throw missing }
            return .remote(RemoteProfile(record))
        }
    }
}
