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
    /// A network: an address and how many leading bits must match.
    public struct Range: Sendable, Equatable, CustomStringConvertible {
        let bytes: [UInt8]
        let prefixLength: Int

        /// Parses `ADDRESS` or `ADDRESS/BITS` (IPv4 or IPv6).
        /// - Throws: `StorageError.invalidValue` naming the entry and the expected form.
        public init(parsing text: String) throws {
            let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
            let problem = StorageError.invalidValue(
                "metricsAllowFrom entry \"\(text)\" is not an address or range; use forms like 127.0.0.1, ::1 or 10.0.0.0/8")
            guard let first = parts.first, let address = IPAddress(String(first)) else { throw problem }
            let bytes = MetricsAccess.normalised(address).bytes
            var length = bytes.count * 8
            if parts.count == 2 {
                guard let bits = Int(parts[1]), (0...bytes.count * 8).contains(bits) else { throw problem }
                length = bits
            }
            self.bytes = bytes
            self.prefixLength = length
        }

        /// Whether `address` lies in this range (an IPv4-mapped IPv6 address counts as IPv4).
        public func contains(_ address: IPAddress) -> Bool {
            let other = MetricsAccess.normalised(address).bytes
            guard other.count == bytes.count else { return false }
            var remaining = prefixLength
            for (mine, theirs) in zip(bytes, other) where remaining > 0 {
                let bits = min(8, remaining)
                let mask = UInt8(truncatingIfNeeded: 0xFF << (8 - bits))
                if mine & mask != theirs & mask { return false }
                remaining -= bits
            }
            return true
        }

        public var description: String {
            let address = IPAddress(bytes: bytes).map(\.description) ?? "?"
            return "\(address)/\(prefixLength)"
        }
    }

    /// Loopback, when `metricsAllowFrom` is absent.
    public static let defaultAllowFrom = ["127.0.0.0/8", "::1/128"]
    static let proxyHeaders = ["Forwarded", "X-Forwarded-For", "X-Real-IP"]

    public let ranges: [Range]

    /// Refuses every address (tokens still work).
    public static let nobody = MetricsAccess(ranges: [])

    init(ranges: [Range]) { self.ranges = ranges }

    /// - Throws: `StorageError.invalidValue` for an entry that is not an address or range.
    public init(allowFrom: [String]?) throws {
        ranges = try (allowFrom ?? Self.defaultAllowFrom).map { try Range(parsing: $0.trimmingCharacters(in: .whitespaces)) }
    }

    /// Whether the request's peer may read metrics without a token.
    public func allows(_ request: HTTPRequest) -> Bool {
        guard !Self.proxyHeaders.contains(where: { request.headers.contains($0) }),
            let address = IPAddress(request.remoteAddress)
        else { return false }
        return ranges.contains { $0.contains(address) }
    }

    /// An IPv4-mapped IPv6 address (`::ffff:a.b.c.d`) as the IPv4 address it carries.
    static func normalised(_ address: IPAddress) -> IPAddress {
        if case .v6(let high, let low) = address, high == 0, low >> 32 == 0xFFFF {
            return .v4(UInt32(truncatingIfNeeded: low))
        }
        return address
    }
}
