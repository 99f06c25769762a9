import Foundation
import PraxisCrypto
import PraxisFederation
import PraxisSQLite
import PraxisStorage

/// Member accounts: creating, listing and changing their status.
public struct AccountService: Sendable {
    public static let minimumPasswordLength = 10
    public static let maximumPasswordLength = 1024

    public let store: NodeStore
    /// scrypt cost used for new password hashes (lowered only by tests).
    public let passwordCost: PasswordHash.Cost

    public init(store: NodeStore, passwordCost: PasswordHash.Cost = .standard) {
        self.store = store
        self.passwordCost = passwordCost
    }

    /// What is needed to create an account.
    public struct NewAccount: Sendable {
        public var username: String
        public var password: String
        public var displayName: String?
        public var role: AccountRole
        public var affiliation: Affiliation
        public var email: String?
        public init(username: String, password: String, displayName: String? = nil, role: AccountRole = .member,
                    affiliation: Affiliation = .buyer, email: String? = nil) {
            self.username = username
            self.password = password
            self.displayName = displayName
            self.role = role
            self.affiliation = affiliation
            self.email = email
        }
    }

    /// Creates an active account with fresh keys. Accounts created by the operator are active at
    /// once; self-registration (a later issue) starts them as `pending`.
    /// - Throws: `CommunityError` with `.invalid` for a bad name, password or e-mail and `.conflict`
    ///   when the name is taken.
    @discardableResult
    public func add(_ new: NewAccount) throws -> Account {
        try Names.validate(new.username, what: "member")
        let displayName = new.displayName ?? new.username
        try Names.validateText(displayName, what: "display name")
        guard new.password.count >= Self.minimumPasswordLength else {
            throw CommunityError(.invalid, "the password must be at least \(Self.minimumPasswordLength) characters long")
        }
        guard new.password.utf8.count <= Self.maximumPasswordLength else {
            throw CommunityError(.invalid, "the password must be at most \(Self.maximumPasswordLength) bytes long")
        }
        if let email = new.email {
            let parts = email.split(separator: "@", omittingEmptySubsequences: false)
            guard parts.count == 2, !parts[0].isEmpty, parts[1].contains("."), email.count <= 254,
                !email.contains(where: { $0.isWhitespace })
            else { throw CommunityError(.invalid, "\"\(email)\" is not an e-mail address") }
        }
        let hash = try PasswordHash.make(password: new.password, cost: passwordCost)
        let keys = try ActorKeyFactory.generate()
        do {
            return try store.database.write { db in
                let actor = try ActorRepository(db).insert(
                    kind: .person, username: new.username, displayName: displayName, keys: keys)
                try AccountRepository(db).insert(
                    actorID: actor.id, passwordHash: hash, role: new.role, affiliation: new.affiliation, status: .active,
                    email: new.email)
                return Account(actor: actor, role: new.role, affiliation: new.affiliation, status: .active, email: new.email)
            }
        } catch let error as StorageError {
            if case .duplicate(let message) = error { throw CommunityError(.conflict, message) }
            throw error
        }
    }

    public func list() throws -> [Account] {
        try store.database.read { db in try AccountRepository(db).all() }
    }

    /// Changes an account's status (`approve` makes a pending account active, `suspend` blocks it).
    public func setStatus(_ status: AccountStatus, username: String) throws {
        do {
            try store.database.write { db in try AccountRepository(db).setStatus(status, username: username) }
        } catch StorageError.notFound(let message) {
            throw CommunityError(.notFound, message)
        }
    }

    /// Checks a password; false for unknown names and non-active accounts alike, so callers cannot
    /// tell which it was.
    public func verifyPassword(username: String, password: String) throws -> Bool {
        let (hash, account) = try store.database.read { db in
            (try AccountRepository(db).passwordHash(username: username), try AccountRepository(db).find(username: username))
        }
        guard let hash, let account, account.status == .active else {
            // Spend comparable time on unknown names.
            _ = PasswordHash.verify(password: password, against: Self.dummyHash)
            return false
        }
        return PasswordHash.verify(password: password, against: hash)
    }

    private static let dummyHash = (try? PasswordHash.make(password: "praxis-dummy-password", cost: .standard)) ?? ""
}
