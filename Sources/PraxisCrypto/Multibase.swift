/// Multibase strings (a one-character prefix naming the base): `z` = base58btc, `u` = base64url.
///
/// Only the two bases the fediverse uses are supported: `z` for Multikey and Data Integrity proof
/// values, `u` for the occasional base64url value.
public enum Multibase {
    /// The base of a multibase string.
    public enum Encoding: Sendable, Equatable {
        /// `z` + base58 (Bitcoin alphabet).
        case base58btc
        /// `u` + URL-safe base64 without padding.
        case base64url
    }

    /// Encodes `bytes` with the given base and its prefix.
    public static func encode(_ bytes: [UInt8], as encoding: Encoding) -> String {
        switch encoding {
        case .base58btc: "z" + Base58.encode(bytes)
        case .base64url: "u" + Base64.urlEncode(bytes)
        }
    }

    /// Decodes a `z` or `u` multibase string.
    /// - Throws: ``CryptoError`` (`invalidEncoding`) on an empty string, another prefix, or a body that
    ///   is not valid in its base.
    public static func decode(_ string: String) throws -> [UInt8] {
        try decodeWithEncoding(string).bytes
    }

    /// Decodes a `z` or `u` multibase string and says which base it used.
    public static func decodeWithEncoding(_ string: String) throws -> (encoding: Encoding, bytes: [UInt8]) {
        guard let prefix = string.utf8.first else { throw CryptoError(.invalidEncoding, "multibase: empty string") }
        let body = String(string.dropFirst())
        switch prefix {
        case UInt8(ascii: "z"): return (.base58btc, try Base58.decode(body))
        case UInt8(ascii: "u"): return (.base64url, try Base64.urlDecode(body))
        default:
            throw CryptoError(.invalidEncoding, "multibase: unsupported prefix '\(Character(Unicode.Scalar(prefix)))' (expected 'z' or 'u')")
        }
    }
}

/// The key types a Multikey value can carry, named after their multicodec entries.
public enum MulticodecKind: Sendable, Equatable, CaseIterable {
    /// `ed25519-pub` (0xed): 32-byte Ed25519 public key.
    case ed25519Public
    /// `ed25519-priv` (0x1300): 32-byte Ed25519 seed.
    case ed25519Private
    /// `p256-pub` (0x1200): 33-byte compressed P-256 point.
    case p256Public

    /// The multicodec code point.
    public var code: UInt64 {
        switch self {
        case .ed25519Public: 0xed
        case .ed25519Private: 0x1300
        case .p256Public: 0x1200
        }
    }

    /// Exact key length for this codec.
    public var keyLength: Int {
        switch self {
        case .ed25519Public, .ed25519Private: 32
        case .p256Public: 33
        }
    }
}

/// Multikey (W3C Controlled Identifiers; FEP-521a): `z` + base58btc(varint(multicodec) || key).
///
/// An Ed25519 public key starts `z6Mk`, an Ed25519 seed `z3u2`.
public enum Multikey {
    /// Encodes a 32-byte Ed25519 public key (`z6Mk...`).
    public static func encodeEd25519Public(_ raw: [UInt8]) -> String {
        encode(raw, as: .ed25519Public)
    }

    /// Encodes a 32-byte Ed25519 seed (`z3u2...`).
    public static func encodeEd25519Private(_ raw: [UInt8]) -> String {
        encode(raw, as: .ed25519Private)
    }

    /// Encodes key bytes with the multicodec prefix of `kind`.
    public static func encode(_ key: [UInt8], as kind: MulticodecKind) -> String {
        var bytes = varint(kind.code)
        bytes.append(contentsOf: key)
        let result = Multibase.encode(bytes, as: .base58btc)
        if kind == .ed25519Private { wipe(&bytes) }
        return result
    }

    /// Decodes a Multikey value into its codec and key bytes.
    /// - Throws: ``CryptoError``: `invalidEncoding` for bad multibase/varint, `invalidKey` for an
    ///   unknown codec or a key of the wrong length for its codec.
    public static func decode(_ string: String) throws -> (codec: MulticodecKind, key: [UInt8]) {
        var bytes = try Multibase.decode(string)
        defer { wipe(&bytes) }
        var code: UInt64 = 0
        var shift: UInt64 = 0
        var index = 0
        while true {
            guard index < bytes.count, index < 9 else {
                throw CryptoError(.invalidEncoding, "multikey: truncated or overlong multicodec prefix")
            }
            let byte = bytes[index]
            code |= UInt64(byte & 0x7F) << shift
            index += 1
            if byte & 0x80 == 0 { break }
            shift += 7
        }
        guard let kind = MulticodecKind.allCases.first(where: { $0.code == code }) else {
            throw CryptoError(.invalidKey, "multikey: unsupported multicodec 0x\(String(code, radix: 16))")
        }
        guard varint(code).count == index else {
            throw CryptoError(.invalidEncoding, "multikey: non-minimal multicodec prefix")
        }
        let key = Array(bytes[index...])
        guard key.count == kind.keyLength else {
            throw CryptoError(.invalidKey, "multikey: \(kind) key must be \(kind.keyLength) bytes, got \(key.count)")
        }
        return (kind, key)
    }

    /// Unsigned LEB128, as multicodec prefixes are written.
    static func varint(_ value: UInt64) -> [UInt8] {
        var value = value
        var out: [UInt8] = []
        repeat {
            var byte = UInt8(value & 0x7F)
            value >>= 7
            if value != 0 { byte |= 0x80 }
            out.append(byte)
        } while value != 0
        return out
    }
}
