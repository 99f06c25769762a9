import COpenSSL

/// Cryptographically secure random bytes from OpenSSL's DRBG (seeded from the kernel).
public enum SecureRandom {
    /// `count` random bytes.
    ///
    /// There is no safe way to continue without randomness (tokens and keys would be guessable), so
    /// a failing DRBG stops the process with a message rather than returning weak bytes.
    public static func bytes(_ count: Int) -> [UInt8] {
        guard count > 0 else { return [] }
        var out = [UInt8](repeating: 0, count: count)
        let ok = out.withUnsafeMutableBufferPointer { buffer -> Bool in
            guard let base = buffer.baseAddress else { return false }
            // RAND_bytes takes an Int32 length; fill in chunks so any Int count works.
            var offset = 0
            while offset < buffer.count {
                let chunk = min(buffer.count - offset, 1 << 20)
                guard RAND_bytes(base + offset, Int32(chunk)) == 1 else { return false }
                offset += chunk
            }
            return true
        }
        guard ok else {
            fatalError("OpenSSL random generator failed: \(OpenSSLErrorQueue.drain())")
        }
        return out
    }

    /// A random token of `bytes` bytes, base64url without padding (43 characters for 32 bytes).
    public static func token(bytes: Int = 32) -> String {
        Base64.urlEncode(Self.bytes(bytes))
    }

    /// A random token of `bytes` bytes as lower-case hex.
    public static func hex(bytes: Int = 16) -> String {
        Hex.encode(Self.bytes(bytes))
    }
}

/// Comparisons whose running time does not depend on where the inputs differ.
public enum ConstantTime {
    /// True when `a` and `b` are equal. Lengths are not secret (MACs and hashes have fixed lengths),
    /// so different lengths return false at once; equal-length contents are compared with `CRYPTO_memcmp`.
    public static func equals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        guard !a.isEmpty else { return true }
        return a.withUnsafeBytes { pa in
            b.withUnsafeBytes { pb in
                guard let baseA = pa.baseAddress, let baseB = pb.baseAddress else { return false }
                return CRYPTO_memcmp(baseA, baseB, pa.count) == 0
            }
        }
    }
}
