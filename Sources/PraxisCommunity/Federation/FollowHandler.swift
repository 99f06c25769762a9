import Foundation
import PraxisActivityStreams
import PraxisFederation
import PraxisJSON
import PraxisSQLite
import PraxisStorage

/// `Follow`, `Accept`, `Reject` and `Undo` (of a follow) between remote and local actors.
///
/// A remote person following a local community: open public communities accept at once (FEP-1b12),
/// `approval` and members-only communities keep the follow pending for a manager, `invite`
/// communities reject it. Members are never followed automatically (pending).
public struct FollowHandler: ActivityHandler {
    public let context: FederationContext
    public init(context: FederationContext) { self.context = context }

    public var activityTypes: Set<String> { ["Follow", "Accept", "Reject", "Undo"] }

    public func handle(_ activity: InboundActivity, commit: InboxCommit) async throws {
        switch activity.type {
        case "Follow": try await follow(activity, commit: commit)
        case "Accept", "Reject": try await answer(activity, accepted: activity.type == "Accept", commit: commit)
        default: try await undo(activity, commit: commit)
        }
    }

    private func follow(_ activity: InboundActivity, commit: InboxCommit) async throws {
        guard let target = activity.json["object"]?.linkID, context.isLocal(target) else {
            throw ActivityRejection("Follow must name an actor of this node as its object")
        }
        let follower = try await context.directory.actor(id: activity.actorID)
        let context = context
        let followJSON = activity.json
        let queued = try await commit { db -> Bool in
            guard let local = try context.localActor(target, db: db), local.kind != .application else {
                throw ActivityRejection("no actor \(target) on this node")
            }
            let state: Follow.State
            switch local.kind {
            case .group:
                guard let community = try CommunityRepository(db).find(username: local.username) else {
                    throw ActivityRejection("no community \(target) on this node")
                }
                let policy = TrustPolicy(mode: context.store.configuration.federation, localDomain: context.urls.domain)
                let banned = try ModerationRepository(db).findBan(community: target, actor: follower.id) != nil
                let invitation = try InvitationRepository(db).openMemberInvitation(invitee: follower.id, community: local.username)
                let level = try policy.level(of: follower.domain, community: local.username, db: db)
                let followerTrusted = level == .trusted
                if level == .blocked {
                    // The community excludes the follower's node (the node itself is refused earlier).
                    state = .rejected
                } else if banned {
                    // Banned by the community's moderators: refused until the ban is lifted.
                    state = .rejected
                } else if let invitation, community.visibility == .public || followerTrusted {
                    // Invited by a manager: admitted whatever the join policy.
                    try InvitationRepository(db).markUsed(id: invitation.id, by: nil)
                    state = .accepted
                } else if community.joinPolicy == .invite {
                    state = .rejected
                } else if community.visibility == .members, !followerTrusted {
                    // Members-only content only ever goes to trusted nodes, so a member of another
                    // node could never read it: refused rather than left pending.
                    state = .rejected
                } else if community.visibility == .public && community.joinPolicy == .open {
                    state = .accepted
                } else {
                    state = .pending
                }
            default:
                state = .pending
            }
            try FollowRepository(db).upsert(Follow(
                follower: follower.id, followed: target, followerInbox: follower.sharedInbox ?? follower.inbox,
                followerDomain: follower.domain, followedDomain: context.urls.domain, state: state,
                activityID: activity.id))
            guard state != .pending else { return false }
            let answer = ActivityBuilder.activity(
                id: context.publisher.newActivityID(), type: state == .accepted ? "Accept" : "Reject", actor: target,
                object: followJSON, to: [follower.id])
            try context.publisher.publish(answer, by: local, orderingKey: activity.id, inboxes: [follower.inbox], db: db)
            return true
        }
        if queued { context.wakeDelivery() }
    }

    private func answer(_ activity: InboundActivity, accepted: Bool, commit: InboxCommit) async throws {
        guard let object = activity.json["object"] else { throw ActivityRejection("\(activity.type) needs an object") }
        if object.asType == "Invite" {
            // The invitee's answer to a member invitation: an acceptance arrives as its Follow;
            // a decline closes the invitation.
            guard !accepted, let inviteID = object.linkID else { return }
            try await commit { db in try InvitationRepository(db).markDeclined(activityID: inviteID) }
            return
        }
        let followID = object.linkID
        let actorID = activity.actorID
        let context = context
        try await commit { db in
            let follows = FollowRepository(db)
            var follow = try followID.flatMap { try follows.find(activityID: $0) }
            if follow == nil, let follower = object["actor"]?.linkID {
                follow = try follows.find(follower: follower, followed: actorID)
            }
            guard let follow, context.isLocal(follow.follower) else {
                throw ActivityRejection("\(activity.type) of a follow this node did not send")
            }
            guard follow.followed == actorID else {
                throw ActivityRejection("only \(follow.followed) can answer its follow request")
            }
            try follows.setState(accepted ? .accepted : .rejected, follower: follow.follower, followed: follow.followed)
        }
    }

    private func undo(_ activity: InboundActivity, commit: InboxCommit) async throws {
        guard let object = activity.json["object"] else { throw ActivityRejection("Undo needs an object") }
        let actorID = activity.actorID
        if object.asType == "Block" {
            try await BlockHandler.undo(activity, block: object, context: context, commit: commit)
            return
        }
        // Undo of other activity types (Like, Announce) is not acted on yet: acknowledged.
        if let type = object.asType, type != "Follow" { return }
        let objectID = object.linkID
        let target = object["object"]?.linkID
        try await commit { db in
            let follows = FollowRepository(db)
            var follow = try objectID.flatMap { try follows.find(activityID: $0) }
            if follow == nil, let target { follow = try follows.find(follower: actorID, followed: target) }
            guard let follow else { return }
            guard follow.follower == actorID else { throw ActivityRejection("only the follower can undo a follow") }
            try follows.remove(follower: follow.follower, followed: follow.followed)
        }
    }
}
