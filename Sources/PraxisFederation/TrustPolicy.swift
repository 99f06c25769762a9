import PraxisSQLite
import PraxisStorage

/// The node's trust decisions in one place: what level another node has, given the trust list and
/// the federation mode. Every path in and out (inbox, delivery, fetches both ways) asks this.
public struct TrustPolicy: Sendable {
    public let mode: FederationMode
    public let localDomain: String

    public init(mode: FederationMode, localDomain: String) {
        self.mode = mode
        self.localDomain = localDomain.lowercased()
    }

    /// The level of `domain`: its trust-list entry, else `blocked` in allowlist mode and
    /// `limited` in open mode. The node itself is always trusted.
    public func level(of domain: String, entry: TrustEntry?) -> TrustLevel {
        let domain = domain.lowercased()
        if domain == localDomain { return .trusted }
        if let entry { return entry.level }
        return mode == .open ? .limited : .blocked
    }

    /// Reads the entry and decides, on the given connection.
    public func level(of domain: String, db: Connection) throws -> TrustLevel {
        try decision(for: domain, db: db).level
    }

    /// The level of `domain` and, when it is refused, why, phrased for the remote operator who
    /// gets the 403.
    public func decision(for domain: String, db: Connection) throws -> (level: TrustLevel, refusal: String) {
        let entry = try TrustRepository(db).find(domain: domain)
        let level = level(of: domain, entry: entry)
        let refusal: String =
            switch level {
            case .blocked where entry == nil:
                "\(domain) is not on the trust list of \(localDomain); ask its operator to add your node"
            case .blocked:
                "\(domain) is blocked by \(localDomain)"
            case .limited, .trusted:
                "\(domain) may only exchange public content with \(localDomain)"
            }
        return (level, refusal)
    }
}

extension TrustPolicy {
    /// The level of `domain` for one local community: the node's level, or `blocked` when the
    /// community excludes that node. A community narrows its node's list and never widens it.
    /// - Parameter community: the local community's username.
    public func level(of domain: String, community: String, db: Connection) throws -> TrustLevel {
        try decision(for: domain, community: community, db: db).level
    }

    /// The decision for `domain` in one local community, with the refusal phrased for the remote
    /// operator: the node's own refusal when the node blocks it, else the community's.
    public func decision(for domain: String, community: String, db: Connection) throws
        -> (level: TrustLevel, refusal: String)
    {
        let node = try decision(for: domain, db: db)
        guard node.level != .blocked, domain.lowercased() != localDomain,
            try CommunityTrustRepository(db).isExcluded(community: community, domain: domain)
        else { return node }
        return (.blocked, "\(domain.lowercased()) is excluded from the community \(community) on \(localDomain)")
    }

    /// The read-time filter that hides cached content of blocked and excluded nodes.
    public func originFilter(urls: NodeURLs) -> OriginFilter {
        OriginFilter(mode: mode, localDomain: localDomain, communityPrefix: urls.base + "/communities/")
    }

    /// The filter for `configuration`'s node: what every read of stored content (lists, pages,
    /// search, health figures, public pages) applies, so a block hides a node's content at once.
    public static func originFilter(_ configuration: NodeConfiguration, urls: NodeURLs) -> OriginFilter {
        TrustPolicy(mode: configuration.federation, localDomain: urls.domain).originFilter(urls: urls)
    }
}
