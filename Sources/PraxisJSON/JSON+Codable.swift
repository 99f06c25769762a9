// Bridging to Codable. Foundation is used only here, never on the parser's path.
import Foundation

extension JSON {
    /// Decodes a `Decodable` type from this value, through Foundation's `JSONDecoder`.
    ///
    /// - Throws: ``JSONError`` of kind ``JSONError/Kind/coding`` carrying the decoder's explanation.
    public func decode<T: Decodable>(_ type: T.Type) throws -> T {
        do {
            return try JSONDecoder().decode(type, from: Data(serializedBytes()))
        } catch {
            throw JSONError(kind: .coding, offset: 0, message: "cannot decode \(T.self) from JSON: \(error)")
        }
    }

    /// Creates a value by encoding an `Encodable` one through Foundation's `JSONEncoder`.
    ///
    /// Members come out in the encoder's order, which Foundation does not specify; serialise with
    /// `sortedKeys` when order must be stable.
    ///
    /// - Throws: ``JSONError`` of kind ``JSONError/Kind/coding`` when encoding fails (for instance
    ///   on a non-finite floating-point value).
    public init<T: Encodable>(encoding value: T) throws {
        let data: Data
        do {
            data = try JSONEncoder().encode(value)
        } catch {
            throw JSONError(kind: .coding, offset: 0, message: "cannot encode \(T.self) as JSON: \(error)")
        }
        self = try JSON.parse(data, limits: .unlimited)
    }
}

/// Lets a `JSON` value sit inside `Codable` types, for example for extension members that a model
/// keeps as they came.
extension JSON: Codable {
    public init(from decoder: any Decoder) throws {
        if var elements = try? decoder.unkeyedContainer() {
            var array: [JSON] = []
            while !elements.isAtEnd { array.append(try elements.decode(JSON.self)) }
            self = .array(array)
            return
        }
        if let members = try? decoder.container(keyedBy: MemberKey.self) {
            // Keyed containers do not promise document order; keep the order they report.
            var object = JSONObject()
            for key in members.allKeys {
                object[key.stringValue] = try members.decode(JSON.self, forKey: key)
            }
            self = .object(object)
            return
        }
        let single = try decoder.singleValueContainer()
        if single.decodeNil() {
            self = .null
        } else if let flag = try? single.decode(Bool.self) {
            self = .bool(flag)
        } else if let integer = try? single.decode(Int64.self) {
            self = .integer(integer)
        } else if let number = try? single.decode(Double.self) {
            self = .double(number)
        } else if let text = try? single.decode(String.self) {
            self = .string(text)
        } else {
            throw DecodingError.dataCorruptedError(
                in: single, debugDescription: "value is not null, a Boolean, a number or a string")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        switch self {
        case .null:
            var single = encoder.singleValueContainer()
            try single.encodeNil()
        case .bool(let flag):
            var single = encoder.singleValueContainer()
            try single.encode(flag)
        case .integer(let number):
            var single = encoder.singleValueContainer()
            try single.encode(number)
        case .double(let number):
            var single = encoder.singleValueContainer()
            try single.encode(number)
        case .string(let text):
            var single = encoder.singleValueContainer()
            try single.encode(text)
        case .array(let elements):
            var container = encoder.unkeyedContainer()
            for element in elements { try container.encode(element) }
        case .object(let object):
            var container = encoder.container(keyedBy: MemberKey.self)
            for (key, value) in object { try container.encode(value, forKey: MemberKey(key)) }
        }
    }

    private struct MemberKey: CodingKey {
        let stringValue: String
        var intValue: Int? { nil }
        init(_ string: String) { stringValue = string }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { return nil }
    }
}
