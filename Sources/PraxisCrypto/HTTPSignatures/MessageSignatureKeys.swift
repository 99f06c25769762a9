/// The RFC 9421 signature algorithms (section 3.3) this library implements, by their registered names.
public enum MessageSignatureAlgorithm: String, Sendable, CaseIterable {
    /// Ed25519 over the signature base (RFC 8032); deterministic.
    case ed25519 = "ed25519"
    /// RSASSA-PKCS1-v1_5 with SHA-256; deterministic. What Mastodon signs with.
    case rsaPKCS1v15SHA256 = "rsa-v1_5-sha256"
    /// RSASSA-PSS with SHA-512, MGF1-SHA-512, 64-byte salt.
    case rsaPSSSHA512 = "rsa-pss-sha512"
    /// ECDSA P-256 with SHA-256; the signature is raw `r || s` (64 bytes), not DER.
    case ecdsaP256SHA256 = "ecdsa-p256-sha256"
    /// HMAC-SHA-256 with a shared secret.
    case hmacSHA256 = "hmac-sha256"
}

/// A private key together with the one RFC 9421 algorithm it signs with.
public enum MessageSigningKey: Sendable {
    case ed25519(Ed25519PrivateKey)
    case rsaPKCS1v15SHA256(RSAPrivateKey)
    case rsaPSSSHA512(RSAPrivateKey)
    case ecdsaP256SHA256(P256PrivateKey)
    case hmacSHA256(secret: [UInt8])

    public var algorithm: MessageSignatureAlgorithm {
        switch self {
        case .ed25519: .ed25519
        case .rsaPKCS1v15SHA256: .rsaPKCS1v15SHA256
        case .rsaPSSSHA512: .rsaPSSSHA512
        case .ecdsaP256SHA256: .ecdsaP256SHA256
        case .hmacSHA256: .hmacSHA256
        }
    }

    func sign(_ base: [UInt8]) throws -> [UInt8] {
        do {
            switch self {
            case .ed25519(let key): return try key.signature(for: base)
            case .rsaPKCS1v15SHA256(let key): return try key.signature(for: base, padding: .pkcs1v15SHA256)
            case .rsaPSSSHA512(let key): return try key.signature(for: base, padding: .pssSHA512)
            case .ecdsaP256SHA256(let key): return try key.signature(for: base)
            case .hmacSHA256(let secret): return HMAC.sha256(key: secret, data: base)
            }
        } catch let error as CryptoError {
            throw HTTPSignatureError(.signingFailed, "\(algorithm.rawValue) signing failed: \(error)")
        }
    }
}

/// A public key (or shared secret) together with the one RFC 9421 algorithm the verifier allows for it.
///
/// Binding the algorithm to the key, rather than trusting the message's `alg` parameter, is what
/// RFC 9421 section 3.2 asks: the algorithm comes from what the verifier knows about the key.
public enum MessageVerificationKey: Sendable {
    case ed25519(Ed25519PublicKey)
    case rsaPKCS1v15SHA256(RSAPublicKey)
    case rsaPSSSHA512(RSAPublicKey)
    case ecdsaP256SHA256(P256PublicKey)
    case hmacSHA256(secret: [UInt8])

    public var algorithm: MessageSignatureAlgorithm {
        switch self {
        case .ed25519: .ed25519
        case .rsaPKCS1v15SHA256: .rsaPKCS1v15SHA256
        case .rsaPSSSHA512: .rsaPSSSHA512
        case .ecdsaP256SHA256: .ecdsaP256SHA256
        case .hmacSHA256: .hmacSHA256
        }
    }

    func isValid(_ signature: [UInt8], for base: [UInt8]) -> Bool {
        switch self {
        case .ed25519(let key): key.isValidSignature(signature, for: base)
        case .rsaPKCS1v15SHA256(let key): key.isValidSignature(signature, for: base, padding: .pkcs1v15SHA256)
        case .rsaPSSSHA512(let key): key.isValidSignature(signature, for: base, padding: .pssSHA512)
        case .ecdsaP256SHA256(let key): key.isValidSignature(signature, for: base)
        case .hmacSHA256(let secret): HMAC.isValidSHA256(signature, key: secret, data: base)
        }
    }
}
