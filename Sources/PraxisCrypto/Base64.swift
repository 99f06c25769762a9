/// RFC 4648 base64, strict: decoding rejects anything that a conforming encoder would not produce.
///
/// Strictness matters here because the bytes feed signature checks and digests: two different
/// strings must never decode to the same key or signature. `decode` therefore requires padding,
/// rejects whitespace, stray characters and non-zero trailing bits. The URL-safe variant (RFC 4648
/// section 5) encodes without padding, as JOSE and multibase `u` use it, and decodes with or without.
public enum Base64 {
    /// Standard alphabet with `=` padding.
    public static func encode(_ bytes: [UInt8]) -> String {
        encode(bytes, alphabet: standardAlphabet, padding: true)
    }

    /// Decodes standard, padded base64.
    /// - Throws: ``CryptoError`` (`invalidEncoding`) on a missing or misplaced `=`, a character outside
    ///   the alphabet (whitespace included) or non-canonical trailing bits.
    public static func decode(_ string: String) throws -> [UInt8] {
        try decode(Array(string.utf8), table: standardTable, padding: .required, name: "base64")
    }

    /// URL-safe alphabet (`-`, `_`), no padding.
    public static func urlEncode(_ bytes: [UInt8]) -> String {
        encode(bytes, alphabet: urlAlphabet, padding: false)
    }

    /// Decodes URL-safe base64 with or without `=` padding.
    public static func urlDecode(_ string: String) throws -> [UInt8] {
        try decode(Array(string.utf8), table: urlTable, padding: .optional, name: "base64url")
    }

    /// Standard alphabet without padding (the PHC password-hash string format uses this).
    static func encodeUnpadded(_ bytes: [UInt8]) -> String {
        encode(bytes, alphabet: standardAlphabet, padding: false)
    }

    /// Decodes the standard alphabet without padding (rejects `=`).
    static func decodeUnpadded(_ string: String) throws -> [UInt8] {
        try decode(Array(string.utf8), table: standardTable, padding: .forbidden, name: "base64")
    }

    // MARK: - Implementation

    enum Padding { case required, optional, forbidden }

    private static let standardAlphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
    private static let urlAlphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)
    static let standardTable = makeTable(standardAlphabet)
    private static let urlTable = makeTable(urlAlphabet)
    private static let invalid: UInt8 = 0xFF

    private static func makeTable(_ alphabet: [UInt8]) -> [UInt8] {
        var table = [UInt8](repeating: invalid, count: 256)
        for (value, char) in alphabet.enumerated() { table[Int(char)] = UInt8(value) }
        return table
    }

    private static func encode(_ bytes: [UInt8], alphabet: [UInt8], padding: Bool) -> String {
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var index = 0
        while index + 3 <= bytes.count {
            let chunk = UInt32(bytes[index]) << 16 | UInt32(bytes[index + 1]) << 8 | UInt32(bytes[index + 2])
            out.append(alphabet[Int(chunk >> 18 & 63)])
            out.append(alphabet[Int(chunk >> 12 & 63)])
            out.append(alphabet[Int(chunk >> 6 & 63)])
            out.append(alphabet[Int(chunk & 63)])
            index += 3
        }
        switch bytes.count - index {
        case 1:
            let chunk = UInt32(bytes[index]) << 16
            out.append(alphabet[Int(chunk >> 18 & 63)])
            out.append(alphabet[Int(chunk >> 12 & 63)])
            if padding { out.append(contentsOf: [UInt8(ascii: "="), UInt8(ascii: "=")]) }
        case 2:
            let chunk = UInt32(bytes[index]) << 16 | UInt32(bytes[index + 1]) << 8
            out.append(alphabet[Int(chunk >> 18 & 63)])
            out.append(alphabet[Int(chunk >> 12 & 63)])
            out.append(alphabet[Int(chunk >> 6 & 63)])
            if padding { out.append(UInt8(ascii: "=")) }
        default:
            break
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func decode(_ input: [UInt8], table: [UInt8], padding: Padding, name: String) throws -> [UInt8] {
        var end = input.count
        var padCount = 0
        while end > 0, input[end - 1] == UInt8(ascii: "="), padCount < 2 {
            end -= 1
            padCount += 1
        }
        switch padding {
        case .required:
            guard input.count % 4 == 0 else {
                throw CryptoError(.invalidEncoding, "\(name): length \(input.count) is not a multiple of 4 (padding required)")
            }
        case .optional:
            if padCount > 0, input.count % 4 != 0 {
                throw CryptoError(.invalidEncoding, "\(name): wrong amount of '=' padding")
            }
        case .forbidden:
            if padCount > 0 { throw CryptoError(.invalidEncoding, "\(name): '=' padding is not allowed here") }
        }
        let remainder = end % 4
        guard remainder != 1 else { throw CryptoError(.invalidEncoding, "\(name): truncated input") }
        if padCount > 0, (remainder + padCount) != 4 {
            throw CryptoError(.invalidEncoding, "\(name): wrong amount of '=' padding")
        }

        var out: [UInt8] = []
        out.reserveCapacity(end / 4 * 3 + 2)
        var accumulator: UInt32 = 0
        var bitCount = 0
        for index in 0..<end {
            let value = table[Int(input[index])]
            guard value != invalid else {
                throw CryptoError(.invalidEncoding, "\(name): invalid character at offset \(index)")
            }
            accumulator = accumulator << 6 | UInt32(value)
            bitCount += 6
            if bitCount >= 8 {
                bitCount -= 8
                out.append(UInt8(truncatingIfNeeded: accumulator >> UInt32(bitCount)))
                accumulator &= (1 << UInt32(bitCount)) - 1
            }
        }
        guard accumulator == 0 else {
            throw CryptoError(.invalidEncoding, "\(name): non-zero bits after the last byte (not canonical)")
        }
        return out
    }
}

/// Lower-case hexadecimal, as digests are usually printed.
public enum Hex {
    private static let digits = Array("0123456789abcdef".utf8)

    /// Lower-case hex of `bytes`.
    public static func encode(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 15)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Decodes hex (either case, no separators).
    /// - Throws: ``CryptoError`` (`invalidEncoding`) on an odd length or a non-hex character.
    public static func decode(_ string: String) throws -> [UInt8] {
        let chars = Array(string.utf8)
        guard chars.count % 2 == 0 else { throw CryptoError(.invalidEncoding, "hex: odd number of digits") }
        var out: [UInt8] = []
        out.reserveCapacity(chars.count / 2)
        var index = 0
        while index < chars.count {
            guard let high = nibble(chars[index]), let low = nibble(chars[index + 1]) else {
                throw CryptoError(.invalidEncoding, "hex: invalid character near offset \(index)")
            }
            out.append(high << 4 | low)
            index += 2
        }
        return out
    }

    private static func nibble(_ char: UInt8) -> UInt8? {
        switch char {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): char - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): char - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): char - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
