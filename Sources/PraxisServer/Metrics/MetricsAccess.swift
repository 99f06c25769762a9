import Foundation
import PraxisHTTP
import PraxisStorage

/// Who may read `/metrics` without a token: peers whose address falls in the configured ranges
/// (`metricsAllowFrom` in `config.json`), loopback only by default.
///
/// A request that carries proxy headers (`Forwarded`, `X-Forwarded-For`, `X-Real-IP`) was
/// relayed for someone else, so its peer address proves nothing: behind a reverse proxy on the
/// same host every request comes from loopback. Such requests need an admin's token.
public struct MetricsAccess: Sendable {
    /// Loopback, when `metricsAllowFrom` is absent.
    public static let defaultAllowFrom = ["127.0.0.0/8", "::1/128"]
    static let proxyHeaders = ["Forwarded", "X-Forwarded-For", "X-Real-IP"]

    public let ranges: [IPNetwork]

    /// Refuses every address (tokens still work).
    public static let nobody = MetricsAccess(ranges: [])

    init(ranges: [IPNetwork]) { self.ranges = ranges }

    /// - Throws: `StorageError.invalidValue` for an entry that is not an address or range.
    public init(allowFrom: [String]?) throws {
        ranges = try (allowFrom ?? Self.defaultAllowFrom).map { entry in
            guard let network = IPNetwork(entry.trimmingCharacters(in: .whitespaces)) else {
                throw StorageError.invalidValue(
                    "metricsAllowFrom entry \"\(entry)\" is not an address or range; use forms like 127.0.0.1, ::1 or 10.0.0.0/8")
            }
            return network
        }
    }

    /// Whether the request's peer may read metrics without a token.
    public func allows(_ request: HTTPRequest) -> Bool {
        guard !Self.proxyHeaders.contains(where: { request.headers.contains($0) }),
            let address = IPAddress(request.remoteAddress)
        else { return false }
        return ranges.contains { $0.contains(address) }
    }
}
