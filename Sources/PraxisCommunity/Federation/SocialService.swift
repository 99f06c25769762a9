import Foundation
import PraxisActivityStreams
import PraxisFederation
import PraxisJSON
import PraxisSQLite
import PraxisStorage

/// What a local member does that federates: following communities (local or on other nodes) and
/// posting, editing and deleting notes in them.
public struct SocialService: Sendable {
    public let context: FederationContext

    public init(context: FederationContext) { self.context = context }

    /// Follows (joins) a community or member, named by actor URL or `@name@host` handle.
    /// Local targets are followed directly; remote ones get a `Follow` and stay pending until
    /// their `Accept`.
    @discardableResult
    public func follow(member: String, target: String) async throws -> Follow {
        let context = context
        let account = try await activeAccount(member)
        let targetID: String
        var targetInbox: String?
        if context.isLocal(target) {
            targetID = target
        } else {
            let remote = target.hasPrefix("http") ? try await context.directory.actor(id: target)
                : try await context.directory.resolve(handle: target)
            targetID = remote.id
            targetInbox = remote.inbox
        }
        let followerID = context.urls.actor(account.actor)
        let followID = context.publisher.newActivityID()
        let remoteInbox = targetInbox
        let follow = try await context.store.database.write { db -> Follow in
            if let targetInbox = remoteInbox {
                let follow = Follow(
                    follower: followerID, followed: targetID, followerInbox: nil, followerDomain: context.urls.domain,
                    followedDomain: FederationContext.authority(targetID) ?? "", state: .pending, activityID: followID)
                try FollowRepository(db).upsert(follow)
                let activity = ActivityBuilder.activity(
                    id: followID, type: "Follow", actor: followerID, object: .string(targetID), to: [targetID])
                try context.publisher.publish(activity, by: account.actor, orderingKey: targetID, inboxes: [targetInbox],
                                              db: db)
                return follow
            }
            guard let local = try context.localActor(targetID, db: db), local.kind == .group,
                let community = try CommunityRepository(db).find(username: local.username)
            else { throw CommunityError(.notFound, "no community \(targetID) on this node") }
            guard community.joinPolicy != .invite else {
                throw CommunityError(.forbidden, "\(community.title) admits members by invitation only")
            }
            let state: Follow.State = community.joinPolicy == .open && community.visibility == .public ? .accepted : .pending
            let follow = Follow(
                follower: followerID, followed: targetID, followerInbox: nil, followerDomain: context.urls.domain,
                followedDomain: context.urls.domain, state: state, activityID: followID)
            try FollowRepository(db).upsert(follow)
            return follow
        }
        if targetInbox != nil { context.wakeDelivery() }
        return follow
    }

    /// Leaves a community (or stops following a member): the follow is removed here at once, and
    /// a remote target receives `Undo` of the original `Follow`.
    public func unfollow(member: String, target: String) async throws {
        let context = context
        let account = try await activeAccount(member)
        let followerID = context.urls.actor(account.actor)
        let remoteInbox = context.isLocal(target) ? nil : try await context.directory.actor(id: target).inbox
        let undoID = context.publisher.newActivityID()
        try await context.store.database.write { db in
            let follows = FollowRepository(db)
            guard let follow = try follows.find(follower: followerID, followed: target) else {
                throw CommunityError(.notFound, "\(member) does not follow \(target)")
            }
            try follows.remove(follower: followerID, followed: target)
            if let remoteInbox {
                let original = ActivityBuilder.activity(
                    id: follow.activityID, type: "Follow", actor: followerID, object: .string(target))
                let undo = ActivityBuilder.activity(id: undoID, type: "Undo", actor: followerID, object: original, to: [target])
                try context.publisher.publish(undo, by: account.actor, orderingKey: target, inboxes: [remoteInbox], db: db)
            }
        }
        if remoteInbox != nil { context.wakeDelivery() }
    }

    /// Posts a note to a community the member belongs to (accepted follow). A local community
    /// stores it and relays it to its followers; a remote one receives a `Create`.
    @discardableResult
    public func post(member: String, community: String, content: String, name: String? = nil) async throws -> StoredObject {
        let text = content.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !text.isEmpty, text.count <= 20_000 else {
            throw CommunityError(.invalid, "a post must have 1 to 20,000 characters")
        }
        if let name { try Names.validateText(name, what: "title") }
        let context = context
        let account = try await activeAccount(member)
        let authorID = context.urls.actor(account.actor)
        let objectID = context.publisher.newObjectID()
        let published = ISO8601.string(Date())
        let (remoteInbox, membersOnly) = try await target(community)
        // Posts in members-only communities are addressed to the community alone, never public.
        let to: [String] = membersOnly ? [community] : [ActivityStreams.publicCollection]
        let cc: [String] = membersOnly ? [] : [community]
        var note: JSONObject = [
            "id": .string(objectID),
            "type": "Note",
            "attributedTo": .string(authorID),
            "content": .string(text),
            "to": .array(to.map(JSON.string)),
            "cc": .array(cc.map(JSON.string)),
            "audience": .string(community),
            "published": .string(published),
        ]
        if let name { note["name"] = .string(name) }
        let create = ActivityBuilder.activity(
            id: context.publisher.newActivityID(), type: "Create", actor: authorID, object: .object(note),
            to: to, cc: cc, audience: community, published: published)
        let finalNote = note
        let stored = try await context.store.database.write { db -> StoredObject in
            guard let membership = try FollowRepository(db).find(follower: authorID, followed: community),
                membership.state == .accepted
            else { throw CommunityError(.forbidden, "join \(community) before posting there") }
            let stored = try FederationContext.storedObject(from: .object(finalNote), audience: community,
                                                            origin: context.urls.domain)
            try ObjectRepository(db).upsert(stored)
            if let remoteInbox {
                try context.publisher.publish(create, by: account.actor, orderingKey: objectID, inboxes: [remoteInbox], db: db)
            } else {
                try OutboxRepository(db).append(
                    activityID: create["id"]?.stringValue ?? objectID, actorID: account.actor.id, type: "Create",
                    objectID: objectID, isPublic: !membersOnly, body: create.serializedBytes())
                guard let group = try context.localActor(community, db: db) else {
                    throw CommunityError(.notFound, "no community \(community) on this node")
                }
                try GroupRelay.announce(create, by: group, context: context, db: db)
            }
            return stored
        }
        context.wakeDelivery()
        return stored
    }

    /// Edits the text of one's own note; the change federates as `Update`.
    public func edit(member: String, objectID: String, content: String) async throws {
        try await change(member: member, objectID: objectID, content: content)
    }

    /// Deletes one's own note; it becomes a tombstone on every node that has a copy.
    public func delete(member: String, objectID: String) async throws {
        try await change(member: member, objectID: objectID, content: nil)
    }

    private func change(member: String, objectID: String, content: String?) async throws {
        let context = context
        let account = try await activeAccount(member)
        let authorID = context.urls.actor(account.actor)
        let existing = try await context.store.database.read { db in try ObjectRepository(db).find(id: objectID) }
        guard let existing, existing.deletedAt == nil else { throw CommunityError(.notFound, "no post \(objectID)") }
        guard existing.attributedTo == authorID else { throw CommunityError(.forbidden, "only the author may change this post") }
        guard let community = existing.audience else { throw CommunityError(.invalid, "the post belongs to no community") }
        let (remoteInbox, membersOnly) = try await target(community)
        let to: [String] = membersOnly ? [community] : [ActivityStreams.publicCollection]
        let cc: [String] = membersOnly ? [] : [community]
        let activity: JSON
        if let content {
            let text = content.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !text.isEmpty, text.count <= 20_000 else {
                throw CommunityError(.invalid, "a post must have 1 to 20,000 characters")
            }
            guard case .object(var note) = try JSON.parse(existing.document) else {
                throw CommunityError(.invalid, "the stored post cannot be read")
            }
            note["content"] = .string(text)
            note["updated"] = .string(ISO8601.string(Date()))
            activity = ActivityBuilder.activity(
                id: context.publisher.newActivityID(), type: "Update", actor: authorID, object: .object(note),
                to: to, cc: cc, audience: community)
        } else {
            activity = ActivityBuilder.activity(
                id: context.publisher.newActivityID(), type: "Delete", actor: authorID,
                object: ["id": .string(objectID), "type": "Tombstone"], to: to, cc: cc, audience: community)
        }
        try await context.store.database.write { db in
            let objects = ObjectRepository(db)
            if content != nil, let object = activity["object"] {
                var stored = try FederationContext.storedObject(from: object, audience: community, origin: context.urls.domain)
                stored.published = existing.published
                try objects.upsert(stored)
            } else {
                try objects.markDeleted(id: objectID)
            }
            if let remoteInbox {
                try context.publisher.publish(activity, by: account.actor, orderingKey: objectID, inboxes: [remoteInbox], db: db)
            } else if let group = try context.localActor(community, db: db) {
                try OutboxRepository(db).append(
                    activityID: activity["id"]?.stringValue ?? "", actorID: account.actor.id,
                    type: activity.asType ?? "", objectID: objectID, isPublic: !membersOnly, body: activity.serializedBytes())
                try GroupRelay.announce(activity, by: group, context: context, db: db)
            }
        }
        context.wakeDelivery()
    }

    /// The inbox of a remote community (nil for a local one) and whether it is members-only.
    private func target(_ community: String) async throws -> (inbox: String?, membersOnly: Bool) {
        if context.isLocal(community) {
            let context = context
            let local = try await context.store.database.read { db -> Community? in
                guard let actor = try context.localActor(community, db: db), actor.kind == .group else { return nil }
                return try CommunityRepository(db).find(username: actor.username)
            }
            guard let local else { throw CommunityError(.notFound, "no community \(community) on this node") }
            return (nil, local.visibility == .members)
        }
        let remote = try await context.directory.actor(id: community)
        return (remote.inbox, remote.document["visibility"]?.stringValue == CommunityVisibility.members.rawValue)
    }

    private func activeAccount(_ username: String) async throws -> Account {
        let account = try await context.store.database.read { db in try AccountRepository(db).find(username: username) }
        guard let account, account.status == .active else {
            throw CommunityError(.notFound, "no active member named \"\(username)\" on this node")
        }
        return account
    }
}
