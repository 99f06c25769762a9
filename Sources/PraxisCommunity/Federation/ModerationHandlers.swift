import Foundation
import PraxisActivityStreams
import PraxisFederation
import PraxisJSON
import PraxisSQLite
import PraxisStorage
import PraxisText

/// `Flag` sent to a local community by another node: a report for the community's moderators.
///
/// Praxis nodes send Flags from their node actor (as Mastodon does), so the reporter's identity
/// stays on the reporter's node; a Flag from a person who is a member (as Lemmy sends) records
/// that person as the reporter. Only nodes that host an accepted member of the community may
/// report in it; anything else is refused.
public struct FlagHandler: ActivityHandler {
    public let context: FederationContext
    public init(context: FederationContext) { self.context = context }

    public var activityTypes: Set<String> { ["Flag"] }

    public func handle(_ activity: InboundActivity, commit: InboxCommit) async throws {
        let json = activity.json
        let named: [String]
        switch json["object"] {
        case .array(let items)?: named = items.compactMap(\.linkID)
        case let value?: named = value.linkID.map { [$0] } ?? []
        case nil: named = []
        }
        guard !named.isEmpty, named.count <= 20 else { throw ActivityRejection("Flag needs 1 to 20 objects") }
        let rawReason = json["content"]?.stringValue ?? json["summary"]?.stringValue ?? ""
        let reason = String(PlainText.fromHTML(rawReason).prefix(ModerationService.maxReasonLength))
        let candidates = [json["audience"]?.linkID].compactMap { $0 } + json.addresses("to") + json.addresses("cc")
        let context = context
        try await commit { db in
            let objects = ObjectRepository(db)
            let posts = try named.compactMap { try objects.find(id: $0) }.filter { $0.deletedAt == nil }
            let communities = candidates + posts.compactMap(\.audience)
            guard let group = try communities.lazy.compactMap({ try context.localActor($0, db: db) })
                .first(where: { $0.kind == .group })
            else { throw ActivityRejection("Flag does not name a community of this node") }
            let groupID = context.urls.actor(group)
            let followers = try FollowRepository(db).followers(of: groupID)
            guard followers.contains(where: { $0.followerDomain.lowercased() == activity.originDomain.lowercased() }) else {
                throw ActivityRejection("\(activity.originDomain) hosts no member of \(groupID), so it cannot report there")
            }
            let post = posts.first { $0.audience == groupID }
            let target: String
            if let post {
                target = post.attributedTo
            } else {
                guard let member = named.first(where: { id in followers.contains { $0.follower == id } }) else {
                    throw ActivityRejection("Flag names no post and no member of \(groupID)")
                }
                target = member
            }
            let reporter = followers.contains { $0.follower == activity.actorID } ? activity.actorID : nil
            try ModerationRepository(db).insertReport(
                community: groupID, object: post?.id, target: target,
                reason: reason.isEmpty ? "(no reason given)" : reason, reporter: reporter,
                reporterNode: activity.originDomain, activityID: activity.id)
        }
    }
}

/// `Block` of a local person by a community of another node: the person is banned there. The
/// membership ends here too, and the person cannot rejoin or post until an `Undo` lifts it.
///
/// A Block from an actor the person never followed (a person blocking someone, as Mastodon
/// sends) is acknowledged and ignored.
public struct BlockHandler: ActivityHandler {
    public let context: FederationContext
    public init(context: FederationContext) { self.context = context }

    public var activityTypes: Set<String> { ["Block"] }

    public func handle(_ activity: InboundActivity, commit: InboxCommit) async throws {
        guard let target = activity.json["object"]?.linkID, context.isLocal(target) else {
            throw ActivityRejection("Block must name a member of this node")
        }
        let reason = String(PlainText.fromHTML(activity.json["summary"]?.stringValue ?? "").prefix(ModerationService.maxReasonLength))
        let context = context
        let communityID = activity.actorID
        try await commit { db in
            guard let person = try context.localActor(target, db: db), person.kind == .person else {
                throw ActivityRejection("no member \(target) on this node")
            }
            let follows = FollowRepository(db)
            guard try follows.find(follower: target, followed: communityID) != nil else { return }
            try follows.remove(follower: target, followed: communityID)
            try ModerationRepository(db).ban(
                community: communityID, actor: target, reason: reason, by: communityID, activityID: activity.id)
            try NotificationRecorder.banned(target, from: communityID, by: communityID, activityID: activity.id,
                                            context: context, db: db)
        }
    }

    /// `Undo` of a community's `Block`: the ban is lifted (the member may ask to join again).
    static func undo(_ activity: InboundActivity, block: JSON, context: FederationContext, commit: InboxCommit) async throws {
        guard let target = block["object"]?.linkID, context.isLocal(target) else { return }
        let communityID = activity.actorID
        if let blocker = block["actor"]?.linkID, blocker != communityID {
            throw ActivityRejection("only \(blocker) can undo its Block")
        }
        try await commit { db -> Void in
            try ModerationRepository(db).unban(community: communityID, actor: target)
        }
    }
}

/// A warning from a community's moderators to a local member: a `Create` of a direct `Note`
/// marked `praxis:warning`, from a community the member belongs or belonged to.
enum WarningReceiver {
    static func isWarning(_ object: JSON) -> Bool {
        object["praxis:warning"]?.boolValue == true || object["warning"]?.boolValue == true
    }

    static func receive(_ activity: InboundActivity, note: JSON, context: FederationContext, commit: InboxCommit)
        async throws
    {
        let communityID = activity.actorID
        guard note["attributedTo"]?.linkID == communityID else {
            throw ActivityRejection("a warning must be attributed to the community that sends it")
        }
        let recipients = Set(activity.json.addresses("to") + note.addresses("to")).filter(context.isLocal)
        let text = note["source"]?["content"]?.stringValue ?? PlainText.fromHTML(note["content"]?.stringValue ?? "")
        let reason = String(text.trimmingCharacters(in: .whitespacesAndNewlines).prefix(ModerationService.maxReasonLength))
        let regarding = note["praxis:regarding"]?.linkID
        try await commit { db in
            var stored = 0
            for recipient in recipients.sorted() {
                guard let person = try context.localActor(recipient, db: db), person.kind == .person,
                    let account = try AccountRepository(db).find(username: person.username)
                else { continue }
                // Only a community the member has had to do with may warn them.
                let related = try FollowRepository(db).find(follower: recipient, followed: communityID) != nil
                    || ModerationRepository(db).findBan(community: communityID, actor: recipient) != nil
                guard related else { continue }
                let isNew = try ModerationRepository(db).insertWarning(
                    accountID: account.actor.id, community: communityID, moderator: communityID, reason: reason,
                    object: regarding, activityID: activity.id)
                if isNew {
                    try NotificationRecorder.warned(recipient, in: communityID, by: communityID, regarding: regarding,
                                                    context: context, db: db)
                }
                stored += 1
            }
            if stored == 0 { throw ActivityRejection("the warning names no member of this node who belongs to \(communityID)") }
        }
    }
}

/// Bans, checked wherever someone joins or posts.
enum BanRules {
    /// Refuses when `actor` is banned from `community` (both actor ids).
    static func requireNotBanned(_ actor: String, from community: String, db: Connection) throws {
        if try ModerationRepository(db).findBan(community: community, actor: actor) != nil {
            throw CommunityError(.forbidden, "you are banned from \(community)")
        }
    }
}
