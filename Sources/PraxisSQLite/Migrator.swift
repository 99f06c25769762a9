/// One versioned schema change.
///
/// Each migration runs inside its own transaction, so its SQL must not contain `BEGIN`, `COMMIT`
/// or `ROLLBACK`. Foreign-key checks are deferred to the end of the migration's transaction
/// (`PRAGMA defer_foreign_keys`), so rows may be inserted in any order as long as the references
/// are consistent when the migration ends.
///
/// Rebuilding a table that other tables reference (create new, copy, drop old, rename: SQLite's
/// recommended way to alter a table) needs `disableForeignKeys: true`: the drop would otherwise
/// count every referencing row as a violation. Foreign keys are then off while the migration runs,
/// and `PRAGMA foreign_key_check` must find no violation before it commits.
public struct Migration: Sendable {
    /// Positive, strictly increasing across a migration list.
    public let version: Int
    /// Short human-readable name, recorded in `schema_migrations` and quoted in errors.
    public let name: String
    /// Whether foreign-key enforcement is off while this migration runs (checked before commit).
    public let disableForeignKeys: Bool
    let apply: @Sendable (Connection) throws -> Void

    /// A migration given as an SQL script (several statements allowed).
    public init(version: Int, name: String, sql: String, disableForeignKeys: Bool = false) {
        self.init(version: version, name: name, disableForeignKeys: disableForeignKeys) { connection in
            try connection.execute(sql)
        }
    }

    /// A migration given as code, for changes SQL alone cannot express (data conversions).
    public init(
        version: Int, name: String, disableForeignKeys: Bool = false,
        apply: @escaping @Sendable (Connection) throws -> Void
    ) {
        self.version = version
        self.name = name
        self.disableForeignKeys = disableForeignKeys
        self.apply = apply
    }
}

/// Applies versioned migrations and records them in a `schema_migrations` table.
///
/// The recorded version is the highest version applied. `migrate` applies, in order, every
/// migration above it; a binary that meets a database migrated by a newer binary refuses it rather
/// than run against a schema it does not know.
public struct Migrator: Sendable {
    /// The migrations, in the order given.
    public let migrations: [Migration]
    /// Why the list is unusable (duplicate, unsorted or non-positive versions), if it is.
    private let problem: String?

    /// Name of the bookkeeping table.
    public static let tableName = "schema_migrations"

    /// Takes the list as given; an invalid list (versions not positive and strictly increasing)
    /// is reported by `validate()`, and by `migrate` before it touches the database.
    public init(_ migrations: [Migration]) {
        self.migrations = migrations
        var problem: String?
        var previous: Migration?
        for migration in migrations {
            if migration.version <= 0 {
                problem = "migration '\(migration.name)' has version \(migration.version); versions must be positive"
                break
            }
            if let previous {
                if migration.version == previous.version {
                    problem = "migrations '\(previous.name)' and '\(migration.name)' share version \(migration.version)"
                    break
                }
                if migration.version < previous.version {
                    problem = "migration \(migration.version) '\(migration.name)' comes after \(previous.version) "
                        + "'\(previous.name)'; list migrations in increasing version order"
                    break
                }
            }
            previous = migration
        }
        self.problem = problem
    }

    /// The newest version this list knows (0 for an empty list).
    public var latestVersion: Int { migrations.last?.version ?? 0 }

    /// Throws when the list has duplicate, unsorted or non-positive versions.
    public func validate() throws {
        if let problem { throw SQLiteError(.misuse, message: "invalid migration list: \(problem)") }
    }

    /// The highest version recorded in the database, 0 when none is.
    public func currentVersion(_ connection: Connection) throws -> Int {
        guard try connection.tableExists(Self.tableName) else { return 0 }
        return try connection.scalar(Int.self, "SELECT max(version) FROM \(Self.tableName)") ?? 0
    }

    /// Versions `migrate` would apply now.
    public func pendingVersions(_ connection: Connection) throws -> [Int] {
        try validate()
        let current = try currentVersion(connection)
        return migrations.filter { $0.version > current }.map(\.version)
    }

    /// Applies every pending migration in version order, each in its own transaction, and records
    /// version, name and time (UTC, ISO 8601) in `schema_migrations`. Running it again applies
    /// nothing.
    ///
    /// - Returns: the versions applied by this call, in order.
    /// - Throws: `SQLiteError` when the list is invalid or the database's version is newer than
    ///   `latestVersion` (in both cases before anything is written), or when a migration fails: that
    ///   migration is rolled back entirely, those before it stay applied, and the error's message
    ///   names it while keeping the underlying code.
    @discardableResult
    public func migrate(_ connection: Connection) throws -> [Int] {
        try validate()
        let current = try currentVersion(connection)
        if current > latestVersion {
            throw SQLiteError(
                .error,
                message: "the database schema is at version \(current), newer than the newest migration this "
                    + "program knows (\(latestVersion)); it was written by a newer release, so run that release "
                    + "or restore a backup")
        }
        let pending = migrations.filter { $0.version > current }
        guard !pending.isEmpty else { return [] }

        try connection.execute("""
            CREATE TABLE IF NOT EXISTS \(Self.tableName) (
                version INTEGER PRIMARY KEY,
                name TEXT NOT NULL,
                applied_at TEXT NOT NULL
            )
            """)
        var applied: [Int] = []
        for migration in pending {
            do {
                if try apply(migration, on: connection) { applied.append(migration.version) }
            } catch {
                let cause = error as? SQLiteError
                throw SQLiteError(
                    extendedCode: cause?.extendedCode ?? SQLiteError.error.rawValue,
                    message: "migration \(migration.version) '\(migration.name)' failed and was rolled back: "
                        + (cause?.message ?? String(describing: error)),
                    sql: cause?.sql)
            }
        }
        return applied
    }

    /// Applies one migration in its own transaction; false when another process applied it first.
    private func apply(_ migration: Migration, on connection: Connection) throws -> Bool {
        // The pragma is a no-op inside a transaction, so it is switched off before ours begins
        // (and only when the caller has none open; then the check below still guards the result).
        let switchOff = migration.disableForeignKeys && !connection.isInTransaction
        if switchOff { try connection.execute("PRAGMA foreign_keys = OFF") }
        defer { if switchOff { try? connection.execute("PRAGMA foreign_keys = ON") } }
        return try connection.transaction { () throws -> Bool in
            // Another process may have migrated since we looked; the write lock is ours now.
            let now = try connection.scalar(Int.self, "SELECT max(version) FROM \(Self.tableName)") ?? 0
            guard now < migration.version else { return false }
            try connection.execute("PRAGMA defer_foreign_keys = ON")
            try migration.apply(connection)
            if migration.disableForeignKeys {
                let violations = try connection.query("PRAGMA foreign_key_check")
                if !violations.isEmpty {
                    let tables = Set(violations.compactMap { row -> String? in row.get("table") }).sorted()
                    throw SQLiteError(
                        .constraintForeignKey,
                        message: "\(violations.count) foreign key violation(s) in \(tables.joined(separator: ", "))",
                        sql: "PRAGMA foreign_key_check")
                }
            }
            try connection.run(
                "INSERT INTO \(Self.tableName) (version, name, applied_at) "
                    + "VALUES (?, ?, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))",
                migration.version, migration.name)
            return true
        }
    }
}
