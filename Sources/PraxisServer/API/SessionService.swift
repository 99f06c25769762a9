import Dispatch
import Foundation
import PraxisCommunity
import PraxisCrypto
import PraxisSQLite
import PraxisStorage

/// Sign-in sessions of the client API: bearer tokens of 32 random bytes (base64url), stored only
/// as their SHA-256, valid for ``lifetime`` unless revoked.
///
/// Password hashing (scrypt, 50 to 100 ms and 32 MiB at the standard cost) runs on a global
/// dispatch queue, outside Swift's cooperative pool, so a burst of sign-ins never stalls the
/// other requests; the global queue runs at most one such job per core, which bounds memory too.
///
/// Failed sign-ins are counted per account name in the database (``SignInLockoutRepository``):
/// after ``AbuseLimits/signInFailures`` of them the name is locked out for a while, doubling with
/// each lock-out. The lock-out answer is the same whether or not the account exists, and it is
/// given before the password is even hashed.
struct SessionService: Sendable {
    static let defaultLifetime: TimeInterval = 30 * 86_400
    /// Wrong password, unknown name and inactive account all get this one message.
    static let signInRefusal = "the name or the password is wrong, or the account is not active"
    /// `last_used_at` is written at most this often per session, not on every request.
    static let touchInterval: TimeInterval = 60

    let store: NodeStore
    let accounts: AccountService
    let lifetime: TimeInterval
    let lockout: SignInLockoutRepository.Policy

    init(store: NodeStore, passwordCost: PasswordHash.Cost, lifetime: TimeInterval) {
        self.store = store
        self.accounts = AccountService(store: store, passwordCost: passwordCost)
        self.lifetime = lifetime
        self.lockout = SignInLockoutRepository.Policy(store.configuration.effectiveLimits)
    }

    /// The answer while a name is locked out; it says nothing about whether the account exists.
    static func lockedOut(until: Date, now: Date = Date()) -> APIError {
        let seconds = max(1, Int(until.timeIntervalSince(now).rounded(.up)))
        return APIError.rateLimited(
            "too many failed sign-ins for this name; try again in \(seconds) s, or ask an administrator to reset the password",
            retryAfter: seconds)
    }

    /// An authenticated request's account and session.
    struct Caller: Sendable {
        var account: Account
        var session: Session
    }

    struct SignedIn: Sendable {
        var token: String
        var session: Session
        var account: Account
    }

    /// Checks the password and opens a session.
    /// - Throws: `APIError` 401 with one message for every kind of refusal; 429 while the name is
    ///   locked out after repeated failures.
    func signIn(username: String, password: String, userAgent: String) async throws -> SignedIn {
        let name = username.lowercased()
        guard !name.isEmpty, name.utf8.count <= Names.maxLength,
            password.utf8.count <= AccountService.maximumPasswordLength
        else { throw APIError.unauthenticated(Self.signInRefusal) }
        if let until = try await store.database.read({ db in try SignInLockoutRepository(db).lockedUntil(name) }) {
            throw Self.lockedOut(until: until)
        }
        let accounts = accounts
        let valid = try await Self.offPool { try accounts.verifyPassword(username: name, password: password) }
        guard valid else {
            let policy = lockout
            try await store.database.write { db in
                let lockouts = SignInLockoutRepository(db)
                try lockouts.recordFailure(name, policy: policy)
                try lockouts.prune()
            }
            throw APIError.unauthenticated(Self.signInRefusal)
        }
        let token = SecureRandom.token(bytes: 32)
        let hash = SHA256.hash(Array(token.utf8))
        let expires = Date().addingTimeInterval(lifetime)
        let agent = String(userAgent.prefix(256))
        let opened: (Session, Account)? = try await store.database.write { db in
            // Checked again inside the transaction: the account may have been suspended meanwhile.
            guard let account = try AccountRepository(db).find(username: name), account.status == .active else { return nil }
            let session = try SessionRepository(db).insert(
                tokenHash: hash, accountID: account.actor.id, expiresAt: expires, userAgent: agent)
            try AccountRepository(db).markActive(actorID: account.actor.id)
            try SignInLockoutRepository(db).recordSuccess(name)
            // Sign-ins are rare next to other requests: a good moment to forget long-dead sessions.
            try SessionRepository(db).prune()
            return (session, account)
        }
        guard let (session, account) = opened else { throw APIError.unauthenticated(Self.signInRefusal) }
        return SignedIn(token: token, session: session, account: account)
    }

    /// The caller of a request carrying `Authorization: Bearer TOKEN`.
    /// - Throws: `APIError` 401 when the header is missing or the token is malformed, unknown,
    ///   expired or revoked, or its account is no longer active.
    func authenticate(authorization header: String?) async throws -> Caller {
        try await authenticate(authorization: header) { _, _ in () }.caller
    }

    /// Authenticates like ``authenticate(authorization:)`` and, in the same database read, runs
    /// `also` for the account found (one trip to a reader connection per request instead of two).
    func authenticate<T: Sendable>(
        authorization header: String?, also: @escaping @Sendable (Account, Connection) throws -> T
    ) async throws -> (caller: Caller, also: T) {
        guard let header, !header.isEmpty else {
            throw APIError.unauthenticated("sign in first, then send the token as \"Authorization: Bearer TOKEN\"")
        }
        let parts = header.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else {
            throw APIError.unauthenticated("the Authorization header must be \"Bearer TOKEN\"")
        }
        let token = parts[1].trimmingCharacters(in: .whitespaces)
        // A token is 43 base64url characters; anything else cannot match and is not looked up.
        guard token.utf8.count == 43, (try? Base64.urlDecode(token))?.count == 32 else {
            throw APIError.invalidToken("the token is malformed; sign in again")
        }
        let hash = SHA256.hash(Array(token.utf8))
        let now = Date()
        let result: (Caller, T)? = try await store.database.read { db in
            guard let session = try SessionRepository(db).find(tokenHash: hash), session.isValid(at: now),
                let account = try AccountRepository(db).find(actorID: session.accountID), account.status == .active
            else { return nil }
            return (Caller(account: account, session: session), try also(account, db))
        }
        guard let (found, extra) = result else {
            throw APIError.invalidToken("the token is expired, revoked or unknown; sign in again")
        }
        if now.timeIntervalSince(found.session.lastUsedAt) >= Self.touchInterval {
            let id = found.session.id
            let accountID = found.account.actor.id
            try await store.database.write { db in
                try SessionRepository(db).touch(id: id, now: now)
                try AccountRepository(db).markActive(actorID: accountID, now: now)
            }
        }
        return (found, extra)
    }

    /// Revokes the caller's session.
    func signOut(_ caller: Caller) async throws {
        let id = caller.session.id
        try await store.database.write { db in _ = try SessionRepository(db).revoke(id: id) }
    }

    /// Changes the caller's password after checking the current one, and revokes the account's
    /// other sessions (a password change is what someone does after losing a device).
    func changePassword(_ caller: Caller, current: String, new: String) async throws {
        guard new.count >= AccountService.minimumPasswordLength else {
            throw APIError.invalid(
                "the new password must be at least \(AccountService.minimumPasswordLength) characters long", field: "new")
        }
        guard new.utf8.count <= AccountService.maximumPasswordLength else {
            throw APIError.invalid(
                "the new password must be at most \(AccountService.maximumPasswordLength) bytes long", field: "new")
        }
        let accounts = accounts
        let name = caller.account.actor.username
        let cost = accounts.passwordCost
        let hash: String? = try await Self.offPool {
            guard current.utf8.count <= AccountService.maximumPasswordLength,
                try accounts.verifyPassword(username: name, password: current)
            else { return nil }
            return try PasswordHash.make(password: new, cost: cost)
        }
        guard let hash else {
            throw APIError(.forbidden, "wrong_password", "the current password is wrong", field: "current")
        }
        let accountID = caller.account.actor.id
        let sessionID = caller.session.id
        try await store.database.write { db in
            try AccountRepository(db).setPasswordHash(hash, actorID: accountID)
            try SessionRepository(db).revokeAll(accountID: accountID, keeping: sessionID)
        }
    }

    /// Runs slow, blocking work on a global queue and resumes the caller with its result.
    static func offPool<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global(qos: .userInitiated).async {
                continuation.resume(with: Result { try work() })
            }
        }
    }
}
