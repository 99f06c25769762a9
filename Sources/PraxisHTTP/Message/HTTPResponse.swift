/// An HTTP response, built by a responder and written by the server, or received by the client.
public struct HTTPResponse: Sendable {
    public var status: HTTPStatus
    public var headers: HTTPHeaders
    public var body: [UInt8]

    public init(status: HTTPStatus = .ok, headers: HTTPHeaders = [:], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// A response with a UTF-8 text body and the given content type.
    public init(status: HTTPStatus = .ok, contentType: String, body: String, headers: HTTPHeaders = [:]) {
        self.status = status
        self.headers = headers
        self.headers["Content-Type"] = contentType
        self.body = Array(body.utf8)
    }

    /// A plain-text error response whose message a person can act on.
    public static func error(_ status: HTTPStatus, _ message: String) -> HTTPResponse {
        HTTPResponse(status: status, contentType: "text/plain; charset=utf-8", body: message + "\n")
    }
}
