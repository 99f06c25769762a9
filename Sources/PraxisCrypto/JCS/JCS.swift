import PraxisJSON

/// RFC 8785 JSON Canonicalization Scheme: the one byte sequence a JSON value signs as.
///
/// Two parties that hold the same data (same members and values, in any order, with any spacing or
/// escaping) produce the same bytes, so a signature over the canonical form survives being relayed,
/// re-serialised and pretty-printed. Data Integrity proofs (`eddsa-jcs-2022`) hash these bytes.
///
/// ```swift
/// let bytes = try JCS.canonicalize(JSON.parse(#"{"b": 1.50, "a": "\u20ac"}"#))
/// // {"a":"€","b":1.5}
/// ```
///
/// The rules (RFC 8785 §3.2): no whitespace; object members sorted by the UTF-16 code units of
/// their names, recursively, arrays kept in order; strings escape only `"`, `\` and control
/// characters (`\b \f \n \r \t`, otherwise `\u00xx` in lower-case hex), everything else is written
/// as UTF-8; numbers are IEEE-754 doubles written as ECMAScript's `Number.prototype.toString` writes
/// them (see ``JCS/serialize(number:)``).
public enum JCS {
    /// The canonical UTF-8 bytes of `value`.
    ///
    /// An ``JSON/integer(_:)`` beyond ±2^53 is canonicalised as the double it rounds to, as I-JSON
    /// (RFC 7493) requires of every number: `9007199254740993` becomes `9007199254740992`.
    /// - Throws: ``JCSError`` for a non-finite number (NaN, ±infinity), or a value nested deeper than
    ///   `JSONLimits.deepestSupportedNesting`.
    public static func canonicalize(_ value: JSON) throws(JCSError) -> [UInt8] {
        var writer = JCSWriter()
        try writer.write(value, depth: 0)
        return writer.output
    }

    /// The canonical form of `value` as a string; see ``canonicalize(_:)``.
    public static func canonicalString(_ value: JSON) throws(JCSError) -> String {
        String(decoding: try canonicalize(value), as: UTF8.self)
    }

    /// `number` as ECMAScript's `Number.prototype.toString` writes it (ECMA-262 §7.1.12.1), the number
    /// form RFC 8785 prescribes.
    ///
    /// The shortest digits that read back to the same double; integer notation up to 10^21 (`1e21`
    /// is `1e+21`), plain decimals down to 10^-6 (`0.000001`, but `1e-7`), exponent form otherwise
    /// with an explicit sign and no leading zeros; `-0` is `0`.
    /// - Throws: ``JCSError`` when `number` is NaN or infinite, which JSON cannot represent.
    public static func serialize(number: Double) throws(JCSError) -> String {
        var writer = JCSWriter()
        try writer.writeDouble(number)
        return String(decoding: writer.output, as: UTF8.self)
    }
}

/// Why a value has no canonical form.
public struct JCSError: Error, CustomStringConvertible, Sendable, Equatable {
    /// Broad category of the failure.
    public enum Kind: Sendable, Equatable {
        /// NaN or an infinity, which JSON (and so RFC 8785) cannot represent.
        case nonFiniteNumber
        /// Arrays and objects nested deeper than `JSONLimits.deepestSupportedNesting`.
        case tooDeep
    }

    /// Category of the failure.
    public let kind: Kind
    /// What is wrong, in plain words.
    public let message: String

    public var description: String { message }

    init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }
}

/// Appends canonical JSON text to a byte buffer.
struct JCSWriter {
    var output: [UInt8] = []

    init() {
        output.reserveCapacity(512)
    }

    mutating func write(_ value: JSON, depth: Int) throws(JCSError) {
        switch value {
        case .null:
            append("null")
        case .bool(let flag):
            append(flag ? "true" : "false")
        case .integer(let number):
            // Within ±2^53 an Int64 is exactly a double, and integral doubles there print as integers.
            if number.magnitude <= 1 << 53 {
                writeInteger(number.magnitude, negative: number < 0)
            } else {
                try writeDouble(Double(number))
            }
        case .double(let number):
            try writeDouble(number)
        case .string(let text):
            writeString(text)
        case .array(let elements):
            guard depth < JSONLimits.deepestSupportedNesting else { throw Self.tooDeep }
            output.append(UInt8(ascii: "["))
            for (position, element) in elements.enumerated() {
                if position > 0 { output.append(UInt8(ascii: ",")) }
                try write(element, depth: depth + 1)
            }
            output.append(UInt8(ascii: "]"))
        case .object(let object):
            guard depth < JSONLimits.deepestSupportedNesting else { throw Self.tooDeep }
            output.append(UInt8(ascii: "{"))
            var members = Array(object)
            // RFC 8785 §3.2.3: compare names as arrays of UTF-16 code units, not code points or bytes.
            members.sort { $0.key.utf16.lexicographicallyPrecedes($1.key.utf16) }
            for (position, member) in members.enumerated() {
                if position > 0 { output.append(UInt8(ascii: ",")) }
                writeString(member.key)
                output.append(UInt8(ascii: ":"))
                try write(member.value, depth: depth + 1)
            }
            output.append(UInt8(ascii: "}"))
        }
    }

    private static var tooDeep: JCSError {
        JCSError(.tooDeep, "JSON nested deeper than \(JSONLimits.deepestSupportedNesting) levels cannot be canonicalised")
    }

    private mutating func append(_ literal: StaticString) {
        output.append(contentsOf: UnsafeBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount))
    }

    private mutating func writeInteger(_ magnitude: UInt64, negative: Bool) {
        if negative { output.append(UInt8(ascii: "-")) }
        var rest = magnitude
        // 20 digits hold UInt64.max; fill from the right, on the stack.
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { buffer in
            var at = buffer.count
            repeat {
                at -= 1
                buffer[at] = UInt8(ascii: "0") + UInt8(rest % 10)
                rest /= 10
            } while rest > 0
            output.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[at...]))
        }
    }

    mutating func writeDouble(_ number: Double) throws(JCSError) {
        guard number.isFinite else {
            throw JCSError(.nonFiniteNumber, "\(number) is not a JSON number; RFC 8785 forbids NaN and infinities")
        }
        if number == 0 {
            // Both +0 and -0.
            output.append(UInt8(ascii: "0"))
            return
        }
        if number.magnitude < 9_007_199_254_740_992, number == number.rounded(.towardZero) {
            writeInteger(UInt64(number.magnitude), negative: number < 0)
            return
        }
        // Swift's description already holds the shortest round-trip digits, choosing the closest
        // when several qualify (ECMA-262 Note 2); only their layout differs from ECMAScript's.
        let decimal = ShortestDecimal(number)
        if number < 0 { output.append(UInt8(ascii: "-")) }
        let digits = decimal.digits
        let k = digits.count
        let n = decimal.pointPosition
        let zero = UInt8(ascii: "0")
        if k <= n, n <= 21 {
            output.append(contentsOf: digits)
            output.append(contentsOf: repeatElement(zero, count: n - k))
        } else if 0 < n, n <= 21 {
            output.append(contentsOf: digits[..<n])
            output.append(UInt8(ascii: "."))
            output.append(contentsOf: digits[n...])
        } else if -6 < n, n <= 0 {
            output.append(zero)
            output.append(UInt8(ascii: "."))
            output.append(contentsOf: repeatElement(zero, count: -n))
            output.append(contentsOf: digits)
        } else {
            output.append(digits[0])
            if k > 1 {
                output.append(UInt8(ascii: "."))
                output.append(contentsOf: digits[1...])
            }
            output.append(UInt8(ascii: "e"))
            let exponent = n - 1
            output.append(exponent < 0 ? UInt8(ascii: "-") : UInt8(ascii: "+"))
            writeInteger(UInt64(exponent.magnitude), negative: false)
        }
    }

    mutating func writeString(_ text: String) {
        JSON.appendQuoted(text, to: &output)
    }
}

/// The shortest decimal digits of a finite, non-zero double, as ECMA-262 §7.1.12.1 names them: the
/// value is `0.d1d2...dk × 10^n` with `d1 != 0` and `dk != 0`.
struct ShortestDecimal {
    /// ASCII digits `d1...dk`, without leading or trailing zeros.
    let digits: [UInt8]
    /// `n`: where the decimal point goes relative to the first digit.
    let pointPosition: Int

    /// Reads the digits off Swift's `description`, which has forms like `1.5`, `0.0001`,
    /// `9007199254740994.0`, `1e-07` and `1.7976931348623157e+308`.
    init(_ number: Double) {
        var digits: [UInt8] = []
        digits.reserveCapacity(17)
        var integerDigits = 0
        var exponent = 0
        var exponentNegative = false
        var state = 0  // 0: integer part, 1: fraction, 2: exponent
        for byte in number.magnitude.description.utf8 {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                switch state {
                case 0:
                    digits.append(byte)
                    integerDigits += 1
                case 1:
                    digits.append(byte)
                default:
                    exponent = exponent * 10 + Int(byte - UInt8(ascii: "0"))
                }
            case UInt8(ascii: "."): state = 1
            case UInt8(ascii: "e"), UInt8(ascii: "E"): state = 2
            case UInt8(ascii: "-"): exponentNegative = true
            default: break  // "+" of the exponent
            }
        }
        var point = integerDigits + (exponentNegative ? -exponent : exponent)
        let leadingZeros = digits.prefix { $0 == UInt8(ascii: "0") }.count
        point -= leadingZeros
        var trimmed = Array(digits.dropFirst(leadingZeros))
        while trimmed.last == UInt8(ascii: "0") { trimmed.removeLast() }
        self.digits = trimmed
        self.pointPosition = point
    }
}
