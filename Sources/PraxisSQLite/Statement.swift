import CSQLite

/// Tells SQLite to copy bound text and blobs, so Swift may free its buffers as soon as
/// `sqlite3_bind_*` returns. The C macro `SQLITE_TRANSIENT` is `((sqlite3_destructor_type)-1)`,
/// which Swift does not import.
let sqliteTransient = unsafeBitCast(OpaquePointer(bitPattern: -1), to: sqlite3_destructor_type.self)

/// One prepared SQL statement.
///
/// Prepared in `init`, finalised in `deinit`. It belongs to the `Connection` that prepared it and
/// shares its confinement: use it only where that connection may be used. Bindings are copied
/// (`SQLITE_TRANSIENT`), so arguments need not outlive the call.
///
/// ```swift
/// let insert = try connection.prepare("INSERT INTO tags(name) VALUES (?)")
/// for name in names { try insert.run([name]) }
/// ```
public final class Statement {
    /// The statement handle; never nil after a successful init.
    let handle: OpaquePointer
    /// The SQL text, as given.
    public let sql: String
    private var columns: ColumnIndex?
    /// Keeps the connection open while a caller-owned statement lives; nil for statements in the
    /// connection's own cache, which would otherwise form a reference cycle.
    private let owner: Connection?
    /// Set while a connection-level call is using this statement out of the cache, so a nested
    /// call with the same SQL prepares its own copy instead of clobbering this one.
    var isBorrowed = false

    /// Prepares exactly one statement; trailing whitespace, semicolons and comments are allowed.
    init(db: OpaquePointer, sql: String, persistent: Bool = false, owner: Connection? = nil) throws {
        var statement: OpaquePointer?
        var tailOffset = 0
        let result = sql.withCString { start -> Int32 in
            var tail: UnsafePointer<CChar>?
            let code = sqlite3_prepare_v3(db, start, -1, persistent ? UInt32(SQLITE_PREPARE_PERSISTENT) : 0, &statement, &tail)
            if let tail { tailOffset = start.distance(to: tail) }
            return code
        }
        guard result == SQLITE_OK else {
            sqlite3_finalize(statement)
            throw SQLiteError.from(db, result: result, sql: sql)
        }
        guard let statement else {
            throw SQLiteError(.misuse, message: "the SQL text holds no statement", sql: sql)
        }
        let utf8 = Array(sql.utf8)
        if tailOffset < utf8.count {
            let tail = String(decoding: utf8[tailOffset...], as: UTF8.self)
            if try Self.holdsStatement(db: db, sql: tail) {
                sqlite3_finalize(statement)
                throw SQLiteError(
                    .misuse,
                    message: "the SQL text holds more than one statement; use Connection.execute(_:) for scripts",
                    sql: sql)
            }
        }
        self.handle = statement
        self.sql = sql
        self.owner = owner
    }

    deinit {
        sqlite3_finalize(handle)
    }

    /// Whether `sql` holds anything but whitespace, semicolons and comments. Preparing it is the
    /// only reliable test (comments may hide anything); a prepare error means there is SQL there.
    private static func holdsStatement(db: OpaquePointer, sql: String) throws -> Bool {
        if sql.allSatisfy({ $0.isWhitespace || $0 == ";" }) { return false }
        var statement: OpaquePointer?
        let result = sqlite3_prepare_v2(db, sql, -1, &statement, nil)
        defer { sqlite3_finalize(statement) }
        return result != SQLITE_OK || statement != nil
    }

    /// Number of parameters (`?`, `?NNN`, `:name`, `@name`, `$name`) in the statement.
    public var parameterCount: Int { Int(sqlite3_bind_parameter_count(handle)) }

    /// Column names of the result, in order (empty for statements that return no rows).
    public var columnNames: [String] { columnIndex().names }

    /// Whether the statement only reads (SELECT, most PRAGMAs) rather than changing the database.
    public var isReadOnly: Bool { sqlite3_stmt_readonly(handle) != 0 }

    // MARK: Binding

    /// Clears previous bindings and binds `arguments` to the parameters in order.
    ///
    /// - Throws: `SQLiteError` (`.range`) when the count differs from `parameterCount`.
    public func bind(_ arguments: [any SQLBindable]) throws {
        sqlite3_clear_bindings(handle)
        guard arguments.count == parameterCount else {
            throw SQLiteError(
                .range, message: "statement expects \(parameterCount) arguments, got \(arguments.count)", sql: sql)
        }
        for (offset, argument) in arguments.enumerated() {
            try bind(argument.sqlValue, at: Int32(offset + 1))
        }
    }

    /// Clears previous bindings and binds named parameters.
    ///
    /// Keys may be written with their prefix (`":name"`, `"@name"`, `"$name"`) or without (`"name"`).
    /// - Throws: `SQLiteError` (`.range`) for a key that names no parameter, or when a parameter is
    ///   left without a value.
    public func bind(_ arguments: [String: any SQLBindable]) throws {
        sqlite3_clear_bindings(handle)
        var bound = Set<Int32>()
        for (name, argument) in arguments {
            let index = parameterIndex(name)
            guard index > 0 else {
                throw SQLiteError(.range, message: "no parameter named '\(name)' in statement", sql: sql)
            }
            try bind(argument.sqlValue, at: index)
            bound.insert(index)
        }
        if bound.count != parameterCount {
            let missing = (0..<Int32(parameterCount)).map { $0 + 1 }.filter { !bound.contains($0) }.map { index in
                sqlite3_bind_parameter_name(handle, index).map { String(cString: $0) } ?? "?\(index)"
            }
            throw SQLiteError(
                .range, message: "no value for parameter(s) \(missing.joined(separator: ", "))", sql: sql)
        }
    }

    private func parameterIndex(_ name: String) -> Int32 {
        if let first = name.first, first == ":" || first == "@" || first == "$" || first == "?" {
            return sqlite3_bind_parameter_index(handle, name)
        }
        for prefix in [":", "@", "$"] {
            let index = sqlite3_bind_parameter_index(handle, prefix + name)
            if index > 0 { return index }
        }
        return 0
    }

    private func bind(_ value: SQLValue, at index: Int32) throws {
        let result: Int32
        switch value {
        case .null:
            result = sqlite3_bind_null(handle, index)
        case .integer(let integer):
            result = sqlite3_bind_int64(handle, index, integer)
        case .real(let real):
            result = sqlite3_bind_double(handle, index, real)
        case .text(var text):
            // withUTF8 gives the exact byte count, so text with embedded NUL survives intact.
            result = text.withUTF8 { buffer in
                if buffer.isEmpty { return sqlite3_bind_text(handle, index, "", 0, sqliteTransient) }
                return buffer.withMemoryRebound(to: CChar.self) { chars in
                    sqlite3_bind_text64(
                        handle, index, chars.baseAddress, sqlite3_uint64(chars.count), sqliteTransient,
                        UInt8(SQLITE_UTF8))
                }
            }
        case .blob(let bytes):
            // A NULL data pointer would bind NULL, so an empty blob needs zeroblob.
            if bytes.isEmpty {
                result = sqlite3_bind_zeroblob(handle, index, 0)
            } else {
                result = bytes.withUnsafeBytes { raw in
                    sqlite3_bind_blob64(handle, index, raw.baseAddress, sqlite3_uint64(raw.count), sqliteTransient)
                }
            }
        }
        guard result == SQLITE_OK else {
            throw SQLiteError.from(sqlite3_db_handle(handle), result: result, sql: sql)
        }
    }

    // MARK: Stepping

    /// Advances to the next row; `nil` when done.
    ///
    /// After the last row (or an error) the statement is reset, releasing its read lock, and keeps
    /// its bindings: calling `step()` again starts over.
    public func step() throws -> Row? {
        let result = sqlite3_step(handle)
        switch result {
        case SQLITE_ROW:
            return currentRow()
        case SQLITE_DONE:
            reset()
            return nil
        default:
            let error = SQLiteError.from(sqlite3_db_handle(handle), result: result, sql: sql)
            reset()
            throw error
        }
    }

    /// Binds `arguments`, runs the statement to completion, discarding any rows, and resets it.
    public func run(_ arguments: [any SQLBindable] = []) throws {
        reset()
        try bind(arguments)
        while try step() != nil {}
    }

    /// Binds named `arguments`, runs the statement to completion and resets it.
    public func run(named arguments: [String: any SQLBindable]) throws {
        reset()
        try bind(arguments)
        while try step() != nil {}
    }

    /// Binds `arguments` and returns every row.
    public func query(_ arguments: [any SQLBindable] = []) throws -> [Row] {
        reset()
        try bind(arguments)
        return try collectRows()
    }

    /// Binds named `arguments` and returns every row.
    public func query(named arguments: [String: any SQLBindable]) throws -> [Row] {
        reset()
        try bind(arguments)
        return try collectRows()
    }

    /// Rewinds the statement so it can run again; bindings are kept.
    public func reset() {
        sqlite3_reset(handle)
        columns = nil
    }

    /// Rewinds and drops all bindings (which may hold large copies of text or blobs).
    public func clear() {
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
        columns = nil
    }

    func collectRows() throws -> [Row] {
        var rows: [Row] = []
        while let row = try step() { rows.append(row) }
        return rows
    }

    /// Column names are read once per execution: a schema change between runs may change them.
    private func columnIndex() -> ColumnIndex {
        if let columns { return columns }
        let count = sqlite3_column_count(handle)
        var names: [String] = []
        names.reserveCapacity(Int(count))
        for index in 0..<count {
            names.append(sqlite3_column_name(handle, index).map { String(cString: $0) } ?? "column\(index)")
        }
        let made = ColumnIndex(names: names)
        columns = made
        return made
    }

    private func currentRow() -> Row {
        let index = columnIndex()
        let count = sqlite3_data_count(handle)
        var values: [SQLValue] = []
        values.reserveCapacity(Int(count))
        for column in 0..<count {
            values.append(value(at: column))
        }
        return Row(columns: index, values: values)
    }

    private func value(at column: Int32) -> SQLValue {
        switch sqlite3_column_type(handle, column) {
        case SQLITE_INTEGER:
            return .integer(sqlite3_column_int64(handle, column))
        case SQLITE_FLOAT:
            return .real(sqlite3_column_double(handle, column))
        case SQLITE_TEXT:
            // Pointer first, then length: that order is what SQLite documents as safe.
            guard let text = sqlite3_column_text(handle, column) else { return .text("") }
            let length = Int(sqlite3_column_bytes(handle, column))
            return .text(String(decoding: UnsafeBufferPointer(start: text, count: length), as: UTF8.self))
        case SQLITE_BLOB:
            guard let blob = sqlite3_column_blob(handle, column) else { return .blob([]) }
            let length = Int(sqlite3_column_bytes(handle, column))
            return .blob(Array(UnsafeRawBufferPointer(start: blob, count: length)))
        default:
            return .null
        }
    }
}

@available(*, unavailable, message: "a Statement is confined to its connection's owner")
extension Statement: Sendable {}
