#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An IPv4 or IPv6 address, with the classification the SSRF policy needs.
///
/// The client checks every address a host name resolves to, so the classification has to see
/// through every form that reaches an IPv4 destination from IPv6: mapped (`::ffff:a.b.c.d`),
/// compatible (`::a.b.c.d`), NAT64 (`64:ff9b::/96`), 6to4 (`2002::/16`) and Teredo (`2001::/32`).
///
/// ```swift
/// IPAddress("169.254.169.254")?.isLinkLocal   // true
/// IPAddress("::ffff:127.0.0.1")?.isPublic     // false
/// ```
public enum IPAddress: Sendable, Hashable, CustomStringConvertible {
    /// An IPv4 address as a host-order integer (`127.0.0.1` is `0x7F00_0001`).
    case v4(UInt32)
    /// An IPv6 address as two host-order halves: the first 64 bits and the last 64 bits.
    case v6(high: UInt64, low: UInt64)

    /// Parses strict textual forms: dotted-quad IPv4 with four decimal parts and no leading zeros,
    /// or IPv6 (RFC 4291 section 2.2, including a trailing dotted quad), without brackets or zone.
    ///
    /// Shorthand IPv4 forms (`127.1`, `0x7f.0.0.1`, `2130706433`, `010.0.0.1`) are refused here
    /// because different parsers read them differently.
    public init?(_ text: String) {
        if let v4 = IPAddress.parseIPv4(Substring(text)) {
            self = .v4(v4)
            return
        }
        guard text.contains(":"), !text.contains("%"), text.utf8.count <= 45 else { return nil }
        var storage = in6_addr()
        let ok = text.withCString { inet_pton(AF_INET6, $0, &storage) }
        guard ok == 1 else { return nil }
        let bytes = withUnsafeBytes(of: &storage) { Array($0) }
        self.init(v6Bytes: bytes)
    }

    /// Builds an address from 4 (IPv4) or 16 (IPv6) network-order bytes; nil for other lengths.
    public init?(bytes: [UInt8]) {
        switch bytes.count {
        case 4:
            self = .v4(bytes.reduce(UInt32(0)) { $0 << 8 | UInt32($1) })
        case 16:
            self.init(v6Bytes: bytes)
        default:
            return nil
        }
    }

    private init(v6Bytes bytes: [UInt8]) {
        let high = bytes[0..<8].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        let low = bytes[8..<16].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        self = .v6(high: high, low: low)
    }

    /// The address in network byte order: 4 bytes for IPv4, 16 for IPv6.
    public var bytes: [UInt8] {
        switch self {
        case .v4(let value):
            return (0..<4).map { UInt8(truncatingIfNeeded: value >> (24 - 8 * $0)) }
        case .v6(let high, let low):
            return (0..<8).map { UInt8(truncatingIfNeeded: high >> (56 - 8 * $0)) }
                + (0..<8).map { UInt8(truncatingIfNeeded: low >> (56 - 8 * $0)) }
        }
    }

    public var isIPv4: Bool { if case .v4 = self { true } else { false } }

    /// Dotted quad for IPv4; the RFC 5952 compressed form for IPv6.
    public var description: String {
        switch self {
        case .v4(let value):
            return "\(value >> 24).\(value >> 16 & 0xFF).\(value >> 8 & 0xFF).\(value & 0xFF)"
        case .v6:
            var storage = in6_addr()
            let raw = bytes
            withUnsafeMutableBytes(of: &storage) { $0.copyBytes(from: raw) }
            var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
            guard inet_ntop(AF_INET6, &storage, &buffer, socklen_t(buffer.count)) != nil else {
                return raw.map { String($0, radix: 16) }.joined(separator: ":")
            }
            let length = buffer.firstIndex(of: 0) ?? buffer.count
            return String(decoding: buffer[..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
    }

    // MARK: - Classification

    /// The IPv4 address an IPv6 address stands for when it is mapped (`::ffff:0:0/96`),
    /// compatible (`::/96`, excluding `::` and `::1`) or NAT64 well-known prefix (`64:ff9b::/96`).
    /// These forms reach that IPv4 host directly or through a translator, so they inherit its
    /// classification.
    public var embeddedIPv4: UInt32? {
        guard case .v6(let high, let low) = self else { return nil }
        let last32 = UInt32(truncatingIfNeeded: low)
        if high == 0 && low >> 32 == 0xFFFF { return last32 }
        if high == 0 && low >> 32 == 0 && low > 1 { return last32 }
        if high == 0x0064_FF9B_0000_0000 && low >> 32 == 0 { return last32 }
        return nil
    }

    /// The IPv4 addresses a transition tunnel leads to: the relay address of 6to4 (`2002::/16`),
    /// and both the server and the (obfuscated) client address of Teredo (`2001::/32`).
    public var tunnelledIPv4: [UInt32] {
        guard case .v6(let high, let low) = self else { return [] }
        if high >> 48 == 0x2002 {
            return [UInt32(truncatingIfNeeded: high >> 16)]
        }
        if high >> 32 == 0x2001_0000 {
            return [UInt32(truncatingIfNeeded: high), ~UInt32(truncatingIfNeeded: low)]
        }
        return []
    }

    /// `0.0.0.0` or `::`. Connecting to it reaches the local host on most systems.
    public var isUnspecified: Bool {
        switch self {
        case .v4(let v): v == 0
        case .v6(let high, let low): high == 0 && low == 0
        }
    }

    /// `127.0.0.0/8` or `::1`, including the IPv6 forms that embed a loopback IPv4 address.
    public var isLoopback: Bool {
        switch self {
        case .v4(let v): return v >> 24 == 127
        case .v6(let high, let low):
            if high == 0 && low == 1 { return true }
            return embeddedIPv4.map { IPAddress.v4($0).isLoopback } ?? false
        }
    }

    /// RFC 1918 (`10/8`, `172.16/12`, `192.168/16`) or unique local IPv6 (`fc00::/7`).
    public var isPrivate: Bool {
        switch self {
        case .v4(let v):
            return v >> 24 == 10 || v >> 20 == 0xAC1 || v >> 16 == 0xC0A8
        case .v6(let high, _):
            if high >> 57 == 0x7E { return true }
            return embeddedIPv4.map { IPAddress.v4($0).isPrivate } ?? false
        }
    }

    /// `169.254/16` (where cloud metadata services live) or `fe80::/10`.
    public var isLinkLocal: Bool {
        switch self {
        case .v4(let v): return v >> 16 == 0xA9FE
        case .v6(let high, _):
            if high >> 54 == 0x3FA { return true }
            return embeddedIPv4.map { IPAddress.v4($0).isLinkLocal } ?? false
        }
    }

    /// Deprecated IPv6 site-local addresses, `fec0::/10`.
    public var isSiteLocal: Bool {
        if case .v6(let high, _) = self { return high >> 54 == 0x3FB }
        return false
    }

    /// `224.0.0.0/4` or `ff00::/8`.
    public var isMulticast: Bool {
        switch self {
        case .v4(let v): return v >> 28 == 0xE
        case .v6(let high, _):
            if high >> 56 == 0xFF { return true }
            return embeddedIPv4.map { IPAddress.v4($0).isMulticast } ?? false
        }
    }

    /// The limited broadcast address `255.255.255.255`.
    public var isBroadcast: Bool {
        if case .v4(let v) = self { return v == 0xFFFF_FFFF }
        return false
    }

    /// Carrier-grade NAT shared address space, `100.64.0.0/10` (RFC 6598).
    public var isSharedAddressSpace: Bool {
        if case .v4(let v) = self { return v >> 22 == 0x191 }
        return false
    }

    /// Documentation ranges: `192.0.2/24`, `198.51.100/24`, `203.0.113/24`, `2001:db8::/32`,
    /// `3fff::/20`.
    public var isDocumentation: Bool {
        switch self {
        case .v4(let v):
            return v >> 8 == 0xC00002 || v >> 8 == 0xC63364 || v >> 8 == 0xCB0071
        case .v6(let high, _):
            return high >> 32 == 0x2001_0DB8 || high >> 44 == 0x3FFF0
        }
    }

    /// Network benchmarking ranges: `198.18.0.0/15` and `2001:2::/48`.
    public var isBenchmarking: Bool {
        switch self {
        case .v4(let v): return v >> 17 == 0x6309
        case .v6(let high, _): return high >> 16 == 0x2001_0002_0000
        }
    }

    /// IPv4 ranges that are never a legitimate remote server: `0.0.0.0/8` ("this network"),
    /// `192.0.0.0/24` (IETF protocol assignments), `192.88.99.0/24` (old 6to4 relays) and
    /// `240.0.0.0/4` (reserved, including broadcast).
    public var isReservedIPv4: Bool {
        guard case .v4(let v) = self else { return false }
        return v >> 24 == 0 || v >> 8 == 0xC00000 || v >> 8 == 0xC05863 || v >> 28 == 0xF
    }

    /// True when the address is an ordinary public unicast destination.
    ///
    /// IPv4: none of the special ranges above. IPv6: inside global unicast `2000::/3` and outside
    /// documentation, benchmarking, ORCHID (`2001:10::/28`, `2001:20::/28`) and any tunnel that
    /// leads to a non-public IPv4 address; or a mapped/NAT64 form of a public IPv4 address.
    /// Everything else (loopback, unique local, link local, multicast, compatible, discard-only
    /// `100::/64`, local-use NAT64 `64:ff9b:1::/48` ...) is not public.
    public var isPublic: Bool {
        switch self {
        case .v4:
            return !(isUnspecified || isLoopback || isPrivate || isLinkLocal || isMulticast || isBroadcast
                || isSharedAddressSpace || isDocumentation || isBenchmarking || isReservedIPv4)
        case .v6(let high, let low):
            if high == 0 && low >> 32 == 0xFFFF || high == 0x0064_FF9B_0000_0000 && low >> 32 == 0 {
                return IPAddress.v4(UInt32(truncatingIfNeeded: low)).isPublic
            }
            guard high >> 61 == 0b001 else { return false }
            if isDocumentation || isBenchmarking { return false }
            if high >> 36 == 0x2001_001 || high >> 36 == 0x2001_002 { return false }
            return tunnelledIPv4.allSatisfy { IPAddress.v4($0).isPublic }
        }
    }

    // MARK: - Parsing

    /// Strict dotted quad: exactly four decimal parts 0...255, no leading zeros, no signs.
    static func parseIPv4(_ text: Substring) -> UInt32? {
        // One pass over the bytes (this runs for every URL with a numeric host).
        var value: UInt32 = 0
        var parts = 0
        var octet: UInt32 = 0
        var digits = 0
        for byte in text.utf8 {
            if byte == UInt8(ascii: ".") {
                guard digits > 0, parts < 3 else { return nil }
                value = value << 8 | octet
                parts += 1
                octet = 0
                digits = 0
                continue
            }
            guard byte >= 48 && byte <= 57, digits < 3 else { return nil }
            if digits == 1 && octet == 0 { return nil }  // a leading zero
            octet = octet * 10 + UInt32(byte - 48)
            guard octet <= 255 else { return nil }
            digits += 1
        }
        guard digits > 0, parts == 3 else { return nil }
        return value << 8 | octet
    }
}
