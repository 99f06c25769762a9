import Foundation
import PraxisCrypto
import PraxisFederation
import PraxisSQLite
import PraxisStorage

/// Codes of conduct: the node's and each community's, versioned. A member must accept the current
/// version of both before posting; acceptances are recorded with version and time.
public struct ConductService: Sendable {
    public let store: NodeStore
    public init(store: NodeStore) { self.store = store }

    /// Publishes a new version of the node's code (`community` nil) or of a community's code.
    @discardableResult
    public func publish(text: String, community: String? = nil) throws -> CodeOfConduct {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty, trimmed.count <= 50_000 else {
            throw CommunityError(.invalid, "a code of conduct must have 1 to 50,000 characters")
        }
        return try store.database.write { db in
            if let community, try CommunityRepository(db).find(username: community) == nil {
                throw CommunityError(.notFound, "no community named \"\(community)\" on this node")
            }
            return try ConductRepository(db).publish(scope: community ?? "", text: trimmed)
        }
    }

    /// The current codes a member must have accepted to post in `community` (a local community's
    /// name, or nil for a remote one): the node's, then the community's.
    public func current(community: String?) throws -> [CodeOfConduct] {
        try store.database.read { db in try Self.currentCodes(community: community, db: db) }
    }

    /// Records that `member` accepts the given version.
    public func accept(member: String, community: String? = nil, version: Int) throws {
        try store.database.write { db in
            guard let account = try AccountRepository(db).find(username: member) else {
                throw CommunityError(.notFound, "no member named \"\(member)\" on this node")
            }
            guard let current = try ConductRepository(db).current(scope: community ?? ""), current.version == version else {
                throw CommunityError(.invalid, "version \(version) is not the current code of conduct")
            }
            try ConductRepository(db).accept(accountID: account.actor.id, scope: community ?? "", version: version)
        }
    }

    /// Throws when the member has not accepted every current code that applies.
    static func requireAccepted(_ account: Account, community: String?, db: Connection) throws {
        let repository = ConductRepository(db)
        for code in try ConductService.currentCodes(community: community, db: db)
        where !(try repository.hasAccepted(accountID: account.actor.id, scope: code.scope, version: code.version)) {
            let whose = code.scope.isEmpty ? "this node's" : "the community's"
            throw CommunityError(.forbidden, "accept \(whose) code of conduct (version \(code.version)) before posting")
        }
    }

    static func currentCodes(community: String?, db: Connection) throws -> [CodeOfConduct] {
        let repository = ConductRepository(db)
        return [try repository.current(scope: ""), try community.flatMap { try repository.current(scope: $0) }].compactMap { $0 }
    }
}

/// Who may register, and how: suppliers never; people whose e-mail address is in an allowed
/// domain at once; others after an administrator's approval, or only with an invitation,
/// depending on the node's mode.
public struct RegistrationService: Sendable {
    public enum Mode: String, Sendable, CaseIterable, Codable {
        /// Anyone may apply; accounts outside the allowed domains wait for an administrator.
        case approval
        /// Only people with an allowed e-mail domain or an invitation.
        case invitation
        /// Nobody registers; operators add accounts.
        case closed
    }

    public static let modeKey = "registration.mode"
    public static let domainsKey = "registration.emailDomains"

    public let store: NodeStore
    public let passwordCost: PasswordHash.Cost

    public init(store: NodeStore, passwordCost: PasswordHash.Cost = .standard) {
        self.store = store
        self.passwordCost = passwordCost
    }

    /// Sets the mode and the allowed e-mail domains (`gouv.fr` matches that domain only;
    /// `*.gouv.fr` matches its subdomains and itself).
    public func configure(mode: Mode, emailDomains: [String]) throws {
        for domain in emailDomains {
            let bare = domain.hasPrefix("*.") ? String(domain.dropFirst(2)) : domain
            guard bare.contains("."), bare.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "." || $0 == "-" }) else {
                throw CommunityError(.invalid, "\"\(domain)\" is not an e-mail domain such as gouv.fr or *.gouv.fr")
            }
        }
        let list = String(decoding: try JSONEncoder().encode(emailDomains.map { $0.lowercased() }), as: UTF8.self)
        try store.database.write { db in
            try SettingsRepository(db).set(Self.modeKey, mode.rawValue)
            try SettingsRepository(db).set(Self.domainsKey, list)
        }
    }

    public func policy() throws -> (mode: Mode, emailDomains: [String]) {
        try store.database.read { db in
            let mode = try SettingsRepository(db).value(Self.modeKey).flatMap(Mode.init(rawValue:)) ?? .approval
            let domains = try SettingsRepository(db).value(Self.domainsKey).flatMap {
                try? JSONDecoder().decode([String].self, from: Data($0.utf8))
            } ?? []
            return (mode, domains)
        }
    }

    static func matches(_ email: String, _ patterns: [String]) -> Bool {
        guard let at = email.lastIndex(of: "@") else { return false }
        let domain = email[email.index(after: at)...].lowercased()
        return patterns.contains { pattern in
            if pattern.hasPrefix("*.") {
                let base = String(pattern.dropFirst(2))
                return domain == base || domain.hasSuffix("." + base)
            }
            return domain == pattern
        }
    }

    /// Registers a person. Returns the account (active, or pending an administrator's approval).
    /// - Throws: `CommunityError` for suppliers, a closed node, a domain not allowed in invitation
    ///   mode, and every invalid field.
    public func register(username: String, password: String, email: String, displayName: String? = nil,
                         affiliation: Affiliation) throws -> Account {
        guard affiliation != .supplier else {
            throw CommunityError(
                .forbidden,
                "Praxis communities are for public buyers and invited experts; suppliers cannot register, so that practitioners can speak openly")
        }
        let (mode, domains) = try policy()
        let allowed = Self.matches(email, domains)
        let status: AccountStatus
        switch mode {
        case .closed:
            throw CommunityError(.forbidden, "registration is closed on this node; ask its operator for an account")
        case .invitation where !allowed:
            throw CommunityError(.forbidden, "registration needs an e-mail address in an allowed domain or an invitation")
        case .approval where !allowed:
            status = .pending
        default:
            status = .active
        }
        var account = try AccountService(store: store, passwordCost: passwordCost).add(
            .init(username: username, password: password, displayName: displayName, role: .member, affiliation: affiliation,
                  email: email))
        if status == .pending {
            try AccountService(store: store).setStatus(.pending, username: username)
            account.status = .pending
        }
        return account
    }
}
