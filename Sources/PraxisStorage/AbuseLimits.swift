import Foundation

/// The node's abuse limits, kept as `limits` in `config.json`; every member may be left out and
/// then takes its default (generous enough for real federation, see README "Limits").
///
/// Rates are token buckets: `perSecond` is the sustained rate, `burst` what a quiet sender may
/// send at once.
public struct AbuseLimits: Codable, Sendable, Equatable {
    /// A token-bucket rate.
    public struct Rate: Codable, Sendable, Equatable {
        public var perSecond: Double
        public var burst: Int

        public init(perSecond: Double, burst: Int) {
            self.perSecond = perSecond
            self.burst = burst
        }

        /// Refuses rates that would lock every sender out for good.
        func validate(_ name: String) throws {
            guard perSecond > 0, perSecond.isFinite, burst >= 1 else {
                throw StorageError.invalidConfiguration(
                    "limits.\(name) needs perSecond > 0 and burst ≥ 1, got perSecond \(perSecond), burst \(burst)")
            }
        }
    }

    /// Inbox POSTs per remote node (key's host, counted once the signature verified).
    public var inboxPerNode = Rate(perSecond: 50, burst: 200)
    /// Signed GETs per remote node and client address.
    public var fetchesPerNode = Rate(perSecond: 20, burst: 100)
    /// Client API requests per client address.
    public var apiPerAddress = Rate(perSecond: 20, burst: 60)
    /// Sign-in attempts per client address and account name (5 a minute).
    public var signInPerAddressAndName = Rate(perSecond: 5.0 / 60, burst: 5)
    /// Inbox requests whose signature failed, per client address: someone naming other nodes'
    /// keys burns this budget, not theirs.
    public var failedSignaturesPerAddress = Rate(perSecond: 1, burst: 30)
    /// Most recipients (`to`, `cc`, `bto`, `bcc`, `audience` together) an incoming activity may name.
    public var maxRecipients = 100
    /// Most `tag` entries of an incoming activity or its object.
    public var maxTags = 50
    /// Most `attachment` entries of an incoming activity or its object.
    public var maxAttachments = 20
    /// Failed sign-ins of one account name within `signInFailureWindow` that lock it out.
    public var signInFailures = 5
    /// Seconds over which failed sign-ins add up.
    public var signInFailureWindow: Double = 15 * 60
    /// The first lock-out, in seconds; each further one doubles, up to `maxLockout`.
    public var lockout: Double = 60
    public var maxLockout: Double = 3_600

    public init() {}

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = AbuseLimits()
        inboxPerNode = try c.decodeIfPresent(Rate.self, forKey: .inboxPerNode) ?? d.inboxPerNode
        fetchesPerNode = try c.decodeIfPresent(Rate.self, forKey: .fetchesPerNode) ?? d.fetchesPerNode
        apiPerAddress = try c.decodeIfPresent(Rate.self, forKey: .apiPerAddress) ?? d.apiPerAddress
        signInPerAddressAndName = try c.decodeIfPresent(Rate.self, forKey: .signInPerAddressAndName) ?? d.signInPerAddressAndName
        failedSignaturesPerAddress =
            try c.decodeIfPresent(Rate.self, forKey: .failedSignaturesPerAddress) ?? d.failedSignaturesPerAddress
        maxRecipients = try c.decodeIfPresent(Int.self, forKey: .maxRecipients) ?? d.maxRecipients
        maxTags = try c.decodeIfPresent(Int.self, forKey: .maxTags) ?? d.maxTags
        maxAttachments = try c.decodeIfPresent(Int.self, forKey: .maxAttachments) ?? d.maxAttachments
        signInFailures = try c.decodeIfPresent(Int.self, forKey: .signInFailures) ?? d.signInFailures
        signInFailureWindow = try c.decodeIfPresent(Double.self, forKey: .signInFailureWindow) ?? d.signInFailureWindow
        lockout = try c.decodeIfPresent(Double.self, forKey: .lockout) ?? d.lockout
        maxLockout = try c.decodeIfPresent(Double.self, forKey: .maxLockout) ?? d.maxLockout
    }

    /// Checks that every limit can be met by a well-behaved sender.
    /// - Throws: `StorageError.invalidConfiguration` naming the first bad member.
    public func validate() throws {
        try inboxPerNode.validate("inboxPerNode")
        try fetchesPerNode.validate("fetchesPerNode")
        try apiPerAddress.validate("apiPerAddress")
        try signInPerAddressAndName.validate("signInPerAddressAndName")
        try failedSignaturesPerAddress.validate("failedSignaturesPerAddress")
        for (name, value) in [("maxRecipients", maxRecipients), ("maxTags", maxTags), ("maxAttachments", maxAttachments),
                              ("signInFailures", signInFailures)] where value < 1 {
            throw StorageError.invalidConfiguration("limits.\(name) must be at least 1, got \(value)")
        }
        guard signInFailureWindow > 0, lockout > 0, maxLockout >= lockout else {
            throw StorageError.invalidConfiguration(
                "limits.signInFailureWindow and limits.lockout must be positive and limits.maxLockout at least limits.lockout")
        }
    }
}

extension NodeConfiguration {
    /// The configured limits, or the defaults.
    public var effectiveLimits: AbuseLimits { limits ?? AbuseLimits() }
}
