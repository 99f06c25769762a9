import Foundation

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// A folder of content-addressed files: each blob is named by the lowercase hex of its SHA-256
/// digest (`ab/ab12…`), so no user input ever becomes part of a path and identical bytes are kept
/// once.
///
/// Blobs enter by `rename` from a file already written (and hashed) in the same file system —
/// ``incomingDirectory`` — so a blob is either absent or complete, never half written.
public struct BlobStore: Sendable {
    public let root: URL

    public init(root: URL) {
        self.root = root
    }

    /// Where files are written before they are adopted; inside `root`, so adoption is a rename.
    public var incomingDirectory: URL { root.appendingPathComponent(".incoming", isDirectory: true) }

    /// Creates the folders (owner-only) if they are missing.
    public func prepare() throws {
        do {
            for dir in [root, incomingDirectory] {
                try FileManager.default.createDirectory(
                    at: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            }
        } catch {
            throw StorageError.invalidDataDirectory("cannot create \(root.path): \(error.localizedDescription)")
        }
    }

    /// A fresh path in ``incomingDirectory`` for a file about to be written.
    public func temporaryPath() throws -> String {
        try prepare()
        var random = [UInt8](repeating: 0, count: 12)
        for index in random.indices { random[index] = UInt8.random(in: 0...255) }
        return incomingDirectory.appendingPathComponent("tmp-" + Self.hex(random)).path
    }

    /// The path of the blob with this digest (whether or not it exists).
    public func path(for sha256: [UInt8]) throws -> String {
        guard sha256.count == 32 else { throw StorageError.invalidValue("a blob is named by a 32-byte SHA-256 digest") }
        let hex = Self.hex(sha256)
        return root.appendingPathComponent(String(hex.prefix(2)), isDirectory: true).appendingPathComponent(hex).path
    }

    public func contains(_ sha256: [UInt8]) -> Bool {
        guard let path = try? path(for: sha256) else { return false }
        return FileManager.default.fileExists(atPath: path)
    }

    /// The size of the stored blob, or nil when it is missing.
    public func size(of sha256: [UInt8]) -> Int? {
        guard let path = try? path(for: sha256),
            let attributes = try? FileManager.default.attributesOfItem(atPath: path),
            let size = attributes[.size] as? NSNumber
        else { return nil }
        return size.intValue
    }

    /// Moves the file at `source` (already hashed to `sha256` by the caller) into the store. When
    /// the blob exists already the source is removed: the bytes are the same.
    /// - Returns: the blob's path.
    @discardableResult
    public func adopt(_ source: String, sha256: [UInt8]) throws -> String {
        let target = try path(for: sha256)
        let fm = FileManager.default
        if fm.fileExists(atPath: target) {
            try? fm.removeItem(atPath: source)
            return target
        }
        let folder = (target as NSString).deletingLastPathComponent
        do {
            try fm.createDirectory(atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw StorageError.invalidDataDirectory("cannot create \(folder): \(error.localizedDescription)")
        }
        chmod(source, 0o600)
        guard rename(source, target) == 0 else {
            let reason = String(cString: strerror(errno))
            throw StorageError.invalidDataDirectory("cannot move \(source) into the blob store at \(target): \(reason)")
        }
        return target
    }

    /// Writes `bytes` as a blob (used for small files and tests; uploads are streamed).
    @discardableResult
    public func store(_ bytes: [UInt8], sha256: [UInt8]) throws -> String {
        let temp = try temporaryPath()
        guard FileManager.default.createFile(atPath: temp, contents: Data(bytes), attributes: [.posixPermissions: 0o600])
        else { throw StorageError.invalidDataDirectory("cannot write \(temp)") }
        return try adopt(temp, sha256: sha256)
    }

    /// Removes the blob; a missing blob is not an error.
    public func remove(_ sha256: [UInt8]) {
        guard let path = try? path(for: sha256) else { return }
        try? FileManager.default.removeItem(atPath: path)
    }

    /// Lowercase hex.
    public static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}

extension DataDirectory {
    /// The node's own document bytes (`DIR/blobs`).
    public var documentBlobs: BlobStore { BlobStore(root: blobsDirectory) }

    /// Bytes of other nodes' documents fetched on demand and verified (`DIR/cache/documents`);
    /// safe to empty at any time.
    public var documentCache: BlobStore {
        BlobStore(root: root.appendingPathComponent("cache", isDirectory: true).appendingPathComponent("documents", isDirectory: true))
    }

    /// Where uploads are spooled while they arrive: inside the blob folder, so a finished upload
    /// enters the store by rename.
    public var uploadSpoolDirectory: URL { documentBlobs.incomingDirectory }
}

extension NodeConfiguration {
    /// The default largest document accepted: 100 MB.
    public static let defaultMaxDocumentBytes = 100 * 1024 * 1024

    /// The largest document accepted, from `maxDocumentBytes` in `config.json` or the default.
    public var documentSizeLimit: Int {
        guard let configured = maxDocumentBytes, configured > 0 else { return Self.defaultMaxDocumentBytes }
        return configured
    }
}
