#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// Settings of an `HTTPServer`: where it listens, how many loop threads it runs, and the limits
/// that protect it from slow or hostile clients.
///
/// Every limit answers with the status a client can act on: 414 for a long request line, 431 for
/// large or numerous headers, 413 for a large body (before reading it when `Content-Length` says
/// so), 408 for a client too slow to send its request.
public struct HTTPServerConfiguration: Sendable {
    /// Address to bind: an IPv4 or IPv6 literal (`0.0.0.0`, `::`) or a host name.
    public var host: String = "127.0.0.1"
    /// Port to bind; 0 picks an ephemeral port, readable from `HTTPServer.port` after `start()`.
    public var port: Int = 0
    /// Number of event-loop threads; each owns its connections.
    public var eventLoops: Int = HTTPServerConfiguration.coreCount
    /// Longest request line (method, target, version) → 414 (400 when the line is malformed).
    public var maxRequestLineBytes = 8 * 1024
    /// Largest header section, and largest chunked-body trailer section → 431.
    public var maxHeaderBytes = 32 * 1024
    /// Most header fields in one request → 431.
    public var maxHeaderCount = 100
    /// Largest request body when the responder sets no limit for the route → 413.
    public var defaultMaxBodySize = 1024 * 1024
    /// Time allowed to receive a whole request head once it has started (slowloris) → 408, close.
    public var headerTimeout: Duration = .seconds(10)
    /// Time allowed to receive a whole request body once its head is in → 408, close.
    public var bodyTimeout: Duration = .seconds(30)
    /// A keep-alive connection with no request for this long is closed without a response.
    public var idleTimeout: Duration = .seconds(60)
    /// Open connections beyond this number are accepted, answered 503 and closed.
    public var maxConnections = 10_000
    /// Terminate TLS here; nil serves plain HTTP (for example behind a reverse proxy).
    public var tls: TLSServerConfiguration? = nil
    /// Receives one line per request: id, peer, method, path without query, status, bytes, ms.
    public var accessLog: (@Sendable (String) -> Void)? = nil
    /// Counts responses by status and their latency, for a metrics endpoint; nil records nothing.
    public var metrics: HTTPServerMetrics? = nil
    /// Receives the causes of 500 responses and other server-side failures; nil writes to stderr.
    public var errorLog: (@Sendable (String) -> Void)? = nil
    /// Value of the `Server` header (unless the responder sets its own).
    public var serverName = "Praxis"

    public init() {}

    /// Online processors, at least 1.
    public static var coreCount: Int {
        #if canImport(Glibc)
        return max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
        #else
        return 1
        #endif
    }
}

/// Certificate chain and private key, as PEM files, for a server that terminates TLS itself.
///
/// The chain file holds the server certificate first, then any intermediates. TLS 1.2 is the
/// lowest version accepted.
public struct TLSServerConfiguration: Sendable {
    public var certificateChainPath: String
    public var privateKeyPath: String

    public init(certificateChainPath: String, privateKeyPath: String) {
        self.certificateChainPath = certificateChainPath
        self.privateKeyPath = privateKeyPath
    }
}

/// Why an `HTTPServer` could not start or run.
public struct HTTPServerError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
