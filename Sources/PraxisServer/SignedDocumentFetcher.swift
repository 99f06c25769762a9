import Foundation
import PraxisCommunity
import PraxisCrypto
import PraxisFederation
import PraxisHTTP
import PraxisStorage

/// Fetches other nodes' document bytes with a GET signed as this node's actor, refusing nodes the
/// trust list blocks, and writes them to a file while hashing them.
struct SignedDocumentFetcher: DocumentFetcher {
    let client: HTTPClient
    let signer: RequestSigner
    let trust: @Sendable (String) -> TrustLevel

    func fetch(url: String, to path: String, maxBytes: Int) async throws -> (size: Int, sha256: [UInt8]) {
        let authority = try HTTPClientURL(url).authority.lowercased()
        guard trust(authority) != .blocked else {
            throw DocumentFetchError(message: "\(authority) is blocked by this node's trust list")
        }
        var request = HTTPClientRequest(url: url, headers: ["Accept": "*/*"])
        try signer.sign(&request)
        let response = try await client.send(request, followRedirects: false)
        guard response.status.code == 200 else {
            throw DocumentFetchError(message: "\(authority) answered \(response.status.code)")
        }
        guard response.body.count <= maxBytes else {
            throw DocumentFetchError(message: "\(authority) sent more than the document's published size")
        }
        var hasher = SHA256Hasher()
        hasher.update(response.body)
        guard FileManager.default.createFile(atPath: path, contents: Data(response.body), attributes: [.posixPermissions: 0o600])
        else { throw DocumentFetchError(message: "cannot write \(path)") }
        return (response.body.count, hasher.finalize())
    }
}

/// Why another node's document bytes could not be fetched.
struct DocumentFetchError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}
