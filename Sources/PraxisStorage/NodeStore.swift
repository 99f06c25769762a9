import Foundation
import PraxisSQLite

/// A node's storage: its configuration and its database, opened from a data folder.
///
/// Repositories (`ActorRepository`, `AccountRepository`, `CommunityRepository`) work on one
/// connection, so a use case composes several of them inside one `database.write` transaction.
public final class NodeStore: Sendable {
    public let directory: DataDirectory
    public let configuration: NodeConfiguration
    public let database: Database

    /// Opens an initialised data folder and brings its database schema up to date.
    /// - Throws: `StorageError.notInitialised` when the folder holds no node, or a `SQLiteError`
    ///   when the database is damaged or newer than this binary.
    public init(directory: DataDirectory, readers: Int = 4) throws {
        self.directory = directory
        self.configuration = try NodeConfiguration.load(from: directory)
        self.database = try Database(path: directory.databaseFile.path, migrations: Schema.migrations, readers: readers)
        try? FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: directory.databaseFile.path)
    }

    /// Creates a new node in `directory`: folders, configuration and an empty, migrated database.
    public static func create(directory: DataDirectory, configuration: NodeConfiguration) throws -> NodeStore {
        try Domain.validate(configuration.domain)
        try directory.create()
        // The database is created first so that a failure leaves no config.json behind and the
        // folder can be initialised again.
        let database = try Database(path: directory.databaseFile.path, migrations: Schema.migrations, readers: 1)
        _ = database
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: directory.databaseFile.path)
        try configuration.save(to: directory)
        return try NodeStore(directory: directory)
    }
}

extension Date {
    /// Seconds since 1970, as stored in the database.
    var unixSeconds: Int64 { Int64(timeIntervalSince1970.rounded(.down)) }
    init(unixSeconds: Int64) { self.init(timeIntervalSince1970: TimeInterval(unixSeconds)) }
}

/// Local actors and their keys.
public struct ActorRepository {
    let db: Connection
    public init(_ db: Connection) { self.db = db }

    /// Inserts an actor with its initial keys.
    /// - Throws: `StorageError.duplicate` when the username is taken by any local actor.
    @discardableResult
    public func insert(kind: ActorKind, username: String, displayName: String, summary: String = "",
                       keys: [ActorKey], createdAt: Date = Date()) throws -> LocalActor {
        do {
            try db.run(
                "INSERT INTO actors (kind, username, display_name, summary, created_at) VALUES (?, ?, ?, ?, ?)",
                kind.rawValue, username, displayName, summary, createdAt.unixSeconds)
        } catch let error as SQLiteError where error.isUniqueViolation {
            throw StorageError.duplicate("the name \"\(username)\" is already taken on this node")
        }
        let id = db.lastInsertRowID
        for key in keys { try addKey(key, to: id) }
        return LocalActor(id: id, kind: kind, username: username, displayName: displayName, summary: summary,
                          createdAt: Date(unixSeconds: createdAt.unixSeconds))
    }

    public func addKey(_ key: ActorKey, to actorID: Int64) throws {
        try db.run(
            """
            INSERT INTO actor_keys (actor_id, algorithm, fragment, public_key, private_key_pem, created_at, retired_at)
            VALUES (?, ?, ?, ?, ?, ?, ?)
            """,
            actorID, key.algorithm.rawValue, key.fragment, key.publicKey, key.privateKeyPEM, key.createdAt.unixSeconds,
            key.retiredAt?.unixSeconds)
    }

    public func find(username: String) throws -> LocalActor? {
        try db.queryOne("SELECT * FROM actors WHERE username = ?", username.lowercased()).map(Self.actor(from:))
    }

    public func find(username: String, kind: ActorKind) throws -> LocalActor? {
        try db.queryOne("SELECT * FROM actors WHERE username = ? AND kind = ?", username.lowercased(), kind.rawValue)
            .map(Self.actor(from:))
    }

    public func find(id: Int64) throws -> LocalActor? {
        try db.queryOne("SELECT * FROM actors WHERE id = ?", id).map(Self.actor(from:))
    }

    /// The node's own `Application` actor, created by `init`.
    public func nodeActor() throws -> LocalActor? {
        try db.queryOne("SELECT * FROM actors WHERE kind = 'application' ORDER BY id LIMIT 1").map(Self.actor(from:))
    }

    /// Every key of the actor, current ones first, then retired ones, newest first.
    public func keys(of actorID: Int64) throws -> [ActorKey] {
        try db.query(
            "SELECT * FROM actor_keys WHERE actor_id = ? ORDER BY retired_at IS NOT NULL, created_at DESC, id DESC",
            actorID
        ).map { row in
            guard let algorithm = ActorKey.Algorithm(rawValue: try row.get("algorithm", as: String.self)) else {
                throw StorageError.invalidValue("unknown key algorithm in actor_keys")
            }
            let retired: Int64? = try row.optional("retired_at")
            return ActorKey(
                algorithm: algorithm, fragment: try row.get("fragment"), publicKey: try row.get("public_key"),
                privateKeyPEM: try row.get("private_key_pem"),
                createdAt: Date(unixSeconds: try row.get("created_at")), retiredAt: retired.map(Date.init(unixSeconds:)))
        }
    }

    /// Retires every current key of the actor at `date` and erases their private halves: a retired
    /// key never signs again, and only its public half is kept, to verify what it signed before.
    /// - Returns: how many keys were retired.
    @discardableResult
    public func retireCurrentKeys(of actorID: Int64, at date: Date) throws -> Int {
        try db.run(
            "UPDATE actor_keys SET retired_at = ?, private_key_pem = '' WHERE actor_id = ? AND retired_at IS NULL",
            date.unixSeconds, actorID)
        return db.changes
    }

    /// The current (not retired) key of the given algorithm.
    public func currentKey(of actorID: Int64, algorithm: ActorKey.Algorithm) throws -> ActorKey? {
        try keys(of: actorID).first { $0.algorithm == algorithm && $0.retiredAt == nil }
    }

    static func actor(from row: Row) throws -> LocalActor {
        guard let kind = ActorKind(rawValue: try row.get("kind", as: String.self)) else {
            throw StorageError.invalidValue("unknown actor kind in actors")
        }
        return LocalActor(
            id: try row.get("id"), kind: kind, username: try row.get("username"),
            displayName: try row.get("display_name"), summary: try row.get("summary"),
            createdAt: Date(unixSeconds: try row.get("created_at")))
    }
}

/// Member accounts.
public struct AccountRepository {
    let db: Connection
    public init(_ db: Connection) { self.db = db }

    public func insert(actorID: Int64, passwordHash: String, role: AccountRole, affiliation: Affiliation,
                       status: AccountStatus, email: String?) throws {
        try db.run(
            "INSERT INTO accounts (actor_id, password_hash, role, affiliation, status, email) VALUES (?, ?, ?, ?, ?, ?)",
            actorID, passwordHash, role.rawValue, affiliation.rawValue, status.rawValue, email)
    }

    private static let select = """
        SELECT a.*, c.role, c.affiliation, c.status, c.email FROM accounts c JOIN actors a ON a.id = c.actor_id
        """

    public func find(username: String) throws -> Account? {
        try db.queryOne(Self.select + " WHERE a.username = ?", username.lowercased()).map(Self.account(from:))
    }

    public func all() throws -> [Account] {
        try db.query(Self.select + " ORDER BY a.username").map(Self.account(from:))
    }

    public func passwordHash(username: String) throws -> String? {
        try db.scalar(
            String.self,
            "SELECT c.password_hash FROM accounts c JOIN actors a ON a.id = c.actor_id WHERE a.username = ?",
            username.lowercased())
    }

    public func setStatus(_ status: AccountStatus, username: String) throws {
        try db.run(
            "UPDATE accounts SET status = ? WHERE actor_id = (SELECT id FROM actors WHERE username = ?)",
            status.rawValue, username.lowercased())
        if db.changes == 0 { throw StorageError.notFound("no account named \"\(username)\" on this node") }
    }

    /// Counts for NodeInfo: total active accounts, and those active in the last 180 and 30 days.
    public func usage(now: Date = Date()) throws -> (total: Int, halfYear: Int, month: Int) {
        let total = try db.scalar(Int.self, "SELECT count(*) FROM accounts WHERE status = 'active'") ?? 0
        let half = try db.scalar(
            Int.self, "SELECT count(*) FROM accounts WHERE status = 'active' AND last_active_at >= ?",
            now.unixSeconds - 180 * 86_400) ?? 0
        let month = try db.scalar(
            Int.self, "SELECT count(*) FROM accounts WHERE status = 'active' AND last_active_at >= ?",
            now.unixSeconds - 30 * 86_400) ?? 0
        return (total, half, month)
    }

    static func account(from row: Row) throws -> Account {
        guard let role = AccountRole(rawValue: try row.get("role", as: String.self)),
            let affiliation = Affiliation(rawValue: try row.get("affiliation", as: String.self)),
            let status = AccountStatus(rawValue: try row.get("status", as: String.self))
        else { throw StorageError.invalidValue("unknown role, affiliation or status in accounts") }
        return Account(
            actor: try ActorRepository.actor(from: row), role: role, affiliation: affiliation, status: status,
            email: try row.optional("email"))
    }
}

/// Communities hosted on this node.
public struct CommunityRepository {
    let db: Connection
    public init(_ db: Connection) { self.db = db }

    public func insert(actorID: Int64, visibility: CommunityVisibility, joinPolicy: JoinPolicy, ownerID: Int64?,
                       parentID: Int64?, theme: ThemeKind = .topic, languages: [String] = []) throws {
        let languageList = String(decoding: (try? JSONEncoder().encode(languages)) ?? Data("[]".utf8), as: UTF8.self)
        try db.run(
            """
            INSERT INTO communities (actor_id, visibility, join_policy, owner_id, parent_id, theme, languages)
            VALUES (?, ?, ?, ?, ?, ?, ?)
            """,
            actorID, visibility.rawValue, joinPolicy.rawValue, ownerID, parentID, theme.rawValue, languageList)
    }

    private static let select = """
        SELECT a.*, c.visibility, c.join_policy, c.theme, c.languages, o.username AS owner_username,
            p.username AS parent_username
        FROM communities c JOIN actors a ON a.id = c.actor_id
        LEFT JOIN actors o ON o.id = c.owner_id LEFT JOIN actors p ON p.id = c.parent_id
        """

    public func find(username: String) throws -> Community? {
        try db.queryOne(Self.select + " WHERE a.username = ?", username.lowercased()).map(Self.community(from:))
    }

    public func all() throws -> [Community] {
        try db.query(Self.select + " ORDER BY a.username").map(Self.community(from:))
    }

    public func count(visibility: CommunityVisibility? = nil) throws -> Int {
        if let visibility {
            return try db.scalar(Int.self, "SELECT count(*) FROM communities WHERE visibility = ?", visibility.rawValue) ?? 0
        }
        return try db.scalar(Int.self, "SELECT count(*) FROM communities") ?? 0
    }

    static func community(from row: Row) throws -> Community {
        guard let visibility = CommunityVisibility(rawValue: try row.get("visibility", as: String.self)),
            let join = JoinPolicy(rawValue: try row.get("join_policy", as: String.self))
        else { throw StorageError.invalidValue("unknown visibility or join policy in communities") }
        let languages = (try? JSONDecoder().decode([String].self, from: Data((try row.get("languages", as: String.self)).utf8))) ?? []
        return Community(
            actor: try ActorRepository.actor(from: row), visibility: visibility, joinPolicy: join,
            ownerUsername: try row.optional("owner_username"), parentUsername: try row.optional("parent_username"),
            theme: ThemeKind(rawValue: try row.get("theme", as: String.self)) ?? .topic, languages: languages)
    }
}
