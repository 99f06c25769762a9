import COpenSSL

/// Owns one `EVP_PKEY` and frees it when the last key value referring to it goes away.
///
/// `@unchecked Sendable` is safe because the key is never mutated after `init`: every sign or verify
/// call creates its own `EVP_MD_CTX` (and with it its own `EVP_PKEY_CTX`), and OpenSSL 3 makes
/// concurrent use of one `EVP_PKEY` by separate contexts safe (its internal caches take a lock).
final class KeyBacking: @unchecked Sendable {
    let pkey: OpaquePointer

    init(taking pkey: OpaquePointer) {
        self.pkey = pkey
    }

    deinit {
        EVP_PKEY_free(pkey)
    }

    /// Bit length of the key (modulus for RSA, group order for EC, 253 for Ed25519).
    var bits: Int { Int(EVP_PKEY_get_bits(pkey)) }

    /// True if the key's type is (or is an alias of) the given OpenSSL key type name.
    func isA(_ name: String) -> Bool { EVP_PKEY_is_a(pkey, name) == 1 }
}

/// Calls `body` with a non-null pointer to the bytes of `bytes` and their count.
///
/// Some OpenSSL entry points reject a null pointer even with a zero length, and an empty Swift array
/// may hand out a null base address; an empty input therefore gets a pointer to a private zero byte.
@inline(__always)
func withNonNullBytes<R>(_ bytes: [UInt8], _ body: (UnsafePointer<UInt8>, Int) throws -> R) rethrows -> R {
    try bytes.withUnsafeBufferPointer { buffer in
        if let base = buffer.baseAddress, buffer.count > 0 {
            return try body(base, buffer.count)
        }
        var zero: UInt8 = 0
        return try withUnsafePointer(to: &zero) { try body($0, 0) }
    }
}

/// Overwrites a buffer that held secret bytes.
func wipe(_ bytes: inout [UInt8]) {
    bytes.withUnsafeMutableBytes { raw in
        if let base = raw.baseAddress, raw.count > 0 { OPENSSL_cleanse(base, raw.count) }
    }
}

/// Sign / verify through `EVP_DigestSign*` and `EVP_DigestVerify*`, one fresh context per call.
enum EVPSignature {
    /// Tunes the `EVP_PKEY_CTX` of a sign/verify operation (RSA padding, salt length ...); returns false on failure.
    typealias Configure = (OpaquePointer) -> Bool

    static func sign(
        _ key: KeyBacking, digest: String?, message: [UInt8], configure: Configure? = nil
    ) throws -> [UInt8] {
        guard let ctx = EVP_MD_CTX_new() else { throw CryptoError(.operationFailed, "cannot allocate a signing context") }
        defer { EVP_MD_CTX_free(ctx) }
        var pctx: OpaquePointer?
        guard EVP_DigestSignInit_ex(ctx, &pctx, digest, nil, nil, key.pkey, nil) == 1 else {
            throw CryptoError(.operationFailed, "cannot start signing with this key")
        }
        if let configure {
            guard let pctx, configure(pctx) else {
                throw CryptoError(.operationFailed, "cannot set signature parameters for this key")
            }
        }
        return try withNonNullBytes(message) { pointer, count in
            var length = 0
            guard EVP_DigestSign(ctx, nil, &length, pointer, count) == 1, length > 0 else {
                throw CryptoError(.operationFailed, "cannot determine the signature size")
            }
            var signature = [UInt8](repeating: 0, count: length)
            let ok = signature.withUnsafeMutableBufferPointer { out in
                EVP_DigestSign(ctx, out.baseAddress, &length, pointer, count)
            }
            guard ok == 1 else { throw CryptoError(.operationFailed, "signing failed") }
            if length < signature.count { signature.removeSubrange(length...) }
            return signature
        }
    }

    static func verify(
        _ key: KeyBacking, digest: String?, signature: [UInt8], message: [UInt8], configure: Configure? = nil
    ) -> Bool {
        guard !signature.isEmpty, let ctx = EVP_MD_CTX_new() else { return false }
        defer {
            EVP_MD_CTX_free(ctx)
            OpenSSLErrorQueue.clear()
        }
        var pctx: OpaquePointer?
        guard EVP_DigestVerifyInit_ex(ctx, &pctx, digest, nil, nil, key.pkey, nil) == 1 else { return false }
        if let configure {
            guard let pctx, configure(pctx) else { return false }
        }
        return withNonNullBytes(signature) { sig, sigCount in
            withNonNullBytes(message) { msg, msgCount in
                EVP_DigestVerify(ctx, sig, sigCount, msg, msgCount) == 1
            }
        }
    }
}

/// DER import and export of `EVP_PKEY`s, through the non-deprecated `d2i_*` / `i2d_*` functions.
enum KeyDER {
    /// Runs a `d2i_*` function over `der`, insisting that it consumes every byte.
    static func decode(
        _ der: [UInt8], what: String,
        _ d2i: (UnsafeMutablePointer<UnsafePointer<UInt8>?>, Int) -> OpaquePointer?
    ) throws -> KeyBacking {
        guard !der.isEmpty else { throw CryptoError(.invalidEncoding, "\(what): no DER bytes") }
        return try der.withUnsafeBufferPointer { buffer in
            guard let base = buffer.baseAddress else { throw CryptoError(.invalidEncoding, "\(what): no DER bytes") }
            var cursor: UnsafePointer<UInt8>? = base
            guard let pkey = d2i(&cursor, buffer.count) else {
                throw CryptoError(.invalidKey, "\(what): not a valid DER-encoded key")
            }
            let backing = KeyBacking(taking: pkey)
            guard let end = cursor, end == base + buffer.count else {
                throw CryptoError(.invalidEncoding, "\(what): unexpected bytes after the key")
            }
            return backing
        }
    }

    /// Runs an `i2d_*` function twice (size, then bytes).
    static func encode(
        what: String, secret: Bool = false,
        _ i2d: (UnsafeMutablePointer<UnsafeMutablePointer<UInt8>?>?) -> Int32
    ) throws -> [UInt8] {
        let length = i2d(nil)
        guard length > 0 else { throw CryptoError(.operationFailed, "cannot encode \(what)") }
        var der = [UInt8](repeating: 0, count: Int(length))
        let written = der.withUnsafeMutableBufferPointer { buffer -> Int32 in
            var cursor = buffer.baseAddress
            return i2d(&cursor)
        }
        guard written == length else {
            if secret { wipe(&der) }
            throw CryptoError(.operationFailed, "cannot encode \(what)")
        }
        return der
    }

    /// SubjectPublicKeyInfo DER of any key (public part only).
    static func spki(_ key: KeyBacking) throws -> [UInt8] {
        try encode(what: "public key") { i2d_PUBKEY(key.pkey, $0) }
    }

    /// PKCS#8 PrivateKeyInfo DER; the caller should wipe it after use.
    static func pkcs8(_ key: KeyBacking) throws -> [UInt8] {
        guard let info = EVP_PKEY2PKCS8(key.pkey) else {
            throw CryptoError(.operationFailed, "cannot convert the private key to PKCS#8")
        }
        defer { PKCS8_PRIV_KEY_INFO_free(info) }
        return try encode(what: "private key", secret: true) { i2d_PKCS8_PRIV_KEY_INFO(info, $0) }
    }

    /// The key type's own private structure (PKCS#1 RSAPrivateKey, SEC1 ECPrivateKey); wipe after use.
    static func traditionalPrivate(_ key: KeyBacking) throws -> [UInt8] {
        try encode(what: "private key", secret: true) { i2d_PrivateKey(key.pkey, $0) }
    }

    /// The key type's own public structure (PKCS#1 RSAPublicKey for RSA).
    static func traditionalPublic(_ key: KeyBacking) throws -> [UInt8] {
        try encode(what: "public key") { i2d_PublicKey(key.pkey, $0) }
    }

    /// Parses PKCS#8 PrivateKeyInfo (unencrypted).
    static func decodePKCS8(_ der: [UInt8], what: String) throws -> KeyBacking {
        try decode(der, what: what) { cursor, count in
            guard let info = d2i_PKCS8_PRIV_KEY_INFO(nil, cursor, count) else { return nil }
            defer { PKCS8_PRIV_KEY_INFO_free(info) }
            return EVP_PKCS82PKEY(info)
        }
    }

    /// Parses SubjectPublicKeyInfo.
    static func decodeSPKI(_ der: [UInt8], what: String) throws -> KeyBacking {
        try decode(der, what: what) { cursor, count in d2i_PUBKEY(nil, cursor, count) }
    }

    /// A public-only copy of a key (through its SPKI), so public key values never carry private material.
    static func publicOnly(_ key: KeyBacking) throws -> KeyBacking {
        try decodeSPKI(spki(key), what: "public key")
    }
}

/// Key generation through `EVP_PKEY_CTX` (EVP_PKEY_Q_keygen is variadic and cannot be called from Swift).
enum KeyGeneration {
    static func generate(_ algorithm: String, configure: (OpaquePointer) -> Bool = { _ in true }) throws -> KeyBacking {
        guard let ctx = EVP_PKEY_CTX_new_from_name(nil, algorithm, nil) else {
            throw CryptoError(.operationFailed, "\(algorithm) key generation is not available")
        }
        defer { EVP_PKEY_CTX_free(ctx) }
        guard EVP_PKEY_keygen_init(ctx) == 1, configure(ctx) else {
            throw CryptoError(.operationFailed, "cannot set up \(algorithm) key generation")
        }
        var pkey: OpaquePointer?
        guard EVP_PKEY_generate(ctx, &pkey) == 1, let pkey else {
            throw CryptoError(.operationFailed, "\(algorithm) key generation failed")
        }
        return KeyBacking(taking: pkey)
    }
}

extension KeyBacking {
    /// A private key encoded by `encode` as PEM with `label`; the DER copy is wiped afterwards.
    /// Only called for encodings that already succeeded when the key was loaded or generated.
    func privatePEM(label: String, what: String, _ encode: (KeyBacking) throws -> [UInt8]) -> String {
        do {
            var der = try encode(self)
            defer { wipe(&der) }
            return PEM.encode(label: label, der: der)
        } catch {
            // The same encoding succeeded in init; failing now means libcrypto ran out of memory.
            fatalError("cannot encode the \(what): \(error)")
        }
    }
}
