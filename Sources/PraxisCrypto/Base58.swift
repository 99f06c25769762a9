/// Base58 with the Bitcoin alphabet ("base58btc"), as multibase `z`, Multikey and Data Integrity
/// `proofValue` use it. Each leading zero byte is written as a leading `1`.
///
/// The conversion is quadratic in the input length, so ``decode(_:)`` refuses input longer than
/// ``maximumDecodeLength`` characters: keys and signatures are under 100 characters, and an attacker
/// must not be able to make a verifier spin on a megabyte of base58.
public enum Base58 {
    /// Longest string ``decode(_:)`` accepts.
    public static let maximumDecodeLength = 2048

    private static let alphabet = Array("123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz".utf8)
    private static let table: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (value, char) in alphabet.enumerated() { table[Int(char)] = UInt8(value) }
        return table
    }()

    /// Encodes `bytes` in base58btc.
    public static func encode(_ bytes: [UInt8]) -> String {
        let zeros = bytes.prefix(while: { $0 == 0 }).count
        let size = (bytes.count - zeros) * 138 / 100 + 1
        var digits = [UInt8](repeating: 0, count: size)
        var length = 0
        for byte in bytes[zeros...] {
            var carry = Int(byte)
            var used = 0
            var position = size - 1
            while (carry != 0 || used < length) && position >= 0 {
                carry += 256 * Int(digits[position])
                digits[position] = UInt8(carry % 58)
                carry /= 58
                used += 1
                position -= 1
            }
            length = used
        }
        var start = size - length
        while start < size && digits[start] == 0 { start += 1 }
        var out = [UInt8](repeating: UInt8(ascii: "1"), count: zeros)
        out.reserveCapacity(zeros + size - start)
        for digit in digits[start...] { out.append(alphabet[Int(digit)]) }
        return String(decoding: out, as: UTF8.self)
    }

    /// Decodes base58btc.
    /// - Throws: ``CryptoError`` (`invalidEncoding`) on a character outside the alphabet (`0`, `O`,
    ///   `I`, `l`, whitespace ...) or input longer than ``maximumDecodeLength``.
    public static func decode(_ string: String) throws -> [UInt8] {
        let chars = Array(string.utf8)
        guard chars.count <= maximumDecodeLength else {
            throw CryptoError(.invalidEncoding, "base58: input longer than \(maximumDecodeLength) characters")
        }
        let zeros = chars.prefix(while: { $0 == UInt8(ascii: "1") }).count
        let size = (chars.count - zeros) * 733 / 1000 + 1
        var bytes = [UInt8](repeating: 0, count: size)
        var length = 0
        for (offset, char) in chars.enumerated().dropFirst(zeros) {
            let value = table[Int(char)]
            guard value != 0xFF else {
                throw CryptoError(.invalidEncoding, "base58: invalid character at offset \(offset)")
            }
            var carry = Int(value)
            var used = 0
            var position = size - 1
            while (carry != 0 || used < length) && position >= 0 {
                carry += 58 * Int(bytes[position])
                bytes[position] = UInt8(carry & 0xFF)
                carry >>= 8
                used += 1
                position -= 1
            }
            length = used
        }
        var start = size - length
        while start < size && bytes[start] == 0 { start += 1 }
        return [UInt8](repeating: 0, count: zeros) + bytes[start...]
    }
}
