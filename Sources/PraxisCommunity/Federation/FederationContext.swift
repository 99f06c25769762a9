import Foundation
import PraxisActivityStreams
import PraxisFederation
import PraxisJSON
import PraxisSQLite
import PraxisStorage

/// What the federation use cases and inbox handlers share: storage, URLs, remote lookups, the
/// publisher, and a way to wake the delivery workers after queueing.
public struct FederationContext: Sendable {
    public let store: NodeStore
    public let urls: NodeURLs
    public let directory: RemoteDirectory
    public let publisher: Publisher
    public let wakeDelivery: @Sendable () -> Void

    public init(store: NodeStore, directory: RemoteDirectory, wakeDelivery: @escaping @Sendable () -> Void) {
        self.store = store
        self.urls = NodeURLs(configuration: store.configuration)
        self.directory = directory
        self.publisher = Publisher(urls: urls)
        self.wakeDelivery = wakeDelivery
    }

    /// The local actor an id names, or nil when it is not a local actor id.
    func localActor(_ id: String, db: Connection) throws -> LocalActor? {
        guard let reference = urls.localActorReference(id) else { return nil }
        if reference.kind == .application { return try ActorRepository(db).nodeActor() }
        return try ActorRepository(db).find(username: reference.username, kind: reference.kind)
    }

    func isLocal(_ id: String) -> Bool { id.hasPrefix(urls.base + "/") }

    /// The authority of an http(s) URL, lowercased.
    static func authority(_ url: String) -> String? {
        guard let parsed = URLComponents(string: url), let host = parsed.host, !host.isEmpty else { return nil }
        let lower = host.lowercased()
        let hostPart = lower.contains(":") ? "[\(lower)]" : lower
        if let port = parsed.port, !(parsed.scheme == "https" && port == 443) && !(parsed.scheme == "http" && port == 80) {
            return "\(hostPart):\(port)"
        }
        return hostPart
    }

    /// Inboxes of a local actor's accepted remote followers (shared inboxes when they offered one).
    func followerInboxes(of actorID: String, db: Connection) throws -> [String] {
        try FollowRepository(db).followers(of: actorID).compactMap { follow in
            isLocal(follow.follower) ? nil : follow.followerInbox
        }
    }

    /// Decodes a content object (`Note`, `Page`, `Article`) into its stored form.
    static func storedObject(from object: JSON, audience: String?, origin: String) throws -> StoredObject {
        guard let id = object["id"]?.stringValue, let type = object.asType,
            let author = object["attributedTo"]?.linkID
        else { throw ActivityRejection("the object needs an id, a type and attributedTo") }
        guard ["Note", "Page", "Article", "Question"].contains(type) else {
            throw ActivityRejection("objects of type \(type) are not accepted here")
        }
        return StoredObject(
            id: id, type: type, attributedTo: author, audience: audience ?? object["audience"]?.linkID,
            inReplyTo: object["inReplyTo"]?.linkID, name: object["name"]?.stringValue,
            content: object["content"]?.stringValue ?? "",
            published: object["published"]?.stringValue.flatMap(ISO8601.date),
            updated: object["updated"]?.stringValue.flatMap(ISO8601.date), document: object.serializedBytes(),
            originDomain: authority(id) ?? "")
    }
}
