import COpenSSL

/// An Ed25519 (RFC 8032) signing key: member authorship proofs (eddsa-jcs-2022) and RFC 9421 `ed25519`.
///
/// The key is parsed once; ``signature(for:)`` only sets up a signing context, so it can run
/// thousands of times per second and from many tasks at once. Ed25519 signatures are deterministic:
/// the same key and message always give the same 64 bytes.
public struct Ed25519PrivateKey: Sendable {
    let backing: KeyBacking
    /// The matching public key.
    public let publicKey: Ed25519PublicKey

    /// Generates a new random key.
    public init() {
        var seed = SecureRandom.bytes(32)
        defer { wipe(&seed) }
        do {
            try self.init(rawRepresentation: seed)
        } catch {
            // Every 32-byte string is a valid Ed25519 seed; only a broken libcrypto fails here.
            fatalError("Ed25519 key generation failed: \(error)")
        }
    }

    /// Imports a PKCS#8 `PRIVATE KEY` PEM (as `openssl genpkey -algorithm ed25519` writes).
    /// - Throws: ``CryptoError`` if the PEM is malformed, has another label, or holds another key type.
    public init(pem: String) throws {
        var block = try PEM.decode(pem)
        defer { wipe(&block.der) }
        guard block.label == "PRIVATE KEY" else {
            throw CryptoError(.invalidKey, "Ed25519 private key: expected a 'PRIVATE KEY' (PKCS#8) PEM, got '\(block.label)'")
        }
        let backing = try KeyDER.decodePKCS8(block.der, what: "Ed25519 private key")
        try self.init(backing: backing)
    }

    /// Imports the 32-byte seed (RFC 8032 "private key").
    /// - Throws: ``CryptoError`` (`invalidKey`) unless `rawRepresentation` is exactly 32 bytes.
    public init(rawRepresentation: [UInt8]) throws {
        guard rawRepresentation.count == 32 else {
            throw CryptoError(.invalidKey, "Ed25519 private key must be 32 bytes, got \(rawRepresentation.count)")
        }
        let pkey = rawRepresentation.withUnsafeBufferPointer {
            EVP_PKEY_new_raw_private_key_ex(nil, "ED25519", nil, $0.baseAddress, 32)
        }
        guard let pkey else { throw CryptoError(.invalidKey, "cannot import the Ed25519 private key") }
        try self.init(backing: KeyBacking(taking: pkey))
    }

    /// Imports a Multikey secret key (`z3u2...`, multicodec `ed25519-priv`).
    public init(multikey: String) throws {
        var decoded = try Multikey.decode(multikey)
        defer { wipe(&decoded.key) }
        guard decoded.codec == .ed25519Private else {
            throw CryptoError(.invalidKey, "multikey holds \(decoded.codec), not an Ed25519 private key")
        }
        try self.init(rawRepresentation: decoded.key)
    }

    private init(backing: KeyBacking) throws {
        guard backing.isA("ED25519") else { throw CryptoError(.invalidKey, "the key is not an Ed25519 key") }
        self.backing = backing
        self.publicKey = try Ed25519PublicKey(rawRepresentation: Ed25519PublicKey.rawPublic(of: backing))
    }

    /// The 32-byte seed. The caller owns the copy and should drop it quickly.
    public var rawRepresentation: [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        var length = 32
        let ok = out.withUnsafeMutableBufferPointer { EVP_PKEY_get_raw_private_key(backing.pkey, $0.baseAddress, &length) }
        // The key was checked to be Ed25519 at init, which always has a 32-byte raw private key.
        guard ok == 1, length == 32 else { fatalError("libcrypto cannot export an Ed25519 seed: \(OpenSSLErrorQueue.drain())") }
        return out
    }

    /// PKCS#8 `PRIVATE KEY` PEM.
    public var pemRepresentation: String {
        do {
            var der = try KeyDER.pkcs8(backing)
            defer { wipe(&der) }
            return PEM.encode(label: "PRIVATE KEY", der: der)
        } catch {
            fatalError("libcrypto cannot encode an Ed25519 key as PKCS#8: \(error)")
        }
    }

    /// Multikey secret key (`z3u2...`).
    public var multikey: String {
        var raw = rawRepresentation
        defer { wipe(&raw) }
        return Multikey.encodeEd25519Private(raw)
    }

    /// Signs `message` (pure Ed25519, no pre-hash); 64 bytes.
    public func signature(for message: [UInt8]) throws -> [UInt8] {
        try EVPSignature.sign(backing, digest: nil, message: message)
    }
}

/// An Ed25519 public key; equal keys compare and hash equal by their 32 raw bytes.
public struct Ed25519PublicKey: Sendable, Hashable {
    let backing: KeyBacking
    /// The 32-byte public key.
    public let rawRepresentation: [UInt8]

    /// Imports an SPKI `PUBLIC KEY` PEM.
    public init(pem: String) throws {
        let block = try PEM.decode(pem)
        guard block.label == "PUBLIC KEY" else {
            throw CryptoError(.invalidKey, "Ed25519 public key: expected a 'PUBLIC KEY' PEM, got '\(block.label)'")
        }
        let backing = try KeyDER.decodeSPKI(block.der, what: "Ed25519 public key")
        guard backing.isA("ED25519") else { throw CryptoError(.invalidKey, "the PEM holds a public key that is not Ed25519") }
        try self.init(rawRepresentation: Self.rawPublic(of: backing))
    }

    /// Imports a 32-byte public key.
    public init(rawRepresentation: [UInt8]) throws {
        guard rawRepresentation.count == 32 else {
            throw CryptoError(.invalidKey, "Ed25519 public key must be 32 bytes, got \(rawRepresentation.count)")
        }
        let pkey = rawRepresentation.withUnsafeBufferPointer {
            EVP_PKEY_new_raw_public_key_ex(nil, "ED25519", nil, $0.baseAddress, 32)
        }
        guard let pkey else { throw CryptoError(.invalidKey, "cannot import the Ed25519 public key") }
        self.backing = KeyBacking(taking: pkey)
        self.rawRepresentation = rawRepresentation
    }

    /// Imports a Multikey public key (`z6Mk...`, multicodec `ed25519-pub`).
    public init(multikey: String) throws {
        let decoded = try Multikey.decode(multikey)
        guard decoded.codec == .ed25519Public else {
            throw CryptoError(.invalidKey, "multikey holds \(decoded.codec), not an Ed25519 public key")
        }
        try self.init(rawRepresentation: decoded.key)
    }

    /// SubjectPublicKeyInfo DER.
    public var derRepresentation: [UInt8] {
        Self.spkiPrefix + rawRepresentation
    }

    /// SPKI `PUBLIC KEY` PEM.
    public var pemRepresentation: String {
        PEM.encode(label: "PUBLIC KEY", der: derRepresentation)
    }

    /// Multikey public key (`z6Mk...`), as `publicKeyMultibase` in an actor's `assertionMethod`.
    public var multikey: String {
        Multikey.encodeEd25519Public(rawRepresentation)
    }

    /// True when `signature` is a valid Ed25519 signature of `message` by this key.
    public func isValidSignature(_ signature: [UInt8], for message: [UInt8]) -> Bool {
        guard signature.count == 64 else { return false }
        return EVPSignature.verify(backing, digest: nil, signature: signature, message: message)
    }

    public static func == (lhs: Ed25519PublicKey, rhs: Ed25519PublicKey) -> Bool {
        lhs.rawRepresentation == rhs.rawRepresentation
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(rawRepresentation)
    }

    /// DER of `SEQUENCE { SEQUENCE { OID 1.3.101.112 }, BIT STRING (32 bytes) }` up to the key bytes.
    private static let spkiPrefix: [UInt8] = [0x30, 0x2A, 0x30, 0x05, 0x06, 0x03, 0x2B, 0x65, 0x70, 0x03, 0x21, 0x00]

    static func rawPublic(of backing: KeyBacking) throws -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        var length = 32
        let ok = out.withUnsafeMutableBufferPointer { EVP_PKEY_get_raw_public_key(backing.pkey, $0.baseAddress, &length) }
        guard ok == 1, length == 32 else { throw CryptoError(.invalidKey, "cannot read the Ed25519 public key") }
        return out
    }
}
