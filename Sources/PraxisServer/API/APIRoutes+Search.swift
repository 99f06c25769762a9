import Foundation
import PraxisActivityStreams
import PraxisCommunity
import PraxisHTTP
import PraxisJSON
import PraxisStorage

/// `GET /api/v1/search`: full-text search over what the caller may read.
extension APIRoutes {
    func registerSearch(into router: inout Router) {
        let api = self
        router.get("\(Self.prefix)/search", authedCached(.search) { r, c in try await api.search(r, c) })
    }

    func search(_ request: HTTPRequest, _ context: Context) async throws -> HTTPResponse {
        let query = request.queryItems
        guard let text = query["q"], !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw APIError.badRequest("say what to search for with ?q=words", field: "q")
        }
        var searchRequest = SearchService.Request(query: text)
        searchRequest.community = try Self.nonEmpty(query["community"], field: "community")
        searchRequest.kind = try Self.nonEmpty(query["kind"], field: "kind")
        searchRequest.language = try Self.nonEmpty(query["language"], field: "language")
        if let answered = query["answered"] {
            switch answered {
            case "true": searchRequest.answered = true
            case "false": searchRequest.answered = false
            default: throw APIError.badRequest("\"answered\" must be true or false", field: "answered")
            }
        }
        if let limit = query["limit"] {
            guard let value = Int(limit), (1...SearchService.maxLimit).contains(value) else {
                throw APIError.badRequest(
                    "\"limit\" must be a whole number from 1 to \(SearchService.maxLimit)", field: "limit")
            }
            searchRequest.limit = value
        }
        if let offset = query["offset"] {
            guard let value = Int(offset), (0...SearchService.maxOffset).contains(value) else {
                throw APIError.badRequest(
                    "\"offset\" must be a whole number from 0 to \(SearchService.maxOffset)", field: "offset")
            }
            searchRequest.offset = value
        }
        if let kind = searchRequest.kind, !SearchService.kinds.contains(kind) {
            throw APIError.badRequest(
                "\"kind\" must be one of \(SearchService.kinds.joined(separator: ", "))", field: "kind")
        }
        let service = SearchService(store: store, urls: urls)
        let wanted = searchRequest
        return try await cachedRead(request, context) {
            let page: SearchService.Page
            do {
                page = try await service.search(wanted, by: context.authorization)
            } catch let error as CommunityError where error.kind == .invalid {
                // A query or filter that cannot be used is the request's fault: 400 with the reason.
                throw APIError(.badRequest, "invalid_query", error.message, field: "q")
            }
            let view: JSON = [
                "results": .array(page.hits.map(Self.searchHit)),
                "next": page.nextOffset.map { .integer(Int64($0)) } ?? .null,
                "highlight": ["start": .string(SearchIndex.highlightStart), "end": .string(SearchIndex.highlightEnd)],
            ]
            return (view, page.stamp)
        }
    }

    static func nonEmpty(_ value: String?, field: String) throws -> String? {
        guard let value else { return nil }
        let trimmed = value.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty, trimmed.utf8.count <= 2048 else {
            throw APIError.badRequest("\"\(field)\" must not be empty", field: field)
        }
        return trimmed
    }

    static func searchHit(_ hit: SearchHit) -> JSON {
        [
            "id": .string(hit.id),
            "type": .string(hit.type),
            "thread": .string(hit.threadID),
            "title": hit.title.map { .string($0) } ?? .null,
            "snippet": .string(hit.snippet),
            "community": .string(hit.community),
            "author": .string(hit.author),
            "kind": hit.kind.map { .string($0) } ?? .null,
            "language": hit.language.map { .string($0) } ?? .null,
            "answered": .bool(hit.answered),
            "published": hit.published.map { .string(ISO8601.string($0)) } ?? .null,
            "score": .double(hit.score),
        ]
    }
}
