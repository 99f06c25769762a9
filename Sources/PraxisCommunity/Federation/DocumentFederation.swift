import Foundation
import PraxisActivityStreams
import PraxisCrypto
import PraxisFederation
import PraxisJSON
import PraxisSQLite
import PraxisStorage

/// `Document` objects as they travel between nodes (see `Protocol/documents.md`): metadata only —
/// media type, size, a FEP-ef61 `digestMultibase` (base58btc multihash of SHA-256), the origin's
/// byte URL and the link to the previous version. The bytes stay on their origin.
enum DocumentFederation {
    /// JSON-LD terms documents add to the content context.
    static let context: JSON = [
        .string(ActivityStreams.context), .string(ActivityStreams.dataIntegrityContext), ActivityStreams.praxisContext,
        [
            "size": "praxis:size",
            "filename": "praxis:filename",
            "previousVersion": ["@id": "praxis:previousVersion", "@type": "@id"],
            "digestMultibase": "https://w3id.org/security#digestMultibase",
        ],
    ]

    /// The multihash prefix of a SHA-256 digest: function 0x12, length 32.
    static let sha256Multihash: [UInt8] = [0x12, 0x20]

    /// `digestMultibase` of a SHA-256 digest.
    static func digestMultibase(_ sha256: [UInt8]) -> String {
        Multibase.encode(sha256Multihash + sha256, as: .base58btc)
    }

    /// The SHA-256 digest named by a `digestMultibase` value, or nil when it names something else.
    static func sha256(fromDigestMultibase value: String) -> [UInt8]? {
        guard let bytes = try? Multibase.decode(value), bytes.count == 34, Array(bytes.prefix(2)) == sha256Multihash else {
            return nil
        }
        return Array(bytes.dropFirst(2))
    }

    /// Where the origin serves a document's bytes.
    static func byteURL(of id: String) -> String { id + "/content" }

    /// The unsigned `Document` object for a new version.
    static func object(_ record: DocumentRecord, content: String, to: [String], cc: [String]) -> JSONObject {
        var object: JSONObject = [
            "@context": context,
            "id": .string(record.id),
            "type": "Document",
            "attributedTo": .string(record.uploader),
            "audience": .string(record.community),
            "to": .array(to.map(JSON.string)),
            "cc": .array(cc.map(JSON.string)),
            "name": .string(record.title),
            "summary": .string(record.description),
            "content": .string(content),
            "mediaType": .string(record.mediaType),
            "filename": .string(record.filename),
            "size": .integer(Int64(record.size)),
            "digestMultibase": .string(digestMultibase(record.sha256)),
            "url": ["type": "Link", "href": .string(record.url), "mediaType": .string(record.mediaType)],
            "published": .string(ISO8601.string(record.created)),
        ]
        if let language = record.language { object["contentMap"] = [language: .string(content)] }
        if !record.tags.isEmpty {
            object["tag"] = .array(record.tags.map { ["type": "Hashtag", "name": .string("#" + $0)] })
        }
        if let previous = record.previousVersion { object["previousVersion"] = .string(previous) }
        return object
    }

    /// Reads the metadata of a `Document` received from another node, in `community`.
    /// - Throws: ``ActivityRejection`` when a required field is missing or inconsistent: the byte
    ///   URL and the previous version must be on the document's own host, the media type must be
    ///   one this node accepts, and the digest must be a SHA-256 multihash.
    static func record(from object: JSON, community: String, now: Date = Date()) throws -> DocumentRecord {
        guard let id = object["id"]?.stringValue, let uploader = object["attributedTo"]?.linkID,
            let origin = FederationContext.authority(id)
        else { throw ActivityRejection("a Document needs an id and attributedTo") }
        guard let mediaType = object["mediaType"]?.stringValue?.lowercased(),
            DocumentContent.allowedMediaTypes.contains(mediaType)
        else { throw ActivityRejection("the Document's mediaType is missing or not accepted here") }
        guard let size = object["size"]?.intValue, size > 0, size <= 1 << 40 else {
            throw ActivityRejection("the Document needs its size in bytes")
        }
        guard let digest = object["digestMultibase"]?.stringValue.flatMap(sha256(fromDigestMultibase:)) else {
            throw ActivityRejection("the Document needs a digestMultibase holding a SHA-256 multihash")
        }
        let urlValue = object["url"]?.arrayValue?.first ?? object["url"]
        guard let url = urlValue?.stringValue ?? urlValue?["href"]?.stringValue,
            FederationContext.authority(url) == origin
        else { throw ActivityRejection("the Document's url must be on its own host \(origin)") }
        let previous = object["previousVersion"]?.linkID ?? object["praxis:previousVersion"]?.linkID
        if let previous, FederationContext.authority(previous) != origin {
            throw ActivityRejection("a Document's previous version must be on its own host")
        }
        let title = String((object["name"]?.stringValue ?? "").prefix(200))
        var language: String?
        if let map = object["contentMap"]?.objectValue, map.count == 1 { language = map.keys.first }
        let tags: [String] = (object["tag"]?.arrayValue ?? []).compactMap { tag in
            guard tag.asType == "Hashtag", var name = tag["name"]?.stringValue else { return nil }
            if name.hasPrefix("#") { name.removeFirst() }
            return name.isEmpty || name.count > 50 ? nil : name.lowercased()
        }
        let filename = DocumentFilename.sanitise(object["filename"]?.stringValue ?? title)
        return DocumentRecord(
            id: id, community: community, uploader: uploader, title: title.isEmpty ? filename : title,
            description: String((object["summary"]?.stringValue ?? "").prefix(5_000)), tags: Array(tags.prefix(10)),
            language: language, mediaType: mediaType, filename: filename, size: Int(size), sha256: digest, url: url,
            previousVersion: previous,
            created: object["published"]?.stringValue.flatMap(ISO8601.date) ?? now, origin: origin)
    }

    /// Records the document metadata of a relayed `Create` or `Update` (called after the object
    /// itself is stored).
    static func store(_ object: JSON, community: String, db: Connection) throws {
        try DocumentStore(db).upsert(try record(from: object, community: community))
    }

    /// Tombstones a stored object, whoever removes it (its author, a moderator, the community);
    /// for a document also its metadata, and its bytes (the blob on its own node, the cached copy
    /// elsewhere) once no live version uses them. The files go inside the caller's transaction:
    /// should it roll back, a document whose deletion was under way has lost its bytes, which a
    /// cache refetches and an origin treats as a missing file (never as other content).
    static func tombstone(_ id: String, context: FederationContext, db: Connection) throws {
        try ObjectRepository(db).markDeleted(id: id)
        if let orphan = try delete(id, db: db) {
            context.store.directory.documentCache.remove(orphan)
            context.store.directory.documentBlobs.remove(orphan)
        }
    }

    /// Marks a relayed document deleted and reports whether its cached bytes may go.
    static func delete(_ id: String, db: Connection) throws -> [UInt8]? {
        let documents = DocumentStore(db)
        guard let record = try documents.find(id: id), try documents.markDeleted(id: id) else { return nil }
        return try documents.isReferenced(sha256: record.sha256) ? nil : record.sha256
    }
}
