/// An HTTP response, built by a responder and written by the server, or received by the client.
public struct HTTPResponse: Sendable {
    public var status: HTTPStatus
    public var headers: HTTPHeaders
    public var body: [UInt8]
    /// A file streamed as the body instead of `body` (server responses only); the server sends it
    /// in bounded chunks, so large downloads never sit in memory.
    public var file: ResponseFile?

    public init(status: HTTPStatus = .ok, headers: HTTPHeaders = [:], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// A response whose body is the contents of an open file.
    public init(status: HTTPStatus = .ok, headers: HTTPHeaders = [:], file: ResponseFile) {
        self.status = status
        self.headers = headers
        self.body = []
        self.file = file
    }

    /// Bytes in the body, from the file when there is one.
    public var bodyLength: Int { file?.size ?? body.count }

    /// A response with a UTF-8 text body and the given content type.
    public init(status: HTTPStatus = .ok, contentType: String, body: String, headers: HTTPHeaders = [:]) {
        self.status = status
        self.headers = headers
        // Room for the fields middleware adds (security headers), without growing the list.
        self.headers.reserveCapacity(headers.count + 8)
        self.headers["Content-Type"] = contentType
        self.body = Array(body.utf8)
    }

    /// A plain-text error response whose message a person can act on.
    public static func error(_ status: HTTPStatus, _ message: String) -> HTTPResponse {
        HTTPResponse(status: status, contentType: "text/plain; charset=utf-8", body: message + "\n")
    }
}
