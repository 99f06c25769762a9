import COpenSSL

/// RSA signature schemes.
public enum RSAPadding: Sendable, Hashable {
    /// RSASSA-PKCS1-v1_5 with SHA-256: cavage `rsa-sha256` (Mastodon), RFC 9421 `rsa-v1_5-sha256`. Deterministic.
    case pkcs1v15SHA256
    /// RSASSA-PKCS1-v1_5 with SHA-512.
    case pkcs1v15SHA512
    /// RSASSA-PSS with SHA-256, MGF1-SHA-256, 32-byte salt.
    case pssSHA256
    /// RSASSA-PSS with SHA-512, MGF1-SHA-512, 64-byte salt: RFC 9421 `rsa-pss-sha512`.
    case pssSHA512

    var digestName: String {
        switch self {
        case .pkcs1v15SHA256, .pssSHA256: "SHA256"
        case .pkcs1v15SHA512, .pssSHA512: "SHA512"
        }
    }

    /// Sets padding on the operation's `EVP_PKEY_CTX`.
    ///
    /// Signing uses a salt as long as the digest (what RFC 9421 prescribes); verification accepts
    /// any salt length, as the salt length does not affect security and signers differ in practice.
    func configure(signing: Bool) -> EVPSignature.Configure {
        { pctx in
            switch self {
            case .pkcs1v15SHA256, .pkcs1v15SHA512:
                return EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) == 1
            case .pssSHA256, .pssSHA512:
                let salt: Int32 = signing ? (self == .pssSHA256 ? 32 : 64) : RSA_PSS_SALTLEN_AUTO
                return EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1
                    && EVP_PKEY_CTX_set_rsa_mgf1_md_name(pctx, digestName, nil) == 1
                    && EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, salt) == 1
            }
        }
    }
}

/// Accepted RSA modulus sizes: below 1024 bits is forgeable, above 16384 makes verification a DoS lever.
private let acceptedRSABits = 1024...16384

/// Checks an imported key is RSA of an accepted size and turns an RSA-PSS-typed key into a plain
/// RSA key with the same numbers.
///
/// RFC 9421's `test-key-rsa-pss` (and keys made with `openssl genpkey -algorithm RSA-PSS`) carry
/// the id-RSASSA-PSS OID; OpenSSL then refuses PKCS#1 v1.5 with them and writes an RSA-PSS SPKI that
/// most peers cannot read. The key numbers are what matter, so the key is re-read as plain RSA through
/// its PKCS#1 structure; the algorithm used is always chosen by the caller's ``RSAPadding``.
private func normalizedRSA(_ key: KeyBacking, isPrivate: Bool, what: String) throws -> KeyBacking {
    let result: KeyBacking
    if key.isA("RSA") {
        result = key
    } else if key.isA("RSA-PSS") {
        result = try plainRSA(from: key, isPrivate: isPrivate, what: what)
    } else {
        throw CryptoError(.invalidKey, "\(what): the key is not an RSA key")
    }
    guard acceptedRSABits.contains(result.bits) else {
        throw CryptoError(.invalidKey, "\(what): \(result.bits)-bit RSA keys are not accepted (1024 to 16384 bits)")
    }
    return result
}

/// Rebuilds an RSA-PSS key as an "RSA" key from its exported numbers (n, e and, for a private key,
/// d and the CRT values). The exported parameter block is wiped before it is freed.
private func plainRSA(from key: KeyBacking, isPrivate: Bool, what: String) throws -> KeyBacking {
    let selection = isPrivate ? praxis_EVP_PKEY_KEYPAIR() : praxis_EVP_PKEY_PUBLIC_KEY()
    var params: UnsafeMutablePointer<OSSL_PARAM>?
    guard EVP_PKEY_todata(key.pkey, selection, &params) == 1, let params else {
        throw CryptoError(.invalidKey, "\(what): cannot read the RSA-PSS key's numbers")
    }
    defer {
        var cursor = params
        while cursor.pointee.key != nil {
            if let data = cursor.pointee.data, cursor.pointee.data_size > 0 {
                OPENSSL_cleanse(data, cursor.pointee.data_size)
            }
            cursor += 1
        }
        OSSL_PARAM_free(params)
    }
    guard let ctx = EVP_PKEY_CTX_new_from_name(nil, "RSA", nil) else {
        throw CryptoError(.operationFailed, "\(what): RSA is not available")
    }
    defer { EVP_PKEY_CTX_free(ctx) }
    var pkey: OpaquePointer?
    guard EVP_PKEY_fromdata_init(ctx) == 1, EVP_PKEY_fromdata(ctx, &pkey, selection, params) == 1, let pkey else {
        throw CryptoError(.invalidKey, "\(what): cannot rebuild the RSA-PSS key as an RSA key")
    }
    return KeyBacking(taking: pkey)
}

/// An RSA signing key: the `publicKeyPem` key of ActivityPub actors, for cavage and RFC 9421 signatures.
public struct RSAPrivateKey: Sendable {
    let backing: KeyBacking
    /// The matching public key.
    public let publicKey: RSAPublicKey

    /// Generates a key with public exponent 65537.
    /// - Parameter bits: modulus size, 2048 to 16384 (2048 is what Mastodon uses; generation of 4096
    ///   takes seconds).
    public init(bits: Int = 2048) throws {
        guard (2048...16384).contains(bits) else {
            throw CryptoError(.invalidParameter, "RSA key size must be 2048 to 16384 bits, got \(bits)")
        }
        let backing = try KeyGeneration.generate("RSA") { EVP_PKEY_CTX_set_rsa_keygen_bits($0, Int32(bits)) == 1 }
        try self.init(validated: backing)
    }

    /// Imports a PEM private key: PKCS#8 `PRIVATE KEY` (including id-RSASSA-PSS keys) or PKCS#1
    /// `RSA PRIVATE KEY`. Encrypted PEM is not accepted.
    public init(pem: String) throws {
        var block = try PEM.decode(pem)
        defer { wipe(&block.der) }
        let what = "RSA private key"
        let backing: KeyBacking
        switch block.label {
        case "PRIVATE KEY":
            backing = try KeyDER.decodePKCS8(block.der, what: what)
        case "RSA PRIVATE KEY":
            backing = try KeyDER.decode(block.der, what: what) { d2i_PrivateKey(EVP_PKEY_RSA, nil, $0, $1) }
        default:
            throw CryptoError(.invalidKey, "\(what): expected 'PRIVATE KEY' or 'RSA PRIVATE KEY' PEM, got '\(block.label)'")
        }
        try self.init(validated: normalizedRSA(backing, isPrivate: true, what: what))
    }

    private init(validated backing: KeyBacking) throws {
        // Encode once here so the non-throwing PEM getters below cannot fail later.
        var pkcs8 = try KeyDER.pkcs8(backing)
        var pkcs1 = try KeyDER.traditionalPrivate(backing)
        wipe(&pkcs8)
        wipe(&pkcs1)
        self.backing = backing
        self.publicKey = try RSAPublicKey(validated: KeyDER.publicOnly(backing))
    }

    /// Modulus size in bits.
    public var bits: Int { backing.bits }

    /// PKCS#8 `PRIVATE KEY` PEM.
    public var pemRepresentation: String {
        encodedPEM(label: "PRIVATE KEY", KeyDER.pkcs8)
    }

    /// PKCS#1 `RSA PRIVATE KEY` PEM.
    public var pkcs1PEMRepresentation: String {
        encodedPEM(label: "RSA PRIVATE KEY", KeyDER.traditionalPrivate)
    }

    private func encodedPEM(label: String, _ encode: (KeyBacking) throws -> [UInt8]) -> String {
        backing.privatePEM(label: label, what: "RSA private key", encode)
    }

    /// Signs `message` with the given scheme.
    public func signature(for message: [UInt8], padding: RSAPadding) throws -> [UInt8] {
        try EVPSignature.sign(backing, digest: padding.digestName, message: message,
                              configure: padding.configure(signing: true))
    }
}

/// An RSA public key; keys compare and hash equal by their SubjectPublicKeyInfo bytes.
public struct RSAPublicKey: Sendable, Hashable {
    let backing: KeyBacking
    /// SubjectPublicKeyInfo DER (rsaEncryption).
    public let derRepresentation: [UInt8]
    private let pkcs1DER: [UInt8]

    /// Imports SPKI `PUBLIC KEY` (rsaEncryption or id-RSASSA-PSS) or PKCS#1 `RSA PUBLIC KEY` PEM.
    public init(pem: String) throws {
        let block = try PEM.decode(pem)
        let what = "RSA public key"
        let backing: KeyBacking
        switch block.label {
        case "PUBLIC KEY":
            backing = try KeyDER.decodeSPKI(block.der, what: what)
        case "RSA PUBLIC KEY":
            backing = try KeyDER.decode(block.der, what: what) { d2i_PublicKey(EVP_PKEY_RSA, nil, $0, $1) }
        default:
            throw CryptoError(.invalidKey, "\(what): expected 'PUBLIC KEY' or 'RSA PUBLIC KEY' PEM, got '\(block.label)'")
        }
        try self.init(validated: normalizedRSA(backing, isPrivate: false, what: what))
    }

    /// Imports SubjectPublicKeyInfo DER.
    public init(derRepresentation: [UInt8]) throws {
        let what = "RSA public key"
        try self.init(validated: normalizedRSA(KeyDER.decodeSPKI(derRepresentation, what: what), isPrivate: false, what: what))
    }

    init(validated backing: KeyBacking) throws {
        self.backing = backing
        self.derRepresentation = try KeyDER.spki(backing)
        self.pkcs1DER = try KeyDER.traditionalPublic(backing)
    }

    /// Modulus size in bits.
    public var bits: Int { backing.bits }

    /// SPKI `PUBLIC KEY` PEM, the form of ActivityPub `publicKeyPem`.
    public var pemRepresentation: String {
        PEM.encode(label: "PUBLIC KEY", der: derRepresentation)
    }

    /// PKCS#1 `RSA PUBLIC KEY` PEM.
    public var pkcs1PEMRepresentation: String {
        PEM.encode(label: "RSA PUBLIC KEY", der: pkcs1DER)
    }

    /// True when `signature` is valid for `message` under this key and scheme.
    ///
    /// The signature must be exactly as long as the modulus: OpenSSL's PSS check would also accept
    /// one with its leading zero bytes stripped, and two encodings of one signature must not both pass.
    public func isValidSignature(_ signature: [UInt8], for message: [UInt8], padding: RSAPadding) -> Bool {
        guard signature.count == Int(EVP_PKEY_get_size(backing.pkey)) else { return false }
        return EVPSignature.verify(backing, digest: padding.digestName, signature: signature, message: message,
                            configure: padding.configure(signing: false))
    }

    public static func == (lhs: RSAPublicKey, rhs: RSAPublicKey) -> Bool {
        lhs.derRepresentation == rhs.derRepresentation
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(derRepresentation)
    }
}
