import PraxisActivityStreams
import PraxisCommunity
import PraxisFederation
import PraxisHTTP
import PraxisCrypto
import PraxisJSON

extension HTTPResponse {
    /// A JSON response with the given media type.
    static func json(_ value: JSON, status: HTTPStatus = .ok, contentType: String = "application/json; charset=utf-8")
        -> HTTPResponse
    {
        var response = HTTPResponse(status: status, body: value.serializedBytes())
        response.headers["Content-Type"] = contentType
        return response
    }

    /// An AS2 document, labelled with the media type the client asked for.
    static func activityJSON(_ value: JSON, ldProfile: Bool) -> HTTPResponse {
        var response = json(
            value, contentType: ldProfile ? ActivityStreams.ldMediaType : ActivityStreams.mediaType + "; charset=utf-8")
        response.headers["Vary"] = "Accept"
        return response
    }

    func with(status: HTTPStatus) -> HTTPResponse {
        var copy = self
        copy.status = status
        return copy
    }

    static func html(_ page: String, status: HTTPStatus = .ok) -> HTTPResponse {
        var response = HTTPResponse(status: status, contentType: "text/html; charset=utf-8", body: page)
        response.headers["Vary"] = "Accept"
        return response
    }
}

/// What representation of an actor or object a client asked for.
enum Representation {
    case activityJSON
    case ldJSON
    case html

    /// HTML first, so that a missing `Accept` or a bare `*/*` gets the page.
    static let offers = [
        MediaRange(type: "text", subtype: "html"),
        MediaRange(type: "application", subtype: "activity+json"),
        MediaRange(type: "application", subtype: "ld+json", parameters: ["profile": ActivityStreams.context]),
        MediaRange(type: "application", subtype: "json"),
    ]

    /// AS2 JSON for `application/activity+json`, `application/ld+json` (with the AS2 profile or
    /// none) and plain `application/json`; HTML otherwise, including `*/*` and no `Accept`.
    static func negotiate(_ request: HTTPRequest) -> Representation {
        switch MediaRange.preferred(offers, accept: request.headers["Accept"]) {
        case 1, 3: .activityJSON
        case 2: .ldJSON
        default: .html
        }
    }
}

extension CommunityError {
    /// The HTTP form of a refused use case.
    var httpError: HTTPError {
        switch kind {
        case .invalid: HTTPError(.unprocessableContent, message)
        case .conflict: HTTPError(.conflict, message)
        case .notFound: HTTPError(.notFound, message)
        case .forbidden: HTTPError(.forbidden, message)
        }
    }
}
