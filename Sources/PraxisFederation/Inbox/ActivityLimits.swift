import PraxisJSON
import PraxisStorage

/// Bounds on how many recipients, tags and attachments an incoming activity may carry.
///
/// Each recipient may mean a delivery or a notification, and each tag or attachment a row and a
/// fetch, so an activity naming thousands of them costs the receiver far more than it cost the
/// sender. The body size and JSON depth are bounded earlier, by ``InboxPipeline/jsonLimits``.
public struct ActivityLimits: Sendable, Equatable {
    public var maxRecipients: Int
    public var maxTags: Int
    public var maxAttachments: Int

    public init(maxRecipients: Int, maxTags: Int, maxAttachments: Int) {
        self.maxRecipients = maxRecipients
        self.maxTags = maxTags
        self.maxAttachments = maxAttachments
    }

    public init(_ limits: AbuseLimits) {
        self.init(maxRecipients: limits.maxRecipients, maxTags: limits.maxTags, maxAttachments: limits.maxAttachments)
    }

    /// The audience members counted against ``maxRecipients``.
    public static let recipientFields = ["to", "cc", "bto", "bcc", "audience"]

    /// Why `activity` exceeds a limit, or nil when it does not. The activity and its embedded
    /// object (an `Announce` may embed a `Create` that embeds a `Note`) are each checked.
    public func violation(in activity: JSON) -> String? {
        var level: JSON? = activity
        var depth = 0
        while let current = level, depth < 3 {
            let recipients = Self.recipientFields.reduce(0) { $0 + Self.count(current[$1]) }
            if recipients > maxRecipients {
                return "the activity names \(recipients) recipients (to, cc, bto, bcc and audience together); "
                    + "this node accepts at most \(maxRecipients): address a collection such as followers instead"
            }
            let tags = Self.count(current["tag"])
            if tags > maxTags { return "the activity carries \(tags) tags; this node accepts at most \(maxTags)" }
            let attachments = Self.count(current["attachment"])
            if attachments > maxAttachments {
                return "the activity carries \(attachments) attachments; this node accepts at most \(maxAttachments)"
            }
            level = current["object"].flatMap { $0.objectValue != nil ? $0 : nil }
            depth += 1
        }
        return nil
    }

    /// A single value counts as one entry, an array as its elements, null or absent as none.
    static func count(_ value: JSON?) -> Int {
        switch value {
        case nil, .null?: 0
        case .array(let items)?: items.count
        default: 1
        }
    }
}
