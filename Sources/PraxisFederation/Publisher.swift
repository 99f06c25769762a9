import Foundation
import PraxisActivityStreams
import PraxisJSON
import PraxisSQLite
import PraxisStorage

/// Publishing local activities: records them in the outbox (served at their id) and queues
/// their delivery, in the caller's transaction, so an activity is never stored without being
/// queued or queued without being stored.
public struct Publisher: Sendable {
    public let urls: NodeURLs

    public init(urls: NodeURLs) { self.urls = urls }

    /// A fresh id for an activity of this node.
    public func newActivityID() -> String { urls.base + "/activities/" + UUID().uuidString.lowercased() }

    /// A fresh id for a content object of this node.
    public func newObjectID() -> String { urls.base + "/objects/" + UUID().uuidString.lowercased() }

    /// Records `activity` by `actor` and queues it for `inboxes` (duplicates and this node's own
    /// inboxes removed: local recipients are handled directly by the caller).
    /// - Parameter orderingKey: activities with the same key reach each node in order (use the
    ///   object's id).
    /// - Parameter signer: the local actor whose key signs the deliveries, when not `actor` itself
    ///   (an actor's own key rotation is announced under the node's key, which receivers know).
    public func publish(_ activity: JSON, by actor: LocalActor, orderingKey: String, inboxes: [String], db: Connection,
                        signer: String? = nil) throws {
        guard let id = activity["id"]?.stringValue, let type = activity.asType else {
            throw StorageError.invalidValue("an activity to publish needs an id and a type")
        }
        let body = activity.serializedBytes()
        try OutboxRepository(db).append(
            activityID: id, actorID: actor.id, type: type, objectID: activity["object"]?.linkID,
            isPublic: activity.isPublic, body: body)
        var seen = Set<String>()
        let remote = inboxes.filter { inbox in
            !inbox.hasPrefix(urls.base + "/") && seen.insert(inbox).inserted
        }
        guard !remote.isEmpty else { return }
        try DeliveryQueue.enqueue(
            OutgoingActivity(activityID: id, orderingKey: orderingKey, body: body, signer: signer ?? actor.username),
            to: remote, db: db)
    }
}
