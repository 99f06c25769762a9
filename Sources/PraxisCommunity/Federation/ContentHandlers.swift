import Foundation
import PraxisActivityStreams
import PraxisFederation
import PraxisJSON
import PraxisSQLite
import PraxisStorage

/// `Create`, `Update` and `Delete` of notes sent by remote members to a local community, which
/// stores them and relays the activity, unchanged, to its followers inside an `Announce`
/// (FEP-1b12). Also `Update` of a remote actor (a key rotation): its document replaces the cached
/// one, and the communities it belongs to here pass the news on to their member nodes.
///
/// Only accepted followers (members) of the community may post. An `Update` or `Delete` of a
/// stored object is applied only when ``ChangeAuthority`` allows it: the original author with
/// their proof, or, for `Delete`, a moderator of the community. Anything else is rejected (dead
/// letter with the reason) and the object stays unchanged.
public struct GroupContentHandler: ActivityHandler {
    public let context: FederationContext
    public init(context: FederationContext) { self.context = context }

    public var activityTypes: Set<String> { ["Create", "Update", "Delete", "Like"] }

    /// A `Like` of an object this node does not hold, addressed to none of its communities, is
    /// acknowledged and ignored by ``handle(_:commit:)``: the inbox stores it done on receipt.
    public func needsProcessing(_ activity: InboundActivity, db: Connection) throws -> Bool {
        guard activity.type == "Like", let object = activity.json["object"] else { return true }
        if let objectID = object.linkID, try ObjectRepository(db).contains(id: objectID) { return true }
        return try Self.audienceCandidates(activity.json, object: object).contains {
            // Only a community matters: an address that is not one needs no lookup.
            guard context.urls.localActorReference($0)?.kind == .group else { return false }
            return try context.localActor($0, db: db)?.kind == .group
        }
    }

    /// Where the activity says it belongs: its and its object's audience, then their addressees.
    static func audienceCandidates(_ json: JSON, object: JSON) -> [String] {
        [json["audience"]?.linkID, object["audience"]?.linkID].compactMap { $0 }
            + json.addresses("to") + json.addresses("cc") + object.addresses("to") + object.addresses("cc")
    }

    public func handle(_ activity: InboundActivity, commit: InboxCommit) async throws {
        let json = activity.json
        guard let object = json["object"] else { throw ActivityRejection("\(activity.type) needs an object") }
        if activity.type == "Update", ActorUpdate.isActorDocument(object, of: activity.actorID) {
            try await ActorUpdate.apply(activity, document: object, context: context, commit: commit)
            return
        }
        if activity.type == "Create", WarningReceiver.isWarning(object) {
            try await WarningReceiver.receive(activity, note: object, context: context, commit: commit)
            return
        }
        let candidates = Self.audienceCandidates(json, object: object)
        let context = context
        let actorID = activity.actorID
        // The stored object decides whose proof an Update or Delete needs: its original author's.
        var existing: StoredObject?
        if activity.type == "Update" || activity.type == "Delete", let objectID = object.linkID {
            existing = try await context.store.database.read { db in try ObjectRepository(db).find(id: objectID) }
        }
        var proven = false
        switch activity.type {
        case "Create":
            // A proof, when present, must be the sender's own and must verify.
            _ = try await AuthorProof.verify(object, author: actorID, directory: context.directory)
        case "Update", "Delete":
            // A Delete's proof is on its Tombstone; a bare id carries none.
            if case .object = object {
                proven = try await AuthorProof.verify(object, author: existing?.attributedTo ?? actorID, directory: context.directory)
            }
        default:
            break
        }
        let isProven = proven
        let existingAudience = existing?.audience
        let queued = try await commit { db -> Bool in
            // A Like names only its object: the community is the object's.
            var audience = candidates
            if activity.type == "Like", let objectID = object.linkID, let liked = try ObjectRepository(db).find(id: objectID),
                let community = liked.audience
            {
                audience.insert(community, at: 0)
            }
            if activity.type == "Delete", let community = existingAudience { audience.insert(community, at: 0) }
            guard let group = try audience.lazy.compactMap({ try context.localActor($0, db: db) })
                .first(where: { $0.kind == .group })
            else {
                // Likes of things outside the communities (a member's profile, another server's
                // post) are acknowledged and ignored, as ActivityPub allows.
                if activity.type == "Like" { return false }
                throw ActivityRejection("\(activity.type) is not addressed to a community of this node")
            }
            let groupID = context.urls.actor(group)
            let objects = ObjectRepository(db)
            if activity.type == "Delete" {
                guard let objectID = object.linkID else { throw ActivityRejection("Delete needs the object's id") }
                guard let current = try objects.find(id: objectID) else { return false }
                guard current.audience == groupID else { throw ActivityRejection("\(objectID) is not in \(groupID)") }
                if current.deletedAt != nil { return false }
                let authority = try ChangeAuthority.forDelete(
                    of: current, by: actorID, proven: isProven, group: group, context: context, db: db)
                try DocumentFederation.tombstone(objectID, context: context, db: db)
                switch authority {
                case .author: try GroupRelay.announce(json, by: group, context: context, db: db)
                case .moderator:
                    try GroupRelay.removal(of: objectID, by: group, moderator: actorID, context: context, db: db)
                }
                return true
            }
            if try ModerationRepository(db).findBan(community: groupID, actor: actorID) != nil {
                throw ActivityRejection("\(actorID) is banned from \(groupID)")
            }
            let policy = TrustPolicy(mode: context.store.configuration.federation, localDomain: context.urls.domain)
            let trust = try policy.decision(for: activity.originDomain, community: group.username, db: db)
            if trust.level == .blocked { throw ActivityRejection(trust.refusal) }
            guard let membership = try FollowRepository(db).find(follower: actorID, followed: groupID),
                membership.state == .accepted
            else { throw ActivityRejection("\(actorID) is not a member of \(groupID)") }

            switch activity.type {
            case "Like":
                guard let objectID = object.linkID, let liked = try objects.find(id: objectID), liked.audience == groupID else {
                    throw ActivityRejection("Like of an object that is not in \(groupID)")
                }
                guard try objects.like(objectID: objectID, actor: actorID, activityID: activity.id) else { return false }
            default:
                var stored = try FederationContext.storedObject(from: object, audience: groupID, origin: activity.originDomain)
                let previous = try objects.find(id: stored.id)
                if activity.type == "Update" {
                    guard let current = try objects.find(id: stored.id), current.deletedAt == nil else {
                        throw ActivityRejection("Update of an unknown object \(stored.id)")
                    }
                    try ChangeAuthority.checkUpdate(of: current, to: stored, by: actorID, proven: isProven, group: group,
                                                    context: context, db: db)
                    stored.published = current.published
                    stored.kind = current.kind
                } else {
                    guard stored.attributedTo == actorID else {
                        throw ActivityRejection("the object is attributed to \(stored.attributedTo), not to the sender \(actorID)")
                    }
                    guard FederationContext.authority(stored.id) == activity.originDomain else {
                        throw ActivityRejection("the object id must be on the author's host \(activity.originDomain)")
                    }
                }
                try FederationContext.validateThreading(stored, db: db)
                try objects.upsert(stored)
                try NotificationRecorder.objectStored(stored, previous: previous, by: actorID, context: context, db: db)
                if stored.type == "Document" { try DocumentFederation.store(object, community: groupID, db: db) }
            }
            try GroupRelay.announce(json, by: group, context: context, db: db)
            return true
        }
        if queued { context.wakeDelivery() }
    }
}

/// Who may change or remove a stored object, in one place for the community's node and for the
/// nodes it relays to.
///
/// - `Update` (a new version of the object): only its original author (`attributedTo`), and the
///   new version must carry the author's valid proof. Objects stored without any proof (sent by
///   software that does not sign content) may be updated by their author's own signed request.
///   Moderators do not rewrite other people's posts: they remove them.
/// - `Delete`: the original author, with a `Tombstone` carrying the author's proof (or, for an
///   object stored without proof, the author's own signed request); or a moderator of the
///   community the object belongs to (its owner, a manager or moderator in `community_roles`, or
///   for local accounts a node admin or moderator). A moderator's removal is published by the
///   community itself, as a `Delete` whose actor is the community, inside its `Announce`: member
///   nodes take the community's word for moderation of its own content.
enum ChangeAuthority {
    case author
    case moderator

    /// Whether the stored copy carries a proof (then every change must too).
    static func isSigned(_ object: StoredObject) -> Bool {
        (try? JSON.parse(object.document))?["proof"] != nil
    }

    static func checkUpdate(of current: StoredObject, to new: StoredObject, by actor: String, proven: Bool,
                            group: LocalActor, context: FederationContext, db: Connection) throws {
        guard new.attributedTo == current.attributedTo else {
            throw ActivityRejection("an Update cannot change the author of \(current.id) (\(current.attributedTo))")
        }
        guard actor == current.attributedTo else {
            if try isModerator(actor, of: group, context: context, db: db) {
                throw ActivityRejection("moderators remove posts, they do not rewrite them; only \(current.attributedTo) may update \(current.id)")
            }
            throw ActivityRejection("only the author (\(current.attributedTo)) may update \(current.id); \(actor) is neither its author nor a moderator")
        }
        guard proven || !isSigned(current) else {
            throw ActivityRejection("the Update of \(current.id) carries no proof by its author \(current.attributedTo)")
        }
        if let previous = current.updated ?? current.published, let updated = new.updated, updated < previous {
            throw ActivityRejection("the Update of \(current.id) is older than the stored version")
        }
    }

    static func forDelete(of current: StoredObject, by actor: String, proven: Bool, group: LocalActor,
                          context: FederationContext, db: Connection) throws -> ChangeAuthority {
        if actor == current.attributedTo && (proven || !isSigned(current)) { return .author }
        if try isModerator(actor, of: group, context: context, db: db) { return .moderator }
        if actor == current.attributedTo {
            throw ActivityRejection("the Delete of \(current.id) needs a Tombstone with its author's proof")
        }
        throw ActivityRejection("only the author (\(current.attributedTo)) or a moderator of the community may delete \(current.id)")
    }

    /// Whether `actor` (local or remote) moderates `group`.
    static func isModerator(_ actor: String, of group: LocalActor, context: FederationContext, db: Connection) throws -> Bool {
        try isModerator(actor, of: group, urls: context.urls, db: db)
    }

    /// Whether `actor` moderates `group`: a community role (manager or moderator), ownership, or
    /// an active local admin or moderator account.
    static func isModerator(_ actor: String, of group: LocalActor, urls: NodeURLs, db: Connection) throws -> Bool {
        if try CommunityRoleRepository(db).role(of: actor, communityID: group.id) != nil { return true }
        guard let reference = urls.localActorReference(actor), reference.kind == .person else {
            return false
        }
        if try CommunityRepository(db).find(username: group.username)?.ownerUsername == reference.username { return true }
        guard let account = try AccountRepository(db).find(username: reference.username) else { return false }
        return account.status == .active && (account.role == .admin || account.role == .moderator)
    }
}

/// `Update` of an actor by itself: a key rotation, a new name or summary.
enum ActorUpdate {
    /// Whether `object` is the document of the activity's own actor (as opposed to a content object).
    static func isActorDocument(_ object: JSON, of actorID: String) -> Bool {
        guard case .object = object, object["id"]?.stringValue == actorID, let type = object.asType else { return false }
        return RemoteActor.actorTypes.contains(type)
    }

    /// Takes the document into the remote cache (the inbox verified the request's signature by a
    /// key of the actor's host), then lets each local community the actor belongs to relay the
    /// Update to its member nodes, which refetch the actor from its origin.
    static func apply(_ activity: InboundActivity, document: JSON, context: FederationContext, commit: InboxCommit) async throws {
        do {
            try await context.directory.applyUpdate(of: activity.actorID, document: document)
        } catch let error as DereferenceError {
            throw ActivityRejection("the updated actor document of \(activity.actorID) is not acceptable: \(error)")
        }
        let actorID = activity.actorID
        let json = activity.json
        let queued = try await commit { db -> Bool in
            var relayed = false
            for follow in try FollowRepository(db).following(by: actorID) where follow.state == .accepted {
                guard let group = try context.localActor(follow.followed, db: db), group.kind == .group else { continue }
                try GroupRelay.announce(json, by: group, context: context, db: db)
                relayed = true
            }
            return relayed
        }
        if queued { context.wakeDelivery() }
    }
}

/// Relaying by a local community (FEP-1b12): the original activity, unchanged, inside an
/// `Announce` from the community to its followers.
enum GroupRelay {
    /// Announces `activity` to the community's followers. For a members-only community the
    /// announce is addressed to the followers collection only (never public) and goes only to
    /// nodes the trust list marks `trusted`; blocked nodes never receive anything.
    static func announce(_ activity: JSON, by group: LocalActor, context: FederationContext, db: Connection) throws {
        let groupID = context.urls.actor(group)
        let membersOnly = try CommunityRepository(db).find(username: group.username)?.visibility == .members
        let policy = TrustPolicy(mode: context.store.configuration.federation, localDomain: context.urls.domain)
        var inboxes: [String] = []
        for follow in try FollowRepository(db).followers(of: groupID) where !context.isLocal(follow.follower) {
            guard let inbox = follow.followerInbox else { continue }
            // The community's exclusions narrow the node's list: excluded nodes get no relays.
            let level = try policy.level(of: follow.followerDomain, community: group.username, db: db)
            if level == .blocked || (membersOnly && level != .trusted) { continue }
            inboxes.append(inbox)
        }
        let announce = ActivityBuilder.activity(
            id: context.publisher.newActivityID(), type: "Announce", actor: groupID, object: activity,
            to: membersOnly ? [context.urls.followers(group)] : [ActivityStreams.publicCollection],
            cc: membersOnly ? [] : [context.urls.followers(group)], audience: groupID)
        let objectID = activity["object"]?.linkID ?? activity["id"]?.stringValue ?? groupID
        let objectKey = try FederationContext.threadRoot(of: activity["object"]?["inReplyTo"]?.linkID ?? objectID, db: db)
        try context.publisher.publish(announce, by: group, orderingKey: objectKey, inboxes: inboxes, db: db)
    }
}

extension GroupRelay {
    /// A moderator's removal of `objectID`: the community publishes its own `Delete` of the object
    /// (actor: the community) inside its `Announce`, which member nodes accept from the community
    /// for objects in it, and the removal goes into the community's moderation log. Every path
    /// that removes someone else's post (the moderation queue, a moderator's delete through the
    /// API, a remote moderator's `Delete`) ends here.
    static func removal(
        of objectID: String, by group: LocalActor, moderator: String, reason: String = "", reportID: Int64? = nil,
        context: FederationContext, db: Connection
    ) throws {
        let groupID = context.urls.actor(group)
        let membersOnly = try CommunityRepository(db).find(username: group.username)?.visibility != .public
        let delete = ActivityBuilder.activity(
            id: context.publisher.newActivityID(), type: "Delete", actor: groupID,
            object: ["id": .string(objectID), "type": "Tombstone"],
            to: membersOnly ? [context.urls.followers(group)] : [ActivityStreams.publicCollection],
            cc: membersOnly ? [] : [context.urls.followers(group)], audience: groupID)
        try OutboxRepository(db).append(
            activityID: delete["id"]?.stringValue ?? objectID, actorID: group.id, type: "Delete", objectID: objectID,
            isPublic: !membersOnly, body: delete.serializedBytes())
        try announce(delete, by: group, context: context, db: db)
        _ = try ModerationRepository(db).log(
            community: groupID, moderator: moderator, action: "remove", target: objectID, reason: reason, reportID: reportID)
        try NotificationRecorder.removed(objectID, from: groupID, by: moderator, context: context, db: db)
    }
}

/// `Announce` from a remote community this node follows: the inner `Create`, `Update` or
/// `Delete` of a note is applied locally.
///
/// The inner activity is taken as sent when its author is on the community's own node (that node
/// vouches for its users); otherwise the object is fetched from its origin to check it, until
/// author proofs (Data Integrity) make that fetch unnecessary.
public struct AnnounceHandler: ActivityHandler {
    public let context: FederationContext
    public init(context: FederationContext) { self.context = context }

    public var activityTypes: Set<String> { ["Announce"] }

    public func handle(_ activity: InboundActivity, commit: InboxCommit) async throws {
        let groupID = activity.actorID
        // Only a community relays: a person's Announce (a boost) must not pass for the relay of a
        // community that a local member happens to follow that person as.
        if !context.isLocal(groupID) {
            let announcer = try await context.directory.actor(id: groupID)
            guard announcer.type == "Group" else {
                throw ActivityRejection("only a community (Group) relays activities with Announce; \(groupID) is a \(announcer.type)")
            }
        }
        guard var inner = activity.json["object"] else { throw ActivityRejection("Announce needs an object") }
        if case .string(let url) = inner {
            inner = try await context.directory.fetchObject(url: url)
        }
        guard let innerType = inner.asType, let author = inner["actor"]?.linkID else {
            throw ActivityRejection("the announced activity needs a type and an actor")
        }
        guard ["Create", "Update", "Delete", "Like"].contains(innerType) else { return }
        guard let objectValue = inner["object"], let objectID = objectValue.linkID else {
            throw ActivityRejection("the announced \(innerType) needs an object")
        }
        let context = context
        if innerType == "Update", ActorUpdate.isActorDocument(objectValue, of: author) {
            // A member's key rotation, passed on by the community: the community's node cannot
            // speak for another node's actor, so the actor is refetched from its origin (the
            // community's own actors are taken as announced).
            if FederationContext.authority(author) == activity.originDomain {
                _ = try? await context.directory.applyUpdate(of: author, document: objectValue)
            } else {
                // One fetch per relayed Update, each of which came signed by the community's node.
                _ = try? await context.directory.actor(id: author, refresh: true)
            }
            try await commit { _ in }
            return
        }
        if innerType == "Delete" && author == groupID {
            // Moderation: the community removes an object in it (see ChangeAuthority).
            try await commit { db in
                guard try FollowRepository(db).followers(of: groupID).contains(where: { context.isLocal($0.follower) }) else {
                    throw ActivityRejection("no member of this node follows \(groupID)")
                }
                let objects = ObjectRepository(db)
                guard let existing = try objects.find(id: objectID) else { return }
                guard existing.audience == groupID else {
                    throw ActivityRejection("\(groupID) may remove only objects in its own community, not \(objectID)")
                }
                let wasRemoved = existing.deletedAt != nil
                try DocumentFederation.tombstone(objectID, context: context, db: db)
                if !wasRemoved {
                    try NotificationRecorder.removed(objectID, from: groupID, by: groupID, context: context, db: db)
                }
            }
            return
        }
        if innerType == "Like" {
            let likeID = inner["id"]?.stringValue ?? ""
            let context = context
            try await commit { db in
                guard try FollowRepository(db).followers(of: groupID).contains(where: { context.isLocal($0.follower) }) else {
                    throw ActivityRejection("no member of this node follows \(groupID)")
                }
                guard let liked = try ObjectRepository(db).find(id: objectID), liked.audience == groupID else { return }
                try ObjectRepository(db).like(objectID: objectID, actor: author, activityID: likeID)
            }
            return
        }
        let authorHost = FederationContext.authority(author)
        guard authorHost == FederationContext.authority(objectID) else {
            throw ActivityRejection("the announced object \(objectID) is not on its author's host")
        }
        if let authorHost, context.isLocal(author) || authorHost == context.urls.domain.lowercased() {
            return  // our own member's content coming back: already stored here
        }
        var object = objectValue
        // An object (or a Delete's Tombstone) carrying its author's valid proof is taken as
        // relayed, with no request to its origin; a proof that fails rejects it, whoever relayed
        // it. A key this node cannot obtain yet (a rotation it has not seen) leaves the origin to
        // decide.
        var proven = false
        if case .object = objectValue {
            do {
                proven = try await AuthorProof.verify(objectValue, author: author, directory: context.directory)
            } catch is AuthorProof.KeyUnavailable {
                proven = false
            }
        }
        let vouched = proven || authorHost == activity.originDomain
        var deletedAtOrigin = false
        if !vouched {
            do {
                object = try await context.directory.fetchObject(url: objectID)
            } catch let error as DereferenceError where error.kind == .gone || error.kind == .notFound {
                deletedAtOrigin = true
            }
        }
        if innerType == "Delete" && !vouched && !deletedAtOrigin {
            throw ActivityRejection("\(objectID) still exists at its origin; the Delete is not genuine")
        }
        let checkedObject = object
        try await commit { db in
            guard try FollowRepository(db).followers(of: groupID).contains(where: { context.isLocal($0.follower) }) else {
                throw ActivityRejection("no member of this node follows \(groupID)")
            }
            let objects = ObjectRepository(db)
            if innerType == "Delete" {
                if let existing = try objects.find(id: objectID), existing.attributedTo != author {
                    throw ActivityRejection("only the author may delete \(objectID)")
                }
                try DocumentFederation.tombstone(objectID, context: context, db: db)
                return
            }
            let stored = try FederationContext.storedObject(from: checkedObject, audience: groupID, origin: activity.originDomain)
            guard stored.attributedTo == author else {
                throw ActivityRejection("the object is attributed to \(stored.attributedTo), not to \(author)")
            }
            var checked = stored
            let previous = try objects.find(id: stored.id)
            if let existing = previous {
                guard existing.attributedTo == author else { throw ActivityRejection("only the author may change \(stored.id)") }
                checked.kind = existing.kind
                checked.published = existing.published
            }
            try FederationContext.validateThreading(checked, db: db)
            try objects.upsert(checked)
            try NotificationRecorder.objectStored(checked, previous: previous, by: author, context: context, db: db)
            if checked.type == "Document" { try DocumentFederation.store(checkedObject, community: groupID, db: db) }
        }
    }
}
