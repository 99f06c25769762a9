/// Limits, timeouts and trust settings of an ``HTTPClient``.
///
/// The defaults are the production settings: HTTPS only, public addresses only, certificates
/// verified against the system trust store. Certificate verification cannot be turned off; a
/// federation with its own PKI adds its CA bundle through ``extraCAFile``.
public struct HTTPClientConfiguration: Sendable {
    /// Time allowed to resolve the host, connect and finish the TLS handshake, per hop.
    public var connectTimeout: Duration = .seconds(10)
    /// Time allowed for the whole `send`, redirects and response body included.
    public var requestTimeout: Duration = .seconds(30)
    /// A larger body fails with `.responseTooLarge` and the connection is dropped.
    public var maxResponseBodySize = 10 * 1024 * 1024
    /// Limit on the status line plus header fields (and on chunked trailers).
    public var maxResponseHeaderBytes = 64 * 1024
    public var maxRedirects = 5
    /// Local-development mode: allows plain `http` and loopback/private destinations.
    public var allowInsecureAndPrivate = false
    /// Overrides the address policy (for tests); when nil it is ``AddressPolicy/publicOnly``, or
    /// ``AddressPolicy/allowAll`` when ``allowInsecureAndPrivate`` is set.
    public var addressPolicy: AddressPolicy? = nil
    /// Turns host names into addresses; every answer is checked against the address policy.
    public var resolver: any HostResolver = SystemHostResolver()
    /// A PEM bundle of CA certificates trusted in addition to the system store.
    public var extraCAFile: String? = nil
    /// Sent as `User-Agent` unless the request sets its own.
    public var userAgent = "Praxis/0.1"
    public var maxIdleConnectionsPerHost = 8
    /// Pooled connections idle for longer than this are closed instead of reused.
    public var idleConnectionTimeout: Duration = .seconds(30)

    public init() {}

    /// The policy actually applied to destination addresses.
    public var effectiveAddressPolicy: AddressPolicy {
        addressPolicy ?? (allowInsecureAndPrivate ? .allowAll : .publicOnly)
    }
}
