/// Everything that answers HTTP requests: the router, middleware, tests' fakes.
///
/// The server calls `maxBodySize(method:path:)` as soon as the request head is parsed, before a
/// single body byte is read, so a route can accept large uploads while every other route keeps
/// the server's small default.
public protocol HTTPResponder: Sendable {
    /// Answers one request. Throwing `HTTPError` yields that status and message; any other error
    /// becomes 500 with a generic message, and the cause goes to the server's error log.
    func respond(to request: HTTPRequest) async throws -> HTTPResponse

    /// Largest body accepted for this method and path, decided before the body is read; nil means
    /// the server default (`HTTPServerConfiguration.defaultMaxBodySize`).
    func maxBodySize(method: HTTPMethod, path: Substring) -> Int?

    /// How the body is received (size limit, and whether it is spooled to disk); nil means the
    /// server default. The server asks this, not `maxBodySize`; the default implementation turns
    /// `maxBodySize` into an in-memory policy.
    func requestBodyPolicy(method: HTTPMethod, path: Substring) -> RequestBodyPolicy?
}

extension HTTPResponder {
    public func maxBodySize(method: HTTPMethod, path: Substring) -> Int? { nil }

    public func requestBodyPolicy(method: HTTPMethod, path: Substring) -> RequestBodyPolicy? {
        maxBodySize(method: method, path: path).map { RequestBodyPolicy(maxBytes: $0) }
    }
}

/// An error that carries an HTTP status and a message safe to show to the client.
///
/// Handlers throw it to answer with a specific status (`throw HTTPError(.forbidden, "not a
/// member of this community")`); the router and the server turn it into that response. Any other
/// error is treated as a bug: the client sees 500 "internal error" and the cause is logged.
public struct HTTPError: Error, Sendable, CustomStringConvertible {
    public var status: HTTPStatus
    public var publicMessage: String

    public init(_ status: HTTPStatus, _ publicMessage: String) {
        self.status = status
        self.publicMessage = publicMessage
    }

    public var description: String { "\(status): \(publicMessage)" }

    /// The plain-text response a client receives for this error.
    public var response: HTTPResponse { .error(status, publicMessage) }
}
