// The parser works on raw bytes and never recurses: containers being filled live on explicit
// stacks, so no input, however deep, can exhaust the thread's stack.

extension JSON {
    /// Parses a complete JSON document from UTF-8 bytes, strictly and within `limits`.
    ///
    /// Accepts exactly RFC 8259 JSON text with the I-JSON (RFC 7493) restrictions: the document is
    /// one value, optionally surrounded by whitespace. Refused: a byte order mark, comments,
    /// trailing commas, leading zeros, `NaN` and `Infinity`, numbers beyond the range of `Double`,
    /// unescaped control characters, invalid escapes, escaped lone surrogates, malformed UTF-8,
    /// repeated member names, and anything after the value.
    ///
    /// A number without fraction or exponent that fits `Int64` becomes ``integer(_:)``; any other
    /// number becomes ``double(_:)``, correctly rounded.
    ///
    /// - Parameters:
    ///   - bytes: The document, for instance `[UInt8]`, `ArraySlice<UInt8>` or Foundation's `Data`.
    ///   - limits: Bounds on size and nesting; see ``JSONLimits``.
    /// - Throws: ``JSONError`` saying what is wrong and at which byte offset.
    public static func parse(_ bytes: some Collection<UInt8>, limits: JSONLimits = .default) throws(JSONError)
        -> JSON
    {
        let contiguous = bytes.withContiguousStorageIfAvailable { buffer in
            parseResult(buffer, limits: limits)
        }
        if let contiguous { return try contiguous.get() }
        guard bytes.count <= limits.maxBytes else { throw JSONParser.tooLarge(limits) }
        return try Array(bytes).withUnsafeBufferPointer { parseResult($0, limits: limits) }.get()
    }

    /// Parses a complete JSON document from text; see `JSON.parse(_:limits:)`.
    public static func parse(_ text: String, limits: JSONLimits = .default) throws(JSONError) -> JSON {
        var text = text
        return try text.withUTF8 { parseResult($0, limits: limits) }.get()
    }

    private static func parseResult(_ buffer: UnsafeBufferPointer<UInt8>, limits: JSONLimits) -> Result<
        JSON, JSONError
    > {
        var parser = JSONParser(buffer, limits: limits)
        do {
            return .success(try parser.parseDocument())
        } catch {
            return .failure(error)
        }
    }
}

/// Single-use parser state over one contiguous document.
struct JSONParser {
    private let bytes: UnsafeBufferPointer<UInt8>
    private let end: Int
    private let limits: JSONLimits
    private var pos = 0
    /// Reused buffer for strings that contain escapes.
    private var scratch: [UInt8] = []

    init(_ bytes: UnsafeBufferPointer<UInt8>, limits: JSONLimits) {
        self.bytes = bytes
        self.end = bytes.count
        self.limits = limits
    }

    static func tooLarge(_ limits: JSONLimits) -> JSONError {
        JSONError(
            kind: .limitExceeded, offset: limits.maxBytes,
            message: "document is larger than \(limits.maxBytes) bytes at byte \(limits.maxBytes)")
    }

    // MARK: Document structure

    private enum Container {
        case array
        case object
    }

    mutating func parseDocument() throws(JSONError) -> JSON {
        guard end <= limits.maxBytes else { throw Self.tooLarge(limits) }
        if end >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF {
            throw fail(.syntax, "a byte order mark is not allowed before JSON text", at: 0)
        }

        // Containers being filled, innermost last; `arrays`, `objects` and `keys` are parallel
        // stacks so each container mutates in place instead of being copied out of an enum.
        var containers: [Container] = []
        var arrays: [[JSON]] = []
        var objects: [JSONObject] = []
        var keys: [String] = []
        var afterComma = false

        parseValue: while true {
            skipWhitespace()
            guard pos < end else {
                throw fail(.syntax, containers.isEmpty ? "empty document" : "unexpected end of input, expected a value")
            }
            var value: JSON
            let byte = bytes[pos]
            let valueFollowsComma = afterComma
            afterComma = false
            switch byte {
            case UInt8(ascii: "["):
                try checkDepth(containers.count)
                pos += 1
                skipWhitespace()
                if pos < end, bytes[pos] == UInt8(ascii: "]") {
                    pos += 1
                    value = .array([])
                } else {
                    containers.append(.array)
                    arrays.append([])
                    continue parseValue
                }
            case UInt8(ascii: "{"):
                try checkDepth(containers.count)
                pos += 1
                skipWhitespace()
                if pos < end, bytes[pos] == UInt8(ascii: "}") {
                    pos += 1
                    value = .object(JSONObject())
                } else {
                    // Room for the members of the document's own object (an activity has six to
                    // ten) rather than growing its list three or four times; nested objects are
                    // left to grow, so that a body of many small objects costs no more memory.
                    var object = JSONObject()
                    if containers.isEmpty { object.reserveCapacity(8) }
                    containers.append(.object)
                    objects.append(object)
                    keys.append(try parseMemberName(afterComma: false).name)
                    continue parseValue
                }
            case UInt8(ascii: "\""):
                value = .string(try parseString())
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                value = try parseNumber()
            case UInt8(ascii: "t"):
                try expectLiteral("true")
                value = .bool(true)
            case UInt8(ascii: "f"):
                try expectLiteral("false")
                value = .bool(false)
            case UInt8(ascii: "n"):
                try expectLiteral("null")
                value = .null
            case UInt8(ascii: "]") where valueFollowsComma:
                throw fail(.syntax, "trailing comma before ']'")
            default:
                throw unexpected(expecting: "a value")
            }

            // A value is complete: add it to the innermost container, closing containers as they end.
            while true {
                guard let container = containers.last else {
                    skipWhitespace()
                    guard pos == end else { throw unexpected(expecting: "end of input after the value") }
                    return value
                }
                switch container {
                case .array:
                    let top = arrays.count - 1
                    guard arrays[top].count < limits.maxContainerElements else {
                        throw tooManyElements()
                    }
                    arrays[top].append(value)
                    skipWhitespace()
                    guard pos < end else { throw fail(.syntax, "unexpected end of input in an array, expected ',' or ']'") }
                    if bytes[pos] == UInt8(ascii: ",") {
                        pos += 1
                        if arrays[top].count >= limits.maxContainerElements {
                            skipWhitespace()
                            throw tooManyElements()
                        }
                        afterComma = true
                        continue parseValue
                    }
                    guard bytes[pos] == UInt8(ascii: "]") else { throw unexpected(expecting: "',' or ']' in an array") }
                    pos += 1
                    containers.removeLast()
                    value = .array(arrays.removeLast())
                case .object:
                    let top = objects.count - 1
                    guard objects[top].count < limits.maxContainerElements else {
                        throw tooManyElements()
                    }
                    objects[top].appendNew(key: keys.removeLast(), value: value)
                    skipWhitespace()
                    guard pos < end else { throw fail(.syntax, "unexpected end of input in an object, expected ',' or '}'") }
                    if bytes[pos] == UInt8(ascii: ",") {
                        pos += 1
                        if objects[top].count >= limits.maxContainerElements {
                            skipWhitespace()
                            throw tooManyElements()
                        }
                        let (name, start) = try parseMemberName(afterComma: true)
                        if objects[top].contains(name) {
                            throw fail(.duplicateKey, "duplicate member name \(Self.quoted(name)) in an object", at: start)
                        }
                        keys.append(name)
                        continue parseValue
                    }
                    guard bytes[pos] == UInt8(ascii: "}") else { throw unexpected(expecting: "',' or '}' in an object") }
                    pos += 1
                    containers.removeLast()
                    value = .object(objects.removeLast())
                }
            }
        }
    }

    /// Parses `"name" :`; the caller checks the name against the members already read.
    private mutating func parseMemberName(afterComma: Bool) throws(JSONError) -> (name: String, start: Int) {
        skipWhitespace()
        guard pos < end else { throw fail(.syntax, "unexpected end of input in an object, expected a member name") }
        guard bytes[pos] == UInt8(ascii: "\"") else {
            if afterComma, bytes[pos] == UInt8(ascii: "}") { throw fail(.syntax, "trailing comma before '}'") }
            throw unexpected(expecting: "a member name in double quotes")
        }
        let start = pos
        let name = try parseString()
        skipWhitespace()
        guard pos < end, bytes[pos] == UInt8(ascii: ":") else { throw unexpected(expecting: "':' after a member name") }
        pos += 1
        return (name, start)
    }

    private func checkDepth(_ open: Int) throws(JSONError) {
        guard open < limits.maxDepth else {
            throw fail(.limitExceeded, "nesting deeper than \(limits.maxDepth) levels")
        }
    }

    private func tooManyElements() -> JSONError {
        fail(.limitExceeded, "container has more than \(limits.maxContainerElements) elements")
    }

    private mutating func skipWhitespace() {
        while pos < end {
            switch bytes[pos] {
            case 0x20, 0x0A, 0x0D, 0x09: pos += 1
            default: return
            }
        }
    }

    private mutating func expectLiteral(_ literal: StaticString) throws(JSONError) {
        let count = literal.utf8CodeUnitCount
        let expected = UnsafeBufferPointer(start: literal.utf8Start, count: count)
        for offset in 0..<count {
            guard pos + offset < end else { throw fail(.syntax, "unexpected end of input in '\(literal)'", at: pos + offset) }
            guard bytes[pos + offset] == expected[offset] else {
                pos += offset
                throw unexpected(expecting: "'\(literal)'")
            }
        }
        pos += count
    }

    // MARK: Numbers

    private mutating func parseNumber() throws(JSONError) -> JSON {
        let start = pos
        var i = pos
        let negative = bytes[i] == UInt8(ascii: "-")
        if negative { i += 1 }
        guard i < end, isDigit(bytes[i]) else {
            pos = i
            if i < end, bytes[i] == UInt8(ascii: "I") {
                throw fail(.syntax, "Infinity is not a JSON number")
            }
            throw unexpected(expecting: "a digit after '-'")
        }
        if bytes[i] == UInt8(ascii: "0") {
            i += 1
            if i < end, isDigit(bytes[i]) {
                throw fail(.syntax, "leading zeros are not allowed in numbers", at: start)
            }
        } else {
            while i < end, isDigit(bytes[i]) { i += 1 }
        }
        let integerEnd = i
        var isInteger = true
        if i < end, bytes[i] == UInt8(ascii: ".") {
            isInteger = false
            i += 1
            guard i < end, isDigit(bytes[i]) else {
                pos = i
                throw unexpected(expecting: "a digit after the decimal point")
            }
            while i < end, isDigit(bytes[i]) { i += 1 }
        }
        if i < end, bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E") {
            isInteger = false
            i += 1
            if i < end, bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-") { i += 1 }
            guard i < end, isDigit(bytes[i]) else {
                pos = i
                throw unexpected(expecting: "a digit in the exponent")
            }
            while i < end, isDigit(bytes[i]) { i += 1 }
        }
        pos = i

        if isInteger, let exact = exactInteger(from: negative ? start + 1 : start, to: integerEnd, negative: negative) {
            return .integer(exact)
        }
        // The slice is a valid JSON number, which is also valid input for Swift's correctly rounded
        // decimal conversion.
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<i]), as: UTF8.self)
        guard let value = Double(text), value.isFinite else {
            throw fail(.numberOutOfRange, "number is too large for a 64-bit floating-point value", at: start)
        }
        return .double(value)
    }

    /// The integer in `bytes[from..<to]` (digits only), or nil when it does not fit `Int64`.
    private func exactInteger(from: Int, to: Int, negative: Bool) -> Int64? {
        // Accumulate negatively: Int64's range reaches one further below zero than above.
        var value: Int64 = 0
        for i in from..<to {
            let digit = Int64(bytes[i] &- UInt8(ascii: "0"))
            let (shifted, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (next, overflow2) = shifted.subtractingReportingOverflow(digit)
            if overflow1 || overflow2 { return nil }
            value = next
        }
        if negative { return value }
        return value == .min ? nil : -value
    }

    private func isDigit(_ byte: UInt8) -> Bool {
        byte &- UInt8(ascii: "0") < 10
    }

    // MARK: Strings

    /// Parses a string starting at its opening quote.
    private mutating func parseString() throws(JSONError) -> String {
        let quote = pos
        let start = pos + 1
        var i = start
        // Fast path: no escapes, so the text is a slice of the input (validated as it is scanned).
        while i < end {
            let byte = bytes[i]
            if byte == UInt8(ascii: "\"") {
                guard i - start <= limits.maxStringBytes else { throw stringTooLong(at: quote) }
                pos = i + 1
                return String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<i]), as: UTF8.self)
            }
            if byte == UInt8(ascii: "\\") { break }
            if byte < 0x20 { throw controlCharacter(byte, at: i) }
            if byte < 0x80 {
                i += 1
            } else {
                i += try utf8SequenceLength(at: i)
            }
            if i - start > limits.maxStringBytes { throw stringTooLong(at: quote) }
        }
        guard i < end else { throw fail(.syntax, "unterminated string", at: quote) }

        // Slow path: unescape into the scratch buffer.
        scratch.removeAll(keepingCapacity: true)
        scratch.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<i]))
        while i < end {
            let byte = bytes[i]
            if byte == UInt8(ascii: "\"") {
                pos = i + 1
                return String(decoding: scratch, as: UTF8.self)
            }
            if byte == UInt8(ascii: "\\") {
                i = try unescape(at: i)
            } else if byte < 0x20 {
                throw controlCharacter(byte, at: i)
            } else if byte < 0x80 {
                scratch.append(byte)
                i += 1
            } else {
                let length = try utf8SequenceLength(at: i)
                scratch.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[i..<(i + length)]))
                i += length
            }
            if scratch.count > limits.maxStringBytes { throw stringTooLong(at: quote) }
        }
        throw fail(.syntax, "unterminated string", at: quote)
    }

    /// Decodes the escape at `at` (a backslash) into `scratch`; returns the offset after it.
    private mutating func unescape(at backslash: Int) throws(JSONError) -> Int {
        let i = backslash + 1
        guard i < end else { throw fail(.syntax, "unterminated string", at: backslash) }
        let decoded: UInt8
        switch bytes[i] {
        case UInt8(ascii: "\""): decoded = UInt8(ascii: "\"")
        case UInt8(ascii: "\\"): decoded = UInt8(ascii: "\\")
        case UInt8(ascii: "/"): decoded = UInt8(ascii: "/")
        case UInt8(ascii: "b"): decoded = 0x08
        case UInt8(ascii: "f"): decoded = 0x0C
        case UInt8(ascii: "n"): decoded = 0x0A
        case UInt8(ascii: "r"): decoded = 0x0D
        case UInt8(ascii: "t"): decoded = 0x09
        case UInt8(ascii: "u"):
            let unit = try hexQuad(at: i + 1, escape: backslash)
            var next = i + 5
            var scalar = UInt32(unit)
            switch unit {
            case 0xD800...0xDBFF:
                guard next + 1 < end, bytes[next] == UInt8(ascii: "\\"), bytes[next + 1] == UInt8(ascii: "u") else {
                    throw fail(.syntax, "lone surrogate \\u\(Self.hex(unit)) is not allowed (expected a low surrogate after it)", at: backslash)
                }
                let low = try hexQuad(at: next + 2, escape: next)
                guard (0xDC00...0xDFFF).contains(low) else {
                    throw fail(.syntax, "lone surrogate \\u\(Self.hex(unit)) is not allowed (followed by \\u\(Self.hex(low)))", at: backslash)
                }
                scalar = 0x10000 + ((UInt32(unit) - 0xD800) << 10) + (UInt32(low) - 0xDC00)
                next += 6
            case 0xDC00...0xDFFF:
                throw fail(.syntax, "lone surrogate \\u\(Self.hex(unit)) is not allowed (low surrogate without a high one)", at: backslash)
            default:
                break
            }
            appendUTF8(scalar)
            return next
        default:
            throw fail(.syntax, "invalid escape sequence \(Self.describe(bytes[i])) after '\\' in a string", at: backslash)
        }
        scratch.append(decoded)
        return i + 1
    }

    private func hexQuad(at start: Int, escape: Int) throws(JSONError) -> UInt16 {
        guard start + 4 <= end else { throw fail(.syntax, "incomplete \\u escape", at: escape) }
        var value: UInt16 = 0
        for i in start..<(start + 4) {
            let byte = bytes[i]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default:
                throw fail(.syntax, "invalid hexadecimal digit \(Self.describe(byte)) in a \\u escape", at: i)
            }
            value = value << 4 | UInt16(digit)
        }
        return value
    }

    private mutating func appendUTF8(_ scalar: UInt32) {
        switch scalar {
        case 0..<0x80:
            scratch.append(UInt8(scalar))
        case 0x80..<0x800:
            scratch.append(UInt8(0xC0 | scalar >> 6))
            scratch.append(UInt8(0x80 | scalar & 0x3F))
        case 0x800..<0x10000:
            scratch.append(UInt8(0xE0 | scalar >> 12))
            scratch.append(UInt8(0x80 | scalar >> 6 & 0x3F))
            scratch.append(UInt8(0x80 | scalar & 0x3F))
        default:
            scratch.append(UInt8(0xF0 | scalar >> 18))
            scratch.append(UInt8(0x80 | scalar >> 12 & 0x3F))
            scratch.append(UInt8(0x80 | scalar >> 6 & 0x3F))
            scratch.append(UInt8(0x80 | scalar & 0x3F))
        }
    }

    /// Length of the well-formed UTF-8 sequence at `at` (whose first byte is >= 0x80), following the
    /// Unicode standard's table of well-formed sequences: no overlong forms, no encoded surrogates,
    /// nothing above U+10FFFF.
    private func utf8SequenceLength(at start: Int) throws(JSONError) -> Int {
        let lead = bytes[start]
        let length: Int
        var secondRange: ClosedRange<UInt8> = 0x80...0xBF
        switch lead {
        case 0xC2...0xDF: length = 2
        case 0xE0: length = 3; secondRange = 0xA0...0xBF
        case 0xE1...0xEC, 0xEE...0xEF: length = 3
        case 0xED: length = 3; secondRange = 0x80...0x9F
        case 0xF0: length = 4; secondRange = 0x90...0xBF
        case 0xF1...0xF3: length = 4
        case 0xF4: length = 4; secondRange = 0x80...0x8F
        default:
            throw fail(.invalidUTF8, "invalid UTF-8 byte 0x\(Self.hex(lead))", at: start)
        }
        guard start + length <= end else { throw fail(.invalidUTF8, "truncated UTF-8 sequence", at: start) }
        guard secondRange.contains(bytes[start + 1]) else {
            throw fail(.invalidUTF8, "invalid UTF-8 sequence starting with byte 0x\(Self.hex(lead))", at: start)
        }
        var i = start + 2
        while i < start + length {
            guard bytes[i] & 0xC0 == 0x80 else {
                throw fail(.invalidUTF8, "invalid UTF-8 sequence starting with byte 0x\(Self.hex(lead))", at: start)
            }
            i += 1
        }
        return length
    }

    private func controlCharacter(_ byte: UInt8, at offset: Int) -> JSONError {
        fail(.syntax, "control character U+00\(Self.hex(byte)) must be escaped in a string", at: offset)
    }

    private func stringTooLong(at offset: Int) -> JSONError {
        fail(.limitExceeded, "string is longer than \(limits.maxStringBytes) bytes", at: offset)
    }

    // MARK: Errors

    private func fail(_ kind: JSONError.Kind, _ text: String, at offset: Int? = nil) -> JSONError {
        let offset = offset ?? pos
        return JSONError(kind: kind, offset: offset, message: "\(text) at byte \(offset)")
    }

    /// An error for the byte at `pos`, with a precise explanation for common non-JSON syntax.
    private func unexpected(expecting what: String) -> JSONError {
        guard pos < end else { return fail(.syntax, "unexpected end of input, expected \(what)") }
        let byte = bytes[pos]
        switch byte {
        case UInt8(ascii: "/"):
            return fail(.syntax, "comments are not allowed in JSON")
        case UInt8(ascii: "N"), UInt8(ascii: "I"):
            return fail(.syntax, "NaN and Infinity are not JSON numbers")
        case 0x80...:
            if (try? utf8SequenceLength(at: pos)) == nil {
                return fail(.invalidUTF8, "invalid UTF-8 byte 0x\(Self.hex(byte))")
            }
            return fail(.syntax, "unexpected byte 0x\(Self.hex(byte)), expected \(what)")
        default:
            return fail(.syntax, "unexpected character \(Self.describe(byte)), expected \(what)")
        }
    }

    /// `'x'` for a printable ASCII byte, `0x0A`-style otherwise.
    private static func describe(_ byte: UInt8) -> String {
        if byte >= 0x20, byte < 0x7F { return "'\(Character(Unicode.Scalar(byte)))'" }
        return "byte 0x\(hex(byte))"
    }

    private static func hex(_ value: some FixedWidthInteger) -> String {
        let digits = String(value, radix: 16, uppercase: true)
        let width = value.bitWidth / 4
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }

    /// A member name for an error message, shortened so a hostile name cannot flood logs.
    private static func quoted(_ name: String) -> String {
        let limit = 64
        if name.count <= limit { return "\"\(name)\"" }
        return "\"\(name.prefix(limit))…\""
    }
}
