/// Column names of one result set, shared by all its rows so each row costs only its values.
///
/// Results have few columns, so a linear scan beats building a dictionary for every execution.
final class ColumnIndex: Sendable {
    let names: [String]

    init(names: [String]) {
        self.names = names
    }

    /// Position of a column: exact match first, then ASCII case-insensitive as SQL identifiers
    /// are. The first column of a name wins, as in SQLite's own name resolution.
    func position(of name: String) -> Int? {
        if let exact = names.firstIndex(of: name) { return exact }
        return names.firstIndex { Self.equalIgnoringASCIICase($0, name) }
    }

    private static func equalIgnoringASCIICase(_ lhs: String, _ rhs: String) -> Bool {
        guard lhs.utf8.count == rhs.utf8.count else { return false }
        return zip(lhs.utf8, rhs.utf8).allSatisfy { left, right in
            left == right || (left | 0x20 == right | 0x20 && (left | 0x20) >= 0x61 && (left | 0x20) <= 0x7a)
        }
    }
}

/// One result row: its values, fully copied out of SQLite, and its column names.
///
/// Rows are plain values, safe to keep and to send across tasks after the statement moved on.
public struct Row: Sendable {
    let columns: ColumnIndex
    /// The values, in column order.
    public let values: [SQLValue]

    init(columns: ColumnIndex, values: [SQLValue]) {
        self.columns = columns
        self.values = values
    }

    /// The result's column names, in order.
    public var columnNames: [String] { columns.names }

    /// Number of columns.
    public var count: Int { values.count }

    /// Whether the result has a column of this name (case-insensitive).
    public func hasColumn(_ column: String) -> Bool { columns.position(of: column) != nil }

    /// The value of a column by name; `.null` when there is no such column (use `get` to be told).
    public subscript(_ column: String) -> SQLValue {
        guard let index = columns.position(of: column) else { return .null }
        return values[index]
    }

    /// The value of a column by position; `.null` when out of range.
    public subscript(_ index: Int) -> SQLValue {
        values.indices.contains(index) ? values[index] : .null
    }

    /// The value of a column converted to `T`.
    ///
    /// - Throws: `SQLiteError` (`.range`) when there is no such column, (`.mismatch`) when the value
    ///   is NULL and `T` is not optional, or does not fit `T`; the message names the column.
    public func get<T: SQLColumnDecodable>(_ column: String, as type: T.Type = T.self) throws -> T {
        guard let index = columns.position(of: column) else {
            throw SQLiteError(
                .range,
                message: "no column '\(column)' in result; columns are \(columnNames.joined(separator: ", "))")
        }
        return try convert(values[index], column: "'\(column)'", to: type)
    }

    /// The value of a column by position converted to `T`; throws like `get(_:as:)`.
    public func get<T: SQLColumnDecodable>(_ index: Int, as type: T.Type = T.self) throws -> T {
        guard values.indices.contains(index) else {
            throw SQLiteError(.range, message: "no column at index \(index); the result has \(values.count) columns")
        }
        return try convert(values[index], column: "\(index) ('\(columnNames[index])')", to: type)
    }

    /// The value of a column converted to `T`, or `nil` when the column is missing, NULL, or does
    /// not fit `T`. Use `optional(_:)` to be told about missing columns and type mismatches.
    public func get<T: SQLColumnDecodable>(_ column: String) -> T? {
        guard let index = columns.position(of: column) else { return nil }
        return T.decode(from: values[index])
    }

    /// The value of a column converted to `T`, `nil` for NULL.
    ///
    /// - Throws: `SQLiteError` when the column is missing or its value does not fit `T`.
    public func optional<T: SQLColumnDecodable>(_ column: String, as type: T.Type = T.self) throws -> T? {
        try get(column, as: T?.self)
    }

    private func convert<T: SQLColumnDecodable>(_ value: SQLValue, column: String, to type: T.Type) throws -> T {
        if let decoded = T.decode(from: value) { return decoded }
        let found = value.isNull ? "NULL" : "\(value.storageClassName) value \(Self.preview(value))"
        throw SQLiteError(.mismatch, message: "column \(column) holds \(found), expected \(T.self)")
    }

    /// A short rendering of a value for error messages, so a huge blob or text stays readable.
    private static func preview(_ value: SQLValue) -> String {
        let text = value.description
        return text.count > 40 ? String(text.prefix(40)) + "…" : text
    }
}

extension Row: CustomStringConvertible {
    public var description: String {
        let pairs = zip(columnNames, values).map { "\($0)=\($1)" }
        return "Row(" + pairs.joined(separator: ", ") + ")"
    }
}
