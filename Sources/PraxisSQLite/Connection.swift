import CSQLite

/// One SQLite connection, confined to one owner at a time.
///
/// Deliberately not `Sendable`: it is opened with `SQLITE_OPEN_NOMUTEX`, so SQLite does no locking
/// of its own and whoever holds the connection must be the only one using it. `Database` hands
/// connections out under a lock; use it when several threads or tasks share a database file.
///
/// Every connection gets extended result codes, the busy timeout, `foreign_keys=ON` and defensive
/// mode. A writable connection to a file also gets `journal_mode=WAL` (readers then run concurrently
/// with the writer) and `synchronous=NORMAL` (durable at each checkpoint, never corrupt).
///
/// The `run`, `query`, `queryOne` and `scalar` calls keep a small cache of prepared statements keyed
/// by SQL text, so the same statement run thousands of times is compiled once; each use resets the
/// statement and clears its bindings before it goes back into the cache.
public final class Connection {
    /// The `sqlite3 *` handle.
    let handle: OpaquePointer
    /// The path the connection was opened with (`":memory:"` for an in-memory database).
    public let path: String
    /// Whether the connection was opened read-only.
    public let isReadOnly: Bool

    private var cache: [String: CachedStatement] = [:]
    private var cacheClock: UInt64 = 0
    private var savepointDepth = 0

    /// Page cache of a writable file connection, in KiB (SQLite's default is 2 MiB).
    public static let writerCacheKiB = 32 * 1024

    /// WAL pages after which a commit checkpoints (SQLite's default is 1,000); for a `Database`'s
    /// writer, after which a background checkpoint starts.
    public static let walCheckpointPages = 8_000
    /// Size a WAL is truncated to after a checkpoint, in bytes.
    public static let walSizeLimit = 64 << 20

    /// How many prepared statements the cache keeps before evicting the least recently used.
    public static let statementCacheCapacity = 128

    private struct CachedStatement {
        let statement: Statement
        var lastUsed: UInt64
    }

    /// Process-wide SQLite settings, applied once before the first connection opens SQLite:
    /// memory statistics off (with them on, every allocation of every connection takes one global
    /// mutex, and parallel readers spent a fifth of their time contending for it).
    private static let libraryConfigured: Bool = {
        praxis_sqlite3_config_no_memstatus() == SQLITE_OK
    }()

    /// Opens (and for a writable connection, creates) the database at `path`.
    ///
    /// - Parameters:
    ///   - path: a file path, or `":memory:"` for a private in-memory database.
    ///   - readOnly: open with `SQLITE_OPEN_READONLY`; the file must exist.
    ///   - busyTimeout: how long a statement waits for another connection's lock before failing
    ///     with `SQLiteError.busy`.
    /// - Throws: `SQLiteError` when the file cannot be opened or configured (for example when WAL
    ///   mode cannot be enabled on its file system).
    public init(path: String, readOnly: Bool = false, busyTimeout: Duration = .seconds(5)) throws {
        _ = Self.libraryConfigured
        var db: OpaquePointer?
        let access = readOnly ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE)
        let result = sqlite3_open_v2(path, &db, access | SQLITE_OPEN_NOMUTEX, nil)
        guard result == SQLITE_OK, let db else {
            let cause = SQLiteError.from(db, result: result)
            sqlite3_close_v2(db)
            throw SQLiteError(
                extendedCode: cause.extendedCode, message: "cannot open database '\(path)': \(cause.message)")
        }
        do {
            try Self.configure(db, readOnly: readOnly, busyTimeout: busyTimeout)
        } catch {
            sqlite3_close_v2(db)
            throw error
        }
        self.handle = db
        self.path = path
        self.isReadOnly = readOnly
    }

    deinit {
        // Statements must be finalised before the connection can close cleanly; close_v2 would
        // otherwise keep a zombie connection alive until the last one goes.
        cache.removeAll()
        sqlite3_close_v2(handle)
    }

    private static func configure(_ db: OpaquePointer, readOnly: Bool, busyTimeout: Duration) throws {
        sqlite3_extended_result_codes(db, 1)
        let (seconds, attoseconds) = busyTimeout.components
        let milliseconds = max(0, min(Int64(Int32.max), seconds * 1000 + attoseconds / 1_000_000_000_000_000))
        sqlite3_busy_timeout(db, Int32(milliseconds))
        _ = praxis_sqlite3_db_config_defensive(db, 1)
        // Searches rank with it (see FTS5Rank); a library without FTS5 has no search to rank.
        _ = FTS5Rank.register(on: db)
        try exec(db, "PRAGMA foreign_keys = ON")

        // An empty file name means an in-memory or temporary database, where WAL does not apply.
        let fileName = sqlite3_db_filename(db, "main").map { String(cString: $0) } ?? ""
        guard !readOnly, !fileName.isEmpty else { return }
        let mode = try Statement(db: db, sql: "PRAGMA journal_mode = WAL").step()?[0]
        guard mode == .text("wal") else {
            throw SQLiteError(
                .cantOpen,
                message: "cannot enable WAL journal mode on '\(fileName)' (got \(mode?.description ?? "nothing"))",
                sql: "PRAGMA journal_mode = WAL")
        }
        try exec(db, "PRAGMA synchronous = NORMAL")
        // A writer keeps its page cache across its transactions while no other connection writes,
        // so a larger cache keeps the index pages that random-key inserts touch (activity ids,
        // signature hashes) in memory instead of re-reading them from the file at every insert.
        try exec(db, "PRAGMA cache_size = -\(writerCacheKiB)")
        // Checkpoints (copying the WAL into the main file, then an fsync) run in the committing
        // connection; fewer, larger ones cost less per page under a stream of small commits, and
        // the size limit gives the disk back after a burst. `Database` hands its writer's
        // checkpoints to a background connection instead (`WALCheckpointer`).
        try exec(db, "PRAGMA wal_autocheckpoint = \(walCheckpointPages)")
        try exec(db, "PRAGMA journal_size_limit = \(walSizeLimit)")
    }

    private static func exec(_ db: OpaquePointer, _ sql: String) throws {
        let result = sqlite3_exec(db, sql, nil, nil, nil)
        guard result == SQLITE_OK else { throw SQLiteError.from(db, result: result, sql: sql) }
    }

    /// Whether the SQLite library in use was built with FTS5 (full-text search).
    public static let hasFTS5: Bool = {
        guard let connection = try? Connection(path: ":memory:") else { return false }
        return (try? connection.execute("CREATE VIRTUAL TABLE temp.fts5_probe USING fts5(body)")) != nil
    }()

    /// Version of the SQLite library in use, e.g. "3.40.1".
    public static var sqliteVersion: String { String(cString: sqlite3_libversion()) }

    // MARK: Running SQL

    /// Runs one or more statements separated by semicolons, discarding any rows. No arguments:
    /// meant for schema scripts and pragmas.
    public func execute(_ sql: String) throws {
        try Self.exec(handle, sql)
    }

    /// Prepares a statement owned by the caller (not cached); keep it to run it many times.
    public func prepare(_ sql: String) throws -> Statement {
        try Statement(db: handle, sql: sql, owner: self)
    }

    /// Runs one statement with positional arguments, discarding any rows.
    public func run(_ sql: String, _ arguments: any SQLBindable...) throws {
        try run(sql, arguments: arguments)
    }

    /// Runs one statement with positional arguments, discarding any rows.
    public func run(_ sql: String, arguments: [any SQLBindable]) throws {
        try withCachedStatement(sql) { try $0.run(arguments) }
    }

    /// Runs one statement with named arguments (`:name`, `@name`, `$name`), discarding any rows.
    public func run(_ sql: String, named arguments: [String: any SQLBindable]) throws {
        try withCachedStatement(sql) { try $0.run(named: arguments) }
    }

    /// Runs one query and returns all its rows.
    public func query(_ sql: String, _ arguments: any SQLBindable...) throws -> [Row] {
        try query(sql, arguments: arguments)
    }

    /// Runs one query and returns all its rows.
    public func query(_ sql: String, arguments: [any SQLBindable]) throws -> [Row] {
        try withCachedStatement(sql) { try $0.query(arguments) }
    }

    /// Runs one query with named arguments and returns all its rows.
    public func query(_ sql: String, named arguments: [String: any SQLBindable]) throws -> [Row] {
        try withCachedStatement(sql) { try $0.query(named: arguments) }
    }

    /// Runs one query and returns its first row, or `nil` when there is none.
    public func queryOne(_ sql: String, _ arguments: any SQLBindable...) throws -> Row? {
        try queryOne(sql, arguments: arguments)
    }

    /// Runs one query and returns its first row, or `nil` when there is none.
    public func queryOne(_ sql: String, arguments: [any SQLBindable]) throws -> Row? {
        try withCachedStatement(sql) { statement in
            statement.reset()
            try statement.bind(arguments)
            return try statement.step()
        }
    }

    /// Runs one query with named arguments and returns its first row, or `nil`.
    public func queryOne(_ sql: String, named arguments: [String: any SQLBindable]) throws -> Row? {
        try withCachedStatement(sql) { statement in
            statement.reset()
            try statement.bind(arguments)
            return try statement.step()
        }
    }

    /// Runs one query and calls `body` for each row as it is read, without collecting them all;
    /// for large results. `body` may use this connection.
    public func forEachRow(_ sql: String, arguments: [any SQLBindable] = [], _ body: (Row) throws -> Void) throws {
        try withCachedStatement(sql) { statement in
            statement.reset()
            try statement.bind(arguments)
            while let row = try statement.step() { try body(row) }
        }
    }

    /// The first column of the first row as `T`; `nil` when there is no row or the value is NULL.
    ///
    /// ```swift
    /// let count = try connection.scalar(Int.self, "SELECT count(*) FROM posts WHERE author = ?", id) ?? 0
    /// ```
    /// - Throws: `SQLiteError` (`.mismatch`) when the value does not fit `T`.
    public func scalar<T: SQLColumnDecodable>(
        _ type: T.Type, _ sql: String, _ arguments: any SQLBindable...
    ) throws -> T? {
        try scalar(type, sql, arguments: arguments)
    }

    /// The first column of the first row as `T`; `nil` when there is no row or the value is NULL.
    public func scalar<T: SQLColumnDecodable>(_ type: T.Type, _ sql: String, arguments: [any SQLBindable]) throws -> T? {
        guard let row = try queryOne(sql, arguments: arguments), row.count > 0 else { return nil }
        if row[0].isNull { return nil }
        do {
            return try row.get(0, as: type)
        } catch let error as SQLiteError {
            throw SQLiteError(extendedCode: error.extendedCode, message: error.message, sql: sql)
        }
    }

    /// Whether a table (or view) of this name exists in the main database.
    public func tableExists(_ name: String) throws -> Bool {
        try scalar(
            Int.self, "SELECT 1 FROM sqlite_schema WHERE type IN ('table', 'view') AND name = ?", name) != nil
    }

    /// Rowid of the last row inserted on this connection.
    public var lastInsertRowID: Int64 { sqlite3_last_insert_rowid(handle) }

    /// Rows changed by the last INSERT, UPDATE or DELETE on this connection.
    public var changes: Int { Int(sqlite3_changes64(handle)) }

    /// Rows changed since the connection was opened.
    public var totalChanges: Int { Int(sqlite3_total_changes64(handle)) }

    // MARK: Statement cache

    /// Lends the cached statement for `sql` to `body`, preparing and caching it on first use.
    /// A statement already lent out (a nested call with the same SQL from inside `forEachRow`)
    /// is not shared: the nested call gets a fresh, uncached one.
    private func withCachedStatement<R>(_ sql: String, _ body: (Statement) throws -> R) throws -> R {
        cacheClock &+= 1
        let statement: Statement
        if var entry = cache[sql] {
            if entry.statement.isBorrowed {
                statement = try Statement(db: handle, sql: sql)
            } else {
                entry.lastUsed = cacheClock
                cache[sql] = entry
                statement = entry.statement
            }
        } else {
            statement = try Statement(db: handle, sql: sql, persistent: true)
            if cache.count >= Self.statementCacheCapacity, let oldest = cache.min(by: { $0.value.lastUsed < $1.value.lastUsed }) {
                cache.removeValue(forKey: oldest.key)
            }
            cache[sql] = CachedStatement(statement: statement, lastUsed: cacheClock)
        }
        statement.isBorrowed = true
        defer {
            statement.isBorrowed = false
            statement.clear()
        }
        return try body(statement)
    }

    /// Drops every cached statement (they are re-prepared on next use).
    public func clearStatementCache() {
        cache.removeAll()
    }

    /// Number of statements in the cache.
    public var cachedStatementCount: Int { cache.count }

    // MARK: Transactions

    /// Whether a transaction is open (SQLite is not in autocommit mode).
    public var isInTransaction: Bool { sqlite3_get_autocommit(handle) == 0 }

    /// Runs `body` in a transaction: commits when it returns, rolls back when it throws and rethrows.
    ///
    /// At top level this is `BEGIN IMMEDIATE` (`BEGIN DEFERRED` on a read-only connection), which
    /// takes the write lock up front, so a transaction that reads then writes cannot fail half-way
    /// with `SQLITE_BUSY`. Inside an open transaction it uses a SAVEPOINT, so when an inner call
    /// throws and its caller catches the error, only the inner part is undone:
    /// ```swift
    /// try db.transaction {
    ///     try db.run("INSERT INTO a VALUES (1)")
    ///     try? db.transaction { try db.run("INSERT INTO a VALUES (1)") }  // fails, undone alone
    /// }   // commits the first insert
    /// ```
    public func transaction<T>(_ body: () throws -> T) throws -> T {
        // Transaction control goes through the statement cache: it runs around every write.
        if isInTransaction {
            savepointDepth += 1
            defer { savepointDepth -= 1 }
            let name = "praxis_savepoint_\(savepointDepth)"
            try run("SAVEPOINT \(name)")
            do {
                let result = try body()
                try run("RELEASE \(name)")
                return result
            } catch {
                // SQLite may already have rolled back the whole transaction (SQLITE_FULL, IOERR…);
                // then there is no savepoint left to undo.
                if isInTransaction {
                    try? run("ROLLBACK TO \(name)")
                    try? run("RELEASE \(name)")
                }
                throw error
            }
        }
        try run(isReadOnly ? "BEGIN DEFERRED" : "BEGIN IMMEDIATE")
        do {
            let result = try body()
            try run("COMMIT")
            return result
        } catch {
            if isInTransaction { try? run("ROLLBACK") }
            throw error
        }
    }
}

@available(*, unavailable, message: "a Connection is confined to one owner; share a Database instead")
extension Connection: Sendable {}
