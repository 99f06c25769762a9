import Foundation
import PraxisActivityStreams
import PraxisFederation
import PraxisJSON
import PraxisSQLite
import PraxisStorage

/// `Create`, `Update` and `Delete` of notes sent by remote members to a local community, which
/// stores them and relays the activity, unchanged, to its followers inside an `Announce`
/// (FEP-1b12).
///
/// Only accepted followers (members) of the community may post; only the author may update or
/// delete an object.
public struct GroupContentHandler: ActivityHandler {
    public let context: FederationContext
    public init(context: FederationContext) { self.context = context }

    public var activityTypes: Set<String> { ["Create", "Update", "Delete", "Like"] }

    public func handle(_ activity: InboundActivity, commit: InboxCommit) async throws {
        let json = activity.json
        guard let object = json["object"] else { throw ActivityRejection("\(activity.type) needs an object") }
        let candidates = [json["audience"]?.linkID, object["audience"]?.linkID].compactMap { $0 }
            + json.addresses("to") + json.addresses("cc") + object.addresses("to") + object.addresses("cc")
        let context = context
        let actorID = activity.actorID
        if activity.type == "Create" || activity.type == "Update" {
            // A proof, when present, must be the sender's own and must verify.
            _ = try await AuthorProof.verify(object, author: actorID, directory: context.directory)
        }
        let queued = try await commit { db -> Bool in
            // A Like names only its object: the community is the object's.
            var audience = candidates
            if activity.type == "Like", let objectID = object.linkID, let liked = try ObjectRepository(db).find(id: objectID),
                let community = liked.audience
            {
                audience.insert(community, at: 0)
            }
            guard let group = try audience.lazy.compactMap({ try context.localActor($0, db: db) })
                .first(where: { $0.kind == .group })
            else {
                // Likes of things outside the communities (a member's profile, another server's
                // post) are acknowledged and ignored, as ActivityPub allows.
                if activity.type == "Like" { return false }
                throw ActivityRejection("\(activity.type) is not addressed to a community of this node")
            }
            let groupID = context.urls.actor(group)
            guard let membership = try FollowRepository(db).find(follower: actorID, followed: groupID),
                membership.state == .accepted
            else { throw ActivityRejection("\(actorID) is not a member of \(groupID)") }

            let objects = ObjectRepository(db)
            switch activity.type {
            case "Like":
                guard let objectID = object.linkID, let liked = try objects.find(id: objectID), liked.audience == groupID else {
                    throw ActivityRejection("Like of an object that is not in \(groupID)")
                }
                guard try objects.like(objectID: objectID, actor: actorID, activityID: activity.id) else { return false }
            case "Create", "Update":
                var stored = try FederationContext.storedObject(from: object, audience: groupID, origin: activity.originDomain)
                guard stored.attributedTo == actorID else {
                    throw ActivityRejection("the object is attributed to \(stored.attributedTo), not to the sender \(actorID)")
                }
                guard FederationContext.authority(stored.id) == activity.originDomain else {
                    throw ActivityRejection("the object id must be on the author's host \(activity.originDomain)")
                }
                if activity.type == "Update" {
                    guard let existing = try objects.find(id: stored.id), existing.deletedAt == nil else {
                        throw ActivityRejection("Update of an unknown object \(stored.id)")
                    }
                    guard existing.attributedTo == actorID else { throw ActivityRejection("only the author may update \(stored.id)") }
                    stored.published = existing.published
                    stored.kind = existing.kind
                }
                try FederationContext.validateThreading(stored, db: db)
                try objects.upsert(stored)
                if stored.type == "Document" { try DocumentFederation.store(object, community: groupID, db: db) }
            default:
                guard let objectID = object.linkID else { throw ActivityRejection("Delete needs the object's id") }
                guard let existing = try objects.find(id: objectID) else { return false }
                guard existing.attributedTo == actorID else { throw ActivityRejection("only the author may delete \(objectID)") }
                try objects.markDeleted(id: objectID)
                if existing.type == "Document", let orphan = try DocumentFederation.delete(objectID, db: db) {
                    context.store.directory.documentCache.remove(orphan)
                }
            }
            try GroupRelay.announce(json, by: group, context: context, db: db)
            return true
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
            let level = try policy.level(of: follow.followerDomain, db: db)
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
        // An object carrying its author's valid proof is taken as relayed, with no request to its
        // origin; a proof that fails rejects it, whoever relayed it.
        let proven = innerType != "Delete"
            ? try await AuthorProof.verify(objectValue, author: author, directory: context.directory) : false
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
        let context = context
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
                try objects.markDeleted(id: objectID)
                if let orphan = try DocumentFederation.delete(objectID, db: db) { context.store.directory.documentCache.remove(orphan) }
                return
            }
            let stored = try FederationContext.storedObject(from: checkedObject, audience: groupID, origin: activity.originDomain)
            guard stored.attributedTo == author else {
                throw ActivityRejection("the object is attributed to \(stored.attributedTo), not to \(author)")
            }
            var checked = stored
            if let existing = try objects.find(id: stored.id) {
                guard existing.attributedTo == author else { throw ActivityRejection("only the author may change \(stored.id)") }
                checked.kind = existing.kind
                checked.published = existing.published
            }
            try FederationContext.validateThreading(checked, db: db)
            try objects.upsert(checked)
            if checked.type == "Document" { try DocumentFederation.store(checkedObject, community: groupID, db: db) }
        }
    }
}
