import Foundation
import PraxisHTTP
import PraxisJSON

extension RemoteDirectory {
    /// A JSON object received with status 200.
    struct Fetched: Sendable {
        var json: JSON
        /// The final URL, after redirects.
        var url: String
    }

    /// Media types of AS2 documents (JSON-LD and plain JSON are accepted too, as servers differ).
    static let activityTypes: Set<String> = ["application/activity+json", "application/ld+json", "application/json"]
    /// Media types of WebFinger answers.
    static let jrdTypes: Set<String> = ["application/jrd+json", "application/json"]

    /// GETs `url` (signed when `signed`), follows redirects (each hop re-checked against the
    /// trust list and re-signed) and returns the body as a JSON object within ``limits``.
    ///
    /// The caller has checked `url` itself with `checkAllowed`.
    func get(_ url: String, accept: String, types: Set<String>, signed: Bool, what: String) async throws -> Fetched {
        var request = HTTPClientRequest(url: url, headers: ["Accept": accept])
        let signer = self.signer
        if signed {
            do {
                try signer.sign(&request)
            } catch {
                throw DereferenceError(.signingFailed, url: url, "could not sign the request for \(url.prefix(200)): \(error)")
            }
        }
        let response: HTTPClientResponse
        do {
            response = try await client.send(request, followRedirects: true) { [self] next in
                try checkAllowed(next.url, what: "redirect")
                if signed {
                    do {
                        try signer.sign(&next)
                    } catch {
                        throw DereferenceError(
                            .signingFailed, url: next.url, "could not sign the request for \(next.url.prefix(200)): \(error)")
                    }
                }
            }
        } catch let error as DereferenceError {
            throw error
        } catch let error as HTTPClientError {
            switch error.kind {
            case .responseTooLarge:
                throw DereferenceError(.tooLarge, url: url, "the \(what) at \(url.prefix(200)) is too large: \(error.message)")
            case .invalidURL, .insecureScheme, .forbiddenAddress:
                throw DereferenceError(.invalidURL, url: url, "cannot fetch the \(what) at \(url.prefix(200)): \(error.message)")
            default:
                throw DereferenceError(.unreachable, url: url, "could not fetch the \(what) at \(url.prefix(200)): \(error.message)")
            }
        }

        let code = response.status.code
        switch code {
        case 200: break
        case 404:
            throw DereferenceError(.notFound, url: url, "\(url.prefix(200)) answered 404 Not Found for the \(what)")
        case 410:
            throw DereferenceError(.gone, url: url, "\(url.prefix(200)) answered 410 Gone: the \(what) was deleted")
        default:
            throw DereferenceError(
                .unexpectedStatus(code), url: url, "\(url.prefix(200)) answered \(code) for the \(what); expected 200")
        }
        let contentType = Self.mediaType(response.headers["Content-Type"])
        guard let contentType, types.contains(contentType) else {
            throw DereferenceError(
                .unsupportedContentType, url: url,
                "\(url.prefix(200)) answered with Content-Type '\(response.headers["Content-Type"]?.prefix(100) ?? "none")'; "
                    + "expected one of \(types.sorted().joined(separator: ", "))")
        }
        guard response.body.count <= Self.limits.maxBytes else {
            throw DereferenceError(
                .tooLarge, url: url,
                "the \(what) at \(url.prefix(200)) is \(response.body.count) bytes; the limit is \(Self.limits.maxBytes)")
        }
        let json: JSON
        do {
            json = try JSON.parse(response.body, limits: Self.limits)
        } catch {
            if error.kind == .limitExceeded {
                throw DereferenceError(
                    .tooLarge, url: url, "the \(what) at \(url.prefix(200)) exceeds the document limits: \(error.message)")
            }
            throw DereferenceError(.malformed, url: url, "the \(what) at \(url.prefix(200)) is not valid JSON: \(error.message)")
        }
        guard case .object = json else {
            throw DereferenceError(.malformed, url: url, "the \(what) at \(url.prefix(200)) is not a JSON object")
        }
        return Fetched(json: json, url: response.url)
    }

    /// The document's `id`: it must be the URL requested, or the final URL of a redirect that
    /// stayed on the same host. Anything else could be one server speaking for another.
    static func checkID(_ fetched: Fetched, requested: String) throws -> String {
        guard let id = fetched.json["id"]?.stringValue else {
            throw DereferenceError(.malformed, url: requested, "the document at \(requested.prefix(200)) has no id")
        }
        if id == requested { return id }
        if id == fetched.url, fetched.url != requested,
            let a = try? RemoteURL.authority(of: id, what: "id"), let b = try? RemoteURL.authority(of: requested, what: "URL"),
            a == b
        {
            return id
        }
        throw DereferenceError(
            .idMismatch, url: requested,
            "the document fetched from \(requested.prefix(200)) has id '\(id.prefix(200))'; the id must be the URL it is served at")
    }

    /// `type/subtype` of a Content-Type value, lowercase, without parameters.
    static func mediaType(_ value: String?) -> String? {
        guard let value else { return nil }
        let type = value.split(separator: ";", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        let trimmed = type.trimmingCharacters(in: .whitespaces).lowercased()
        return trimmed.isEmpty ? nil : trimmed
    }
}
