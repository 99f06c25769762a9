import Foundation
import PraxisJSON
import PraxisSQLite

/// A verified activity waiting in (or done with) the inbox queue.
public struct InboxActivity: Sendable, Equatable {
    public var seq: Int64
    public var activityID: String
    public var actorID: String
    public var originDomain: String
    public var recipient: String
    public var body: [UInt8]
    public var receivedAt: Date
    public var attempts: Int
    /// The activity type recorded when it was accepted; nil for activities stored before
    /// schema version 11 (the processor then reads it from the body).
    public var type: String?
}

/// An activity the node could not process, kept for the operator with the reason.
public struct DeadLetter: Sendable, Equatable, Codable {
    public var activityID: String
    public var actorID: String
    public var originDomain: String
    public var reason: String
    public var failedAt: Date
}

/// The persisted inbox queue.
public struct InboxRepository {
    let db: Connection
    public init(_ db: Connection) { self.db = db }

    /// Stores a verified activity without a replay key (``receive(activityID:actorID:originDomain:recipient:body:type:signatureHash:signatureCreated:receivedAt:processed:)``
    /// stores one with it). Returns false when an activity with that id was already received (the
    /// caller acknowledges it without storing anything).
    /// - Parameter processed: store it already done (nothing is left to do for it; the row stays
    ///   so that a redelivery is still recognised) rather than pending.
    public func insert(activityID: String, actorID: String, originDomain: String, recipient: String, body: [UInt8],
                       type: String? = nil, receivedAt: Date = Date(), processed: Bool = false) throws -> Bool {
        try insertRow(
            activityID: activityID, actorID: actorID, originDomain: originDomain, recipient: recipient, body: body,
            type: type, signatureHash: nil, receivedAt: receivedAt, processed: processed)
    }

    /// The one statement that adds an inbox row; false when the id is already stored.
    private func insertRow(
        activityID: String, actorID: String, originDomain: String, recipient: String, body: [UInt8], type: String?,
        signatureHash: [UInt8]?, receivedAt: Date, processed: Bool
    ) throws -> Bool {
        try db.run(
            """
            INSERT INTO inbox_activities (activity_id, actor_id, origin_domain, recipient, body, type, received_at, state,
                processed_at, signature_hash)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (activity_id) DO NOTHING
            """,
            activityID, actorID, originDomain, recipient, body, type, receivedAt.unixSeconds, processed ? "done" : "pending",
            processed ? receivedAt.unixSeconds : nil, signatureHash)
        return db.changes > 0
    }

    /// Whether any activity is waiting to be processed (one step down the pending index).
    public func hasPending() throws -> Bool {
        try db.queryOne("SELECT 1 FROM inbox_activities WHERE state = 'pending' LIMIT 1") != nil
    }

    public func contains(activityID: String) throws -> Bool {
        try db.queryOne("SELECT 1 FROM inbox_activities WHERE activity_id = ?", activityID) != nil
    }

    /// The oldest pending activities, in arrival order.
    public func pending(limit: Int) throws -> [InboxActivity] {
        try db.query(
            "SELECT * FROM inbox_activities WHERE state = 'pending' ORDER BY seq LIMIT ?", limit
        ).map(Self.activity)
    }

    /// Up to `limit` pending activities taken round-robin by origin node: the oldest of each node
    /// first, then the second oldest of each, and so on. Each node's activities stay in arrival
    /// order; a node with a backlog of thousands takes one place per round, so another node's
    /// single activity is in the very next batch (fair queueing by origin).
    ///
    /// At most `limit` nodes are served per batch, in order of their domain; a node beyond them
    /// waits until one of those has no backlog left.
    public func pendingByOrigin(limit: Int) throws -> [InboxActivity] {
        guard limit > 0 else { return [] }
        // A skip scan over the partial index `inbox_pending_origin`: one seek per node with a
        // backlog, however long the backlogs are.
        let domains = try db.query(
            """
            WITH RECURSIVE origin(domain, n) AS (
                SELECT min(origin_domain), 1 FROM inbox_activities WHERE state = 'pending'
                UNION ALL
                SELECT (SELECT min(origin_domain) FROM inbox_activities
                        WHERE state = 'pending' AND origin_domain > origin.domain), n + 1
                FROM origin WHERE origin.domain IS NOT NULL AND n < ?
            )
            SELECT domain FROM origin WHERE domain IS NOT NULL
            """, limit
        ).map { row -> String in try row.get("domain") }
        guard !domains.isEmpty else { return [] }
        func lane(_ domain: String, after seq: Int64, limit: Int) throws -> [InboxActivity] {
            try db.query(
                """
                SELECT * FROM inbox_activities INDEXED BY inbox_pending_origin
                WHERE state = 'pending' AND origin_domain = ? AND seq > ? ORDER BY seq LIMIT ?
                """, domain, seq, limit
            ).map(Self.activity)
        }
        // An equal share of the batch per node first; what nodes with a short backlog leave
        // over goes to those with a long one.
        let share = (limit + domains.count - 1) / domains.count
        var lanes = try domains.map { try lane($0, after: -1, limit: share) }
        var room = limit - lanes.reduce(0) { $0 + $1.count }
        for index in lanes.indices where room > 0 && lanes[index].count == share {
            let more = try lane(domains[index], after: lanes[index].last?.seq ?? -1, limit: room)
            lanes[index].append(contentsOf: more)
            room -= more.count
        }
        var queues = lanes.map { $0[...] }
        var batch: [InboxActivity] = []
        batch.reserveCapacity(limit)
        while batch.count < limit {
            var took = false
            for index in queues.indices where batch.count < limit {
                if let next = queues[index].popFirst() {
                    batch.append(next)
                    took = true
                }
            }
            if !took { break }
        }
        return batch
    }

    static func activity(_ row: Row) throws -> InboxActivity {
        InboxActivity(
            seq: try row.get("seq"), activityID: try row.get("activity_id"), actorID: try row.get("actor_id"),
            originDomain: try row.get("origin_domain"), recipient: try row.get("recipient"), body: try row.get("body"),
            receivedAt: Date(unixSeconds: try row.get("received_at")), attempts: try row.get("attempts"),
            type: try row.optional("type"))
    }

    public func pendingCount() throws -> Int {
        try db.scalar(Int.self, "SELECT count(*) FROM inbox_activities WHERE state = 'pending'") ?? 0
    }

    public func markDone(seq: Int64, now: Date = Date()) throws {
        try db.run("UPDATE inbox_activities SET state = 'done', processed_at = ? WHERE seq = ?", now.unixSeconds, seq)
    }

    public func recordFailure(seq: Int64) throws {
        try db.run("UPDATE inbox_activities SET attempts = attempts + 1 WHERE seq = ?", seq)
    }

    /// Moves an activity to the dead letters with the reason it could not be processed.
    public func deadLetter(_ activity: InboxActivity, reason: String, now: Date = Date()) throws {
        try db.run("UPDATE inbox_activities SET state = 'dead', processed_at = ? WHERE seq = ?", now.unixSeconds, activity.seq)
        try db.run(
            """
            INSERT INTO dead_letters (activity_id, actor_id, origin_domain, body, reason, failed_at)
            VALUES (?, ?, ?, ?, ?, ?)
            """,
            activity.activityID, activity.actorID, activity.originDomain, activity.body, reason, now.unixSeconds)
    }

    public func deadLetters(limit: Int = 100) throws -> [DeadLetter] {
        try db.query("SELECT * FROM dead_letters ORDER BY id DESC LIMIT ?", limit).map { row in
            DeadLetter(
                activityID: try row.get("activity_id"), actorID: try row.get("actor_id"),
                originDomain: try row.get("origin_domain"), reason: try row.get("reason"),
                failedAt: Date(unixSeconds: try row.get("failed_at")))
        }
    }

    /// What ``receive(activityID:actorID:originDomain:recipient:body:type:signatureHash:signatureCreated:receivedAt:processed:)``
    /// did with an activity.
    public enum Reception: Sendable, Equatable {
        /// Stored (pending, or already done when asked).
        case stored
        /// An activity with this id was already received under another signature: nothing stored.
        case duplicate
        /// The same signed request was received before: nothing stored.
        case replay
    }

    /// Stores a verified activity with the replay key of the request that carried it.
    ///
    /// A request's signature covers the digest of its body, so the same signature always comes
    /// with the same activity, hence the same id: the replay key of a newly stored activity is
    /// kept in its own row (schema 25), and a new id needs no lookup at all. Only when the id is
    /// already stored are the keys compared:
    /// - the stored row's key, or a key recorded in `seen_signatures` (a duplicate's, below, or
    ///   any key recorded before schema 25) or `seen_signatures_v2` (before schema 11): a
    ///   **replay**, refused;
    /// - otherwise a **duplicate** (the sender signed a redelivery anew): its key is recorded in
    ///   `seen_signatures`, so that replaying that request is refused too.
    /// - Parameters:
    ///   - signatureHash: SHA-256 of the signature header values.
    ///   - signatureCreated: the signature's signed creation time (`created` or the signed Date):
    ///     a replay repeats it; it orders `seen_signatures`, whose old keys go in one range delete.
    ///   - processed: store it already done (nothing is left to do for it; the row stays so that
    ///     a redelivery is still recognised) rather than pending.
    public func receive(
        activityID: String, actorID: String, originDomain: String, recipient: String, body: [UInt8], type: String?,
        signatureHash: [UInt8], signatureCreated: Date, receivedAt: Date = Date(), processed: Bool = false
    ) throws -> Reception {
        if try insertRow(
            activityID: activityID, actorID: actorID, originDomain: originDomain, recipient: recipient, body: body,
            type: type, signatureHash: signatureHash, receivedAt: receivedAt, processed: processed)
        {
            return .stored
        }
        let stored = try db.queryOne("SELECT signature_hash FROM inbox_activities WHERE activity_id = ?", activityID)
        if let stored, try stored.optional("signature_hash", as: [UInt8].self) == signatureHash { return .replay }
        // Recorded unless `seen_signatures` or `seen_signatures_v2` already holds it (a replay).
        return try recordSignature(hash: signatureHash, created: signatureCreated) ? .duplicate : .replay
    }

    /// Records a request signature as used in `seen_signatures`. Returns false when it was
    /// already recorded there (a replay), including before schema version 11. Activities carry
    /// their own key since schema 25 (see ``receive(activityID:actorID:originDomain:recipient:body:type:signatureHash:signatureCreated:receivedAt:processed:)``);
    /// this table keeps the keys of duplicates and older ones.
    public func recordSignature(hash: [UInt8], created: Date) throws -> Bool {
        if try db.queryOne("SELECT 1 FROM seen_signatures_v2 WHERE signature_hash = ?", hash) != nil {
            return false
        }
        try db.run(
            "INSERT INTO seen_signatures (created_at, signature_hash) VALUES (?, ?) ON CONFLICT DO NOTHING",
            created.unixSeconds, hash)
        return db.changes > 0
    }

    /// Forgets replay keys of signatures created before `createdBefore` (a signature that old is
    /// refused by its clock check anyway) and legacy keys whose window has closed.
    public func pruneSignatures(createdBefore: Date, now: Date = Date()) throws {
        try db.run("DELETE FROM seen_signatures WHERE created_at < ?", createdBefore.unixSeconds)
        try db.run("DELETE FROM seen_signatures_v2 WHERE expires_at < ?", now.unixSeconds)
    }

    /// The shortest time a processed activity is kept: its row holds the replay key of the
    /// request that carried it, which must outlive the signature's clock window (±1 hour).
    public static let minimumKeepProcessed: TimeInterval = 2 * 3600

    /// Forgets signatures whose window has closed and processed activities older than
    /// `keepProcessed` (at least ``minimumKeepProcessed``).
    public func prune(now: Date = Date(), keepProcessed: TimeInterval = 30 * 86_400) throws {
        try pruneSignatures(createdBefore: now.addingTimeInterval(-2 * 3600), now: now)
        try db.run(
            "DELETE FROM inbox_activities WHERE state != 'pending' AND processed_at < ?",
            now.unixSeconds - Int64(max(keepProcessed, Self.minimumKeepProcessed)))
    }
}

/// A follow relationship.
public struct Follow: Sendable, Equatable {
    public enum State: String, Sendable, Codable { case pending, accepted, rejected }
    public var follower: String
    public var followed: String
    public var followerInbox: String?
    public var followerDomain: String
    public var followedDomain: String
    public var state: State
    public var activityID: String

    public init(follower: String, followed: String, followerInbox: String?, followerDomain: String, followedDomain: String,
                state: State, activityID: String) {
        self.follower = follower
        self.followed = followed
        self.followerInbox = followerInbox
        self.followerDomain = followerDomain
        self.followedDomain = followedDomain
        self.state = state
        self.activityID = activityID
    }
}

public struct FollowRepository {
    let db: Connection
    public init(_ db: Connection) { self.db = db }

    /// Inserts or replaces the relationship between the two actors.
    public func upsert(_ follow: Follow, now: Date = Date()) throws {
        try db.run(
            """
            INSERT INTO follows (follower, followed, follower_inbox, follower_domain, followed_domain, state, activity_id,
                                 created_at, updated_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (follower, followed) DO UPDATE SET follower_inbox = excluded.follower_inbox,
                state = excluded.state, activity_id = excluded.activity_id, updated_at = excluded.updated_at
            """,
            follow.follower, follow.followed, follow.followerInbox, follow.followerDomain, follow.followedDomain,
            follow.state.rawValue, follow.activityID, now.unixSeconds, now.unixSeconds)
    }

    public func find(follower: String, followed: String) throws -> Follow? {
        try db.queryOne("SELECT * FROM follows WHERE follower = ? AND followed = ?", follower, followed).map(Self.follow)
    }

    public func find(activityID: String) throws -> Follow? {
        try db.queryOne("SELECT * FROM follows WHERE activity_id = ?", activityID).map(Self.follow)
    }

    public func setState(_ state: Follow.State, follower: String, followed: String, now: Date = Date()) throws {
        try db.run("UPDATE follows SET state = ?, updated_at = ? WHERE follower = ? AND followed = ?",
                   state.rawValue, now.unixSeconds, follower, followed)
    }

    @discardableResult
    public func remove(follower: String, followed: String) throws -> Bool {
        try db.run("DELETE FROM follows WHERE follower = ? AND followed = ?", follower, followed)
        return db.changes > 0
    }

    /// Accepted followers of an actor.
    public func followers(of followed: String) throws -> [Follow] {
        try db.query("SELECT * FROM follows WHERE followed = ? AND state = 'accepted' ORDER BY id", followed).map(Self.follow)
    }

    /// Pending requests to follow an actor, oldest first.
    public func pending(of followed: String) throws -> [Follow] {
        try db.query("SELECT * FROM follows WHERE followed = ? AND state = 'pending' ORDER BY id", followed).map(Self.follow)
    }

    public func following(by follower: String) throws -> [Follow] {
        try db.query("SELECT * FROM follows WHERE follower = ? ORDER BY id", follower).map(Self.follow)
    }

    /// The state of each follow `follower` has, by the followed actor's id: what authorisation
    /// needs at every API request, read without the rest of the rows (the same map as
    /// ``following(by:)`` gives, where a later row for the same actor wins).
    public func states(of follower: String) throws -> [String: Follow.State] {
        var states: [String: Follow.State] = [:]
        for row in try db.query("SELECT followed, state FROM follows WHERE follower = ? ORDER BY id", follower) {
            guard let state = Follow.State(rawValue: try row.get("state", as: String.self)) else {
                throw StorageError.invalidValue("unknown follow state")
            }
            states[try row.get("followed", as: String.self)] = state
        }
        return states
    }

    public func followerCount(of followed: String) throws -> Int {
        try db.scalar(Int.self, "SELECT count(*) FROM follows WHERE followed = ? AND state = 'accepted'", followed) ?? 0
    }

    static func follow(_ row: Row) throws -> Follow {
        guard let state = Follow.State(rawValue: try row.get("state", as: String.self)) else {
            throw StorageError.invalidValue("unknown follow state")
        }
        return Follow(
            follower: try row.get("follower"), followed: try row.get("followed"),
            followerInbox: try row.optional("follower_inbox"), followerDomain: try row.get("follower_domain"),
            followedDomain: try row.get("followed_domain"), state: state, activityID: try row.get("activity_id"))
    }
}

/// A content object (note, later threads, replies, documents).
public struct StoredObject: Sendable, Equatable {
    public var id: String
    public var type: String
    public var attributedTo: String
    public var audience: String?
    public var inReplyTo: String?
    public var name: String?
    public var content: String
    public var published: Date?
    public var updated: Date?
    public var deletedAt: Date?
    public var document: [UInt8]
    public var originDomain: String
    /// For threads: `discussion`, `question`, `announcement` or `caseStudy`; nil for replies.
    public var kind: String?
    /// BCP 47 language tag of the text, when known.
    public var language: String?
    public var tags: [String]
    /// For questions: the id of the reply the asker accepted.
    public var acceptedAnswer: String?

    public init(id: String, type: String, attributedTo: String, audience: String?, inReplyTo: String?, name: String?,
                content: String, published: Date?, updated: Date?, deletedAt: Date? = nil, document: [UInt8],
                originDomain: String, kind: String? = nil, language: String? = nil, tags: [String] = [],
                acceptedAnswer: String? = nil) {
        self.kind = kind
        self.language = language
        self.tags = tags
        self.acceptedAnswer = acceptedAnswer
        self.id = id
        self.type = type
        self.attributedTo = attributedTo
        self.audience = audience
        self.inReplyTo = inReplyTo
        self.name = name
        self.content = content
        self.published = published
        self.updated = updated
        self.deletedAt = deletedAt
        self.document = document
        self.originDomain = originDomain
    }
}

public struct ObjectRepository {
    let db: Connection
    public init(_ db: Connection) { self.db = db }

    /// Inserts the object or replaces its content (an `Update`); a deleted object stays deleted.
    /// When an update changes the text or title, the previous version goes to the edit history.
    public func upsert(_ object: StoredObject, now: Date = Date()) throws {
        if let existing = try find(id: object.id), existing.deletedAt == nil,
            existing.content != object.content || existing.name != object.name
        {
            try db.run(
                "INSERT INTO object_revisions (object_id, name, content, updated, recorded_at) VALUES (?, ?, ?, ?, ?)",
                existing.id, existing.name, existing.content, (existing.updated ?? existing.published)?.unixSeconds,
                now.unixSeconds)
        }
        let tags = String(decoding: (try? JSONEncoder().encode(object.tags)) ?? Data("[]".utf8), as: UTF8.self)
        try db.run(
            """
            INSERT INTO objects (id, type, attributed_to, audience, in_reply_to, name, content, published, updated,
                                 document, origin_domain, received_at, kind, language, tags, accepted_answer)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (id) DO UPDATE SET name = excluded.name, content = excluded.content, updated = excluded.updated,
                document = excluded.document, language = excluded.language, tags = excluded.tags,
                accepted_answer = excluded.accepted_answer
                WHERE objects.deleted_at IS NULL
            """,
            object.id, object.type, object.attributedTo, object.audience, object.inReplyTo, object.name, object.content,
            object.published?.unixSeconds, object.updated?.unixSeconds, object.document, object.originDomain,
            now.unixSeconds, object.kind, object.language, tags, object.acceptedAnswer)
    }

    /// Earlier versions of an object, oldest first.
    public func revisions(of id: String) throws -> [(name: String?, content: String, updated: Date?)] {
        try db.query("SELECT name, content, updated FROM object_revisions WHERE object_id = ? ORDER BY id", id).map { row in
            let updated: Int64? = try row.optional("updated")
            return (try row.optional("name"), try row.get("content"), updated.map(Date.init(unixSeconds:)))
        }
    }

    /// Replies to an object, oldest first.
    public func replies(to id: String, limit: Int = 500) throws -> [StoredObject] {
        try db.query(
            "SELECT * FROM objects WHERE in_reply_to = ? AND deleted_at IS NULL ORDER BY published, id LIMIT ?", id, limit
        ).map(Self.object)
    }

    /// Records a "helpful" mark; false when the actor had already marked the object.
    @discardableResult
    public func like(objectID: String, actor: String, activityID: String, now: Date = Date()) throws -> Bool {
        try db.run(
            "INSERT INTO likes (object_id, actor, activity_id, created_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
            objectID, actor, activityID, now.unixSeconds)
        return db.changes > 0
    }

    @discardableResult
    public func unlike(objectID: String, actor: String) throws -> Bool {
        try db.run("DELETE FROM likes WHERE object_id = ? AND actor = ?", objectID, actor)
        return db.changes > 0
    }

    public func likeCount(of id: String) throws -> Int {
        try db.scalar(Int.self, "SELECT count(*) FROM likes WHERE object_id = ?", id) ?? 0
    }

    /// Replaces the object by a tombstone: content and document are dropped.
    public func markDeleted(id: String, now: Date = Date()) throws {
        try db.run(
            "UPDATE objects SET deleted_at = ?, content = '', name = NULL, document = X'' WHERE id = ? AND deleted_at IS NULL",
            now.unixSeconds, id)
    }

    public func find(id: String) throws -> StoredObject? {
        try db.queryOne("SELECT * FROM objects WHERE id = ?", id).map(Self.object)
    }

    /// Whether an object with this id is stored (deleted ones included), without reading it.
    public func contains(id: String) throws -> Bool {
        try db.queryOne("SELECT 1 FROM objects WHERE id = ?", id) != nil
    }

    /// Objects addressed to a community, newest first.
    public func inAudience(_ audience: String, limit: Int = 50, visible: OriginFilter? = nil) throws -> [StoredObject] {
        guard let visible else {
            return try db.query(
                "SELECT * FROM objects WHERE audience = ? AND deleted_at IS NULL ORDER BY published DESC, id LIMIT ?",
                audience, limit
            ).map(Self.object)
        }
        let (condition, arguments) = visible.condition(alias: "o")
        return try db.query(
            "SELECT * FROM objects o WHERE o.audience = ? AND o.deleted_at IS NULL AND \(condition) ORDER BY o.published DESC, o.id LIMIT ?",
            arguments: [audience] + arguments + [limit]
        ).map(Self.object)
    }

    /// The tags column (a JSON array of strings); most posts have none, and lists read many rows,
    /// so the empty array is recognised without parsing and the rest go through the small parser.
    static func tags(_ text: String) -> [String] {
        guard text != "[]", !text.isEmpty else { return [] }
        return (try? JSON.parse(text))?.arrayValue?.compactMap(\.stringValue) ?? []
    }

    static func object(_ row: Row) throws -> StoredObject {
        let published: Int64? = try row.optional("published")
        let updated: Int64? = try row.optional("updated")
        let deleted: Int64? = try row.optional("deleted_at")
        return StoredObject(
            id: try row.get("id"), type: try row.get("type"), attributedTo: try row.get("attributed_to"),
            audience: try row.optional("audience"), inReplyTo: try row.optional("in_reply_to"),
            name: try row.optional("name"), content: try row.get("content"),
            published: published.map(Date.init(unixSeconds:)), updated: updated.map(Date.init(unixSeconds:)),
            deletedAt: deleted.map(Date.init(unixSeconds:)), document: try row.get("document"),
            originDomain: try row.get("origin_domain"), kind: try row.optional("kind"), language: try row.optional("language"),
            tags: tags(try row.get("tags", as: String.self)),
            acceptedAnswer: try row.optional("accepted_answer"))
    }
}

/// Activities published by local actors.
public struct OutboxRepository {
    let db: Connection
    public init(_ db: Connection) { self.db = db }

    public func append(activityID: String, actorID: Int64, type: String, objectID: String?, isPublic: Bool, body: [UInt8],
                       published: Date = Date()) throws {
        try db.run(
            """
            INSERT INTO outbox (activity_id, actor_id, type, object_id, public, body, published)
            VALUES (?, ?, ?, ?, ?, ?, ?)
            """,
            activityID, actorID, type, objectID, isPublic, body, published.unixSeconds)
    }

    /// The stored body of a local activity, and whether it is public.
    public func find(activityID: String) throws -> (body: [UInt8], isPublic: Bool)? {
        try db.queryOne("SELECT body, public FROM outbox WHERE activity_id = ?", activityID).map {
            (try $0.get("body"), try $0.get("public"))
        }
    }

    public func publicCount(actorID: Int64) throws -> Int {
        try db.scalar(Int.self, "SELECT count(*) FROM outbox WHERE actor_id = ? AND public = 1", actorID) ?? 0
    }

    /// The newest public activities of an actor, newest first.
    public func publicActivities(actorID: Int64, limit: Int) throws -> [[UInt8]] {
        try db.query(
            "SELECT body FROM outbox WHERE actor_id = ? AND public = 1 ORDER BY seq DESC LIMIT ?", actorID, limit
        ).map { try $0.get("body") }
    }
}
