import Foundation
import PraxisActivityStreams
import PraxisFederation
import PraxisJSON
import PraxisSQLite
import PraxisStorage
import PraxisText

/// A reply whose parent is not (yet) known here; the processor retries it.
struct MissingParent: Error, CustomStringConvertible {
    let id: String
    var description: String { "the reply's parent \(id) is not known here (yet)" }
}

/// The kinds of threads a community holds.
public enum ThreadKind: String, Sendable, CaseIterable, Codable {
    case discussion, question, announcement, caseStudy

    static let allRawValues = Set(allCases.map(\.rawValue))
}

/// What the federation use cases and inbox handlers share: storage, URLs, remote lookups, the
/// publisher, and a way to wake the delivery workers after queueing.
public struct FederationContext: Sendable {
    public let store: NodeStore
    public let urls: NodeURLs
    public let directory: RemoteDirectory
    public let publisher: Publisher
    public let wakeDelivery: @Sendable () -> Void
    /// Members' signing keys, for the author proofs on what they write.
    public let keyring: LocalKeyring

    public init(store: NodeStore, directory: RemoteDirectory, keyring: LocalKeyring? = nil,
                wakeDelivery: @escaping @Sendable () -> Void) {
        self.store = store
        self.urls = NodeURLs(configuration: store.configuration)
        self.directory = directory
        self.publisher = Publisher(urls: urls)
        self.wakeDelivery = wakeDelivery
        self.keyring = keyring ?? LocalKeyring(store: store, urls: NodeURLs(configuration: store.configuration))
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

    /// Checks a content object against what is stored: a reply's parent must be known and in the
    /// same community; an accepted answer must be a reply to this question.
    static func validateThreading(_ stored: StoredObject, db: Connection) throws {
        let objects = ObjectRepository(db)
        if let parentID = stored.inReplyTo {
            guard let parent = try objects.find(id: parentID), parent.deletedAt == nil else {
                // Possibly still on its way: retried by the inbox processor, then dead-lettered.
                throw MissingParent(id: parentID)
            }
            guard parent.audience == stored.audience else {
                throw ActivityRejection("a reply must stay in its thread's community")
            }
        }
        if let answer = stored.acceptedAnswer {
            guard stored.kind == ThreadKind.question.rawValue else {
                throw ActivityRejection("only questions have an accepted answer")
            }
            guard let reply = try objects.find(id: answer), reply.inReplyTo == stored.id, reply.deletedAt == nil else {
                throw ActivityRejection("the accepted answer must be a reply to the question")
            }
        }
    }

    /// The thread an object belongs to (the root of its reply chain), used as the delivery
    /// ordering key so that a thread and its replies reach each node in order.
    static func threadRoot(of id: String, db: Connection) throws -> String {
        var current = id
        for _ in 0..<32 {
            guard let parent = try ObjectRepository(db).find(id: current)?.inReplyTo else { return current }
            current = parent
        }
        return current
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
        guard ["Note", "Page", "Article", "Question", "Document"].contains(type) else {
            throw ActivityRejection("objects of type \(type) are not accepted here")
        }
        let kind = object["kind"]?.stringValue ?? object["praxis:kind"]?.stringValue
        if let kind, !ThreadKind.allRawValues.contains(kind) {
            throw ActivityRejection("unknown thread kind \(kind)")
        }
        var language = object["language"]?.stringValue
        if language == nil, let map = object["contentMap"]?.objectValue, map.count == 1 { language = map.keys.first }
        let tags: [String] = (object["tag"]?.arrayValue ?? []).compactMap { tag in
            guard tag.asType == "Hashtag", var name = tag["name"]?.stringValue else { return nil }
            if name.hasPrefix("#") { name.removeFirst() }
            return name.isEmpty || name.count > 100 ? nil : name.lowercased()
        }
        return StoredObject(
            id: id, type: type, attributedTo: author, audience: audience ?? object["audience"]?.linkID,
            inReplyTo: object["inReplyTo"]?.linkID, name: object["name"]?.stringValue,
            // Whatever another node sent, only allowlisted, inert HTML is stored and shown.
            content: HTMLSanitizer.sanitize(object["content"]?.stringValue ?? ""),
            published: object["published"]?.stringValue.flatMap(ISO8601.date),
            updated: object["updated"]?.stringValue.flatMap(ISO8601.date), document: object.serializedBytes(),
            originDomain: authority(id) ?? "",
            // Documents are library entries, not threads.
            kind: object["inReplyTo"] == nil && type != "Document" ? (kind ?? "discussion") : nil,
            language: language, tags: Array(tags.prefix(20)),
            acceptedAnswer: object["acceptedAnswer"]?.linkID ?? object["praxis:acceptedAnswer"]?.linkID)
    }
}
