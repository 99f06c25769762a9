/// A request for ``HTTPClient/send(_:followRedirects:prepare:)``.
///
/// `url` is an absolute `http`/`https` URL. Its path and query are sent exactly as written (no
/// percent-encoding or dot-segment normalisation) because HTTP signatures sign the request-target.
/// The client sets `Host` from the URL and `Content-Length` from the body, replacing any such
/// fields given here, and adds `User-Agent` when absent.
public struct HTTPClientRequest: Sendable {
    public var method: HTTPMethod
    public var url: String
    public var headers: HTTPHeaders
    public var body: [UInt8]

    public init(method: HTTPMethod = .get, url: String, headers: HTTPHeaders = [:], body: [UInt8] = []) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
    }
}

/// A response received by ``HTTPClient``.
public struct HTTPClientResponse: Sendable {
    public var status: HTTPStatus
    public var headers: HTTPHeaders
    public var body: [UInt8]
    /// The URL of the request that produced this response: the final URL after redirects.
    public var url: String
    /// Trailer fields of a chunked response; empty otherwise.
    public var trailers: HTTPHeaders
    public var version: HTTPVersion
    /// The body written to disk, for a successful (2xx) response to ``HTTPClient/download(_:into:maxBytes:followRedirects:prepare:)``;
    /// `body` is then empty. The caller owns the file: move it or delete it.
    public var file: SpooledBody?

    public init(
        status: HTTPStatus, headers: HTTPHeaders = [:], body: [UInt8] = [], url: String,
        trailers: HTTPHeaders = [:], version: HTTPVersion = .http11
    ) {
        self.status = status
        self.headers = headers
        self.body = body
        self.url = url
        self.trailers = trailers
        self.version = version
    }

    /// The same status, headers and body as the shared message type.
    public var response: HTTPResponse {
        HTTPResponse(status: status, headers: headers, body: body)
    }

    /// The body decoded as UTF-8 (invalid sequences repaired with U+FFFD).
    public var text: String { String(decoding: body, as: UTF8.self) }
}
