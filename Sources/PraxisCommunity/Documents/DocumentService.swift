import Foundation
import PraxisActivityStreams
import PraxisFederation
import PraxisJSON
import PraxisSQLite
import PraxisStorage
import PraxisText

/// The document library of communities: uploads, versions, deletion, and reading the bytes —
/// from this node's blob store for its own documents, and for other nodes' documents fetched on
/// demand from their origin, verified against the published size and SHA-256 digest, and cached.
///
/// The upload itself arrives as a file already on disk and already hashed (the HTTP server spools
/// request bodies and computes SHA-256 while writing), so no document is ever held in memory.
///
/// ```swift
/// let service = DocumentService(context: context, fetcher: fetcher)
/// let record = try await service.upload(member: "ana", community: communityURL,
///     DocumentService.Upload(path: spooled.path, size: spooled.size, sha256: spooled.sha256, filename: "guide.pdf"))
/// ```
public struct DocumentService: Sendable {
    public let context: FederationContext
    let fetcher: (any DocumentFetcher)?
    let log: @Sendable (String) -> Void

    /// - Parameters:
    ///   - fetcher: gets other nodes' bytes; without one, remote documents are listed but their
    ///     bytes cannot be read.
    ///   - log: receives refusals of bytes that do not match their digest.
    public init(context: FederationContext, fetcher: (any DocumentFetcher)?, log: @escaping @Sendable (String) -> Void = { _ in }) {
        self.context = context
        self.fetcher = fetcher
        self.log = log
    }

    var blobs: BlobStore { context.store.directory.documentBlobs }
    var cache: BlobStore { context.store.directory.documentCache }

    /// A file that arrived for the library, and what the member said about it.
    public struct Upload: Sendable {
        /// Where the bytes are; the file is moved into the blob store when the upload succeeds.
        public var path: String
        public var size: Int
        public var sha256: [UInt8]
        public var filename: String
        public var title: String?
        public var description: String
        public var tags: [String]
        public var language: String?
        /// The id of the document this one is a new version of.
        public var previousVersion: String?

        public init(path: String, size: Int, sha256: [UInt8], filename: String, title: String? = nil,
                    description: String = "", tags: [String] = [], language: String? = nil,
                    previousVersion: String? = nil) {
            self.path = path
            self.size = size
            self.sha256 = sha256
            self.filename = filename
            self.title = title
            self.description = description
            self.tags = tags
            self.language = language
            self.previousVersion = previousVersion
        }
    }

    // MARK: - Uploading

    /// Adds a document (or a new version of one) to a community of this node, and federates it as
    /// a signed `Document` in a `Create` relayed by the community.
    /// - Throws: ``DocumentError`` `.tooLarge` over the node's limit, `.unsupportedType` when the
    ///   content is not an accepted type or does not match the file name; ``CommunityError`` for
    ///   bad metadata, missing membership or an unknown previous version.
    public func upload(member: String, community: String, _ upload: Upload) async throws -> DocumentRecord {
        let limit = context.store.configuration.documentSizeLimit
        guard upload.size <= limit else {
            throw DocumentError(.tooLarge, "the file is \(upload.size) bytes; this node accepts documents up to \(limit) bytes")
        }
        guard upload.size > 0 else { throw CommunityError(.invalid, "the file is empty") }
        guard upload.sha256.count == 32 else { throw CommunityError(.invalid, "the upload has no SHA-256 digest") }
        let filename = DocumentFilename.sanitise(upload.filename)
        let title = (upload.title ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        if !title.isEmpty { try Names.validateText(title, what: "title") }
        let description = upload.description.trimmingCharacters(in: .whitespacesAndNewlines)
        guard description.count <= 5_000 else { throw CommunityError(.invalid, "a description has at most 5,000 characters") }
        let tags = upload.tags.map { $0.lowercased() }
        guard tags.count <= 10, tags.allSatisfy({ !$0.isEmpty && $0.count <= 50 && !$0.contains(where: \.isWhitespace) }) else {
            throw CommunityError(.invalid, "up to 10 tags of 1 to 50 characters without spaces")
        }
        if let language = upload.language {
            guard !language.isEmpty, language.count <= 35,
                language.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") })
            else { throw CommunityError(.invalid, "language must be a language tag such as fr, nl or es") }
        }
        let kind: DocumentContent.Kind
        do {
            kind = try DocumentContent.detect(path: upload.path, filename: filename)
        } catch let refusal as DocumentContent.Refusal {
            throw DocumentError(.unsupportedType, refusal.message)
        }
        let context = context
        guard context.isLocal(community) else {
            throw CommunityError(.invalid, "documents are shared on the community's own node; \(community) is on another node")
        }
        let account = try await activeAccount(member)
        let authorID = context.urls.actor(account.actor)
        let objectID = context.publisher.newObjectID()
        let membersOnly = try await context.store.database.read { db -> Bool in
            guard let group = try context.localActor(community, db: db), group.kind == .group,
                let found = try CommunityRepository(db).find(username: group.username)
            else { throw CommunityError(.notFound, "no community \(community) on this node") }
            return found.visibility == .members
        }
        var record = DocumentRecord(
            id: objectID, community: community, uploader: authorID, title: title.isEmpty ? filename : title,
            description: description, tags: tags, language: upload.language?.lowercased(), mediaType: kind.mediaType,
            filename: filename, size: upload.size, sha256: upload.sha256, url: DocumentFederation.byteURL(of: objectID),
            previousVersion: upload.previousVersion, created: Date(), origin: context.urls.domain)
        record.created = Date(timeIntervalSince1970: record.created.timeIntervalSince1970.rounded(.down))
        let to: [String] = membersOnly ? [community] : [ActivityStreams.publicCollection]
        let cc: [String] = membersOnly ? [] : [community]
        let content = description.isEmpty ? "" : Markdown.render(description)
        let unsigned = DocumentFederation.object(record, content: content, to: to, cc: cc)
        guard case .object(let document) = try AuthorProof.sign(.object(unsigned), keys: context.keyring.keys(for: member))
        else { throw CommunityError(.invalid, "the document could not be signed") }
        let create = ActivityBuilder.activity(
            id: context.publisher.newActivityID(), type: "Create", actor: authorID, object: .object(document),
            to: to, cc: cc, audience: community, published: ISO8601.string(record.created))

        // The bytes enter the store before the metadata: a crash in between leaves an unreferenced
        // blob (harmless), never metadata without bytes.
        let blobs = blobs
        let adopted = !blobs.contains(upload.sha256)
        try blobs.adopt(upload.path, sha256: upload.sha256)
        let final = record
        do {
            try await context.store.database.write { db in
                guard let membership = try FollowRepository(db).find(follower: authorID, followed: community),
                    membership.state == .accepted
                else { throw CommunityError(.forbidden, "join \(community) before sharing documents there") }
                let group = try context.localActor(community, db: db)
                try PostingRules.check(account, community: community, localCommunity: group?.username, inReplyTo: nil,
                                       tags: tags, context: context, db: db)
                guard let group else { throw CommunityError(.notFound, "no community \(community) on this node") }
                let documents = DocumentStore(db)
                if let previous = final.previousVersion {
                    guard let earlier = try documents.find(id: previous), earlier.deletedAt == nil,
                        earlier.community == community
                    else { throw CommunityError(.notFound, "no document \(previous) in this community to follow") }
                    guard earlier.uploader == authorID else {
                        throw CommunityError(.forbidden, "only the uploader of \(previous) may add versions of it")
                    }
                    if let newer = try documents.successor(of: previous) {
                        throw CommunityError(.conflict, "\(previous) already has a newer version, \(newer.id); add to that one")
                    }
                }
                var stored = try FederationContext.storedObject(from: .object(document), audience: community,
                                                                origin: context.urls.domain)
                stored.kind = nil
                try ObjectRepository(db).upsert(stored)
                try documents.upsert(final)
                try OutboxRepository(db).append(
                    activityID: create["id"]?.stringValue ?? objectID, actorID: account.actor.id, type: "Create",
                    objectID: objectID, isPublic: !membersOnly, body: create.serializedBytes())
                try GroupRelay.announce(create, by: group, context: context, db: db)
            }
        } catch {
            if adopted {
                let referenced = try? await context.store.database.read { db in
                    try DocumentStore(db).isReferenced(sha256: final.sha256)
                }
                if referenced == false { blobs.remove(final.sha256) }
            }
            throw error
        }
        context.wakeDelivery()
        return final
    }

    // MARK: - Reading

    /// The live documents of a community (local, or remote and followed by the member), newest
    /// first.
    public func documents(in community: String, for member: String) async throws -> [DocumentRecord] {
        let context = context
        let account = try await activeAccount(member)
        return try await context.store.database.read { db in
            let authorization = try Authorization.load(account: account, urls: context.urls, db: db)
            try Self.requireRead(community: community, authorization, context: context, db: db)
            return try DocumentStore(db).inCommunity(community).filter { record in
                guard let object = try ObjectRepository(db).find(id: record.id) else { return true }
                return try authorization.canRead(post: object, db: db)
            }
        }
    }

    /// One document the member may read, deleted or not (a deleted one has `deletedAt`).
    public func document(id: String, for member: String) async throws -> DocumentRecord {
        let context = context
        let account = try await activeAccount(member)
        return try await context.store.database.read { db in
            try Self.readable(id: id, account: account, context: context, db: db)
        }
    }

    /// The file holding a live document's bytes, for a member of this node. Another node's
    /// document is fetched from its origin on first use (signed as this node), verified and cached.
    /// - Throws: ``DocumentError`` `.badOrigin` when the origin's bytes do not match the published
    ///   size and digest (nothing is cached then) or cannot be fetched.
    public func content(id: String, for member: String) async throws -> (record: DocumentRecord, path: String) {
        let record = try await document(id: id, for: member)
        guard record.deletedAt == nil else { throw CommunityError(.notFound, "the document \(id) was deleted") }
        if record.origin == context.urls.domain {
            let path = try blobs.path(for: record.sha256)
            guard FileManager.default.fileExists(atPath: path) else {
                throw CommunityError(.notFound, "the bytes of \(id) are missing from this node's store")
            }
            return (record, path)
        }
        return (record, try await cached(record))
    }

    /// Serves a remote document from the cache, or fetches, verifies and caches it.
    func cached(_ record: DocumentRecord) async throws -> String {
        let cache = cache
        let path = try cache.path(for: record.sha256)
        if cache.size(of: record.sha256) == record.size { return path }
        guard let fetcher else {
            throw DocumentError(.badOrigin, "this node cannot fetch documents from other nodes right now; try again later")
        }
        guard FederationContext.authority(record.url) == record.origin else {
            throw DocumentError(.badOrigin, "the document's byte URL is not on its origin \(record.origin)")
        }
        try cache.prepare()
        let fetched: (path: String, size: Int, sha256: [UInt8])
        do {
            fetched = try await fetcher.fetch(url: record.url, into: cache.incomingDirectory.path, maxBytes: record.size)
        } catch {
            throw DocumentError(.badOrigin, "\(record.origin) did not deliver the document: \(error)")
        }
        let temp = fetched.path
        guard fetched.size == record.size, fetched.sha256 == record.sha256 else {
            try? FileManager.default.removeItem(atPath: temp)
            let message = "the bytes \(record.origin) sent for \(record.id) do not match the published digest "
                + "(got \(fetched.size) bytes with SHA-256 \(BlobStore.hex(fetched.sha256)), expected \(record.size) bytes "
                + "with \(record.sha256Hex)); refused and not cached"
            log("document: " + message)
            throw DocumentError(.badOrigin, message)
        }
        return try cache.adopt(temp, sha256: record.sha256)
    }

    /// The file of a document of this node for a signed fetch by another node, or nil when that
    /// node is not entitled to it (the caller answers 404, as for a document that does not exist).
    ///
    /// Entitled: for a public community, nodes the trust list marks `trusted`; for a members-only
    /// one, trusted nodes that host at least one accepted member of the community.
    public func contentForNode(id: String, node: String) async throws -> (record: DocumentRecord, path: String)? {
        let context = context
        let policy = TrustPolicy(mode: context.store.configuration.federation, localDomain: context.urls.domain)
        let record = try await context.store.database.read { db -> DocumentRecord? in
            guard let record = try DocumentStore(db).find(id: id), record.deletedAt == nil,
                record.origin == context.urls.domain,
                let group = try context.localActor(record.community, db: db), group.kind == .group,
                let community = try CommunityRepository(db).find(username: group.username),
                try policy.level(of: node, db: db) == .trusted
            else { return nil }
            if community.visibility == .members {
                let hasMember = try FollowRepository(db).followers(of: record.community).contains {
                    $0.followerDomain.lowercased() == node.lowercased()
                }
                guard hasMember else { return nil }
            }
            return record
        }
        guard let record, let path = try? blobs.path(for: record.sha256), FileManager.default.fileExists(atPath: path)
        else { return nil }
        return (record, path)
    }

    // MARK: - Deleting

    /// Deletes one's own document version: a tombstone here, a `Delete` relayed by the community,
    /// and the bytes removed once no live version uses them.
    public func delete(member: String, id: String) async throws {
        let context = context
        let account = try await activeAccount(member)
        let authorID = context.urls.actor(account.actor)
        let activityID = context.publisher.newActivityID()
        try await context.store.database.write { db in
            let record = try Self.readable(id: id, account: account, context: context, db: db)
            guard record.deletedAt == nil else { throw CommunityError(.notFound, "the document \(id) was already deleted") }
            guard record.uploader == authorID else { throw CommunityError(.forbidden, "only the uploader may delete this document") }
            guard let group = try context.localActor(record.community, db: db), group.kind == .group else {
                throw CommunityError(.invalid, "documents of other nodes' communities are deleted on their own node")
            }
            let membersOnly = try CommunityRepository(db).find(username: group.username)?.visibility == .members
            let to: [String] = membersOnly ? [record.community] : [ActivityStreams.publicCollection]
            let cc: [String] = membersOnly ? [] : [record.community]
            let activity = ActivityBuilder.activity(
                id: activityID, type: "Delete", actor: authorID, object: ["id": .string(id), "type": "Tombstone"],
                to: to, cc: cc, audience: record.community)
            try DocumentFederation.tombstone(id, context: context, db: db)
            try OutboxRepository(db).append(
                activityID: activityID, actorID: account.actor.id, type: "Delete", objectID: id, isPublic: !membersOnly,
                body: activity.serializedBytes())
            try GroupRelay.announce(activity, by: group, context: context, db: db)
        }
        context.wakeDelivery()
    }

    // MARK: - Rules

    /// A document the account may read (its community readable, and for guests their topic).
    static func readable(id: String, account: Account, context: FederationContext, db: Connection) throws -> DocumentRecord {
        guard let record = try DocumentStore(db).find(id: id) else { throw CommunityError(.notFound, "no document \(id)") }
        let authorization = try Authorization.load(account: account, urls: context.urls, db: db)
        do {
            try requireRead(community: record.community, authorization, context: context, db: db)
            if let object = try ObjectRepository(db).find(id: id), !(try authorization.canRead(post: object, db: db)) {
                throw CommunityError(.notFound, "no document \(id)")
            }
        } catch let error as CommunityError where error.kind == .notFound {
            throw CommunityError(.notFound, "no document \(id)")
        }
        return record
    }

    /// Local communities: the usual read rule. Remote ones: accepted membership.
    static func requireRead(community: String, _ authorization: Authorization, context: FederationContext,
                            db: Connection) throws {
        if let group = try context.localActor(community, db: db) {
            guard group.kind == .group, let found = try CommunityRepository(db).find(username: group.username) else {
                throw CommunityError(.notFound, "no community \(community)")
            }
            try authorization.requireRead(found)
            return
        }
        guard authorization.isPractitioner, authorization.isMember(of: community),
            authorization.withinGuestScope(community)
        else { throw CommunityError(.notFound, "no community \(community) that you belong to") }
    }

    private func activeAccount(_ username: String) async throws -> Account {
        let account = try await context.store.database.read { db in try AccountRepository(db).find(username: username) }
        guard let account, account.status == .active else {
            throw CommunityError(.notFound, "no active member named \"\(username)\" on this node")
        }
        return account
    }
}
