extension JSON {
    /// Serialises the value as JSON text.
    ///
    /// Members are written in stored order unless `sortedKeys` is set, in which case they are ordered
    /// by the UTF-16 code units of their names, as RFC 8785 orders them. Strings escape only `"`, `\`
    /// and control characters (`\b \f \n \r \t`, others as `\u00xx`); `/` and non-ASCII characters
    /// are written as they are, in UTF-8. An integral double below 2^53 in magnitude is written
    /// without a fraction (`3.0` as `3`, `-0.0` as `0`), as JavaScript does; other doubles use the
    /// shortest text that reads back to the same value; a non-finite double is written as `null`.
    ///
    /// - Parameters:
    ///   - pretty: Break lines and indent by two spaces, with `": "` after member names.
    ///   - sortedKeys: Order members by name instead of keeping their order.
    public func serialized(pretty: Bool = false, sortedKeys: Bool = false) -> String {
        String(decoding: serializedBytes(pretty: pretty, sortedKeys: sortedKeys), as: UTF8.self)
    }

    /// The UTF-8 bytes of ``serialized(pretty:sortedKeys:)``.
    public func serializedBytes(pretty: Bool = false, sortedKeys: Bool = false) -> [UInt8] {
        var writer = JSONWriter(pretty: pretty, sortedKeys: sortedKeys)
        writer.write(self, indent: 0)
        return writer.output
    }
}

/// Appends JSON text to a byte buffer.
struct JSONWriter {
    var output: [UInt8] = []
    let pretty: Bool
    let sortedKeys: Bool

    init(pretty: Bool, sortedKeys: Bool) {
        self.pretty = pretty
        self.sortedKeys = sortedKeys
        output.reserveCapacity(256)
    }

    mutating func write(_ value: JSON, indent: Int) {
        switch value {
        case .null:
            append("null")
        case .bool(let flag):
            append(flag ? "true" : "false")
        case .integer(let number):
            writeInteger(number)
        case .double(let number):
            writeDouble(number)
        case .string(let text):
            writeString(text)
        case .array(let elements):
            guard !elements.isEmpty else {
                append("[]")
                return
            }
            output.append(UInt8(ascii: "["))
            for (position, element) in elements.enumerated() {
                if position > 0 { output.append(UInt8(ascii: ",")) }
                newline(indent: indent + 1)
                write(element, indent: indent + 1)
            }
            newline(indent: indent)
            output.append(UInt8(ascii: "]"))
        case .object(let object):
            guard !object.isEmpty else {
                append("{}")
                return
            }
            output.append(UInt8(ascii: "{"))
            let order = sortedKeys ? object.positionsSortedByUTF16() : Array(0..<object.count)
            for (n, position) in order.enumerated() {
                if n > 0 { output.append(UInt8(ascii: ",")) }
                newline(indent: indent + 1)
                let (key, member) = object.member(at: position)
                writeString(key)
                output.append(UInt8(ascii: ":"))
                if pretty { output.append(UInt8(ascii: " ")) }
                write(member, indent: indent + 1)
            }
            newline(indent: indent)
            output.append(UInt8(ascii: "}"))
        }
    }

    private mutating func newline(indent: Int) {
        guard pretty else { return }
        output.append(UInt8(ascii: "\n"))
        output.append(contentsOf: repeatElement(UInt8(ascii: " "), count: indent * 2))
    }

    private mutating func append(_ literal: StaticString) {
        output.append(contentsOf: UnsafeBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount))
    }

    mutating func writeInteger(_ number: Int64) {
        if number < 0 { output.append(UInt8(ascii: "-")) }
        var magnitude = number.magnitude
        // 20 digits hold UInt64.max; fill from the right, on the stack.
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { buffer in
            var at = buffer.count
            repeat {
                at -= 1
                buffer[at] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
            } while magnitude > 0
            output.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[at...]))
        }
    }

    mutating func writeDouble(_ number: Double) {
        guard number.isFinite else {
            append("null")
            return
        }
        if number.magnitude < 9_007_199_254_740_992, number == number.rounded(.towardZero) {
            writeInteger(Int64(number))
            return
        }
        output.append(contentsOf: number.description.utf8)
    }

    mutating func writeString(_ text: String) {
        JSON.appendQuoted(text, to: &output)
    }
}

extension JSON {
    /// Appends `text` as a JSON string literal: `"`, `\\` and control characters escaped (short
    /// forms where JSON has them, else `\u00xx` in lowercase hex), everything else as UTF-8. This is
    /// also exactly the string form RFC 8785 (JCS) requires, so the canonicaliser shares it.
    public static func appendQuoted(_ text: String, to output: inout [UInt8]) {
        output.append(UInt8(ascii: "\""))
        var text = text
        text.withUTF8 { bytes in
            // Copy runs that need no escaping in one go.
            var runStart = 0
            for (i, byte) in bytes.enumerated() where byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") {
                output.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<i]))
                runStart = i + 1
                output.append(UInt8(ascii: "\\"))
                switch byte {
                case UInt8(ascii: "\""): output.append(UInt8(ascii: "\""))
                case UInt8(ascii: "\\"): output.append(UInt8(ascii: "\\"))
                case 0x08: output.append(UInt8(ascii: "b"))
                case 0x0C: output.append(UInt8(ascii: "f"))
                case 0x0A: output.append(UInt8(ascii: "n"))
                case 0x0D: output.append(UInt8(ascii: "r"))
                case 0x09: output.append(UInt8(ascii: "t"))
                default:
                    let hexDigits: StaticString = "0123456789abcdef"
                    output.append(contentsOf: [UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0")])
                    output.append(hexDigits.utf8Start[Int(byte >> 4)])
                    output.append(hexDigits.utf8Start[Int(byte & 0xF)])
                }
            }
            output.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart...]))
        }
        output.append(UInt8(ascii: "\""))
    }
}
