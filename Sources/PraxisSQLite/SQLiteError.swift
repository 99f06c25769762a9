import CSQLite

/// An error from SQLite, or from this wrapper's own checks, with SQLite's extended result code.
///
/// Errors raised by SQLite carry its primary and extended result codes (extended codes are always
/// enabled), `sqlite3_errmsg` and the SQL that failed. The wrapper's own checks use the closest
/// SQLite code: `.mismatch` for a NULL or wrongly typed column, `.range` for a missing column or a
/// wrong parameter count, `.misuse` for API misuse, `.error` for migration problems.
///
/// Match codes in `catch` clauses, either by pattern or by property:
/// ```swift
/// do { try db.run("INSERT INTO users(name) VALUES (?)", name) }
/// catch SQLiteError.constraintUnique { /* name taken */ }
/// catch let error as SQLiteError where error.isBusy { /* retry later */ }
/// ```
public struct SQLiteError: Error, CustomStringConvertible, Sendable {
    /// Primary result code (`extendedCode & 0xff`), e.g. `SQLITE_CONSTRAINT` (19).
    public let code: Int32
    /// Extended result code, e.g. `SQLITE_CONSTRAINT_UNIQUE` (2067).
    public let extendedCode: Int32
    /// `sqlite3_errmsg` for SQLite failures, otherwise a message written by this module.
    public let message: String
    /// The SQL being prepared or run, when there was one.
    public let sql: String?

    /// Creates an error; `code` is derived from `extendedCode`.
    public init(extendedCode: Int32, message: String, sql: String? = nil) {
        self.code = extendedCode & 0xff
        self.extendedCode = extendedCode
        self.message = message
        self.sql = sql
    }

    /// Creates an error with one of the codes below.
    public init(_ code: Code, message: String, sql: String? = nil) {
        self.init(extendedCode: code.rawValue, message: message, sql: sql)
    }

    /// The primary result code as a `Code`.
    public var resultCode: Code { Code(rawValue: code) }
    /// The extended result code as a `Code`.
    public var extendedResultCode: Code { Code(rawValue: extendedCode) }

    /// Any constraint failure: UNIQUE, PRIMARY KEY, FOREIGN KEY, NOT NULL, CHECK …
    public var isConstraintViolation: Bool { code == SQLITE_CONSTRAINT }
    /// A UNIQUE or PRIMARY KEY constraint failure: the row already exists.
    public var isUniqueViolation: Bool {
        extendedCode == Self.constraintUnique.rawValue || extendedCode == Self.constraintPrimaryKey.rawValue
    }
    /// A FOREIGN KEY constraint failure.
    public var isForeignKeyViolation: Bool { extendedCode == Self.constraintForeignKey.rawValue }
    /// The database was locked by another connection for longer than the busy timeout.
    public var isBusy: Bool { code == SQLITE_BUSY || code == SQLITE_LOCKED }

    public var description: String {
        var text = "SQLite error \(extendedCode)"
        if let name = sqlite3_errstr(extendedCode) { text += " (\(String(cString: name)))" }
        text += ": \(message)"
        if let sql { text += " [SQL: \(sql)]" }
        return text
    }

    /// Error for the current state of connection `db` after a call returned `result`.
    static func from(_ db: OpaquePointer?, result: Int32, sql: String? = nil) -> SQLiteError {
        guard let db else {
            let generic = sqlite3_errstr(result).map { String(cString: $0) } ?? "unknown error"
            return SQLiteError(extendedCode: result, message: generic, sql: sql)
        }
        var extended = sqlite3_extended_errcode(db)
        // sqlite3_errcode reflects the most recent API call; if something else ran since (a reset,
        // a finalize), fall back to the code we were handed.
        if extended & 0xff != result & 0xff { extended = result }
        let message = sqlite3_errmsg(db).map { String(cString: $0) } ?? "unknown error"
        return SQLiteError(extendedCode: extended, message: message, sql: sql)
    }
}

extension SQLiteError {
    /// A SQLite result code (primary or extended), usable as a `catch` pattern.
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        public let rawValue: Int32
        public init(rawValue: Int32) { self.rawValue = rawValue }

        /// Whether this is a primary code (no extended bits).
        public var isPrimary: Bool { rawValue & 0xff == rawValue }

        public var description: String {
            let name = sqlite3_errstr(rawValue).map { String(cString: $0) } ?? "unknown"
            return "\(rawValue) (\(name))"
        }

        /// Matches an error that is a `SQLiteError` with this code: a primary code matches every
        /// extended code under it, an extended code matches only itself.
        public static func ~= (pattern: Code, value: any Error) -> Bool {
            guard let error = value as? SQLiteError else { return false }
            return pattern.isPrimary ? error.code == pattern.rawValue : error.extendedCode == pattern.rawValue
        }

        // Primary codes: each also matches, as a pattern, every extended code under it.
        public static let error = Code(rawValue: SQLITE_ERROR)
        public static let `internal` = Code(rawValue: SQLITE_INTERNAL)
        public static let permission = Code(rawValue: SQLITE_PERM)
        public static let abort = Code(rawValue: SQLITE_ABORT)
        public static let busy = Code(rawValue: SQLITE_BUSY)
        public static let locked = Code(rawValue: SQLITE_LOCKED)
        public static let noMemory = Code(rawValue: SQLITE_NOMEM)
        public static let readOnly = Code(rawValue: SQLITE_READONLY)
        public static let interrupt = Code(rawValue: SQLITE_INTERRUPT)
        public static let ioError = Code(rawValue: SQLITE_IOERR)
        public static let corrupt = Code(rawValue: SQLITE_CORRUPT)
        public static let full = Code(rawValue: SQLITE_FULL)
        public static let cantOpen = Code(rawValue: SQLITE_CANTOPEN)
        public static let schema = Code(rawValue: SQLITE_SCHEMA)
        public static let tooBig = Code(rawValue: SQLITE_TOOBIG)
        public static let constraint = Code(rawValue: SQLITE_CONSTRAINT)
        public static let mismatch = Code(rawValue: SQLITE_MISMATCH)
        public static let misuse = Code(rawValue: SQLITE_MISUSE)
        public static let range = Code(rawValue: SQLITE_RANGE)
        public static let notADatabase = Code(rawValue: SQLITE_NOTADB)

        // Extended codes are C macros built from shifts, which Swift does not import.
        public static let constraintCheck = Code(rawValue: SQLITE_CONSTRAINT | (1 << 8))        // 275
        public static let constraintForeignKey = Code(rawValue: SQLITE_CONSTRAINT | (3 << 8))   // 787
        public static let constraintNotNull = Code(rawValue: SQLITE_CONSTRAINT | (5 << 8))      // 1299
        public static let constraintPrimaryKey = Code(rawValue: SQLITE_CONSTRAINT | (6 << 8))   // 1555
        public static let constraintTrigger = Code(rawValue: SQLITE_CONSTRAINT | (7 << 8))      // 1811
        public static let constraintUnique = Code(rawValue: SQLITE_CONSTRAINT | (8 << 8))       // 2067
        public static let busySnapshot = Code(rawValue: SQLITE_BUSY | (2 << 8))                 // 517
    }

    // The same codes on SQLiteError itself, so `catch SQLiteError.constraintUnique` reads naturally.
    public static let error = Code.error
    public static let `internal` = Code.`internal`
    public static let permission = Code.permission
    public static let abort = Code.abort
    public static let busy = Code.busy
    public static let locked = Code.locked
    public static let noMemory = Code.noMemory
    public static let readOnly = Code.readOnly
    public static let interrupt = Code.interrupt
    public static let ioError = Code.ioError
    public static let corrupt = Code.corrupt
    public static let full = Code.full
    public static let cantOpen = Code.cantOpen
    public static let schema = Code.schema
    public static let tooBig = Code.tooBig
    public static let constraint = Code.constraint
    public static let mismatch = Code.mismatch
    public static let misuse = Code.misuse
    public static let range = Code.range
    public static let notADatabase = Code.notADatabase
    public static let constraintCheck = Code.constraintCheck
    public static let constraintForeignKey = Code.constraintForeignKey
    public static let constraintNotNull = Code.constraintNotNull
    public static let constraintPrimaryKey = Code.constraintPrimaryKey
    public static let constraintTrigger = Code.constraintTrigger
    public static let constraintUnique = Code.constraintUnique
    public static let busySnapshot = Code.busySnapshot
}
