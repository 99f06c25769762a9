import Foundation
import PraxisActivityStreams
import PraxisCommunity
import PraxisCrypto
import PraxisFederation
import PraxisHTTP
import PraxisJSON
import PraxisStorage

/// Community document libraries: upload (the body is the file itself, metadata in the query),
/// listing, metadata, download and deletion.
extension APIRoutes {
    func registerDocuments(into router: inout Router) {
        let api = self
        let p = Self.prefix
        // Uploads stream to a file in the blob store's spool folder (hashed on the way) and enter
        // the store by rename; a body over the node's limit is refused with 413 before it is read.
        let blobs = store.directory.documentBlobs
        try? blobs.prepare()
        router.post("\(p)/communities/:name/documents", spoolingTo: blobs.incomingDirectory.path,
                    maxBodySize: store.configuration.documentSizeLimit,
                    authed { r, c in try await api.uploadDocument(r, c) })
        router.get("\(p)/communities/:name/documents", authed { r, c in try await api.communityDocuments(r, c) })
        router.get("\(p)/documents", authed { r, c in try await api.listDocuments(r, c) })
        router.get("\(p)/documents/:id", authed { r, c in try await api.documentMetadata(r, c) })
        router.get("\(p)/documents/:id/content", authed { r, c in try await api.documentContent(r, c) })
        router.delete("\(p)/documents/:id", authed { r, c in try await api.deleteDocument(r, c) })
    }

    func requireDocuments() throws -> DocumentService {
        guard let documents else {
            throw APIError(.serviceUnavailable, "unavailable", "document libraries are not running on this node; try again later")
        }
        return documents
    }

    /// The API form of a refused document operation.
    static func documentError(_ error: DocumentError) -> APIError {
        switch error.kind {
        case .tooLarge: APIError(.payloadTooLarge, "too_large", error.message)
        case .unsupportedType: APIError(.unsupportedMediaType, "unsupported_type", error.message)
        case .badOrigin: APIError(.badGateway, "origin_mismatch", error.message)
        }
    }

    /// Runs `body`, turning a ``DocumentError`` into its API error.
    func mappingDocumentErrors<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as DocumentError {
            throw Self.documentError(error)
        }
    }

    func uploadDocument(_ request: HTTPRequest, _ context: Context) async throws -> HTTPResponse {
        let documents = try requireDocuments()
        let community = try await findCommunity(request)
        try context.authorization.requireSee(community)
        let query = request.queryItems
        guard let filename = query["filename"], !filename.isEmpty else {
            throw APIError.badRequest("name the file with ?filename=NAME.EXT (its extension must match its content)",
                                      field: "filename")
        }
        let tags = (query["tags"] ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
        let id = urls.community(community.actor.username)
        try context.authorization.requirePost(in: id)
        guard let spool = request.spooledBody, spool.size > 0 else {
            throw APIError.badRequest("the request body must be the file's bytes")
        }
        let upload = DocumentService.Upload(
            path: spool.path, size: spool.size, sha256: spool.sha256, filename: filename, title: query["title"],
            description: query["description"] ?? "", tags: tags, language: query["language"],
            previousVersion: query["previousVersion"])
        let username = context.username
        let record = try await mappingDocumentErrors { try await documents.upload(member: username, community: id, upload) }
        return Self.json(.object(documentView(record)), status: .created)
    }

    func communityDocuments(_ request: HTTPRequest, _ context: Context) async throws -> HTTPResponse {
        let community = try await findCommunity(request)
        try context.authorization.requireRead(community)
        return try await documentList(community: urls.community(community.actor.username), context)
    }

    func listDocuments(_ request: HTTPRequest, _ context: Context) async throws -> HTTPResponse {
        guard let community = request.queryItems["community"], community.hasPrefix("http"), community.utf8.count <= 2048 else {
            throw APIError.badRequest("name the community with ?community=URL (its actor URL)", field: "community")
        }
        return try await documentList(community: community, context)
    }

    func documentList(community: String, _ context: Context) async throws -> HTTPResponse {
        let documents = try requireDocuments()
        let list = try await documents.documents(in: community, for: context.username)
        return Self.json(["documents": .array(list.map { .object(documentView($0)) })])
    }

    func documentMetadata(_ request: HTTPRequest, _ context: Context) async throws -> HTTPResponse {
        let documents = try requireDocuments()
        let record = try await documents.document(id: request.parameters["id"] ?? "", for: context.username)
        return Self.json(.object(documentView(record)))
    }

    func documentContent(_ request: HTTPRequest, _ context: Context) async throws -> HTTPResponse {
        let documents = try requireDocuments()
        let id = request.parameters["id"] ?? ""
        let username = context.username
        let (record, path) = try await mappingDocumentErrors { try await documents.content(id: id, for: username) }
        return try Self.download(record, path: path)
    }

    func deleteDocument(_ request: HTTPRequest, _ context: Context) async throws -> HTTPResponse {
        let documents = try requireDocuments()
        try await documents.delete(member: context.username, id: request.parameters["id"] ?? "")
        return Self.noContent
    }

    /// A document's bytes as a download that no browser renders in the node's origin: always an
    /// attachment, never sniffed, and sandboxed should it be opened anyway.
    static func download(_ record: DocumentRecord, path: String) throws -> HTTPResponse {
        let file: ResponseFile
        do {
            file = try ResponseFile(path: path)
        } catch {
            throw APIError.notFound("the bytes of \(record.id) are missing from this node")
        }
        return HTTPResponse(status: .ok, headers: downloadHeaders(record), file: file)
    }

    static func downloadHeaders(_ record: DocumentRecord) -> HTTPHeaders {
        var headers: HTTPHeaders = [:]
        headers["Content-Type"] = record.mediaType.hasPrefix("text/") ? record.mediaType + "; charset=utf-8" : record.mediaType
        headers["Content-Disposition"] = contentDisposition(record.filename)
        headers["X-Content-Type-Options"] = "nosniff"
        headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
        headers["Repr-Digest"] = "sha-256=:\(Base64.encode(record.sha256)):"
        return headers
    }

    /// `attachment` with an ASCII fallback name and the exact name in RFC 5987 form.
    static func contentDisposition(_ filename: String) -> String {
        let ascii = String(filename.unicodeScalars.map { scalar -> Character in
            scalar.isASCII && scalar.value >= 0x20 && scalar != "\"" && scalar != "\\" ? Character(scalar) : "_"
        })
        return "attachment; filename=\"\(ascii)\"; filename*=UTF-8''\(FormURLEncoding.percentEncode(filename))"
    }

    func documentView(_ record: DocumentRecord) -> JSONObject {
        [
            "id": .string(record.id),
            "community": .string(record.community),
            "uploader": .string(record.uploader),
            "title": .string(record.title),
            "description": .string(record.description),
            "tags": .array(record.tags.map(JSON.string)),
            "language": record.language.map { .string($0) } ?? .null,
            "mediaType": .string(record.mediaType),
            "filename": .string(record.filename),
            "size": .integer(Int64(record.size)),
            "sha256": .string(record.sha256Hex),
            "url": .string(record.url),
            "content": .string(Self.prefix + "/documents/" + FormURLEncoding.percentEncode(record.id) + "/content"),
            "previousVersion": record.previousVersion.map { .string($0) } ?? .null,
            "created": .string(ISO8601.string(record.created)),
            "deleted": .bool(record.deletedAt != nil),
            "local": .bool(record.origin == urls.domain),
        ]
    }
}
