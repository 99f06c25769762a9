import Foundation
import PraxisActivityStreams
import PraxisFederation
import PraxisJSON
import PraxisSQLite
import PraxisStorage

/// `Invite` of a local member to a community on another node: kept as a received invitation the
/// member can accept (which sends a `Follow` the community admits) or decline (`Reject`).
public struct InviteHandler: ActivityHandler {
    public let context: FederationContext
    public init(context: FederationContext) { self.context = context }

    public var activityTypes: Set<String> { ["Invite"] }

    public func handle(_ activity: InboundActivity, commit: InboxCommit) async throws {
        guard let community = activity.json["object"]?.linkID, let invitee = activity.json["target"]?.linkID else {
            throw ActivityRejection("Invite needs the community as object and the invitee as target")
        }
        guard FederationContext.authority(community) == activity.originDomain else {
            throw ActivityRejection("only a manager on the community's own node can invite to it")
        }
        // A proof, when present, must be the inviter's and must verify (Praxis nodes always sign).
        _ = try await AuthorProof.verify(activity.json, author: activity.actorID, directory: context.directory)
        let group = try await context.directory.actor(id: community)
        guard group.type == "Group" else { throw ActivityRejection("\(community) is not a community") }
        let note = activity.json["content"]?.stringValue ?? ""
        let context = context
        try await commit { db in
            guard let local = try context.localActor(invitee, db: db), local.kind == .person else {
                throw ActivityRejection("\(invitee) is not a member of this node")
            }
            try ReceivedInvitationRepository(db).insert(
                activityID: activity.id, community: community, inviter: activity.actorID, inviteeID: local.id,
                note: String(note.prefix(2_000)))
        }
    }
}

/// Member invitations: a manager invites a member of this or another node by handle; the invitee
/// accepts or declines.
extension MembershipService {
    public static let invitationValidity: TimeInterval = 30 * 86_400

    /// Invites `invitee` (`@name@host`, an actor URL, or a local member's name) to `community`.
    public func invite(manager: String, community: String, invitee: String, note: String = "") async throws {
        guard note.count <= 2_000 else { throw CommunityError(.invalid, "the note must be at most 2,000 characters") }
        let context = context
        var remote: RemoteActor?
        var localName: String?
        if invitee.hasPrefix("http") {
            if context.isLocal(invitee) {
                localName = context.urls.localActorReference(invitee)?.username
            } else {
                remote = try await context.directory.actor(id: invitee)
            }
        } else if invitee.contains("@") {
            let parts = invitee.split(separator: "@", omittingEmptySubsequences: true)
            if parts.count == 2, String(parts[1]).lowercased() == context.urls.domain.lowercased() {
                localName = String(parts[0])
            } else {
                remote = try await context.directory.resolve(handle: invitee)
            }
        } else {
            localName = invitee
        }
        let activityID = context.publisher.newActivityID()
        let (remoteInvitee, localInvitee) = (remote, localName)
        let signingKeys = try context.keyring.keys(for: manager, fresh: true)
        let queued = try await context.store.database.write { db -> Bool in
            let (remote, localName) = (remoteInvitee, localInvitee)
            let (group, communityID) = try Self.authorise(manager: manager, community: community, context: context, db: db)
            guard let inviter = try AccountRepository(db).find(username: manager),
                try InvitationRepository(db).guestScope(accountID: inviter.actor.id) == nil
            else { throw CommunityError(.forbidden, "guests cannot invite") }
            let inviteeID: String
            if let localName {
                guard let account = try AccountRepository(db).find(username: localName), account.status == .active else {
                    throw CommunityError(.notFound, "no member named \"\(localName)\" on this node")
                }
                guard account.affiliation != .supplier else {
                    throw CommunityError(.forbidden, "suppliers cannot be invited to practitioner communities")
                }
                inviteeID = context.urls.actor(account.actor)
            } else if let remote {
                inviteeID = remote.id
            } else {
                throw CommunityError(.invalid, "name the invitee as @name@host, an actor URL or a member's name")
            }
            let id = try InvitationRepository(db).insert(
                kind: .member, tokenHash: nil, community: group.username, topic: nil, inviterID: inviter.actor.id,
                invitee: inviteeID, note: note, expiresAt: Date().addingTimeInterval(Self.invitationValidity))
            try InvitationRepository(db).setActivityID(activityID, id: id)
            let inviterID = context.urls.actor(inviter.actor)
            if let remote {
                var invite = ActivityBuilder.activity(
                    id: activityID, type: "Invite", actor: inviterID, object: .string(communityID), to: [remote.id])
                invite["target"] = .string(remote.id)
                if !note.isEmpty { invite["content"] = .string(note) }
                // Invitations are member-authored: the inviter's proof lets the invitee's node (and
                // anyone it is shown to) check who invited, independently of the transport.
                invite = try AuthorProof.sign(invite, keys: signingKeys)
                try context.publisher.publish(invite, by: inviter.actor, orderingKey: remote.id, inboxes: [remote.inbox], db: db)
                return true
            }
            guard let localInvitee = try context.localActor(inviteeID, db: db) else { return false }
            try ReceivedInvitationRepository(db).insert(
                activityID: activityID, community: communityID, inviter: inviterID, inviteeID: localInvitee.id, note: note)
            return false
        }
        if queued { context.wakeDelivery() }
    }

    /// The invitations a member received.
    public func invitations(member: String) async throws -> [ReceivedInvitation] {
        try await context.store.database.read { db in
            guard let account = try AccountRepository(db).find(username: member) else {
                throw CommunityError(.notFound, "no member named \"\(member)\" on this node")
            }
            return try ReceivedInvitationRepository(db).all(inviteeID: account.actor.id)
        }
    }

    /// Accepts (joins the community) or declines an invitation the member received.
    public func respond(member: String, invitation activityID: String, accept: Bool, social: SocialService) async throws {
        let context = context
        let (account, invitation) = try await context.store.database.read { db -> (Account, ReceivedInvitation) in
            guard let account = try AccountRepository(db).find(username: member), account.status == .active,
                let invitation = try ReceivedInvitationRepository(db).find(activityID: activityID, inviteeID: account.actor.id),
                invitation.state == .pending
            else { throw CommunityError(.notFound, "no pending invitation \(activityID) for \(member)") }
            return (account, invitation)
        }
        if accept {
            try await social.follow(member: member, target: invitation.community)
            try await context.store.database.write { db in
                try ReceivedInvitationRepository(db).setState(.accepted, activityID: activityID)
            }
            return
        }
        let remoteInbox = context.isLocal(invitation.community) ? nil : try await context.directory.actor(id: invitation.community).inbox
        let memberID = context.urls.actor(account.actor)
        let queued = try await context.store.database.write { db -> Bool in
            try ReceivedInvitationRepository(db).setState(.declined, activityID: activityID)
            guard let remoteInbox else {
                try InvitationRepository(db).markDeclined(activityID: activityID)
                return false
            }
            let original: JSON = ["id": .string(activityID), "type": "Invite", "actor": .string(invitation.inviter),
                                  "object": .string(invitation.community), "target": .string(memberID)]
            let reject = ActivityBuilder.activity(
                id: context.publisher.newActivityID(), type: "Reject", actor: memberID, object: original,
                to: [invitation.community])
            try context.publisher.publish(reject, by: account.actor, orderingKey: invitation.community, inboxes: [remoteInbox],
                                          db: db)
            return true
        }
        if queued { context.wakeDelivery() }
    }
}
