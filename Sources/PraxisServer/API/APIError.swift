import PraxisCommunity
import PraxisFederation
import PraxisHTTP
import PraxisJSON

/// An error of the client API, as the client receives it:
/// `{"error": {"code": "...", "message": "...", "field": "..."}}` with a matching status.
///
/// `code` is stable and meant for programs; `message` is for people and names what to fix;
/// `field` names the body member or query parameter at fault, when there is one.
struct APIError: Error, Sendable, CustomStringConvertible {
    var status: HTTPStatus
    var code: String
    var message: String
    var field: String?
    /// Extra response headers (`WWW-Authenticate` on 401).
    var headers: HTTPHeaders = [:]

    init(_ status: HTTPStatus, _ code: String, _ message: String, field: String? = nil) {
        self.status = status
        self.code = code
        self.message = message
        self.field = field
    }

    var description: String { "\(status.code) \(code): \(message)" }

    /// 401 for a request without credentials (RFC 6750 section 3: no error code then).
    static func unauthenticated(_ message: String) -> APIError {
        var error = APIError(.unauthorized, "unauthenticated", message)
        error.headers["WWW-Authenticate"] = "Bearer realm=\"praxis\""
        return error
    }

    /// 401 for a token that is malformed, unknown, expired or revoked, or whose account is suspended.
    static func invalidToken(_ message: String) -> APIError {
        var error = APIError(.unauthorized, "invalid_token", message)
        error.headers["WWW-Authenticate"] = "Bearer realm=\"praxis\", error=\"invalid_token\""
        return error
    }

    static func badRequest(_ message: String, field: String? = nil) -> APIError {
        APIError(.badRequest, "bad_request", message, field: field)
    }

    static func invalid(_ message: String, field: String? = nil) -> APIError {
        APIError(.unprocessableContent, "invalid", message, field: field)
    }

    static func notFound(_ message: String) -> APIError { APIError(.notFound, "not_found", message) }

    /// 429 with `Retry-After`: a rate limit or a sign-in lock-out.
    static func rateLimited(_ message: String, retryAfter: Int) -> APIError {
        var error = APIError(.tooManyRequests, "rate_limited", message)
        error.headers["Retry-After"] = String(max(1, retryAfter))
        return error
    }

    var response: HTTPResponse {
        var body: JSONObject = ["code": .string(code), "message": .string(message)]
        if let field { body["field"] = .string(field) }
        var response = HTTPResponse.json(["error": .object(body)], status: status)
        for (name, value) in headers { response.headers[name] = value }
        return response
    }

    /// The API form of any error a handler throws. Unknown errors become a 500 whose message
    /// reveals nothing of the cause.
    static func from(_ error: any Error) -> APIError {
        switch error {
        case let error as APIError:
            return error
        case let error as CommunityError:
            switch error.kind {
            case .invalid: return .invalid(error.message, field: error.field)
            case .conflict: return APIError(.conflict, "conflict", error.message)
            case .notFound: return .notFound(error.message)
            case .forbidden: return APIError(.forbidden, "forbidden", error.message)
            }
        case let error as JSONError:
            return .badRequest("the request body is not valid JSON: \(error.message)")
        case let error as DereferenceError:
            switch error.kind {
            case .blocked: return APIError(.forbidden, "blocked", error.message)
            case .notFound, .gone: return .notFound(error.message)
            case .invalidURL, .notAnActor, .localResource: return .invalid(error.message, field: "target")
            default:
                return error.isTemporary
                    ? APIError(.badGateway, "remote_unavailable", error.message + "; try again later")
                    : APIError(.badGateway, "remote_error", error.message)
            }
        case let error as HTTPError:
            return APIError(error.status, "error", error.publicMessage)
        default:
            return APIError(.internalServerError, "internal", "the node could not complete the request; try again later")
        }
    }
}
