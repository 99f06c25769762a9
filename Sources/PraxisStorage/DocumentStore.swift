import Foundation
import PraxisSQLite

/// Metadata of one version of a document in a community's library.
///
/// `id` is the URL of the `Document` object; `url` is where its origin serves the bytes. The
/// bytes themselves live in a ``BlobStore`` under their SHA-256 digest.
public struct DocumentRecord: Sendable, Equatable {
    public var id: String
    public var community: String
    public var uploader: String
    public var title: String
    public var description: String
    public var tags: [String]
    public var language: String?
    public var mediaType: String
    /// The sanitised file name offered on download.
    public var filename: String
    public var size: Int
    public var sha256: [UInt8]
    public var url: String
    /// The id of the version this one replaces.
    public var previousVersion: String?
    public var created: Date
    public var deletedAt: Date?
    /// The authority of the node that owns the bytes.
    public var origin: String

    public init(id: String, community: String, uploader: String, title: String, description: String, tags: [String],
                language: String?, mediaType: String, filename: String, size: Int, sha256: [UInt8], url: String,
                previousVersion: String?, created: Date, deletedAt: Date? = nil, origin: String) {
        self.id = id
        self.community = community
        self.uploader = uploader
        self.title = title
        self.description = description
        self.tags = tags
        self.language = language
        self.mediaType = mediaType
        self.filename = filename
        self.size = size
        self.sha256 = sha256
        self.url = url
        self.previousVersion = previousVersion
        self.created = created
        self.deletedAt = deletedAt
        self.origin = origin
    }

    /// The digest as lowercase hex, which is also the blob's file name.
    public var sha256Hex: String { BlobStore.hex(sha256) }
}

/// The `documents` table.
public struct DocumentStore {
    let db: Connection
    public init(_ db: Connection) { self.db = db }

    /// Inserts a version, or refreshes the metadata of a known one (a relayed `Update`); a deleted
    /// document stays deleted, and its bytes' digest never changes.
    public func upsert(_ record: DocumentRecord) throws {
        let tags = String(decoding: (try? JSONEncoder().encode(record.tags)) ?? Data("[]".utf8), as: UTF8.self)
        try db.run(
            """
            INSERT INTO documents (id, community, uploader, title, description, tags, language, media_type, filename,
                                   size, sha256, url, previous_version, created, deleted_at, origin)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (id) DO UPDATE SET title = excluded.title, description = excluded.description,
                tags = excluded.tags, language = excluded.language
                WHERE documents.deleted_at IS NULL
            """,
            record.id, record.community, record.uploader, record.title, record.description, tags, record.language,
            record.mediaType, record.filename, Int64(record.size), record.sha256, record.url, record.previousVersion,
            record.created.unixSeconds, record.deletedAt?.unixSeconds, record.origin)
    }

    public func find(id: String) throws -> DocumentRecord? {
        try db.queryOne("SELECT * FROM documents WHERE id = ?", id).map(Self.record)
    }

    /// The live documents of a community, newest first.
    public func inCommunity(_ community: String, limit: Int = 200) throws -> [DocumentRecord] {
        try db.query(
            "SELECT * FROM documents WHERE community = ? AND deleted_at IS NULL ORDER BY created DESC, id LIMIT ?",
            community, limit
        ).map(Self.record)
    }

    /// The live version that names `id` as its predecessor, if any.
    public func successor(of id: String) throws -> DocumentRecord? {
        try db.queryOne(
            "SELECT * FROM documents WHERE previous_version = ? AND deleted_at IS NULL LIMIT 1", id
        ).map(Self.record)
    }

    /// Marks a version deleted. Returns false when it was unknown or already deleted.
    @discardableResult
    public func markDeleted(id: String, now: Date = Date()) throws -> Bool {
        try db.run("UPDATE documents SET deleted_at = ? WHERE id = ? AND deleted_at IS NULL", now.unixSeconds, id)
        return db.changes > 0
    }

    /// Whether any live version, on any origin, still uses the bytes with this digest.
    public func isReferenced(sha256: [UInt8]) throws -> Bool {
        try db.queryOne("SELECT 1 FROM documents WHERE sha256 = ? AND deleted_at IS NULL LIMIT 1", sha256) != nil
    }

    static func record(_ row: Row) throws -> DocumentRecord {
        let deleted: Int64? = try row.optional("deleted_at")
        let size: Int64 = try row.get("size")
        return DocumentRecord(
            id: try row.get("id"), community: try row.get("community"), uploader: try row.get("uploader"),
            title: try row.get("title"), description: try row.get("description"),
            tags: (try? JSONDecoder().decode([String].self, from: Data((try row.get("tags", as: String.self)).utf8))) ?? [],
            language: try row.optional("language"), mediaType: try row.get("media_type"),
            filename: try row.get("filename"), size: Int(size), sha256: try row.get("sha256"), url: try row.get("url"),
            previousVersion: try row.optional("previous_version"),
            created: Date(unixSeconds: try row.get("created")), deletedAt: deleted.map(Date.init(unixSeconds:)),
            origin: try row.get("origin"))
    }
}
