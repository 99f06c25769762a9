import Synchronization

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// What every event loop of one server shares: settings, the responder, the TLS context and the
/// connection counters. Immutable after start apart from the atomics.
final class ServerCore: Sendable {
    let configuration: HTTPServerConfiguration
    let responder: any HTTPResponder
    let tls: TLSContext?
    let limits: RequestLimits
    /// Connections that count against `maxConnections`.
    let activeConnections = Atomic<Int>(0)
    /// Counted connections that only wait for the peer to close after their last response.
    let lingeringConnections = Atomic<Int>(0)
    let errorLog: @Sendable (String) -> Void

    init(configuration: HTTPServerConfiguration, responder: any HTTPResponder, tls: TLSContext?) {
        self.configuration = configuration
        self.responder = responder
        self.tls = tls
        self.limits = RequestLimits(
            maxRequestLineBytes: max(16, configuration.maxRequestLineBytes),
            maxHeaderBytes: max(0, configuration.maxHeaderBytes),
            maxHeaderCount: max(0, configuration.maxHeaderCount))
        self.errorLog = configuration.errorLog ?? { message in
            let line = Array("praxis-http: \(message)\n".utf8)
            line.withUnsafeBytes { _ = write(2, $0.baseAddress, $0.count) }
        }
    }

    /// Connections still doing work (not merely lingering), which a graceful shutdown waits for.
    var busyConnections: Int {
        activeConnections.load(ordering: .acquiring) - lingeringConnections.load(ordering: .acquiring)
    }
}
