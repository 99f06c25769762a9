import Foundation
import PraxisActivityStreams
import PraxisCommunity
import PraxisHTTP
import PraxisJSON
import PraxisStorage

/// `/api/v1/communities/:name/excluded-nodes`: a community's managers narrow the node's trust
/// list for their community (see ``CommunityTrustService``).
extension APIRoutes {
    func registerTrust(into router: inout Router) {
        let api = self
        let p = Self.prefix
        router.get("\(p)/communities/:name/excluded-nodes", authed { r, c in try await api.excludedNodes(r, c) })
        router.post("\(p)/communities/:name/excluded-nodes", maxBodySize: APIBody.maxBytes,
                    authed { r, c in try await api.excludeNode(r, c) })
        router.delete("\(p)/communities/:name/excluded-nodes", authed { r, c in try await api.includeNode(r, c) })
    }

    func excludedNodes(_ request: HTTPRequest, _ context: Context) async throws -> HTTPResponse {
        let list = try await CommunityTrustService(store: store).excluded(
            manager: context.username, community: (request.parameters["name"] ?? "").lowercased())
        return Self.json(["excluded": .array(list.map(Self.exclusionView))])
    }

    func excludeNode(_ request: HTTPRequest, _ context: Context) async throws -> HTTPResponse {
        let body = try APIBody.parse(request)
        let domain = try body.requiredString("domain")
        let added = try await CommunityTrustService(store: store).exclude(
            manager: context.username, community: (request.parameters["name"] ?? "").lowercased(), domain: domain,
            note: try body.string("note") ?? "")
        return Self.json(["domain": .string(domain.lowercased()), "excluded": true], status: added ? .created : .ok)
    }

    func includeNode(_ request: HTTPRequest, _ context: Context) async throws -> HTTPResponse {
        guard let domain = request.queryItems["domain"]?.trimmingCharacters(in: .whitespaces), !domain.isEmpty else {
            throw APIError.badRequest("name the node to admit again with ?domain=HOST[:PORT]", field: "domain")
        }
        let removed = try await CommunityTrustService(store: store).include(
            manager: context.username, community: (request.parameters["name"] ?? "").lowercased(), domain: domain)
        guard removed else { throw APIError.notFound("\(domain) is not excluded from this community") }
        return Self.noContent
    }

    static func exclusionView(_ exclusion: CommunityExclusion) -> JSON {
        [
            "domain": .string(exclusion.domain), "note": .string(exclusion.note), "by": .string(exclusion.createdBy),
            "since": .string(ISO8601.string(exclusion.createdAt)),
        ]
    }
}
