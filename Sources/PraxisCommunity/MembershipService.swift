import Foundation
import PraxisActivityStreams
import PraxisFederation
import PraxisJSON
import PraxisSQLite
import PraxisStorage

/// Join requests to local communities: listing the pending ones and deciding them.
///
/// Who may decide: the community's owner and managers, and the node's admins and moderators. A decision about a member of another node is sent
/// to that node as `Accept` or `Reject` of the original `Follow`.
public struct MembershipService: Sendable {
    public let context: FederationContext

    public init(context: FederationContext) { self.context = context }

    /// Pending join requests of the community named `community`.
    public func pending(manager: String, community: String) async throws -> [Follow] {
        let context = context
        return try await context.store.database.read { db in
            let (_, communityID) = try Self.authorise(manager: manager, community: community, context: context, db: db)
            return try FollowRepository(db).pending(of: communityID)
        }
    }

    /// Accepts or rejects `follower`'s request to join `community`.
    public func decide(manager: String, community: String, follower: String, accept: Bool) async throws {
        let context = context
        let queued = try await context.store.database.write { db -> Bool in
            let (group, communityID) = try Self.authorise(manager: manager, community: community, context: context, db: db)
            let follows = FollowRepository(db)
            guard let follow = try follows.find(follower: follower, followed: communityID), follow.state == .pending else {
                throw CommunityError(.notFound, "no pending request from \(follower) to join \(community)")
            }
            if accept, !context.isLocal(follower) {
                let policy = TrustPolicy(mode: context.store.configuration.federation, localDomain: context.urls.domain)
                let decision = try policy.decision(for: follow.followerDomain, community: group.username, db: db)
                if decision.level == .blocked { throw CommunityError(.forbidden, decision.refusal) }
            }
            if accept, let visibility = try CommunityRepository(db).find(username: group.username)?.visibility,
                visibility == .members, !context.isLocal(follower)
            {
                let policy = TrustPolicy(mode: context.store.configuration.federation, localDomain: context.urls.domain)
                guard try policy.level(of: follow.followerDomain, db: db) == .trusted else {
                    throw CommunityError(
                        .forbidden,
                        "\(follow.followerDomain) is not trusted by this node, so its members cannot read members-only communities")
                }
            }
            try follows.setState(accept ? .accepted : .rejected, follower: follower, followed: communityID)
            guard !context.isLocal(follower) else {
                let decider = try ModerationService.actorID(manager, context: context, db: db)
                try NotificationRecorder.joinDecided(follow, accepted: accept, by: decider, context: context, db: db)
                return false
            }
            let original = ActivityBuilder.activity(
                id: follow.activityID, type: "Follow", actor: follower, object: .string(communityID))
            let answer = ActivityBuilder.activity(
                id: context.publisher.newActivityID(), type: accept ? "Accept" : "Reject", actor: communityID,
                object: original, to: [follower])
            let inbox = try RemoteActorInbox.personal(of: follower, db: db) ?? follow.followerInbox
            guard let inbox else { return false }
            try context.publisher.publish(answer, by: group, orderingKey: follow.activityID, inboxes: [inbox], db: db)
            return true
        }
        if queued { context.wakeDelivery() }
    }

    /// Grants or removes a community role (`nil`): the owner and node admins decide. Moderators are
    /// published in the community's moderators collection (`attributedTo`, FEP-1b12). Recorded in
    /// the operators' audit log as `community.role`, as `praxis community role` records it.
    public func setRole(_ role: CommunityRole?, of member: String, in community: String, by owner: String) async throws {
        let context = context
        try await context.store.database.write { db in
            guard let account = try AccountRepository(db).find(username: owner), account.status == .active,
                let found = try CommunityRepository(db).find(username: community)
            else { throw CommunityError(.notFound, "no community named \"\(community)\" on this node") }
            guard found.ownerUsername == owner || account.role == .admin else {
                throw CommunityError(.forbidden, "only the owner of \(community) or a node admin can change its roles")
            }
            let actorID: String
            if member.hasPrefix("http") {
                actorID = member
            } else {
                guard let target = try AccountRepository(db).find(username: member), target.affiliation != .supplier else {
                    throw CommunityError(.notFound, "no member named \"\(member)\" on this node")
                }
                actorID = context.urls.actor(target.actor)
            }
            if role != nil {
                guard try FollowRepository(db).find(follower: actorID, followed: context.urls.community(community))?.state
                    == .accepted
                else { throw CommunityError(.invalid, "\(member) must be a member of \(community) first") }
            }
            try CommunityRoleRepository(db).set(role, actor: actorID, communityID: found.actor.id)
            let who = context.urls.localActorReference(actorID)?.username ?? actorID
            try AuditRepository(db).record(
                operator: owner, action: "community.role", target: "\(who) in \(found.actor.username)",
                detail: role?.rawValue ?? "none")
        }
    }

    /// Checks that `manager` may decide for `community`; returns the group and its id.
    static func authorise(manager: String, community: String, context: FederationContext, db: Connection) throws
        -> (LocalActor, String)
    {
        try authorise(manager: manager, community: community, urls: context.urls, db: db)
    }

    /// The community's actor and id when `manager` may manage it (owner, manager, node admin or
    /// moderator); otherwise a `CommunityError` saying who may.
    static func authorise(manager: String, community: String, urls: NodeURLs, db: Connection) throws
        -> (LocalActor, String)
    {
        guard let account = try AccountRepository(db).find(username: manager), account.status == .active else {
            throw CommunityError(.notFound, "no active member named \"\(manager)\" on this node")
        }
        guard let found = try CommunityRepository(db).find(username: community) else {
            throw CommunityError(.notFound, "no community named \"\(community)\" on this node")
        }
        let communityRole = try CommunityRoleRepository(db).role(of: urls.actor(account.actor), communityID: found.actor.id)
        let isManager = found.ownerUsername == account.actor.username || communityRole == .manager || account.role == .admin
            || account.role == .moderator
        guard isManager else {
            throw CommunityError(.forbidden, "only the owner or a manager of \(community), or a node moderator, can do this")
        }
        return (found.actor, urls.community(found.actor.username))
    }
}

/// The personal inbox of a cached remote actor (Accept/Reject go there, not to a shared inbox).
enum RemoteActorInbox {
    static func personal(of actorID: String, db: Connection) throws -> String? {
        try db.scalar(String.self, "SELECT inbox FROM remote_actors WHERE id = ?", actorID)
    }
}
