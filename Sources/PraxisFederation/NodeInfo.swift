import PraxisJSON
import PraxisStorage

/// NodeInfo 2.1 (http://nodeinfo.diaspora.software/ns/schema/2.1): what software a node runs and
/// how it is used. Peers read `metadata.praxis` to learn that a node speaks the Praxis profile and
/// prefers RFC 9421 signatures.
public enum NodeInfo {
    public static let schema21 = "http://nodeinfo.diaspora.software/ns/schema/2.1"
    public static let mediaType = "application/json; profile=\"http://nodeinfo.diaspora.software/ns/schema/2.1#\""
    public static let softwareName = "praxis"
    public static let softwareVersion = "0.1.0"
    public static let repository = "https://github.com/praxis-procurement/praxis"

    /// `/.well-known/nodeinfo`: the discovery document linking to the 2.1 document.
    public static func discovery(urls: NodeURLs) -> JSON {
        ["links": [["rel": .string(schema21), "href": .string(urls.nodeInfo)]]]
    }

    /// Usage figures as NodeInfo reports them.
    public struct Usage: Sendable, Equatable {
        public var users: Int
        public var activeHalfYear: Int
        public var activeMonth: Int
        public var communities: Int
        public init(users: Int, activeHalfYear: Int, activeMonth: Int, communities: Int) {
            self.users = users
            self.activeHalfYear = activeHalfYear
            self.activeMonth = activeMonth
            self.communities = communities
        }
    }

    /// The NodeInfo 2.1 document. Registrations are never open: practitioner nodes admit members by
    /// approval, invitation or allowed e-mail domains.
    public static func document(configuration: NodeConfiguration, usage: Usage) -> JSON {
        [
            "version": "2.1",
            "software": [
                "name": .string(softwareName),
                "version": .string(softwareVersion),
                "repository": .string(repository),
            ],
            "protocols": ["activitypub"],
            "services": ["inbound": [], "outbound": []],
            "openRegistrations": false,
            "usage": [
                "users": [
                    "total": .integer(Int64(usage.users)),
                    "activeHalfyear": .integer(Int64(usage.activeHalfYear)),
                    "activeMonth": .integer(Int64(usage.activeMonth)),
                ]
            ],
            "metadata": [
                "nodeName": .string(configuration.name),
                "praxis": [
                    "profile": "praxis/1",
                    "httpSignatures": ["rfc9421", "draft-cavage-12"],
                    "federation": .string(configuration.federation.rawValue),
                    "communities": .integer(Int64(usage.communities)),
                ],
            ],
        ]
    }
}
