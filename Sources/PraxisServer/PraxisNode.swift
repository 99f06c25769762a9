import Foundation
import PraxisFederation
import PraxisHTTP
import PraxisStorage

/// A running node: its storage and its HTTP server, started and stopped together.
public final class PraxisNode: Sendable {
    public let store: NodeStore
    public let server: HTTPServer
    public let listenAddress: ListenAddress

    /// Where to listen: `ADDR:PORT`, `[v6]:PORT` or just `PORT` (loopback).
    public struct ListenAddress: Sendable, Equatable, CustomStringConvertible {
        public var host: String
        public var port: Int

        public init(host: String, port: Int) {
            self.host = host
            self.port = port
        }

        public init(parsing text: String) throws {
            let usage = "expected ADDR:PORT such as 127.0.0.1:8080 or 0.0.0.0:443, got \"\(text)\""
            var host = "127.0.0.1"
            var portText = Substring(text)
            if text.hasPrefix("[") {
                guard let close = text.firstIndex(of: "]"), text[text.index(after: close)...].hasPrefix(":") else {
                    throw StorageError.invalidValue(usage)
                }
                host = String(text[text.index(after: text.startIndex)..<close])
                portText = text[text.index(close, offsetBy: 2)...]
            } else if let colon = text.lastIndex(of: ":") {
                host = String(text[..<colon])
                portText = text[text.index(after: colon)...]
            }
            guard !host.isEmpty, let port = Int(portText), (0...65535).contains(port) else {
                throw StorageError.invalidValue(usage)
            }
            self.host = host
            self.port = port
        }

        public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
    }

    /// The federation machinery: outgoing client, remote lookups, delivery and inbox workers.
    public let federation: NodeFederation

    /// Opens the node in `directory` and prepares its server (not yet listening).
    /// - Parameters:
    ///   - listen: overrides the configured listen address.
    ///   - tls: certificate chain and key for serving HTTPS directly.
    ///   - accessLog: receives one line per request; nil for none.
    ///   - log: receives federation events (deliveries, refusals); nil for none.
    ///   - delivery: tuning of outgoing delivery (tests shorten backoffs).
    ///   - resolver: turns peer host names into addresses; nil for the system resolver. It changes
    ///     where names lead, never which addresses the node may contact.
    /// - Throws: `StorageError` for a configuration that cannot be used (bad `metricsAllowFrom`
    ///   or `allowedPrivateNetworks` entry, `readCacheMegabytes` out of range), ``HTTPClientError``
    ///   for an unreadable `extraCAFile`.
    public init(directory: DataDirectory, listen: ListenAddress? = nil, tls: TLSServerConfiguration? = nil,
                accessLog: (@Sendable (String) -> Void)? = nil, log: (@Sendable (String) -> Void)? = nil,
                delivery: DeliveryConfiguration = DeliveryConfiguration(), resolver: (any HostResolver)? = nil) throws {
        let store = try NodeStore(directory: directory)
        let address = try listen ?? ListenAddress(parsing: store.configuration.listen)
        // A bad metricsAllowFrom entry stops the node here with the entry named, rather than
        // silently narrowing who may scrape.
        _ = try MetricsAccess(allowFrom: store.configuration.metricsAllowFrom)
        try store.configuration.checkReadCache()
        let federation = try NodeFederation(store: store, delivery: delivery, log: log ?? { _ in }, resolver: resolver)
        var configuration = HTTPServerConfiguration()
        configuration.metrics = federation.metrics.http
        configuration.host = address.host
        configuration.port = address.port
        configuration.tls = tls
        configuration.accessLog = accessLog
        self.store = store
        self.listenAddress = address
        self.federation = federation
        self.server = HTTPServer(
            configuration: configuration, responder: NodeRoutes(store: store, federation: federation).router())
    }

    /// The node's public base URL (`https://DOMAIN`, or `http://` in development mode).
    public var baseURL: String { store.configuration.baseURL }

    /// Starts the workers, then listens.
    public func start() throws {
        try federation.start()
        try server.start()
    }

    /// Stops accepting requests, lets in-flight ones finish, then stops the workers. Queued
    /// deliveries and unprocessed activities stay in the database for the next start.
    public func shutdown(gracePeriod: Duration = .seconds(10)) async {
        await server.shutdown(gracePeriod: gracePeriod)
        await federation.stop()
    }
}
