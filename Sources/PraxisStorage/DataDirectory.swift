import Foundation

/// The layout of a node's data folder: everything a node owns lives under one directory, so an
/// operator backs up, moves or inspects exactly one thing.
///
/// ```
/// DIR/config.json        node configuration (domain, name, federation mode, development flag)
/// DIR/praxis.sqlite      the database, with every actor's private keys (WAL: -wal and -shm
///                        files beside it); the folder is 0700 and the files 0600
/// DIR/blobs/             content-addressed document bytes
/// ```
public struct DataDirectory: Sendable {
    public let root: URL

    public init(path: String) {
        self.root = URL(fileURLWithPath: path, isDirectory: true).standardizedFileURL
    }

    public var configurationFile: URL { root.appendingPathComponent("config.json") }
    public var databaseFile: URL { root.appendingPathComponent("praxis.sqlite") }
    public var blobsDirectory: URL { root.appendingPathComponent("blobs", isDirectory: true) }

    /// True when the folder holds an initialised node.
    public var isInitialised: Bool {
        FileManager.default.fileExists(atPath: configurationFile.path)
    }

    /// Creates the folder tree with owner-only permissions. Refuses a folder that already holds a
    /// node, so `init` never overwrites keys or data.
    public func create() throws {
        let fm = FileManager.default
        if isInitialised {
            throw StorageError.alreadyInitialised(root.path)
        }
        var isDirectory: ObjCBool = false
        if fm.fileExists(atPath: root.path, isDirectory: &isDirectory), !isDirectory.boolValue {
            throw StorageError.invalidDataDirectory("\(root.path) exists and is not a folder")
        }
        do {
            for dir in [root, blobsDirectory] {
                try fm.createDirectory(at: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
                try fm.setAttributes([.posixPermissions: 0o700], ofItemAtPath: dir.path)
            }
        } catch {
            throw StorageError.invalidDataDirectory("cannot create \(root.path): \(error.localizedDescription)")
        }
    }

    /// Writes a secret file atomically with mode 0600 (it never exists with wider permissions).
    public func writeSecret(_ text: String, to url: URL) throws {
        let temp = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).tmp")
        let fm = FileManager.default
        try? fm.removeItem(at: temp)
        guard fm.createFile(atPath: temp.path, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600]) else {
            throw StorageError.invalidDataDirectory("cannot write \(url.path)")
        }
        if fm.fileExists(atPath: url.path) { try fm.removeItem(at: url) }
        try fm.moveItem(at: temp, to: url)
    }

    public func readText(_ url: URL) throws -> String {
        do {
            return try String(contentsOf: url, encoding: .utf8)
        } catch {
            throw StorageError.invalidDataDirectory("cannot read \(url.path): \(error.localizedDescription)")
        }
    }
}
