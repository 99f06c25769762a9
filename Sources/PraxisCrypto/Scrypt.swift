import COpenSSL
import Foundation

/// A pointer to a NUL-terminated static string, for `OSSL_PARAM` keys and values that must outlive
/// the call that builds the parameter array.
private func staticCString(_ string: StaticString) -> UnsafeMutablePointer<CChar> {
    UnsafeMutableRawPointer(mutating: string.utf8Start).assumingMemoryBound(to: CChar.self)
}

/// scrypt (RFC 7914) through OpenSSL's `EVP_KDF` "SCRYPT".
public enum Scrypt {
    /// Largest memory one derivation may use (128 · r · N bytes plus a little): 256 MiB.
    public static let maximumMemory: UInt64 = 256 * 1024 * 1024

    /// Derives `length` bytes from `password` and `salt`.
    /// - Parameters:
    ///   - n: CPU/memory cost, a power of two greater than 1.
    ///   - r: block size (8 is usual); `p`: parallelism (1 is usual).
    ///   - length: output length, 1 to 1024 bytes.
    /// - Throws: ``CryptoError`` (`invalidParameter`) when the costs are out of range or would need
    ///   more than ``maximumMemory``.
    public static func derive(password: [UInt8], salt: [UInt8], n: UInt64, r: UInt32, p: UInt32, length: Int) throws -> [UInt8] {
        guard n > 1, n & (n - 1) == 0, n <= 1 << 24 else {
            throw CryptoError(.invalidParameter, "scrypt N must be a power of two between 2 and 2^24, got \(n)")
        }
        guard r > 0, p > 0, UInt64(r) * UInt64(p) < 1 << 30 else {
            throw CryptoError(.invalidParameter, "scrypt r and p must be positive with r·p < 2^30 (r=\(r), p=\(p))")
        }
        guard (1...1024).contains(length) else {
            throw CryptoError(.invalidParameter, "scrypt output length must be 1 to 1024 bytes, got \(length)")
        }
        let memory = 128 * UInt64(r) * (n + UInt64(p) + 2)
        guard memory <= maximumMemory else {
            throw CryptoError(.invalidParameter, "scrypt parameters need \(memory >> 20) MiB, more than the \(maximumMemory >> 20) MiB allowed")
        }
        guard let kdf = EVP_KDF_fetch(nil, "SCRYPT", nil) else {
            throw CryptoError(.operationFailed, "scrypt is not available in this OpenSSL")
        }
        defer { EVP_KDF_free(kdf) }
        guard let ctx = EVP_KDF_CTX_new(kdf) else { throw CryptoError(.operationFailed, "cannot allocate a scrypt context") }
        defer { EVP_KDF_CTX_free(ctx) }

        // OSSL_PARAM keeps pointers to the numbers, so they live in storage that outlasts the array.
        let wide = UnsafeMutablePointer<UInt64>.allocate(capacity: 2)
        let narrow = UnsafeMutablePointer<UInt32>.allocate(capacity: 2)
        defer {
            wide.deallocate()
            narrow.deallocate()
        }
        wide.initialize(to: n)
        (wide + 1).initialize(to: maximumMemory + 1024 * 1024)
        narrow.initialize(to: r)
        (narrow + 1).initialize(to: p)
        var out = [UInt8](repeating: 0, count: length)
        let ok = withNonNullBytes(password) { passwordPointer, passwordCount in
            withNonNullBytes(salt) { saltPointer, saltCount in
                let params: [OSSL_PARAM] = [
                    OSSL_PARAM_construct_octet_string(staticCString("pass"), UnsafeMutableRawPointer(mutating: passwordPointer), passwordCount),
                    OSSL_PARAM_construct_octet_string(staticCString("salt"), UnsafeMutableRawPointer(mutating: saltPointer), saltCount),
                    OSSL_PARAM_construct_uint64(staticCString("n"), wide),
                    OSSL_PARAM_construct_uint32(staticCString("r"), narrow),
                    OSSL_PARAM_construct_uint32(staticCString("p"), narrow + 1),
                    OSSL_PARAM_construct_uint64(staticCString("maxmem_bytes"), wide + 1),
                    OSSL_PARAM_construct_end(),
                ]
                return params.withUnsafeBufferPointer { paramBuffer in
                    out.withUnsafeMutableBufferPointer { output in
                        EVP_KDF_derive(ctx, output.baseAddress, output.count, paramBuffer.baseAddress) == 1
                    }
                }
            }
        }
        guard ok else {
            wipe(&out)
            throw CryptoError(.operationFailed, "scrypt derivation failed")
        }
        return out
    }
}

/// Self-describing scrypt password hashes for member accounts, in the PHC string format:
/// `$scrypt$ln=15,r=8,p=1$<salt>$<hash>` (salt and hash in unpadded standard base64).
///
/// The string carries its own cost, so the cost can be raised later without invalidating stored
/// hashes (see ``needsRehash(_:cost:)``). Passwords are compared as their Unicode NFC form in UTF-8,
/// so the same password typed on different systems gives the same hash.
public enum PasswordHash {
    /// scrypt cost parameters: N = 2^logN, r, p.
    public struct Cost: Sendable, Equatable {
        public var logN: Int
        public var r: Int
        public var p: Int

        public init(logN: Int, r: Int, p: Int) {
            self.logN = logN
            self.r = r
            self.p = p
        }

        /// N = 2^15, r = 8, p = 1: 32 MiB and roughly 50 to 100 ms per hash; the default.
        public static let standard = Cost(logN: 15, r: 8, p: 1)
        /// N = 2^10, r = 8, p = 1: 1 MiB and about a millisecond; only for tests and demos.
        public static let testing = Cost(logN: 10, r: 8, p: 1)

        /// Ranges accepted when reading a stored hash, so a tampered string cannot demand gigabytes.
        var isAcceptable: Bool {
            (1...20).contains(logN) && (1...32).contains(r) && (1...16).contains(p)
        }
    }

    private static let saltLength = 16
    private static let hashLength = 32

    /// Hashes `password` with a fresh random salt.
    /// - Throws: ``CryptoError`` (`invalidParameter`) when `cost` is out of range.
    public static func make(password: String, cost: Cost = .standard) throws -> String {
        guard cost.isAcceptable else {
            throw CryptoError(.invalidParameter, "password hash cost out of range (ln 1-20, r 1-32, p 1-16)")
        }
        let salt = SecureRandom.bytes(saltLength)
        var hash = try derive(password: password, salt: salt, cost: cost, length: hashLength)
        defer { wipe(&hash) }
        return "$scrypt$ln=\(cost.logN),r=\(cost.r),p=\(cost.p)$\(Base64.encodeUnpadded(salt))$\(Base64.encodeUnpadded(hash))"
    }

    /// True when `password` matches `encoded`. Malformed or out-of-range strings give false, never a crash.
    public static func verify(password: String, against encoded: String) -> Bool {
        guard let parsed = parse(encoded),
              var candidate = try? derive(password: password, salt: parsed.salt, cost: parsed.cost, length: parsed.hash.count)
        else { return false }
        defer { wipe(&candidate) }
        return ConstantTime.equals(candidate, parsed.hash)
    }

    /// True when `encoded` is unreadable or was made with a different cost than `cost`, so the
    /// caller should store a fresh hash after the next successful login.
    public static func needsRehash(_ encoded: String, cost: Cost = .standard) -> Bool {
        guard let parsed = parse(encoded) else { return true }
        return parsed.cost != cost
    }

    private static func derive(password: String, salt: [UInt8], cost: Cost, length: Int) throws -> [UInt8] {
        var bytes = Array(password.precomposedStringWithCanonicalMapping.utf8)
        defer { wipe(&bytes) }
        return try Scrypt.derive(password: bytes, salt: salt, n: UInt64(1) << UInt64(cost.logN),
                                 r: UInt32(cost.r), p: UInt32(cost.p), length: length)
    }

    private static func parse(_ encoded: String) -> (cost: Cost, salt: [UInt8], hash: [UInt8])? {
        let fields = encoded.split(separator: "$", omittingEmptySubsequences: false)
        guard fields.count == 5, fields[0].isEmpty, fields[1] == "scrypt" else { return nil }
        var values: [String: Int] = [:]
        for pair in fields[2].split(separator: ",", omittingEmptySubsequences: false) {
            let parts = pair.split(separator: "=", omittingEmptySubsequences: false)
            guard parts.count == 2, let value = Int(parts[1]), values[String(parts[0])] == nil else { return nil }
            values[String(parts[0])] = value
        }
        guard values.count == 3, let logN = values["ln"], let r = values["r"], let p = values["p"] else { return nil }
        let cost = Cost(logN: logN, r: r, p: p)
        guard cost.isAcceptable,
              let salt = try? Base64.decodeUnpadded(String(fields[3])),
              let hash = try? Base64.decodeUnpadded(String(fields[4])),
              (8...64).contains(salt.count), (16...64).contains(hash.count)
        else { return nil }
        return (cost, salt, hash)
    }
}
