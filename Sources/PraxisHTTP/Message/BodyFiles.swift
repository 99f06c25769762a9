import COpenSSL

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// How the server receives the body of one route's requests, decided from the request head
/// before a single body byte is read.
public struct RequestBodyPolicy: Sendable, Equatable {
    /// Largest body accepted; a larger declared length is refused with 413 before reading it,
    /// and a chunked body is cut off with 413 once it grows past it.
    public var maxBytes: Int
    /// When set, the body is written to a new file in this folder while it arrives (SHA-256
    /// computed on the way) instead of being kept in memory; the handler gets it as
    /// `HTTPRequest.spooledBody`. Use for uploads that may be large.
    public var spoolDirectory: String?

    public init(maxBytes: Int, spoolDirectory: String? = nil) {
        self.maxBytes = maxBytes
        self.spoolDirectory = spoolDirectory
    }
}

/// A request body the server streamed to disk, with its size and SHA-256 computed while it
/// arrived, so a handler never needs the bytes in memory to check or store them.
///
/// The file belongs to the request: the server deletes it once the handler has answered, unless
/// the handler moved it away (`rename(2)` it into permanent storage on the same file system).
public struct SpooledBody: Sendable, Equatable {
    public let path: String
    public let size: Int
    /// SHA-256 of the whole body, 32 bytes.
    public let sha256: [UInt8]

    public init(path: String, size: Int, sha256: [UInt8]) {
        self.path = path
        self.size = size
        self.sha256 = sha256
    }
}

/// An open file whose contents are a response body; the server streams it in bounded chunks.
///
/// Opening happens in the handler (`try ResponseFile(path:)`), so a file that is missing or
/// unreadable becomes the handler's error (a 404 or 500 it chooses), and the size sent in
/// `Content-Length` is the size of what was opened, even if the path is replaced afterwards.
public final class ResponseFile: Sendable {
    /// Descriptor owned by this object and closed when it is released; only read with `pread`,
    /// which has no shared file offset, so concurrent use is safe.
    let descriptor: Int32
    public let size: Int

    /// Opens `path` for reading.
    /// - Throws: `ResponseFileError` when the file cannot be opened or is not a regular file.
    public init(path: String) throws(ResponseFileError) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw ResponseFileError(path: path, errno: errno) }
        var info = stat()
        guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else {
            let code = errno
            Glibc.close(fd)
            throw ResponseFileError(path: path, errno: code == 0 ? EISDIR : code)
        }
        descriptor = fd
        size = Int(info.st_size)
    }

    deinit { Glibc.close(descriptor) }

    /// Reads up to `count` bytes at `offset`; an empty result means the file shrank.
    func read(at offset: Int, count: Int) -> [UInt8]? {
        var bytes = [UInt8](repeating: 0, count: count)
        var filled = 0
        while filled < count {
            let n = bytes.withUnsafeMutableBytes { raw in
                pread(descriptor, raw.baseAddress! + filled, count - filled, off_t(offset + filled))
            }
            if n > 0 {
                filled += n
            } else if n == 0 {
                break
            } else if errno != EINTR {
                return nil
            }
        }
        if filled < count { bytes.removeLast(count - filled) }
        return bytes
    }
}

/// A response file that could not be opened.
public struct ResponseFileError: Error, Sendable, CustomStringConvertible {
    public let path: String
    public let errno: Int32

    public var isMissing: Bool { errno == ENOENT }
    public var description: String { "cannot open \(path): \(String(cString: strerror(errno)))" }
}

/// Writes a body into a new file while hashing it; used by the server for spooled bodies and by
/// the client for downloads. Touched by one thread at a time.
final class BodyFileWriter {
    let path: String
    private var fd: Int32
    private let digest: OpaquePointer
    private(set) var size = 0

    /// Creates `directory/prefix-<random>.part` exclusively, readable only by this user.
    init(directory: String, prefix: String) throws(BodyFileError) {
        var random = [UInt8](repeating: 0, count: 12)
        guard RAND_bytes(&random, Int32(random.count)) == 1 else { throw BodyFileError("no random bytes for a file name") }
        let name = random.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined()
        let safePrefix = String(prefix.unicodeScalars.filter { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "-") }.prefix(40))
        path = directory + "/" + (safePrefix.isEmpty ? "body" : safePrefix) + "-" + name + ".part"
        fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw BodyFileError("cannot create \(path): \(String(cString: strerror(errno)))")
        }
        guard let ctx = EVP_MD_CTX_new(), EVP_DigestInit_ex2(ctx, EVP_sha256(), nil) == 1 else {
            Glibc.close(fd)
            unlink(path)
            throw BodyFileError("cannot start a SHA-256 digest")
        }
        digest = ctx
    }

    deinit {
        EVP_MD_CTX_free(digest)
        if fd >= 0 { Glibc.close(fd) }
    }

    /// Appends bytes to the file and the digest.
    func write(_ bytes: UnsafeRawBufferPointer) throws(BodyFileError) {
        guard bytes.count > 0, let base = bytes.baseAddress else { return }
        guard EVP_DigestUpdate(digest, base, bytes.count) == 1 else { throw BodyFileError("SHA-256 update failed") }
        var written = 0
        while written < bytes.count {
            let n = Glibc.write(fd, base + written, bytes.count - written)
            if n > 0 {
                written += n
            } else if n < 0 && errno == EINTR {
                continue
            } else {
                throw BodyFileError("cannot write \(path): \(String(cString: strerror(errno)))")
            }
        }
        size += bytes.count
    }

    /// Closes the file and returns its SHA-256.
    func finish() throws(BodyFileError) -> [UInt8] {
        var output = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        guard EVP_DigestFinal_ex(digest, &output, &length) == 1, length == 32 else { throw BodyFileError("SHA-256 final failed") }
        let result = Glibc.close(fd)
        fd = -1
        guard result == 0 else { throw BodyFileError("cannot close \(path): \(String(cString: strerror(errno)))") }
        return output
    }

    /// Closes and deletes the file (an abandoned or failed body).
    func discard() {
        if fd >= 0 {
            Glibc.close(fd)
            fd = -1
        }
        unlink(path)
    }
}

/// A body file could not be written.
public struct BodyFileError: Error, Sendable, CustomStringConvertible {
    public let message: String
    init(_ message: String) { self.message = message }
    public var description: String { message }
}
