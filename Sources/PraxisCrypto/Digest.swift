import COpenSSL

/// Digest algorithms fetched once from the default provider.
///
/// Fetching by name takes a lock in OpenSSL's method store; hashing many small strings (digests of
/// request bodies, JCS hashes) should not pay that each time.
/// `@unchecked Sendable` is safe: a fetched `EVP_MD` is immutable and lives for the whole process.
final class DigestAlgorithm: @unchecked Sendable {
    let md: OpaquePointer
    let name: String
    let size: Int

    private init(name: String, fallback: () -> OpaquePointer) {
        self.name = name
        self.md = EVP_MD_fetch(nil, name, nil) ?? fallback()
        self.size = Int(EVP_MD_get_size(md))
    }

    static let sha256 = DigestAlgorithm(name: "SHA256", fallback: { EVP_sha256() })
    static let sha512 = DigestAlgorithm(name: "SHA512", fallback: { EVP_sha512() })

    /// One-shot digest of contiguous bytes.
    func hash(_ bytes: UnsafeRawBufferPointer) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: size)
        var length: UInt32 = 0
        var zero: UInt8 = 0
        let ok = out.withUnsafeMutableBufferPointer { output in
            if let base = bytes.baseAddress {
                return EVP_Digest(base, bytes.count, output.baseAddress, &length, md, nil)
            }
            return withUnsafePointer(to: &zero) { EVP_Digest($0, 0, output.baseAddress, &length, md, nil) }
        }
        guard ok == 1, Int(length) == size else {
            // Only a broken libcrypto gets here; there is no input that makes hashing fail.
            fatalError("libcrypto \(name) digest failed: \(OpenSSLErrorQueue.drain())")
        }
        return out
    }

    /// One-shot digest of any byte sequence.
    func hash(_ data: some Sequence<UInt8>) -> [UInt8] {
        if let result = data.withContiguousStorageIfAvailable({ hash(UnsafeRawBufferPointer($0)) }) {
            return result
        }
        return Array(data).withUnsafeBytes { hash($0) }
    }
}

/// SHA-256 (FIPS 180-4).
public enum SHA256 {
    /// Length of a SHA-256 digest in bytes.
    public static let byteCount = 32

    /// SHA-256 of `data` (32 bytes).
    public static func hash(_ data: some Sequence<UInt8>) -> [UInt8] {
        DigestAlgorithm.sha256.hash(data)
    }
}

/// SHA-512 (FIPS 180-4).
public enum SHA512 {
    /// Length of a SHA-512 digest in bytes.
    public static let byteCount = 64

    /// SHA-512 of `data` (64 bytes).
    public static func hash(_ data: some Sequence<UInt8>) -> [UInt8] {
        DigestAlgorithm.sha512.hash(data)
    }
}

/// Hash functions that can be fed incrementally through ``DigestHasher``.
public protocol IncrementalHashFunction: Sendable {
    /// Length of the digest in bytes.
    static var byteCount: Int { get }
}

extension SHA256: IncrementalHashFunction {}
extension SHA512: IncrementalHashFunction {}

/// Incremental SHA-256, for bodies and documents that arrive in chunks.
public typealias SHA256Hasher = DigestHasher<SHA256>
/// Incremental SHA-512; same contract as ``SHA256Hasher``.
public typealias SHA512Hasher = DigestHasher<SHA512>

/// Incremental hashing with `Function` (``SHA256Hasher``, ``SHA512Hasher``).
///
/// A value type: copying a hasher forks the running state (copy-on-write). ``finalize()`` does not
/// consume the state, so a caller can read the digest of the bytes so far and keep feeding more.
///
/// ```swift
/// var hasher = SHA256Hasher()
/// for chunk in chunks { hasher.update(chunk) }
/// let digest = hasher.finalize()
/// ```
public struct DigestHasher<Function: IncrementalHashFunction>: Sendable {
    private var state: DigestState

    public init() {
        state = DigestState(Function.byteCount == SHA512.byteCount ? .sha512 : .sha256)
    }

    /// Feeds raw bytes.
    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        uniqueState().update(bytes)
    }

    /// Feeds an array of bytes.
    public mutating func update(_ bytes: [UInt8]) {
        let state = uniqueState()
        bytes.withUnsafeBytes { state.update($0) }
    }

    /// The digest of everything fed so far (`Function.byteCount` bytes).
    public func finalize() -> [UInt8] {
        state.finalize()
    }

    private mutating func uniqueState() -> DigestState {
        if !isKnownUniquelyReferenced(&state) { state = DigestState(copying: state) }
        return state
    }
}

/// An `EVP_MD_CTX` behind copy-on-write hasher values.
///
/// `@unchecked Sendable` is safe because the owning hasher mutates the context only while it holds
/// the sole reference (checked with `isKnownUniquelyReferenced`); shared instances are only read
/// (`EVP_MD_CTX_copy_ex` from them in `finalize` and when forking).
final class DigestState: @unchecked Sendable {
    private let ctx: OpaquePointer
    private let algorithm: DigestAlgorithm

    init(_ algorithm: DigestAlgorithm) {
        self.algorithm = algorithm
        guard let ctx = EVP_MD_CTX_new() else { fatalError("out of memory allocating a digest context") }
        self.ctx = ctx
        guard EVP_DigestInit_ex2(ctx, algorithm.md, nil) == 1 else {
            fatalError("libcrypto \(algorithm.name) init failed: \(OpenSSLErrorQueue.drain())")
        }
    }

    init(copying other: DigestState) {
        algorithm = other.algorithm
        guard let ctx = EVP_MD_CTX_new() else { fatalError("out of memory allocating a digest context") }
        self.ctx = ctx
        guard EVP_MD_CTX_copy_ex(ctx, other.ctx) == 1 else {
            fatalError("libcrypto \(algorithm.name) copy failed: \(OpenSSLErrorQueue.drain())")
        }
    }

    deinit {
        EVP_MD_CTX_free(ctx)
    }

    func update(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        guard EVP_DigestUpdate(ctx, base, bytes.count) == 1 else {
            fatalError("libcrypto \(algorithm.name) update failed: \(OpenSSLErrorQueue.drain())")
        }
    }

    func finalize() -> [UInt8] {
        let copy = DigestState(copying: self)
        var out = [UInt8](repeating: 0, count: algorithm.size)
        var length: UInt32 = 0
        let ok = out.withUnsafeMutableBufferPointer { EVP_DigestFinal_ex(copy.ctx, $0.baseAddress, &length) }
        guard ok == 1, Int(length) == algorithm.size else {
            fatalError("libcrypto \(algorithm.name) final failed: \(OpenSSLErrorQueue.drain())")
        }
        return out
    }
}

/// HMAC (RFC 2104) with SHA-2.
public enum HMAC {
    /// HMAC-SHA-256 of `data` under `key` (32 bytes).
    public static func sha256(key: [UInt8], data: [UInt8]) -> [UInt8] {
        mac(digest: DigestAlgorithm.sha256, key: key, data: data)
    }

    /// HMAC-SHA-512 of `data` under `key` (64 bytes).
    public static func sha512(key: [UInt8], data: [UInt8]) -> [UInt8] {
        mac(digest: DigestAlgorithm.sha512, key: key, data: data)
    }

    /// Checks an HMAC-SHA-256 value in constant time.
    public static func isValidSHA256(_ mac: [UInt8], key: [UInt8], data: [UInt8]) -> Bool {
        ConstantTime.equals(sha256(key: key, data: data), mac)
    }

    private static func mac(digest: DigestAlgorithm, key: [UInt8], data: [UInt8]) -> [UInt8] {
        // HMAC pads the key with zeros to the block size, so an empty key and a single zero byte give
        // the same MAC; OpenSSL's HMAC rejects a zero-length key, the substitute keeps this total.
        let effectiveKey = key.isEmpty ? [0] : key
        var out = [UInt8](repeating: 0, count: digest.size)
        var length = 0
        let result = withNonNullBytes(effectiveKey) { keyPointer, keyCount in
            withNonNullBytes(data) { dataPointer, dataCount in
                out.withUnsafeMutableBufferPointer { output in
                    EVP_Q_mac(nil, "HMAC", nil, digest.name, nil, keyPointer, keyCount,
                              dataPointer, dataCount, output.baseAddress, output.count, &length)
                }
            }
        }
        guard result != nil, length == digest.size else {
            fatalError("libcrypto HMAC-\(digest.name) failed: \(OpenSSLErrorQueue.drain())")
        }
        return out
    }
}
