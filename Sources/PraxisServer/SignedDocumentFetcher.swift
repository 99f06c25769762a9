import Foundation
import PraxisCommunity
import PraxisFederation
import PraxisHTTP
import PraxisStorage

/// Fetches other nodes' document bytes with a GET signed as this node's actor, refusing nodes the
/// trust list blocks, and streams them to a file while hashing them (never whole in memory).
struct SignedDocumentFetcher: DocumentFetcher {
    let client: HTTPClient
    let signer: RequestSigner
    let trust: @Sendable (String) -> TrustLevel

    func fetch(url: String, into directory: String, maxBytes: Int) async throws -> (path: String, size: Int, sha256: [UInt8]) {
        let authority = try HTTPClientURL(url).authority.lowercased()
        guard trust(authority) != .blocked else {
            throw DocumentFetchError(message: "\(authority) is blocked by this node's trust list")
        }
        var request = HTTPClientRequest(url: url, headers: ["Accept": "*/*"])
        try signer.sign(&request)
        // No redirects: the bytes come from the document's own origin or not at all.
        let response = try await client.download(request, into: directory, maxBytes: maxBytes, followRedirects: false)
        guard response.status.code == 200, let file = response.file else {
            if let file = response.file { try? FileManager.default.removeItem(atPath: file.path) }
            throw DocumentFetchError(message: "\(authority) answered \(response.status.code)")
        }
        return (file.path, file.size, file.sha256)
    }
}

/// Why another node's document bytes could not be fetched.
struct DocumentFetchError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}
