import Foundation
import PraxisJSON

/// The AS2 actor types Praxis publishes.
public enum ActorType: String, Sendable, CaseIterable {
    case application = "Application"
    case person = "Person"
    case group = "Group"
}

/// Everything needed to render an actor document (AS2 JSON-LD), independent of storage.
///
/// The document carries the RSA key as `publicKey.publicKeyPem` (what Mastodon and most of the
/// fediverse verify draft-cavage signatures with) and the Ed25519 key(s) as Multikey entries in
/// `assertionMethod` (FEP-521a), which verify RFC 9421 signatures and Data Integrity proofs.
/// Retired Ed25519 keys stay listed with their `expires` time, so proofs made before a rotation
/// still verify.
public struct ActorDocument: Sendable {
    public struct Multikey: Sendable {
        public var id: String
        public var publicKeyMultibase: String
        public var created: Date?
        /// Set when the key was retired by a rotation.
        public var expires: Date?

        public init(id: String, publicKeyMultibase: String, created: Date? = nil, expires: Date? = nil) {
            self.id = id
            self.publicKeyMultibase = publicKeyMultibase
            self.created = created
            self.expires = expires
        }
    }

    public var type: ActorType
    public var id: String
    public var preferredUsername: String
    public var name: String
    public var summary: String?
    /// The HTML page of the actor.
    public var url: String?
    public var inbox: String
    public var outbox: String
    public var followers: String
    public var following: String?
    public var sharedInbox: String?
    public var rsaKeyID: String
    public var rsaPublicKeyPEM: String
    public var multikeys: [Multikey]
    public var manuallyApprovesFollowers: Bool
    public var published: Date?
    /// For groups (FEP-1b12): the moderators collection, published as `attributedTo`.
    public var moderators: String?
    /// For groups: the parent community, when this one is a sub-community.
    public var parent: String?
    /// Extra members added verbatim after the standard ones (Praxis extension terms).
    public var extra: JSONObject

    public init(type: ActorType, id: String, preferredUsername: String, name: String, summary: String? = nil,
                url: String? = nil, inbox: String, outbox: String, followers: String, following: String? = nil,
                sharedInbox: String? = nil, rsaKeyID: String, rsaPublicKeyPEM: String, multikeys: [Multikey],
                manuallyApprovesFollowers: Bool = false, published: Date? = nil, moderators: String? = nil,
                parent: String? = nil, extra: JSONObject = [:]) {
        self.type = type
        self.id = id
        self.preferredUsername = preferredUsername
        self.name = name
        self.summary = summary
        self.url = url
        self.inbox = inbox
        self.outbox = outbox
        self.followers = followers
        self.following = following
        self.sharedInbox = sharedInbox
        self.rsaKeyID = rsaKeyID
        self.rsaPublicKeyPEM = rsaPublicKeyPEM
        self.multikeys = multikeys
        self.manuallyApprovesFollowers = manuallyApprovesFollowers
        self.published = published
        self.moderators = moderators
        self.parent = parent
        self.extra = extra
    }

    /// The JSON-LD document.
    public var json: JSON {
        var doc = JSONObject()
        doc["@context"] = ActivityStreams.actorContext
        doc["id"] = .string(id)
        doc["type"] = .string(type.rawValue)
        doc["preferredUsername"] = .string(preferredUsername)
        doc["name"] = .string(name)
        if let summary, !summary.isEmpty { doc["summary"] = .string(summary) }
        if let url { doc["url"] = .string(url) }
        doc["inbox"] = .string(inbox)
        doc["outbox"] = .string(outbox)
        doc["followers"] = .string(followers)
        if let following { doc["following"] = .string(following) }
        if let sharedInbox { doc["endpoints"] = ["sharedInbox": .string(sharedInbox)] }
        if let moderators { doc["attributedTo"] = .string(moderators) }
        if let parent { doc["parent"] = .string(parent) }
        doc["manuallyApprovesFollowers"] = .bool(manuallyApprovesFollowers)
        if let published { doc["published"] = .string(ISO8601.string(published)) }
        doc["publicKey"] = [
            "id": .string(rsaKeyID),
            "owner": .string(id),
            "publicKeyPem": .string(rsaPublicKeyPEM),
        ]
        doc["assertionMethod"] = .array(multikeys.map { key in
            var entry: JSONObject = [
                "id": .string(key.id),
                "type": "Multikey",
                "controller": .string(id),
                "publicKeyMultibase": .string(key.publicKeyMultibase),
            ]
            if let created = key.created { entry["created"] = .string(ISO8601.string(created)) }
            if let expires = key.expires { entry["expires"] = .string(ISO8601.string(expires)) }
            return .object(entry)
        })
        for (key, value) in extra { doc[key] = value }
        return .object(doc)
    }
}

/// RFC 3339 timestamps in UTC with second precision (`2026-11-23T13:29:23Z`), as AS2 uses.
public enum ISO8601 {
    public static func string(_ date: Date) -> String {
        var t = time_t(date.timeIntervalSince1970.rounded(.down))
        var parts = tm()
        gmtime_r(&t, &parts)
        func pad(_ v: Int32, _ width: Int) -> String {
            let s = String(v)
            return String(repeating: "0", count: max(0, width - s.count)) + s
        }
        return "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1, 2))-\(pad(parts.tm_mday, 2))T"
            + "\(pad(parts.tm_hour, 2)):\(pad(parts.tm_min, 2)):\(pad(parts.tm_sec, 2))Z"
    }

    /// Parses `YYYY-MM-DDTHH:MM:SS[.fff](Z|±HH:MM)`; nil on anything else.
    public static func date(_ text: String) -> Date? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        if let d = formatter.date(from: text) { return d }
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.date(from: text)
    }
}
