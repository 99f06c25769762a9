import Foundation
import PraxisActivityStreams
import PraxisFederation
import PraxisJSON
import PraxisSQLite
import PraxisStorage

/// A member's data export: everything they wrote and uploaded, as one ZIP archive.
///
/// Entries:
/// - `profile.json`: account, profile and settings;
/// - `posts.json`: every thread, reply and document object they authored (deleted ones as
///   tombstones), each with its earlier versions;
/// - `documents.json` and `documents/SHA256-FILENAME`: metadata of every document version they
///   uploaded, and the bytes of those this node still holds;
/// - `memberships.json`: the communities they joined or asked to join, with the state;
/// - `invitations.json`: invitations received and sent;
/// - `reports.json`: reports they filed.
///
/// The archive is written to a temporary file in the data folder (never held in memory) and is
/// bounded by ``maxBytes``: an export that would grow beyond it is refused with a message that
/// says so, and the partial file is removed.
public struct DataExport: Sendable {
    /// Default bound of an archive: 1 GiB.
    public static let defaultMaxBytes: UInt64 = 1 << 30
    /// At most this many posts, documents, reports and invitations each.
    public static let maxRecords = 100_000

    public let store: NodeStore
    public let urls: NodeURLs
    public let maxBytes: UInt64

    public init(store: NodeStore, maxBytes: UInt64 = defaultMaxBytes) {
        self.store = store
        self.urls = NodeURLs(configuration: store.configuration)
        self.maxBytes = maxBytes
    }

    /// A finished archive; the caller owns (and removes) the file.
    public struct Archive: Sendable {
        public var path: String
        public var filename: String
        public var size: UInt64
    }

    /// Writes the archive of the caller's own data.
    /// - Throws: ``CommunityError`` `.forbidden` for an inactive account, `.invalid` when the
    ///   archive would exceed ``maxBytes``.
    public func export(by authorization: Authorization, now: Date = Date()) throws -> Archive {
        try authorization.requireManageOwnData()
        let account = authorization.account
        let actorID = authorization.actorID
        let blobs = store.directory.documentBlobs
        let path = try blobs.temporaryPath()
        let limit = maxBytes
        do {
            let size = try store.database.read { db -> UInt64 in
                let zip = try ZipWriter(path: path, date: now)
                func add(_ name: String, _ value: JSON) throws {
                    let bytes = value.serializedBytes(pretty: true, sortedKeys: true)
                    try Self.check(zip.size + UInt64(bytes.count), limit: limit)
                    try zip.add(name, bytes: bytes)
                }
                let profile = try MemberProfileRepository(db).find(accountID: account.actor.id)
                try add("profile.json", [
                    "id": .string(actorID), "name": .string(account.actor.username),
                    "displayName": .string(account.actor.displayName), "summary": .string(account.actor.summary),
                    "email": account.email.map { .string($0) } ?? .null, "role": .string(account.role.rawValue),
                    "affiliation": .string(account.affiliation.rawValue), "organisation": .string(profile.organisation),
                    "country": profile.country.map { .string($0) } ?? .null,
                    "languages": .array(profile.languages.map(JSON.string)),
                    "settings": MemberSettings(stored: profile.settings).json,
                    "exported": .string(ISO8601.string(now)),
                ])
                let objects = ObjectRepository(db)
                let posts = try ThreadRepository(db).authored(by: actorID, limit: Self.maxRecords).map { post -> JSON in
                    var view = Self.post(post)
                    view["revisions"] = .array(try objects.revisions(of: post.id).map { revision in
                        [
                            "title": revision.name.map { .string($0) } ?? .null, "content": .string(revision.content),
                            "updated": revision.updated.map { .string(ISO8601.string($0)) } ?? .null,
                        ]
                    })
                    return .object(view)
                }
                try add("posts.json", ["posts": .array(posts)])

                let records = MemberRecords(db)
                let documents = try records.documents(uploadedBy: actorID, limit: Self.maxRecords)
                var documentViews: [JSON] = []
                for document in documents {
                    var file: JSON = .null
                    if document.deletedAt == nil, let source = try? blobs.path(for: document.sha256),
                        let input = FileHandle(forReadingAtPath: source)
                    {
                        defer { try? input.close() }
                        let name = "documents/\(document.sha256Hex)-\(Self.safeName(document.filename))"
                        try Self.check(zip.size + UInt64(document.size) + 2_048, limit: limit)
                        try zip.add(name) { write in
                            while let chunk = try input.read(upToCount: 256 * 1024), !chunk.isEmpty {
                                try write(Array(chunk)[...])
                            }
                        }
                        file = .string(name)
                    }
                    documentViews.append([
                        "id": .string(document.id), "community": .string(document.community), "title": .string(document.title),
                        "description": .string(document.description), "tags": .array(document.tags.map(JSON.string)),
                        "language": document.language.map { .string($0) } ?? .null, "mediaType": .string(document.mediaType),
                        "filename": .string(document.filename), "size": .integer(Int64(document.size)),
                        "sha256": .string(document.sha256Hex),
                        "previousVersion": document.previousVersion.map { .string($0) } ?? .null,
                        "created": .string(ISO8601.string(document.created)),
                        "deleted": document.deletedAt.map { .string(ISO8601.string($0)) } ?? .null, "file": file,
                    ])
                }
                try add("documents.json", ["documents": .array(documentViews)])

                let memberships = try FollowRepository(db).following(by: actorID).map { follow -> JSON in
                    ["community": .string(follow.followed), "state": .string(follow.state.rawValue)]
                }
                try add("memberships.json", ["memberships": .array(memberships)])

                let received = try records.receivedInvitations(inviteeID: account.actor.id).map { invitation -> JSON in
                    [
                        "id": .string(invitation.activityID), "community": .string(invitation.community),
                        "inviter": .string(invitation.inviter), "note": .string(invitation.note),
                        "received": .string(ISO8601.string(invitation.receivedAt)), "state": .string(invitation.state.rawValue),
                    ]
                }
                let sent = try records.sentInvitations(inviterID: account.actor.id, limit: Self.maxRecords).map { invitation -> JSON in
                    [
                        "kind": .string(invitation.kind.rawValue), "community": .string(invitation.community),
                        "topic": invitation.topic.map { .string($0) } ?? .null,
                        "invitee": invitation.invitee.map { .string($0) } ?? .null, "note": .string(invitation.note),
                        "created": .string(ISO8601.string(invitation.createdAt)),
                        "expires": .string(ISO8601.string(invitation.expiresAt)),
                        "used": invitation.usedAt.map { .string(ISO8601.string($0)) } ?? .null,
                    ]
                }
                try add("invitations.json", ["received": .array(received), "sent": .array(sent)])

                let reports = try records.reports(filedBy: actorID, limit: Self.maxRecords).map { report -> JSON in
                    [
                        "community": .string(report.community), "object": report.object.map { .string($0) } ?? .null,
                        "target": .string(report.target), "reason": .string(report.reason),
                        "state": .string(report.state.rawValue), "resolution": report.resolution.map { .string($0) } ?? .null,
                        "created": .string(ISO8601.string(report.createdAt)),
                    ]
                }
                try add("reports.json", ["reports": .array(reports)])
                try zip.finish()
                return zip.size
            }
            let stamp = ISO8601.string(now).prefix(10)
            return Archive(path: path, filename: "praxis-export-\(account.actor.username)-\(stamp).zip", size: size)
        } catch {
            try? FileManager.default.removeItem(atPath: path)
            if let error = error as? ZipError { throw CommunityError(.invalid, "the export could not be written: \(error.message)") }
            throw error
        }
    }

    static func check(_ size: UInt64, limit: UInt64) throws(CommunityError) {
        guard size <= limit else {
            throw CommunityError(
                .invalid, "your data export would exceed \(limit / (1 << 20)) MiB; ask the node's operator for a full copy")
        }
    }

    /// A file name safe inside the archive: no folders, no control characters.
    static func safeName(_ name: String) -> String {
        let cleaned = String(name.unicodeScalars.map { scalar -> Character in
            scalar == "/" || scalar == "\\" || scalar.properties.generalCategory == .control ? "_" : Character(scalar)
        })
        let trimmed = cleaned.trimmingCharacters(in: CharacterSet(charactersIn: ". "))
        return trimmed.isEmpty ? "document" : String(trimmed.prefix(200))
    }

    static func post(_ post: StoredObject) -> JSONObject {
        [
            "id": .string(post.id), "type": .string(post.type), "community": post.audience.map { .string($0) } ?? .null,
            "inReplyTo": post.inReplyTo.map { .string($0) } ?? .null, "title": post.name.map { .string($0) } ?? .null,
            "content": .string(post.content), "kind": post.kind.map { .string($0) } ?? .null,
            "language": post.language.map { .string($0) } ?? .null, "tags": .array(post.tags.map(JSON.string)),
            "published": post.published.map { .string(ISO8601.string($0)) } ?? .null,
            "updated": post.updated.map { .string(ISO8601.string($0)) } ?? .null,
            "deleted": post.deletedAt.map { .string(ISO8601.string($0)) } ?? .null,
            "document": post.document.isEmpty ? .null : ((try? JSON.parse(post.document)) ?? .null),
        ]
    }
}
