import COpenSSL

/// Checks an imported key is EC on P-256 and fixes its point format to uncompressed, so that SPKI
/// and x9.63 output always look the same whatever form the key came in.
private func validatedP256(_ key: KeyBacking, what: String) throws -> KeyBacking {
    guard key.isA("EC") else { throw CryptoError(.invalidKey, "\(what): the key is not an elliptic-curve key") }
    var name = [CChar](repeating: 0, count: 64)
    var length = 0
    let ok = name.withUnsafeMutableBufferPointer { EVP_PKEY_get_group_name(key.pkey, $0.baseAddress, $0.count, &length) }
    let group = ok == 1 ? String(decoding: name.prefix(length).map { UInt8(bitPattern: $0) }, as: UTF8.self) : "unknown"
    guard group == "prime256v1" || group == "P-256" else {
        throw CryptoError(.invalidKey, "\(what): curve \(group) is not supported (P-256 only)")
    }
    guard EVP_PKEY_set_utf8_string_param(key.pkey, "point-format", "uncompressed") == 1 else {
        throw CryptoError(.operationFailed, "\(what): cannot set the point format")
    }
    return key
}

/// Converts between ECDSA's DER `Ecdsa-Sig-Value` and the fixed-size r||s form RFC 9421 and JOSE use.
enum ECDSASignatureFormat {
    static func rawFromDER(_ der: [UInt8], scalarSize: Int) throws -> [UInt8] {
        let sig = try der.withUnsafeBufferPointer { buffer -> OpaquePointer in
            var cursor = buffer.baseAddress
            guard let sig = d2i_ECDSA_SIG(nil, &cursor, buffer.count) else {
                throw CryptoError(.operationFailed, "ECDSA produced an unreadable signature")
            }
            return sig
        }
        defer { ECDSA_SIG_free(sig) }
        var out = [UInt8](repeating: 0, count: 2 * scalarSize)
        let ok = out.withUnsafeMutableBufferPointer { buffer -> Bool in
            guard let base = buffer.baseAddress else { return false }
            return BN_bn2binpad(ECDSA_SIG_get0_r(sig), base, Int32(scalarSize)) == Int32(scalarSize)
                && BN_bn2binpad(ECDSA_SIG_get0_s(sig), base + scalarSize, Int32(scalarSize)) == Int32(scalarSize)
        }
        guard ok else { throw CryptoError(.operationFailed, "ECDSA signature does not fit \(scalarSize)-byte scalars") }
        return out
    }

    /// DER form of r||s, or nil when `raw` has the wrong length.
    static func derFromRaw(_ raw: [UInt8], scalarSize: Int) -> [UInt8]? {
        guard raw.count == 2 * scalarSize, let sig = ECDSA_SIG_new() else { return nil }
        defer { ECDSA_SIG_free(sig) }
        let parts = raw.withUnsafeBufferPointer { buffer -> (OpaquePointer?, OpaquePointer?) in
            guard let base = buffer.baseAddress else { return (nil, nil) }
            return (BN_bin2bn(base, Int32(scalarSize), nil), BN_bin2bn(base + scalarSize, Int32(scalarSize), nil))
        }
        guard let r = parts.0, let s = parts.1 else {
            BN_free(parts.0)
            BN_free(parts.1)
            return nil
        }
        guard ECDSA_SIG_set0(sig, r, s) == 1 else {
            BN_free(r)
            BN_free(s)
            return nil
        }
        return try? KeyDER.encode(what: "ECDSA signature") { i2d_ECDSA_SIG(sig, $0) }
    }
}

/// An ECDSA P-256 signing key (RFC 9421 `ecdsa-p256-sha256`).
public struct P256PrivateKey: Sendable {
    let backing: KeyBacking
    /// The matching public key.
    public let publicKey: P256PublicKey

    /// Generates a new random key.
    public init() throws {
        let backing = try KeyGeneration.generate("EC") { EVP_PKEY_CTX_set_group_name($0, "P-256") == 1 }
        try self.init(validated: validatedP256(backing, what: "P-256 private key"))
    }

    /// Imports SEC1 `EC PRIVATE KEY` or PKCS#8 `PRIVATE KEY` PEM (unencrypted, named curve P-256).
    public init(pem: String) throws {
        var block = try PEM.decode(pem)
        defer { wipe(&block.der) }
        let what = "P-256 private key"
        let backing: KeyBacking
        switch block.label {
        case "PRIVATE KEY":
            backing = try KeyDER.decodePKCS8(block.der, what: what)
        case "EC PRIVATE KEY":
            backing = try KeyDER.decode(block.der, what: what) { d2i_PrivateKey(EVP_PKEY_EC, nil, $0, $1) }
        default:
            throw CryptoError(.invalidKey, "\(what): expected 'EC PRIVATE KEY' or 'PRIVATE KEY' PEM, got '\(block.label)'")
        }
        try self.init(validated: validatedP256(backing, what: what))
    }

    private init(validated backing: KeyBacking) throws {
        var pkcs8 = try KeyDER.pkcs8(backing)
        var sec1 = try KeyDER.traditionalPrivate(backing)
        wipe(&pkcs8)
        wipe(&sec1)
        self.backing = backing
        self.publicKey = try P256PublicKey(validated: validatedP256(KeyDER.publicOnly(backing), what: "P-256 public key"))
    }

    /// PKCS#8 `PRIVATE KEY` PEM.
    public var pemRepresentation: String {
        encodedPEM(label: "PRIVATE KEY", KeyDER.pkcs8)
    }

    /// SEC1 `EC PRIVATE KEY` PEM.
    public var sec1PEMRepresentation: String {
        encodedPEM(label: "EC PRIVATE KEY", KeyDER.traditionalPrivate)
    }

    private func encodedPEM(label: String, _ encode: (KeyBacking) throws -> [UInt8]) -> String {
        backing.privatePEM(label: label, what: "P-256 private key", encode)
    }

    /// ECDSA with SHA-256 over `message`; the signature is raw r||s, 64 bytes. Not deterministic.
    public func signature(for message: [UInt8]) throws -> [UInt8] {
        let der = try EVPSignature.sign(backing, digest: "SHA256", message: message)
        return try ECDSASignatureFormat.rawFromDER(der, scalarSize: 32)
    }
}

/// An ECDSA P-256 public key; keys compare and hash equal by their uncompressed point.
public struct P256PublicKey: Sendable, Hashable {
    let backing: KeyBacking
    /// SubjectPublicKeyInfo DER.
    public let derRepresentation: [UInt8]

    /// Imports an SPKI `PUBLIC KEY` PEM.
    public init(pem: String) throws {
        let block = try PEM.decode(pem)
        guard block.label == "PUBLIC KEY" else {
            throw CryptoError(.invalidKey, "P-256 public key: expected a 'PUBLIC KEY' PEM, got '\(block.label)'")
        }
        try self.init(derRepresentation: block.der)
    }

    /// Imports SubjectPublicKeyInfo DER.
    public init(derRepresentation: [UInt8]) throws {
        let what = "P-256 public key"
        try self.init(validated: validatedP256(KeyDER.decodeSPKI(derRepresentation, what: what), what: what))
    }

    /// Imports an x9.63 point: 65 bytes uncompressed (`04 || x || y`) or 33 bytes compressed.
    public init(x963Representation point: [UInt8]) throws {
        let prefix: [UInt8]
        switch point.count {
        case 65: prefix = Self.uncompressedSPKIPrefix
        case 33: prefix = Self.compressedSPKIPrefix
        default: throw CryptoError(.invalidKey, "P-256 point must be 65 or 33 bytes, got \(point.count)")
        }
        try self.init(derRepresentation: prefix + point)
    }

    /// Imports a Multikey public key (multicodec `p256-pub`, compressed point).
    public init(multikey: String) throws {
        let decoded = try Multikey.decode(multikey)
        guard decoded.codec == .p256Public else {
            throw CryptoError(.invalidKey, "multikey holds \(decoded.codec), not a P-256 public key")
        }
        try self.init(x963Representation: decoded.key)
    }

    init(validated backing: KeyBacking) throws {
        self.backing = backing
        self.derRepresentation = try KeyDER.spki(backing)
        guard derRepresentation.count == Self.uncompressedSPKIPrefix.count + 65,
              Array(derRepresentation.prefix(Self.uncompressedSPKIPrefix.count)) == Self.uncompressedSPKIPrefix
        else {
            throw CryptoError(.invalidKey, "P-256 public key: unexpected SubjectPublicKeyInfo layout")
        }
    }

    /// Uncompressed point `04 || x || y` (65 bytes).
    public var x963Representation: [UInt8] {
        Array(derRepresentation.suffix(65))
    }

    /// Compressed point `02/03 || x` (33 bytes).
    public var compressedRepresentation: [UInt8] {
        let point = x963Representation
        let parity: UInt8 = point[64] & 1 == 0 ? 0x02 : 0x03
        return [parity] + point[1...32]
    }

    /// SPKI `PUBLIC KEY` PEM.
    public var pemRepresentation: String {
        PEM.encode(label: "PUBLIC KEY", der: derRepresentation)
    }

    /// Multikey public key (`zDn...`).
    public var multikey: String {
        Multikey.encode(compressedRepresentation, as: .p256Public)
    }

    /// True when `signature` (raw r||s, 64 bytes) is a valid ECDSA-SHA-256 signature of `message`.
    public func isValidSignature(_ signature: [UInt8], for message: [UInt8]) -> Bool {
        guard let der = ECDSASignatureFormat.derFromRaw(signature, scalarSize: 32) else {
            OpenSSLErrorQueue.clear()
            return false
        }
        return EVPSignature.verify(backing, digest: "SHA256", signature: der, message: message)
    }

    public static func == (lhs: P256PublicKey, rhs: P256PublicKey) -> Bool {
        lhs.derRepresentation == rhs.derRepresentation
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(derRepresentation)
    }

    /// SPKI DER up to the point: id-ecPublicKey, prime256v1, BIT STRING of 66 / 34 bytes.
    private static let uncompressedSPKIPrefix: [UInt8] = [
        0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x02, 0x01,
        0x06, 0x08, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
    ]
    private static let compressedSPKIPrefix: [UInt8] = [
        0x30, 0x39, 0x30, 0x13, 0x06, 0x07, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x02, 0x01,
        0x06, 0x08, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07, 0x03, 0x22, 0x00,
    ]
}
