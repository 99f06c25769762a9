import Foundation
import PraxisActivityStreams
import PraxisFederation
import PraxisJSON
import PraxisSQLite
import PraxisStorage
import PraxisText

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
        guard account.affiliation != .supplier else {
            throw CommunityError(.forbidden, "suppliers cannot join practitioner communities")
        }
        if let scope = try await context.store.database.read({ db in try InvitationRepository(db).guestScope(accountID: account.actor.id) }) {
            throw CommunityError(.forbidden, "your invitation covers \(scope.community) only")
        }
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
            try BanRules.requireNotBanned(followerID, from: targetID, db: db)
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
            var state: Follow.State = community.joinPolicy == .open && community.visibility == .public ? .accepted : .pending
            if let invitation = try InvitationRepository(db).openMemberInvitation(invitee: followerID, community: local.username) {
                try InvitationRepository(db).markUsed(id: invitation.id, by: account.actor.id)
                state = .accepted
            } else if community.joinPolicy == .invite {
                throw CommunityError(.forbidden, "\(community.title) admits members by invitation only")
            }
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
    ///
    /// A thread has a `kind` (discussion, question, announcement, case study) and usually a title;
    /// a reply names the post it answers with `inReplyTo` (a thread or another reply in the same
    /// community).
    public func post(member: String, community: String, content: String, name: String? = nil,
                     kind: ThreadKind = .discussion, inReplyTo: String? = nil, tags: [String] = [],
                     language: String? = nil) async throws -> StoredObject {
        let text = content.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !text.isEmpty, text.count <= 20_000 else {
            throw CommunityError(.invalid, "a post must have 1 to 20,000 characters")
        }
        if let name { try Names.validateText(name, what: "title") }
        guard tags.count <= 10, tags.allSatisfy({ !$0.isEmpty && $0.count <= 50 && !$0.contains(where: \.isWhitespace) }) else {
            throw CommunityError(.invalid, "up to 10 tags of 1 to 50 characters without spaces")
        }
        if let language {
            guard language.count <= 35, language.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }) else {
                throw CommunityError(.invalid, "language must be a language tag such as fr, nl or es")
            }
        }
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
            "@context": ActivityStreams.contentContext,
            "id": .string(objectID),
            "type": inReplyTo == nil ? "Page" : "Note",
            "attributedTo": .string(authorID),
            // Members write a small Markdown subset; AS2 carries the rendered HTML in `content` and
            // the Markdown in `source`, as Mastodon and Lemmy do.
            "content": .string(Markdown.render(text)),
            "source": ["content": .string(text), "mediaType": "text/markdown"],
            "to": .array(to.map(JSON.string)),
            "cc": .array(cc.map(JSON.string)),
            "audience": .string(community),
            "published": .string(published),
        ]
        if let name { note["name"] = .string(name) }
        if let inReplyTo { note["inReplyTo"] = .string(inReplyTo) } else { note["kind"] = .string(kind.rawValue) }
        if let language {
            note["contentMap"] = [language.lowercased(): .string(Markdown.render(text))]
        }
        if !tags.isEmpty {
            note["tag"] = .array(tags.map { ["type": "Hashtag", "name": .string("#" + $0.lowercased())] })
        }
        // The author's proof lets every node check who wrote it, whoever relays it.
        guard case .object(let signedNote) = try AuthorProof.sign(.object(note), keys: context.keyring.keys(for: member, fresh: true))
        else { throw CommunityError(.invalid, "the post could not be signed") }
        note = signedNote
        let create = ActivityBuilder.activity(
            id: context.publisher.newActivityID(), type: "Create", actor: authorID, object: .object(note),
            to: to, cc: cc, audience: community, published: published)
        let finalNote = note
        let stored = try await context.store.database.write { db -> StoredObject in
            try BanRules.requireNotBanned(authorID, from: community, db: db)
            guard let membership = try FollowRepository(db).find(follower: authorID, followed: community),
                membership.state == .accepted
            else { throw CommunityError(.forbidden, "join \(community) before posting there") }
            let localName = context.isLocal(community) ? try context.localActor(community, db: db)?.username : nil
            try PostingRules.check(account, community: community, localCommunity: localName, inReplyTo: inReplyTo,
                                   tags: tags, context: context, db: db)
            let stored = try FederationContext.storedObject(from: .object(finalNote), audience: community,
                                                            origin: context.urls.domain)
            do {
                try FederationContext.validateThreading(stored, db: db)
            } catch {
                throw CommunityError(.invalid, "\(error)")
            }
            try ObjectRepository(db).upsert(stored)
            try NotificationRecorder.objectStored(stored, previous: nil, by: authorID, context: context, db: db)
            if let remoteInbox {
                let key = try FederationContext.threadRoot(of: inReplyTo ?? objectID, db: db)
                try context.publisher.publish(create, by: account.actor, orderingKey: key, inboxes: [remoteInbox], db: db)
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

    /// Marks `answer` as the accepted answer of the member's own question; federates as an
    /// `Update` of the question.
    public func acceptAnswer(member: String, question: String, answer: String) async throws {
        try await change(member: member, objectID: question, content: nil, acceptedAnswer: answer)
    }

    /// Marks a post "helpful" (`Like`), relayed by its community to every member node.
    public func markHelpful(member: String, objectID: String) async throws {
        let context = context
        let account = try await activeAccount(member)
        let actorID = context.urls.actor(account.actor)
        let object = try await context.store.database.read { db in try ObjectRepository(db).find(id: objectID) }
        guard let object, object.deletedAt == nil, let community = object.audience else {
            throw CommunityError(.notFound, "no post \(objectID)")
        }
        let (remoteInbox, _) = try await target(community)
        let like = ActivityBuilder.activity(
            id: context.publisher.newActivityID(), type: "Like", actor: actorID, object: .string(objectID), to: [community],
            audience: community)
        let queued = try await context.store.database.write { db -> Bool in
            guard let membership = try FollowRepository(db).find(follower: actorID, followed: community),
                membership.state == .accepted
            else { throw CommunityError(.forbidden, "join \(community) before marking its posts") }
            guard try ObjectRepository(db).like(objectID: objectID, actor: actorID, activityID: like["id"]?.stringValue ?? "")
            else { return false }
            let key = try FederationContext.threadRoot(of: objectID, db: db)
            if let remoteInbox {
                try context.publisher.publish(like, by: account.actor, orderingKey: key, inboxes: [remoteInbox], db: db)
            } else if let group = try context.localActor(community, db: db) {
                try GroupRelay.announce(like, by: group, context: context, db: db)
            }
            return true
        }
        if queued { context.wakeDelivery() }
    }

    /// Edits the text of one's own note; the change federates as `Update`.
    public func edit(member: String, objectID: String, content: String) async throws {
        try await change(member: member, objectID: objectID, content: content, acceptedAnswer: nil)
    }

    /// Deletes a note: one's own (a `Delete` with a `Tombstone` carrying the author's proof), or, for
    /// a moderator of its community, someone else's (see ``remove(moderator:objectID:)``). It
    /// becomes a tombstone on every node that has a copy.
    public func delete(member: String, objectID: String) async throws {
        let context = context
        let account = try await activeAccount(member)
        let existing = try await context.store.database.read { db in try ObjectRepository(db).find(id: objectID) }
        if let existing, existing.attributedTo != context.urls.actor(account.actor) {
            try await remove(moderator: member, objectID: objectID)
            return
        }
        try await change(member: member, objectID: objectID, content: nil, acceptedAnswer: nil)
    }

    /// A moderator removes someone else's note from a community.
    ///
    /// In a community of this node, the moderator's right is checked here (owner, manager or
    /// moderator of the community, or node admin or moderator) and the community publishes its own
    /// `Delete` inside its `Announce`. In a community of another node, the moderator's `Delete`
    /// goes to that community, which checks the right and publishes the removal; the copy here is
    /// tombstoned when the community's `Announce` comes back.
    /// - Throws: `CommunityError.forbidden` when the member does not moderate the local community,
    ///   `.notFound` for an unknown or already deleted post.
    public func remove(moderator member: String, objectID: String) async throws {
        let context = context
        let account = try await activeAccount(member)
        let actorID = context.urls.actor(account.actor)
        let existing = try await context.store.database.read { db in try ObjectRepository(db).find(id: objectID) }
        guard let existing, existing.deletedAt == nil, let community = existing.audience else {
            throw CommunityError(.notFound, "no post \(objectID)")
        }
        let (remoteInbox, _) = try await target(community)
        try await context.store.database.write { db in
            if let remoteInbox {
                let delete = ActivityBuilder.activity(
                    id: context.publisher.newActivityID(), type: "Delete", actor: actorID,
                    object: ["id": .string(objectID), "type": "Tombstone"], to: [community], audience: community)
                let key = try FederationContext.threadRoot(of: objectID, db: db)
                try context.publisher.publish(delete, by: account.actor, orderingKey: key, inboxes: [remoteInbox], db: db)
                return
            }
            guard let group = try context.localActor(community, db: db), group.kind == .group else {
                throw CommunityError(.notFound, "no community \(community) on this node")
            }
            guard try ChangeAuthority.isModerator(actorID, of: group, context: context, db: db) else {
                throw CommunityError(.forbidden, "only the author, or a moderator of \(group.displayName), may delete this post")
            }
            try DocumentFederation.tombstone(objectID, context: context, db: db)
            try GroupRelay.removal(of: objectID, by: group, moderator: actorID, context: context, db: db)
        }
        context.wakeDelivery()
    }

    /// Updates the text or the accepted answer of one's own post, or deletes it when both are nil.
    private func change(member: String, objectID: String, content: String?, acceptedAnswer: String?) async throws {
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
        if content != nil || acceptedAnswer != nil {
            guard case .object(var note) = try JSON.parse(existing.document) else {
                throw CommunityError(.invalid, "the stored post cannot be read")
            }
            if let content {
                let text = content.trimmingCharacters(in: .whitespacesAndNewlines)
                guard !text.isEmpty, text.count <= 20_000 else {
                    throw CommunityError(.invalid, "a post must have 1 to 20,000 characters")
                }
                note["content"] = .string(Markdown.render(text))
                note["source"] = ["content": .string(text), "mediaType": "text/markdown"]
                if let map = note["contentMap"]?.objectValue, let language = map.keys.first {
                    note["contentMap"] = [language: .string(Markdown.render(text))]
                }
            }
            if let acceptedAnswer {
                guard existing.kind == ThreadKind.question.rawValue else {
                    throw CommunityError(.invalid, "only questions have an accepted answer")
                }
                note["acceptedAnswer"] = .string(acceptedAnswer)
            }
            note["updated"] = .string(ISO8601.string(Date()))
            note["proof"] = nil
            guard case .object(let signedNote) = try AuthorProof.sign(.object(note), keys: context.keyring.keys(for: member, fresh: true))
            else { throw CommunityError(.invalid, "the post could not be signed") }
            note = signedNote
            activity = ActivityBuilder.activity(
                id: context.publisher.newActivityID(), type: "Update", actor: authorID, object: .object(note),
                to: to, cc: cc, audience: community)
        } else {
            // The Tombstone carries the author's proof: every node can tell the author's Delete
            // from anyone else's without asking the origin.
            let tombstone: JSON = [
                "@context": ActivityStreams.contentContext, "id": .string(objectID), "type": "Tombstone",
                "deleted": .string(ISO8601.string(Date())),
            ]
            let signed = try AuthorProof.sign(tombstone, keys: context.keyring.keys(for: member, fresh: true))
            activity = ActivityBuilder.activity(
                id: context.publisher.newActivityID(), type: "Delete", actor: authorID,
                object: signed, to: to, cc: cc, audience: community)
        }
        try await context.store.database.write { db in
            let objects = ObjectRepository(db)
            if content != nil || acceptedAnswer != nil, let object = activity["object"] {
                var stored = try FederationContext.storedObject(from: object, audience: community, origin: context.urls.domain)
                stored.published = existing.published
                stored.kind = existing.kind
                do {
                    try FederationContext.validateThreading(stored, db: db)
                } catch {
                    throw CommunityError(.invalid, "\(error)")
                }
                try objects.upsert(stored)
                try NotificationRecorder.objectStored(stored, previous: existing, by: authorID, context: context, db: db)
            } else {
                try DocumentFederation.tombstone(objectID, context: context, db: db)
            }
            if let remoteInbox {
                let key = try FederationContext.threadRoot(of: objectID, db: db)
                try context.publisher.publish(activity, by: account.actor, orderingKey: key, inboxes: [remoteInbox], db: db)
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
