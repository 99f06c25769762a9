import PraxisHTTP
import PraxisStorage

/// Which addresses a node's outgoing client may contact, from `config.json`.
///
/// Production nodes reach public addresses only, plus the operator's `allowedPrivateNetworks`
/// (intranet federations); development nodes (`--dev`) reach anything. The list is checked
/// strictly when the node starts: an entry that is not a network, that has bits set beyond its
/// prefix, that is public (public addresses are always allowed, so the entry is a mistake) or
/// that covers a cloud metadata address stops the node with the entry named.
public enum PeerAddressPolicy {
    /// The policy for `configuration`, or nil for the client's default (development mode).
    /// - Throws: `StorageError.invalidValue` naming the first bad `allowedPrivateNetworks` entry.
    public static func policy(for configuration: NodeConfiguration) throws -> AddressPolicy? {
        let networks = try allowedNetworks(configuration.allowedPrivateNetworks ?? [])
        return configuration.development ? nil : .publicOnly(allowing: networks)
    }

    /// Parses and checks `allowedPrivateNetworks` entries.
    /// - Throws: `StorageError.invalidValue` naming the first bad entry and what to write instead.
    public static func allowedNetworks(_ entries: [String]) throws -> [IPNetwork] {
        try entries.map { entry in
            func refuse(_ why: String) -> StorageError {
                .invalidValue("allowedPrivateNetworks entry \"\(entry)\" \(why)")
            }
            guard let network = IPNetwork(entry), entry.contains("/") else {
                throw refuse("is not a network; use CIDR forms like 10.20.0.0/16, 192.168.4.10/32 or fd12:3456::/48")
            }
            if network.hasHostBits {
                throw refuse(
                    "has bits set beyond its /\(network.prefixLength) prefix; write the network it starts (such as 10.20.0.0/16) or one host (/32)")
            }
            if network.address.isPublic {
                throw refuse("is public: public addresses are always allowed, list only private networks here")
            }
            if let metadata = AddressPolicy.metadataAddresses.first(where: network.contains) {
                throw refuse("covers the cloud metadata address \(metadata), which a node never contacts; use a narrower range")
            }
            return network
        }
    }
}
