import Foundation

/// One SQLite value, in the five storage classes SQLite itself knows.
///
/// Every binding goes through this type and every column comes back as one, so conversions
/// between Swift types and SQLite live in one place (the `SQLBindable` and `SQLColumnDecodable`
/// conformances below).
public enum SQLValue: Sendable, Hashable {
    /// SQL NULL.
    case null
    /// A 64-bit signed integer.
    case integer(Int64)
    /// An IEEE 754 double.
    case real(Double)
    /// UTF-8 text; may contain NUL characters.
    case text(String)
    /// Raw bytes.
    case blob([UInt8])

    /// Whether this is `.null`.
    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }

    /// Name of the storage class, as used in error messages ("integer", "text", …).
    public var storageClassName: String {
        switch self {
        case .null: "null"
        case .integer: "integer"
        case .real: "real"
        case .text: "text"
        case .blob: "blob"
        }
    }
}

extension SQLValue: CustomStringConvertible {
    /// The value written as an SQL literal, for logs and error messages.
    public var description: String {
        switch self {
        case .null:
            return "NULL"
        case .integer(let value):
            return String(value)
        case .real(let value):
            return String(value)
        case .text(let value):
            return "'" + value.replacingOccurrences(of: "'", with: "''") + "'"
        case .blob(let bytes):
            let hex = bytes.map { byte in
                let digits = String(byte, radix: 16)
                return byte < 16 ? "0" + digits : digits
            }
            return "x'" + hex.joined() + "'"
        }
    }
}

/// A Swift value that can be bound to a statement parameter.
///
/// Conforming types: `Int`, `Int64`, `Int32`, `Double`, `Bool` (stored as 0/1), `String`,
/// `[UInt8]` and `Data` (stored as blobs), `SQLValue` itself, and `Optional` of any of these
/// (`nil` binds NULL).
public protocol SQLBindable {
    /// The value to bind.
    var sqlValue: SQLValue { get }
}

/// A Swift value that can be read back from a result column.
///
/// `decode(from:)` returns `nil` when the column's value cannot represent the type (a NULL for a
/// non-optional type, text for an integer, an integer outside `Int32`'s range …); `Row.get` turns
/// that into a `SQLiteError` naming the column, the expected type and what was found.
public protocol SQLColumnDecodable {
    /// Converts a column value, or returns `nil` when it does not fit this type.
    static func decode(from value: SQLValue) -> Self?
}

extension SQLValue: SQLBindable, SQLColumnDecodable {
    public var sqlValue: SQLValue { self }
    public static func decode(from value: SQLValue) -> SQLValue? { value }
}

extension Int64: SQLBindable, SQLColumnDecodable {
    public var sqlValue: SQLValue { .integer(self) }

    /// Accepts integers, and reals that hold an exact integral value (what `SUM` over a REAL
    /// column or `CAST` can produce).
    public static func decode(from value: SQLValue) -> Int64? {
        switch value {
        case .integer(let integer): return integer
        case .real(let real): return Int64(exactly: real)
        default: return nil
        }
    }
}

extension Int: SQLBindable, SQLColumnDecodable {
    public var sqlValue: SQLValue { .integer(Int64(self)) }
    public static func decode(from value: SQLValue) -> Int? {
        Int64.decode(from: value).flatMap { Int(exactly: $0) }
    }
}

extension Int32: SQLBindable, SQLColumnDecodable {
    public var sqlValue: SQLValue { .integer(Int64(self)) }
    public static func decode(from value: SQLValue) -> Int32? {
        Int64.decode(from: value).flatMap { Int32(exactly: $0) }
    }
}

extension Double: SQLBindable, SQLColumnDecodable {
    /// NaN is stored by SQLite as NULL; every other value, infinities included, round-trips.
    public var sqlValue: SQLValue { .real(self) }
    public static func decode(from value: SQLValue) -> Double? {
        switch value {
        case .real(let real): return real
        case .integer(let integer): return Double(integer)
        default: return nil
        }
    }
}

extension Bool: SQLBindable, SQLColumnDecodable {
    public var sqlValue: SQLValue { .integer(self ? 1 : 0) }
    /// Any non-zero integer is `true`, as in SQL expressions.
    public static func decode(from value: SQLValue) -> Bool? {
        guard case .integer(let integer) = value else { return nil }
        return integer != 0
    }
}

extension String: SQLBindable, SQLColumnDecodable {
    public var sqlValue: SQLValue { .text(self) }
    public static func decode(from value: SQLValue) -> String? {
        guard case .text(let text) = value else { return nil }
        return text
    }
}

extension Array: SQLBindable, SQLColumnDecodable where Element == UInt8 {
    public var sqlValue: SQLValue { .blob(self) }
    public static func decode(from value: SQLValue) -> [UInt8]? {
        guard case .blob(let bytes) = value else { return nil }
        return bytes
    }
}

extension Data: SQLBindable, SQLColumnDecodable {
    public var sqlValue: SQLValue { .blob([UInt8](self)) }
    public static func decode(from value: SQLValue) -> Data? {
        guard case .blob(let bytes) = value else { return nil }
        return Data(bytes)
    }
}

extension Optional: SQLBindable where Wrapped: SQLBindable {
    public var sqlValue: SQLValue {
        switch self {
        case .none: .null
        case .some(let wrapped): wrapped.sqlValue
        }
    }
}

extension Optional: SQLColumnDecodable where Wrapped: SQLColumnDecodable {
    /// NULL decodes to `.some(nil)`; any other value must fit `Wrapped`.
    public static func decode(from value: SQLValue) -> Wrapped?? {
        if case .null = value { return .some(nil) }
        guard let wrapped = Wrapped.decode(from: value) else { return nil }
        return .some(wrapped)
    }
}
