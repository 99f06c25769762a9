/// A network in CIDR notation: an address and how many leading bits of it must match.
///
/// Used wherever configuration names ranges of addresses: who may scrape `/metrics`, and which
/// private networks a node may contact (``AddressPolicy/publicOnly(allowing:)``). An IPv4-mapped
/// IPv6 address (`::ffff:a.b.c.d`) is read as the IPv4 address it carries, on both sides, so
/// `10.0.0.0/8` matches `::ffff:10.1.2.3` as well.
///
/// ```swift
/// let intranet = IPNetwork("10.20.0.0/16")
/// intranet?.contains(IPAddress("10.20.3.4")!)   // true
/// ```
public struct IPNetwork: Sendable, Hashable, CustomStringConvertible {
    /// The network's address with the bits beyond the prefix as written.
    public let address: IPAddress
    public let prefixLength: Int

    /// Parses `ADDRESS` (a single host) or `ADDRESS/BITS`, IPv4 or IPv6, in the strict textual
    /// forms of ``IPAddress/init(_:)``; nil for anything else.
    public init?(_ text: String) {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let first = parts.first, let parsed = IPAddress(String(first)) else { return nil }
        let address = IPNetwork.normalised(parsed)
        let width = address.bytes.count * 8
        var length = width
        if parts.count == 2 {
            let digits = parts[1]
            guard (1...3).contains(digits.utf8.count), digits.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }),
                let bits = Int(digits), bits <= width
            else { return nil }
            length = bits
        }
        self.address = address
        self.prefixLength = length
    }

    /// Whether `address` lies in this network.
    public func contains(_ other: IPAddress) -> Bool {
        let mine = address.bytes
        let theirs = IPNetwork.normalised(other).bytes
        guard mine.count == theirs.count else { return false }
        var remaining = prefixLength
        for (a, b) in zip(mine, theirs) where remaining > 0 {
            let bits = min(8, remaining)
            let mask = UInt8(truncatingIfNeeded: 0xFF << (8 - bits))
            if a & mask != b & mask { return false }
            remaining -= bits
        }
        return true
    }

    /// True when bits beyond the prefix are set (`10.20.0.5/16`): such an entry is usually a
    /// typing mistake for the host or for the network, so configuration refuses it.
    public var hasHostBits: Bool {
        let bytes = address.bytes
        var remaining = prefixLength
        for byte in bytes {
            let kept = min(8, max(0, remaining))
            let hostMask = kept == 8 ? UInt8(0) : UInt8(truncatingIfNeeded: 0xFF >> kept)
            if byte & hostMask != 0 { return true }
            remaining -= 8
        }
        return false
    }

    public var description: String { "\(address)/\(prefixLength)" }

    /// An IPv4-mapped IPv6 address (`::ffff:a.b.c.d`) as the IPv4 address it carries.
    static func normalised(_ address: IPAddress) -> IPAddress {
        if case .v6(let high, let low) = address, high == 0, low >> 32 == 0xFFFF {
            return .v4(UInt32(truncatingIfNeeded: low))
        }
        return address
    }
}
