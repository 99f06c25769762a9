import CSQLite
import Dispatch
import Foundation
import Synchronization

/// A database file shared by any number of threads and tasks: one serialised writer connection and
/// a small pool of read-only reader connections.
///
/// In WAL mode readers run concurrently with the writer and each `read` sees one committed snapshot,
/// never the writer's uncommitted changes. Writes are serialised here, so they never wait on each
/// other inside SQLite.
///
/// ```swift
/// let db = try Database(path: dataDir + "/praxis.sqlite", migrations: Schema.migrations)
/// try db.write { try $0.run("INSERT INTO members(name) VALUES (?)", name) }
/// let count = try await db.read { try $0.scalar(Int.self, "SELECT count(*) FROM members") ?? 0 }
/// ```
///
/// Calling `write` from inside a `write` or `read` block on the same thread throws instead of risking
/// a deadlock: use the connection the outer write received, or write after the read returns. A `read`
/// inside a `read` on the same thread reuses that thread's reader. A `read` inside a `write` sees
/// only what was committed before the write began.
public final class Database: Sendable {
    /// Path of the database file.
    public let path: String
    /// Migration versions applied when this `Database` was opened.
    public let appliedMigrations: [Int]

    private let writer: WriterSlot
    private let readers: ReaderPool
    /// Checkpoints the WAL off the writer's commits (see ``WALCheckpointer``).
    let checkpointer: WALCheckpointer
    /// Async writes wait here, off Swift's cooperative pool, one at a time.
    private let writeQueue = DispatchQueue(label: "praxis.sqlite.write")
    /// Async reads run here, off Swift's cooperative pool; the pool bounds how many run at once.
    private let readQueue = DispatchQueue(label: "praxis.sqlite.read", attributes: .concurrent)

    /// Opens or creates the database file, applies pending migrations and prepares the reader pool.
    ///
    /// - Parameters:
    ///   - path: a file path (its directory must exist). In-memory databases cannot be shared
    ///     between connections; use `Connection(path: ":memory:")` for those.
    ///   - migrations: the schema's migrations; with an empty list no migration bookkeeping happens.
    ///   - readers: most reader connections open at once (opened on demand), at least 1.
    ///   - busyTimeout: how long a connection waits for another process's lock.
    /// - Throws: `SQLiteError` when the file cannot be opened, a migration fails, or the database
    ///   was migrated by a newer release (see `Migrator.migrate`).
    /// - Parameter checkpointPages: WAL frames after which a background checkpoint starts (tests
    ///   use small values).
    public init(
        path: String, migrations: [Migration] = [], readers: Int = 4, busyTimeout: Duration = .seconds(5),
        checkpointPages: Int = Connection.walCheckpointPages
    ) throws {
        guard readers >= 1 else {
            throw SQLiteError(.misuse, message: "a Database needs at least 1 reader connection, got \(readers)")
        }
        guard !path.isEmpty, path != ":memory:" else {
            throw SQLiteError(
                .misuse,
                message: "a Database needs a file path so its connections share data; "
                    + "use Connection(path: \":memory:\") for a private in-memory database")
        }
        let connection = try Connection(path: path, busyTimeout: busyTimeout)
        self.appliedMigrations = migrations.isEmpty ? [] : try Migrator(migrations).migrate(connection)
        self.path = path
        // Migrations checkpoint as they commit (SQLite's automatic checkpoint); from here on the
        // writer's commits leave that to the background.
        let checkpointer = WALCheckpointer(path: path, busyTimeout: busyTimeout, pages: checkpointPages)
        try checkpointer.install(on: connection)
        self.checkpointer = checkpointer
        self.writer = WriterSlot(connection)
        self.readers = ReaderPool(capacity: readers) {
            let reader = try Connection(path: path, readOnly: true, busyTimeout: busyTimeout)
            try reader.execute("PRAGMA query_only = ON")
            // Reads map the file (up to 2 GiB, the pages shared with the kernel's cache) instead of
            // copying every page through pread, and keep more pages of their own: FTS5 doclists and
            // thread list ranges are read again and again.
            try reader.execute("PRAGMA mmap_size = \(Self.readerMapBytes)")
            try reader.execute("PRAGMA cache_size = -\(Self.readerCacheKiB)")
            return reader
        }
    }

    /// How much of the database file a reader connection maps into memory.
    static let readerMapBytes: Int64 = 2 << 30
    /// Each reader connection's own page cache, in KiB.
    static let readerCacheKiB = 16 * 1_024

    deinit {
        writer.withConnectionAtClose { checkpointer.uninstall(from: $0) }
        // Readers go first so the writer, closing last, can checkpoint and remove the WAL file.
        readers.closeIdle()
    }

    /// Whether the SQLite library in use has FTS5 (full-text search).
    public static var hasFTS5: Bool { Connection.hasFTS5 }

    // MARK: Synchronous access

    /// Runs `body` on the writer connection inside a transaction (`BEGIN IMMEDIATE`), waiting for
    /// other writes to finish first. Commits when `body` returns; rolls back and rethrows when it
    /// throws.
    @discardableResult
    public func write<T>(_ body: (Connection) throws -> T) throws -> T {
        try refuseWriteInsideRead()
        return try writer.withConnection { connection in
            try connection.transaction { try body(connection) }
        }
    }

    /// Runs `body` on the writer connection without opening a transaction: for statements that
    /// cannot run inside one (`VACUUM`, some pragmas) or for callers managing their own.
    @discardableResult
    public func writeWithoutTransaction<T>(_ body: (Connection) throws -> T) throws -> T {
        try refuseWriteInsideRead()
        return try writer.withConnection(body)
    }

    /// A thread that holds a reader and waits for the writer can deadlock with a writer waiting for
    /// a reader when the pool is exhausted, so that order is refused outright.
    private func refuseWriteInsideRead() throws {
        if readers.isLent(to: currentThreadID()) {
            throw SQLiteError(
                .misuse,
                message: "Database.write called inside a read on the same thread, which can deadlock; "
                    + "write after the read returns")
        }
    }

    /// Runs `body` on a read-only connection inside a read transaction, so every query in it sees
    /// the same committed snapshot. Waits when all readers are busy.
    public func read<T>(_ body: (Connection) throws -> T) throws -> T {
        try readers.withConnection { connection in
            try connection.transaction { try body(connection) }
        }
    }

    // MARK: Asynchronous access

    /// `write(_:)` for async callers: runs on a dedicated serial queue, never blocking the
    /// cooperative thread pool while it waits for the writer.
    @discardableResult
    public func write<T: Sendable>(_ body: @escaping @Sendable (Connection) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            writeQueue.async {
                continuation.resume(with: Result { try self.write(body) })
            }
        }
    }

    /// `writeWithoutTransaction(_:)` for async callers.
    @discardableResult
    public func writeWithoutTransaction<T: Sendable>(
        _ body: @escaping @Sendable (Connection) throws -> T
    ) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            writeQueue.async {
                continuation.resume(with: Result { try self.writeWithoutTransaction(body) })
            }
        }
    }

    /// `read(_:)` for async callers: runs on a dispatch queue, never blocking the cooperative pool.
    public func read<T: Sendable>(_ body: @escaping @Sendable (Connection) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            readQueue.async {
                continuation.resume(with: Result { try self.read(body) })
            }
        }
    }

    // MARK: Maintenance

    /// Writes a consistent copy of the live database to `path` with SQLite's online backup API.
    ///
    /// The copy is taken from one read snapshot (writes continue meanwhile), written to a temporary
    /// file beside `path`, then renamed over it, so `path` never holds a partial copy. An existing
    /// file at `path` is replaced; it must not be a database in use.
    /// - Throws: `SQLiteError` when `path` is this database's own file or cannot be written.
    public func backup(to path: String) throws {
        let target = URL(fileURLWithPath: path).standardizedFileURL.path
        guard target != URL(fileURLWithPath: self.path).standardizedFileURL.path else {
            throw SQLiteError(.misuse, message: "cannot back up a database onto itself ('\(path)')")
        }
        let temporary = target + ".partial-" + UUID().uuidString
        defer { Self.removeDatabaseFiles(temporary) }
        try readers.withConnection { source in
            var destination: OpaquePointer?
            let opened = sqlite3_open_v2(
                temporary, &destination, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nil)
            defer { sqlite3_close_v2(destination) }
            guard opened == SQLITE_OK, let destination else {
                let cause = SQLiteError.from(destination, result: opened)
                throw SQLiteError(
                    extendedCode: cause.extendedCode, message: "cannot create backup file '\(temporary)': \(cause.message)")
            }
            guard let backup = sqlite3_backup_init(destination, "main", source.handle, "main") else {
                throw SQLiteError.from(destination, result: sqlite3_errcode(destination))
            }
            // One step copies everything under a single read lock: a consistent snapshot.
            let stepped = sqlite3_backup_step(backup, -1)
            let finished = sqlite3_backup_finish(backup)
            guard stepped == SQLITE_DONE, finished == SQLITE_OK else {
                let failure = stepped == SQLITE_DONE ? finished : stepped
                let cause = SQLiteError.from(destination, result: failure)
                throw SQLiteError(extendedCode: cause.extendedCode, message: "backup to '\(path)' failed: \(cause.message)")
            }
        }
        // Side files left by an older database at the target would not match the new file.
        for suffix in ["-wal", "-shm", "-journal"] { try? FileManager.default.removeItem(atPath: target + suffix) }
        guard rename(temporary, target) == 0 else {
            throw SQLiteError(
                .cantOpen, message: "cannot move backup into place at '\(path)': \(String(cString: strerror(errno)))")
        }
    }

    /// Copies the WAL into the main file and truncates it (`PRAGMA wal_checkpoint(TRUNCATE)`).
    /// SQLite checkpoints on its own; this is for operators who want a self-contained main file.
    public func checkpoint() throws {
        try writer.withConnection { connection in
            // A background checkpoint holds the checkpoint lock while it runs; this one would
            // then do nothing. Holding the writer, wait for it to finish first.
            checkpointer.waitForBackground()
            try connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        }
    }

    private static func removeDatabaseFiles(_ path: String) {
        for suffix in ["", "-journal", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
    }
}

/// Identifies the calling thread, to detect re-entrant use that would otherwise deadlock.
private func currentThreadID() -> UInt {
    #if canImport(Glibc) || canImport(Musl)
        return UInt(pthread_self())
    #else
        return UInt(bitPattern: pthread_self())
    #endif
}

/// The writer connection and the lock that serialises access to it.
///
/// `@unchecked Sendable` is safe because `connection` is only used inside `withConnection`, between
/// `lock.lock()` and `lock.unlock()`, so exactly one thread uses it at a time.
private final class WriterSlot: @unchecked Sendable {
    private let connection: Connection
    private let lock = NSLock()
    /// Thread holding `lock`, read only to detect a same-thread re-entry.
    private let owner = Mutex<UInt?>(nil)

    init(_ connection: Connection) {
        self.connection = connection
    }

    /// For `Database.deinit`, when nothing else can hold the connection.
    func withConnectionAtClose(_ body: (Connection) -> Void) {
        lock.lock()
        defer { lock.unlock() }
        body(connection)
    }

    func withConnection<T>(_ body: (Connection) throws -> T) throws -> T {
        let me = currentThreadID()
        if owner.withLock({ $0 }) == me {
            throw SQLiteError(
                .misuse,
                message: "Database.write called inside another write on the same thread, which would deadlock; "
                    + "use the Connection passed to the outer block")
        }
        lock.lock()
        owner.withLock { $0 = me }
        defer {
            owner.withLock { $0 = nil }
            lock.unlock()
        }
        return try body(connection)
    }
}

/// Reader connections, opened on demand up to a capacity, lent to one thread at a time.
///
/// `@unchecked Sendable` is safe because the mutable state (`idle`, `lent`, `opened`) is touched
/// only while `condition` is locked, and a lent connection is used only by the thread it was lent
/// to until it comes back.
private final class ReaderPool: @unchecked Sendable {
    private let condition = NSCondition()
    private var idle: [Connection] = []
    /// Connection currently lent to each thread, so a nested read on that thread reuses it.
    private var lent: [UInt: Connection] = [:]
    private var opened = 0
    private let capacity: Int
    private let open: @Sendable () throws -> Connection

    init(capacity: Int, open: @escaping @Sendable () throws -> Connection) {
        self.capacity = capacity
        self.open = open
    }

    func withConnection<T>(_ body: (Connection) throws -> T) throws -> T {
        let me = currentThreadID()
        let connection = try checkOut(for: me)
        if connection.isNested { return try body(connection.connection) }
        defer { checkIn(connection.connection, from: me) }
        return try body(connection.connection)
    }

    private func checkOut(for thread: UInt) throws -> (connection: Connection, isNested: Bool) {
        condition.lock()
        if let held = lent[thread] {
            condition.unlock()
            return (held, true)
        }
        while idle.isEmpty && opened >= capacity { condition.wait() }
        if let connection = idle.popLast() {
            lent[thread] = connection
            condition.unlock()
            return (connection, false)
        }
        opened += 1
        condition.unlock()
        let connection: Connection
        do {
            connection = try open()
        } catch {
            condition.lock()
            opened -= 1
            condition.signal()
            condition.unlock()
            throw error
        }
        condition.lock()
        lent[thread] = connection
        condition.unlock()
        return (connection, false)
    }

    private func checkIn(_ connection: Connection, from thread: UInt) {
        condition.lock()
        lent[thread] = nil
        idle.append(connection)
        condition.signal()
        condition.unlock()
    }

    /// Whether `thread` currently holds a reader.
    func isLent(to thread: UInt) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        return lent[thread] != nil
    }

    /// Closes idle connections (the owning `Database` is going away, so none can be lent out).
    func closeIdle() {
        condition.lock()
        opened -= idle.count
        idle.removeAll()
        condition.unlock()
    }
}
