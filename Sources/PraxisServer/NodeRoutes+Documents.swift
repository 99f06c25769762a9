import PraxisFederation
import PraxisHTTP

extension NodeRoutes {
    /// `GET /objects/:id/content`: a document's bytes for another node. Only a signed fetch from a
    /// node entitled to the document's community gets them; everyone else — unsigned, blocked,
    /// merely limited, or without a member in a members-only community — gets the same 404 as for
    /// a document that does not exist.
    func documentContent(_ request: HTTPRequest) async throws -> HTTPResponse {
        let id = urls.base + "/objects/" + (request.parameters["id"] ?? "")
        guard let federation, let node = try? await federation.authenticator.verifiedNode(of: request),
            let found = try await federation.documents.contentForNode(id: id, node: node)
        else { throw HTTPError(.notFound, "no such document on this node") }
        return try APIRoutes.download(found.record, path: found.path)
    }
}
