/// An error from ``HTTPClient``, with a message a person can act on.
///
/// Match on ``kind`` to decide what to do (for example, a delivery queue retries `.timeout` and
/// `.connectFailed` but gives up on `.forbiddenAddress`); show ``message`` to people.
public struct HTTPClientError: Error, CustomStringConvertible, Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// The URL is not an absolute `http`/`https` URL the client accepts.
        case invalidURL
        /// The request itself cannot be sent (bad method token, header with a line break...).
        case invalidRequest
        /// Plain `http` (or a redirect from `https` to `http`) outside local-development mode.
        case insecureScheme
        /// The host resolved to an address the ``AddressPolicy`` refuses.
        case forbiddenAddress(host: String, address: IPAddress)
        /// The host name could not be resolved.
        case resolutionFailed
        /// No resolved address accepted a TCP connection.
        case connectFailed
        /// Resolving, connecting and the TLS handshake took longer than the connect timeout.
        case connectTimeout
        /// The whole exchange took longer than the request timeout.
        case timeout
        /// TLS handshake or certificate verification failed, or the TLS session broke.
        case tls(String)
        /// The response body exceeded the configured maximum.
        case responseTooLarge
        /// The response head (status line and header fields) exceeded the configured maximum.
        case headersTooLarge
        /// More redirects than the configured maximum.
        case tooManyRedirects
        /// The server sent something that is not valid HTTP/1.1.
        case malformedResponse(String)
        /// The server closed the connection before the response was complete.
        case connectionClosed
        /// A downloaded body could not be written to disk (full, not writable).
        case bodyNotStored
    }

    public var kind: Kind
    public var message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { "HTTPClientError(\(kind)): \(message)" }
}
