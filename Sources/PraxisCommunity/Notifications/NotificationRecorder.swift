import Foundation
import PraxisActivityStreams
import PraxisFederation
import PraxisJSON
import PraxisSQLite
import PraxisStorage
import PraxisText

/// Derives notifications from changes as they are stored, in the same transaction.
///
/// Every path that stores a change someone should hear about calls one of these functions right
/// after the change: local use cases (posting, accepting an answer, deciding a join, inviting,
/// moderating) and inbox handlers (a remote member's post relayed or sent to a local community,
/// an `Invite`, an `Accept`/`Reject`, a `Block`, a warning, a community's removal) alike, so a
/// reply written on another node notifies exactly as one written here. The rules live here, once:
///
/// - only local, active accounts are notified, never of their own action;
/// - content notifications (replies, mentions, accepted answers) only reach accounts that may
///   read the post (members-only communities: members; guests: their topic);
/// - recording is idempotent (one notification per account, kind and object), so a redelivered
///   activity or an edit of the same post adds nothing.
enum NotificationRecorder {
    /// At most this many mentions of one post notify anyone (a post naming the whole node is spam).
    static let maxMentions = 20

    // MARK: Content

    /// A post was stored (created or updated) by `actor`: replies notify the authors of the parent
    /// and of the thread, mentions the members named, an accepted answer its author.
    static func objectStored(_ stored: StoredObject, previous: StoredObject?, by actor: String,
                             context: FederationContext, db: Connection) throws {
        guard stored.deletedAt == nil, stored.type != "Document" || stored.inReplyTo != nil else { return }
        let thread = try FederationContext.threadRoot(of: stored.id, db: db)
        let objects = ObjectRepository(db)
        var notified: Set<String> = [actor]
        if previous == nil, let parentID = stored.inReplyTo {
            let parentAuthor = try objects.find(id: parentID)?.attributedTo
            let rootAuthor = thread == stored.id ? nil : try objects.find(id: thread)?.attributedTo
            for recipient in [parentAuthor, rootAuthor].compactMap({ $0 }) where !notified.contains(recipient) {
                notified.insert(recipient)
                try record(.reply, to: recipient, actor: actor, object: stored.id, community: stored.audience, thread: thread,
                           readable: stored, context: context, db: db)
            }
        }
        for recipient in mentionedLocalActors(in: stored, context: context) where !notified.contains(recipient) {
            notified.insert(recipient)
            try record(.mention, to: recipient, actor: actor, object: stored.id, community: stored.audience, thread: thread,
                       readable: stored, context: context, db: db)
        }
        if let answerID = stored.acceptedAnswer, answerID != previous?.acceptedAnswer,
            let answer = try objects.find(id: answerID), answer.deletedAt == nil
        {
            try record(.acceptedAnswer, to: answer.attributedTo, actor: actor, object: answer.id, community: stored.audience,
                       thread: thread, readable: answer, context: context, db: db)
        }
    }

    /// The local persons a post mentions: `@name@thisnode`, `@name` in a post written here, and
    /// `Mention` tags naming a local person.
    static func mentionedLocalActors(in post: StoredObject, context: FederationContext) -> [String] {
        let document = try? JSON.parse(post.document)
        let text = document?["source"]?["content"]?.stringValue ?? PlainText.fromHTML(post.content)
        let authorIsLocal = context.isLocal(post.attributedTo)
        var found: [String] = []
        for handle in MentionParser.handles(in: text) {
            if let host = handle.host {
                guard host.lowercased() == context.urls.domain.lowercased() else { continue }
            } else if !authorIsLocal {
                // A bare @name from another node means a member of that node.
                continue
            }
            found.append(context.urls.person(handle.name.lowercased()))
        }
        for tag in document?["tag"]?.arrayValue ?? [] where tag.asType == "Mention" {
            guard let href = tag["href"]?.linkID, let reference = context.urls.localActorReference(href),
                reference.kind == .person
            else { continue }
            found.append(context.urls.person(reference.username))
        }
        var seen: Set<String> = []
        return Array(found.filter { seen.insert($0).inserted }.prefix(maxMentions))
    }

    // MARK: Memberships and invitations

    /// A local member received an invitation to `community` from `inviter`.
    static func invited(_ invitee: String, to community: String, by inviter: String, activityID: String,
                        context: FederationContext, db: Connection) throws {
        try record(.invitation, to: invitee, actor: inviter, object: activityID, community: community, thread: nil,
                   readable: nil, context: context, db: db)
    }

    /// A join request of a local member was decided by `decider` (a manager here, or the remote
    /// community itself).
    static func joinDecided(_ follow: Follow, accepted: Bool, by decider: String, context: FederationContext,
                            db: Connection) throws {
        if !context.isLocal(follow.followed) {
            // Follows of remote people are not join requests.
            let type = try db.scalar(String.self, "SELECT type FROM remote_actors WHERE id = ?", follow.followed)
            if let type, type != "Group" { return }
        }
        try record(accepted ? .joinAccepted : .joinRejected, to: follow.follower, actor: decider, object: follow.activityID,
                   community: follow.followed, thread: nil, readable: nil, context: context, db: db)
    }

    // MARK: Moderation

    /// A local member was warned by a community's moderators.
    static func warned(_ member: String, in community: String, by moderator: String, regarding object: String?,
                       context: FederationContext, db: Connection) throws {
        try record(.warning, to: member, actor: moderator, object: object, community: community, thread: nil,
                   readable: nil, context: context, db: db)
    }

    /// A local member was banned from a community.
    static func banned(_ member: String, from community: String, by moderator: String, activityID: String,
                       context: FederationContext, db: Connection) throws {
        try record(.ban, to: member, actor: moderator, object: activityID, community: community, thread: nil,
                   readable: nil, context: context, db: db)
    }

    /// A moderator removed a post; its author, if local, hears of it (a removal of one's own post
    /// by oneself is a deletion, not moderation, and is skipped as one's own action).
    static func removed(_ objectID: String, from community: String, by moderator: String, context: FederationContext,
                        db: Connection) throws {
        guard let post = try ObjectRepository(db).find(id: objectID) else { return }
        let thread = try FederationContext.threadRoot(of: objectID, db: db)
        try record(.removal, to: post.attributedTo, actor: moderator, object: objectID, community: community,
                   thread: thread == objectID ? nil : thread, readable: nil, context: context, db: db)
    }

    // MARK: The one place that writes

    /// Records one notification for `recipient` when it is a local, active account other than the
    /// actor and, for content (`readable`), one that may read the post.
    static func record(_ kind: NotificationKind, to recipient: String, actor: String, object: String?, community: String?,
                       thread: String?, readable: StoredObject?, context: FederationContext, db: Connection) throws {
        guard recipient != actor, let reference = context.urls.localActorReference(recipient), reference.kind == .person,
            let account = try AccountRepository(db).find(username: reference.username), account.status == .active
        else { return }
        if let readable {
            guard try NotificationAccess.mayRead(readable, account: account, urls: context.urls, db: db) else { return }
        }
        try NotificationRepository(db).insert(
            accountID: account.actor.id, kind: kind, actor: actor, object: object, community: community, thread: thread)
    }
}

/// Whether an account may read a post, for notifications and the digest feed: the same rules as
/// reading a community (``Authorization``), for local and remote communities alike.
enum NotificationAccess {
    static func mayRead(_ post: StoredObject, account: Account, urls: NodeURLs, db: Connection) throws -> Bool {
        guard post.deletedAt == nil, let community = post.audience else { return false }
        let authorization = try Authorization.load(account: account, urls: urls, db: db)
        guard authorization.isPractitioner, !authorization.bannedFrom.contains(community) else { return false }
        if let reference = urls.localActorReference(community) {
            guard reference.kind == .group, let found = try CommunityRepository(db).find(username: reference.username),
                authorization.canRead(community: found)
            else { return false }
        } else {
            guard authorization.withinGuestScope(community) else { return false }
            let isPublic = (try? JSON.parse(post.document))?.isPublic ?? false
            guard authorization.isMember(of: community) || isPublic else { return false }
        }
        return try authorization.canRead(post: post, db: db)
    }
}

/// Finds `@name` and `@name@host` handles in plain text or Markdown.
enum MentionParser {
    struct Handle: Equatable {
        var name: String
        var host: String?
    }

    /// Handles in `text`: an `@` at the start or after a character that cannot be part of an
    /// address (so `mail@example.org` is not a mention), a name of letters, digits, `_`, `-`, `.`,
    /// and optionally `@host[:port]`. Trailing dots (end of a sentence) are not part of either.
    static func handles(in text: String) -> [Handle] {
        let scalars = Array(text.unicodeScalars)
        func isNameChar(_ c: Unicode.Scalar) -> Bool {
            c.isASCII && (c.properties.isAlphabetic || ("0"..."9").contains(c) || c == "_" || c == "-" || c == ".")
        }
        func isHostChar(_ c: Unicode.Scalar) -> Bool { isNameChar(c) || c == ":" }
        func trimmed(_ value: String) -> String {
            var value = value
            while let last = value.last, last == "." || last == "-" || last == ":" { value.removeLast() }
            return value
        }
        var handles: [Handle] = []
        var index = 0
        while index < scalars.count, handles.count < 200 {
            defer { index += 1 }
            guard scalars[index] == "@" else { continue }
            if index > 0 {
                let before = scalars[index - 1]
                if isNameChar(before) || before == "@" || before == "/" { continue }
            }
            var end = index + 1
            while end < scalars.count, isNameChar(scalars[end]) { end += 1 }
            var name = String(String.UnicodeScalarView(scalars[(index + 1)..<end]))
            var host: String?
            if end < scalars.count, scalars[end] == "@", !name.hasSuffix(".") {
                var hostEnd = end + 1
                while hostEnd < scalars.count, isHostChar(scalars[hostEnd]) { hostEnd += 1 }
                let candidate = trimmed(String(String.UnicodeScalarView(scalars[(end + 1)..<hostEnd])))
                if !candidate.isEmpty { host = candidate }
                end = hostEnd
            }
            name = trimmed(name)
            if !name.isEmpty, name.count <= 64 { handles.append(Handle(name: name, host: host)) }
            index = end - 1
        }
        return handles
    }
}
