/// Which destination IP addresses the client may contact.
///
/// Federation URLs come from untrusted input, so by default the client refuses every address that
/// is not ordinary public unicast (see ``IPAddress/isPublic``): otherwise a remote server could make
/// a node fetch its own admin endpoints, a cloud metadata service (`169.254.169.254`) or anything
/// on the operator's private network. The policy is applied to every address a host name resolves
/// to, before any connection is made.
public struct AddressPolicy: Sendable {
    private let predicate: @Sendable (IPAddress) -> Bool

    /// A policy that allows the addresses for which `isAllowed` returns true.
    public init(isAllowed: @escaping @Sendable (IPAddress) -> Bool) {
        self.predicate = isAllowed
    }

    public func allows(_ address: IPAddress) -> Bool { predicate(address) }

    /// Public unicast only: refuses loopback, private (RFC 1918, `fc00::/7`), link-local
    /// (`169.254/16`, `fe80::/10`), multicast, unspecified, broadcast, CGNAT `100.64/10`, `0/8`,
    /// `240/4`, benchmarking `198.18/15`, documentation ranges, site-local `fec0::/10`, and IPv6
    /// forms (mapped, compatible, NAT64, 6to4, Teredo) that lead to any of those.
    public static let publicOnly = AddressPolicy { $0.isPublic }

    /// Public unicast, plus the addresses inside `networks`: for federations on an intranet, whose
    /// nodes sit on private addresses (`10.20.0.0/16`). Every other non-public address stays
    /// refused, and some are refused even inside an allowed network, because nothing a federation
    /// needs lives there: the unspecified address, multicast and broadcast, and the cloud metadata
    /// endpoints (``metadataAddresses``).
    public static func publicOnly(allowing networks: [IPNetwork]) -> AddressPolicy {
        if networks.isEmpty { return .publicOnly }
        return AddressPolicy { address in
            if address.isPublic { return true }
            guard networks.contains(where: { $0.contains(address) }) else { return false }
            let plain = IPNetwork.normalised(address)
            return !(plain.isUnspecified || plain.isMulticast || plain.isBroadcast || metadataAddresses.contains(plain))
        }
    }

    /// Cloud instance metadata services (`169.254.169.254`, AWS's IPv6 `fd00:ec2::254`): they hand
    /// out credentials to whoever asks from the machine, so no configuration makes them reachable.
    public static let metadataAddresses: [IPAddress] = [.v4(0xA9FE_A9FE), .v6(high: 0xFD00_0EC2_0000_0000, low: 0x254)]

    /// Every address; for local development (`--dev`) and tests only.
    public static let allowAll = AddressPolicy { _ in true }
}
