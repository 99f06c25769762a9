import Foundation
import PraxisActivityStreams
import PraxisFederation
import PraxisJSON
import PraxisSQLite
import PraxisStorage
import PraxisText

/// Moderation: members report posts and members, a community's moderators work through the
/// report queue and act (remove a post, ban or warn a member, dismiss), node moderators suspend
/// local accounts, and every decision goes to the moderation log.
///
/// Who moderates a community: its owner, its managers and moderators (community roles), and the
/// node's admins and moderators. Everyone else is refused with `.forbidden`, except where the
/// community itself is hidden from them (members-only), which is `.notFound`.
///
/// Federation (see `Protocol/moderation.md`): a report about a community of another node goes
/// there as a `Flag` sent by this node's actor, so the reporter's identity stays on this node; a
/// removal is the community's own `Delete`, announced to its followers; a ban is the community's
/// `Block` of the person, sent to the person's node (`Undo` lifts it); a warning to a member of
/// another node is a direct `Note` from the community marked `praxis:warning`.
public struct ModerationService: Sendable {
    /// Longest reason accepted from a member, in characters (longer ones from other nodes are cut).
    public static let maxReasonLength = 1_000

    /// What a moderator does with a report.
    public enum Resolution: String, Sendable, CaseIterable, Codable {
        case remove, ban, warn, dismiss
    }

    /// Where a report went.
    public struct ReportReceipt: Sendable, Equatable {
        /// The report's id in this node's queue; nil when it was sent to the community's node.
        public var id: Int64?
        /// The community (actor id) the report is about.
        public var community: String
        /// True when the report was sent to another node as a `Flag`.
        public var sent: Bool
    }

    public let context: FederationContext

    public init(context: FederationContext) { self.context = context }

    // MARK: - Reporting

    /// Reports a post (`object`) or a member (`account`, an actor id or a local name, with
    /// `community`) to the community's moderators.
    ///
    /// - Parameters:
    ///   - community: the community's actor id or local name; needed for a member report, taken
    ///     from the post otherwise.
    /// - Throws: `CommunityError` `.invalid` for a missing or too long reason or no target,
    ///   `.notFound` for an unknown post or community, `.forbidden` when the reporter does not
    ///   belong to the community.
    @discardableResult
    public func report(member: String, object: String?, account: String?, community: String?, reason: String) async throws
        -> ReportReceipt
    {
        let reasonText = try Self.checkedReason(reason)
        let context = context
        let reporter = try await activeAccount(member)
        let reporterID = context.urls.actor(reporter.actor)
        // Where the report goes and who it is about, read first: a remote community's inbox is
        // looked up outside the transaction.
        let (communityID, targetID, objectID) = try await context.store.database.read { db -> (String, String, String?) in
            if let object {
                // A post the reporter may not read is missing, exactly as when reading it.
                guard let post = try ObjectRepository(db).find(id: object), post.deletedAt == nil,
                    let audience = post.audience,
                    try Authorization.load(account: reporter, urls: context.urls, db: db).canReadPost(post, db: db)
                else { throw CommunityError(.notFound, "no post \(object) here") }
                return (audience, post.attributedTo, post.id)
            }
            guard let account, !account.isEmpty else {
                throw CommunityError(.invalid, "name the post (\"object\") or the member (\"account\") you report")
            }
            guard let community, !community.isEmpty else {
                throw CommunityError(.invalid, "name the community (\"community\") where the member took part")
            }
            let communityID = community.hasPrefix("http") ? community : context.urls.community(community.lowercased())
            let targetID: String
            if account.hasPrefix("http") {
                targetID = account
            } else {
                guard let local = try AccountRepository(db).find(username: account) else {
                    throw CommunityError(.notFound, "no member named \"\(account)\" on this node")
                }
                targetID = context.urls.actor(local.actor)
            }
            return (communityID, targetID, nil)
        }
        guard targetID != reporterID else { throw CommunityError(.invalid, "you cannot report yourself") }
        if context.isLocal(communityID) {
            let id = try await context.store.database.write { db -> Int64 in
                let (group, community) = try Self.localCommunity(communityID, context: context, db: db)
                let authorization = try Authorization.load(account: reporter, urls: context.urls, db: db)
                try authorization.requireRead(community)
                guard try FollowRepository(db).find(follower: targetID, followed: communityID) != nil
                    || objectID != nil
                else { throw CommunityError(.notFound, "\(targetID) does not belong to \(group.displayName)") }
                guard let id = try ModerationRepository(db).insertReport(
                    community: communityID, object: objectID, target: targetID, reason: reasonText, reporter: reporterID,
                    reporterNode: context.urls.domain, activityID: nil)
                else { throw CommunityError(.conflict, "the report could not be stored") }
                return id
            }
            return ReportReceipt(id: id, community: communityID, sent: false)
        }
        let remote = try await context.directory.actor(id: communityID)
        let flagID = context.publisher.newActivityID()
        try await context.store.database.write { db in
            guard try FollowRepository(db).find(follower: reporterID, followed: communityID)?.state == .accepted else {
                throw CommunityError(.forbidden, "only members of \(communityID) can report there")
            }
            guard let node = try ActorRepository(db).nodeActor() else {
                throw CommunityError(.invalid, "this node has no node actor; run `praxis init` again")
            }
            var flag = ActivityBuilder.activity(
                id: flagID, type: "Flag", actor: context.urls.actor(node),
                object: .array(([targetID] + (objectID.map { [$0] } ?? [])).map(JSON.string)), to: [communityID],
                audience: communityID)
            if case .object(var fields) = flag {
                fields["content"] = .string(reasonText)
                flag = .object(fields)
            }
            try context.publisher.publish(flag, by: node, orderingKey: communityID, inboxes: [remote.inbox], db: db)
        }
        context.wakeDelivery()
        return ReportReceipt(id: nil, community: communityID, sent: true)
    }

    /// The report queue of a local community: open reports, oldest first (all with
    /// `includeResolved`).
    public func reports(moderator: String, community: String, includeResolved: Bool = false) async throws -> [Report] {
        let context = context
        return try await context.store.database.read { db in
            let (_, _, communityID) = try Self.authoriseModerator(moderator, community: community, context: context, db: db)
            return try ModerationRepository(db).reports(community: communityID, includeResolved: includeResolved)
        }
    }

    /// Resolves an open report with an action on what it names, and logs the decision.
    /// - Throws: `.notFound` for an unknown report, `.forbidden` for a non-moderator, `.conflict`
    ///   when the report is already resolved, `.invalid` when the action does not fit the report.
    public func resolve(moderator: String, reportID: Int64, action: Resolution, reason: String?) async throws {
        let context = context
        guard let report = try await context.store.database.read({ db in try ModerationRepository(db).report(id: reportID) }),
            let name = context.urls.localActorReference(report.community)?.username
        else { throw CommunityError(.notFound, "no report \(reportID) on this node") }
        let note = try reason.map { text throws(CommunityError) in try Self.checkedReason(text) } ?? report.reason
        _ = try await context.store.database.read { db in
            try Self.authoriseModerator(moderator, community: name, context: context, db: db)
        }
        guard report.state == .open else { throw CommunityError(.conflict, "report \(reportID) is already resolved") }
        switch action {
        case .remove:
            guard let object = report.object else {
                throw CommunityError(.invalid, "report \(reportID) names no post; ban, warn or dismiss instead")
            }
            try await remove(moderator: moderator, community: name, object: object, reason: note, reportID: reportID)
        case .ban:
            try await ban(moderator: moderator, community: name, member: report.target, reason: note, reportID: reportID)
        case .warn:
            try await warn(moderator: moderator, community: name, member: report.target, reason: note,
                           object: report.object, reportID: reportID)
        case .dismiss:
            try await context.store.database.write { db in
                let (_, _, communityID) = try Self.authoriseModerator(moderator, community: name, context: context, db: db)
                try Self.close(reportID, action: .dismiss, moderator: moderator, context: context, db: db)
                try ModerationRepository(db).log(
                    community: communityID, moderator: try Self.actorID(moderator, context: context, db: db),
                    action: "dismiss", target: report.object ?? report.target, reason: note, reportID: reportID)
            }
        }
    }

    // MARK: - Actions

    /// Removes a post from a local community: a tombstone here, and the community's `Delete`
    /// announced to its followers, so every copy on other nodes becomes a tombstone too.
    public func remove(moderator: String, community: String, object: String, reason: String, reportID: Int64? = nil)
        async throws
    {
        let note = try Self.checkedReason(reason, required: false)
        let context = context
        try await context.store.database.write { db in
            let (group, found, communityID) = try Self.authoriseModerator(moderator, community: community, context: context, db: db)
            let objects = ObjectRepository(db)
            guard let post = try objects.find(id: object), post.deletedAt == nil, post.audience == communityID else {
                throw CommunityError(.notFound, "no post \(object) in \(found.title)")
            }
            if let reportID { try Self.close(reportID, action: .remove, moderator: moderator, context: context, db: db) }
            try DocumentFederation.tombstone(object, context: context, db: db)
            try GroupRelay.removal(
                of: object, by: group, moderator: try Self.actorID(moderator, context: context, db: db), reason: note,
                reportID: reportID, context: context, db: db)
        }
        context.wakeDelivery()
    }

    /// Bans a member (actor id or local name) from a local community: their membership and role
    /// end, they cannot join or post again, and their node receives the community's `Block`.
    public func ban(moderator: String, community: String, member: String, reason: String, reportID: Int64? = nil)
        async throws
    {
        let note = try Self.checkedReason(reason, required: false)
        let context = context
        let targetID = try await resolveMember(member)
        let inbox = try await personalInbox(of: targetID)
        try await context.store.database.write { db in
            let (group, found, communityID) = try Self.authoriseModerator(moderator, community: community, context: context, db: db)
            let moderatorID = try Self.actorID(moderator, context: context, db: db)
            guard targetID != moderatorID else { throw CommunityError(.invalid, "you cannot ban yourself") }
            if let owner = found.ownerUsername, targetID == context.urls.person(owner) {
                throw CommunityError(.forbidden, "the owner of \(found.title) cannot be banned from it")
            }
            if let reportID { try Self.close(reportID, action: .ban, moderator: moderator, context: context, db: db) }
            let blockID = context.publisher.newActivityID()
            try ModerationRepository(db).ban(community: communityID, actor: targetID, reason: note, by: moderatorID,
                                             activityID: blockID)
            try NotificationRecorder.banned(targetID, from: communityID, by: moderatorID, activityID: blockID,
                                            context: context, db: db)
            try FollowRepository(db).remove(follower: targetID, followed: communityID)
            try CommunityRoleRepository(db).set(nil, actor: targetID, communityID: group.id)
            if let inbox {
                var block = ActivityBuilder.activity(
                    id: blockID, type: "Block", actor: communityID, object: .string(targetID), to: [targetID],
                    audience: communityID)
                if case .object(var fields) = block, !note.isEmpty {
                    fields["summary"] = .string(note)
                    block = .object(fields)
                }
                try context.publisher.publish(block, by: group, orderingKey: targetID, inboxes: [inbox], db: db)
            }
            try ModerationRepository(db).log(
                community: communityID, moderator: moderatorID, action: "ban", target: targetID, reason: note,
                reportID: reportID)
        }
        context.wakeDelivery()
    }

    /// Lifts a ban; a member of another node is told with `Undo` of the `Block`.
    public func unban(moderator: String, community: String, member: String, reason: String = "") async throws {
        let note = try Self.checkedReason(reason, required: false)
        let context = context
        let targetID = try await resolveMember(member)
        let inbox = try await personalInbox(of: targetID)
        try await context.store.database.write { db in
            let (group, found, communityID) = try Self.authoriseModerator(moderator, community: community, context: context, db: db)
            let bans = ModerationRepository(db)
            guard let ban = try bans.findBan(community: communityID, actor: targetID) else {
                throw CommunityError(.notFound, "\(targetID) is not banned from \(found.title)")
            }
            try bans.unban(community: communityID, actor: targetID)
            if let inbox {
                let original = ActivityBuilder.activity(
                    id: ban.activityID, type: "Block", actor: communityID, object: .string(targetID))
                let undo = ActivityBuilder.activity(
                    id: context.publisher.newActivityID(), type: "Undo", actor: communityID, object: original, to: [targetID])
                try context.publisher.publish(undo, by: group, orderingKey: targetID, inboxes: [inbox], db: db)
            }
            try bans.log(
                community: communityID, moderator: try Self.actorID(moderator, context: context, db: db), action: "unban",
                target: targetID, reason: note, reportID: nil)
        }
        context.wakeDelivery()
    }

    /// The bans of a local community (moderators only).
    public func bans(moderator: String, community: String) async throws -> [CommunityBan] {
        let context = context
        return try await context.store.database.read { db in
            let (_, _, communityID) = try Self.authoriseModerator(moderator, community: community, context: context, db: db)
            return try ModerationRepository(db).bans(community: communityID)
        }
    }

    /// Warns a member: stored for a local member (seen in their warnings), sent to a member of
    /// another node as a direct `Note` marked `praxis:warning`.
    public func warn(moderator: String, community: String, member: String, reason: String, object: String? = nil,
                     reportID: Int64? = nil) async throws
    {
        let note = try Self.checkedReason(reason)
        let context = context
        let targetID = try await resolveMember(member)
        let inbox = try await personalInbox(of: targetID)
        try await context.store.database.write { db in
            let (group, _, communityID) = try Self.authoriseModerator(moderator, community: community, context: context, db: db)
            let moderatorID = try Self.actorID(moderator, context: context, db: db)
            if let reportID { try Self.close(reportID, action: .warn, moderator: moderator, context: context, db: db) }
            let moderation = ModerationRepository(db)
            if let inbox {
                var warning: JSONObject = [
                    "id": .string(context.publisher.newObjectID()),
                    "type": "Note",
                    "attributedTo": .string(communityID),
                    "to": [.string(targetID)],
                    "content": .string("<p>" + HTMLEscape.text(note) + "</p>"),
                    "source": ["content": .string(note), "mediaType": "text/plain"],
                    "praxis:warning": true,
                    "published": .string(ISO8601.string(Date())),
                ]
                if let object { warning["praxis:regarding"] = .string(object) }
                var create = ActivityBuilder.activity(
                    id: context.publisher.newActivityID(), type: "Create", actor: communityID, object: .object(warning),
                    to: [targetID])
                if case .object(var fields) = create {
                    fields["@context"] = ActivityStreams.contentContext
                    create = .object(fields)
                }
                try context.publisher.publish(create, by: group, orderingKey: targetID, inboxes: [inbox], db: db)
            } else {
                guard let reference = context.urls.localActorReference(targetID), reference.kind == .person,
                    let account = try AccountRepository(db).find(username: reference.username)
                else { throw CommunityError(.notFound, "no member \(targetID)") }
                try moderation.insertWarning(
                    accountID: account.actor.id, community: communityID, moderator: moderatorID, reason: note, object: object,
                    activityID: nil)
                try NotificationRecorder.warned(targetID, in: communityID, by: moderatorID, regarding: object,
                                                context: context, db: db)
            }
            try moderation.log(
                community: communityID, moderator: moderatorID, action: "warn", target: targetID, reason: note,
                reportID: reportID)
        }
        if inbox != nil { context.wakeDelivery() }
    }

    /// Warnings the member received, newest first.
    public func warnings(member: String) async throws -> [Warning] {
        let account = try await activeAccount(member)
        return try await context.store.database.read { db in try ModerationRepository(db).warnings(accountID: account.actor.id) }
    }

    // MARK: - Logs and settings

    /// The moderation log of a local community, newest first. Moderators see every entry; when
    /// the community shows removals (`publicRemovals`), its members see removals, without the
    /// moderator or the report (so never who reported).
    public func log(viewer: String, community: String) async throws -> [ModerationLogEntry] {
        let context = context
        let account = try await activeAccount(viewer)
        return try await context.store.database.read { db in
            do {
                let (_, _, communityID) = try Self.authoriseModerator(viewer, community: community, context: context, db: db)
                return try ModerationRepository(db).logEntries(community: communityID)
            } catch let error as CommunityError where error.kind == .forbidden {
                guard let found = try CommunityRepository(db).find(username: community) else { throw error }
                let authorization = try Authorization.load(account: account, urls: context.urls, db: db)
                try authorization.requireRead(found)
                let communityID = context.urls.community(found.actor.username)
                guard authorization.isMember(of: communityID),
                    try ModerationRepository(db).publicRemovals(communityID: found.actor.id)
                else { throw CommunityError(.forbidden, "the moderation log of \(found.title) is for its moderators") }
                return try ModerationRepository(db).logEntries(community: communityID, actions: ["remove"]).map { entry in
                    var shown = entry
                    shown.moderator = ""
                    shown.reportID = nil
                    return shown
                }
            }
        }
    }

    /// Whether members see removals in the community's log; decided by its owner, managers and
    /// node admins.
    public func setPublicRemovals(_ value: Bool, community: String, by manager: String) async throws {
        let context = context
        try await context.store.database.write { db in
            let (group, found, communityID) = try Self.authoriseModerator(manager, community: community, context: context, db: db)
            guard let account = try AccountRepository(db).find(username: manager) else {
                throw CommunityError(.notFound, "no member named \"\(manager)\" on this node")
            }
            let role = try CommunityRoleRepository(db).role(of: context.urls.actor(account.actor), communityID: group.id)
            guard found.ownerUsername == account.actor.username || role == .manager || account.role == .admin else {
                throw CommunityError(.forbidden, "only the owner or a manager of \(found.title) can change this setting")
            }
            try ModerationRepository(db).setPublicRemovals(value, communityID: group.id)
            try ModerationRepository(db).log(
                community: communityID, moderator: context.urls.actor(account.actor),
                action: value ? "show-removals" : "hide-removals", target: communityID, reason: "", reportID: nil)
        }
    }

    /// Whether members see removals in the community's log.
    public func publicRemovals(community: String) async throws -> Bool {
        try await context.store.database.read { db in
            guard let found = try CommunityRepository(db).find(username: community) else {
                throw CommunityError(.notFound, "no community named \"\(community)\" on this node")
            }
            return try ModerationRepository(db).publicRemovals(communityID: found.actor.id)
        }
    }

    /// Suspends (or reinstates) a local account; for the node's admins and moderators. Logged in
    /// the node's moderation log (community `""`) and in the operators' audit log, as
    /// `praxis user approve|suspend` are: reinstating a pending registration approves it
    /// (`user.approve`), suspending one refuses it (`user.refuse`); otherwise `user.suspend` or
    /// `user.reinstate`, with the previous status as detail.
    /// - Returns: the account's status before and after.
    @discardableResult
    public func setSuspended(_ suspended: Bool, username: String, by moderator: String, reason: String) async throws
        -> (previous: AccountStatus, current: AccountStatus)
    {
        let note = try Self.checkedReason(reason, required: false)
        let context = context
        return try await context.store.database.write { db in
            let accounts = AccountRepository(db)
            guard let caller = try accounts.find(username: moderator), caller.status == .active,
                caller.role == .admin || caller.role == .moderator
            else { throw CommunityError(.forbidden, "only the node's admins and moderators can suspend accounts") }
            guard let target = try accounts.find(username: username) else {
                throw CommunityError(.notFound, "no account named \"\(username)\" on this node")
            }
            guard target.actor.id != caller.actor.id else { throw CommunityError(.invalid, "you cannot suspend yourself") }
            guard target.role != .admin || caller.role == .admin else {
                throw CommunityError(.forbidden, "only an admin can suspend an admin")
            }
            let status: AccountStatus = suspended ? .suspended : .active
            try accounts.setStatus(status, username: username)
            try ModerationRepository(db).log(
                community: "", moderator: context.urls.actor(caller.actor), action: suspended ? "suspend" : "reinstate",
                target: context.urls.actor(target.actor), reason: note, reportID: nil)
            let action = switch (suspended, target.status) {
            case (true, .pending): "user.refuse"
            case (true, _): "user.suspend"
            case (false, .pending): "user.approve"
            case (false, _): "user.reinstate"
            }
            try AuditRepository(db).record(
                operator: caller.actor.username, action: action, target: target.actor.username,
                detail: "was \(target.status.rawValue)" + (note.isEmpty ? "" : ": " + note))
            return (target.status, status)
        }
    }

    /// The node's own moderation log (suspensions), for its admins and moderators.
    public func nodeLog(moderator: String) async throws -> [ModerationLogEntry] {
        try await context.store.database.read { db in
            guard let caller = try AccountRepository(db).find(username: moderator), caller.status == .active,
                caller.role == .admin || caller.role == .moderator
            else { throw CommunityError(.forbidden, "only the node's admins and moderators can read its moderation log") }
            return try ModerationRepository(db).logEntries(community: "")
        }
    }

    // MARK: - Helpers

    /// Trims a reason and checks its length.
    static func checkedReason(_ reason: String, required: Bool = true) throws(CommunityError) -> String {
        let text = reason.trimmingCharacters(in: .whitespacesAndNewlines)
        if required && text.isEmpty { throw CommunityError(.invalid, "give a reason") }
        guard text.count <= maxReasonLength else {
            throw CommunityError(.invalid, "a reason must have at most \(maxReasonLength) characters")
        }
        return text
    }

    /// Checks that `username` moderates the local community `community` (a name or actor id);
    /// returns the group, the community and its actor id.
    static func authoriseModerator(_ username: String, community: String, context: FederationContext, db: Connection)
        throws -> (LocalActor, Community, String)
    {
        guard let account = try AccountRepository(db).find(username: username), account.status == .active else {
            throw CommunityError(.notFound, "no active member named \"\(username)\" on this node")
        }
        let name = context.urls.localActorReference(community)?.username ?? community.lowercased()
        guard let found = try CommunityRepository(db).find(username: name) else {
            throw CommunityError(.notFound, "no community named \"\(name)\" on this node")
        }
        let communityID = context.urls.community(found.actor.username)
        let moderates = try account.affiliation != .supplier
            && ChangeAuthority.isModerator(context.urls.actor(account.actor), of: found.actor, context: context, db: db)
        guard moderates else {
            let authorization = try Authorization.load(account: account, urls: context.urls, db: db)
            try authorization.requireSee(found)
            throw CommunityError(.forbidden, "only the moderators of \(found.title) can do this")
        }
        return (found.actor, found, communityID)
    }

    /// Marks a report resolved; refuses one of another community or already resolved.
    static func close(_ reportID: Int64, action: Resolution, moderator: String, context: FederationContext, db: Connection)
        throws
    {
        guard try ModerationRepository(db).resolve(
            reportID: reportID, resolution: action.rawValue, by: try actorID(moderator, context: context, db: db))
        else { throw CommunityError(.conflict, "report \(reportID) is already resolved") }
    }

    static func actorID(_ username: String, context: FederationContext, db: Connection) throws -> String {
        guard let account = try AccountRepository(db).find(username: username) else {
            throw CommunityError(.notFound, "no member named \"\(username)\" on this node")
        }
        return context.urls.actor(account.actor)
    }

    static func localCommunity(_ id: String, context: FederationContext, db: Connection) throws -> (LocalActor, Community) {
        guard let actor = try context.localActor(id, db: db), actor.kind == .group,
            let community = try CommunityRepository(db).find(username: actor.username)
        else { throw CommunityError(.notFound, "no community \(id) on this node") }
        return (actor, community)
    }

    /// A member named by actor id, `@name@host` handle or local name, as an actor id.
    private func resolveMember(_ member: String) async throws -> String {
        if member.hasPrefix("http") { return member }
        if member.contains("@") {
            return try await context.directory.resolve(handle: member).id
        }
        let context = context
        let account = try await context.store.database.read { db in try AccountRepository(db).find(username: member) }
        guard let account else { throw CommunityError(.notFound, "no member named \"\(member)\" on this node") }
        return context.urls.actor(account.actor)
    }

    /// The personal inbox of a remote actor (nil for a local one).
    private func personalInbox(of actorID: String) async throws -> String? {
        guard !context.isLocal(actorID) else { return nil }
        let context = context
        if let cached = try await context.store.database.read({ db in try RemoteActorInbox.personal(of: actorID, db: db) }) {
            return cached
        }
        return try await context.directory.actor(id: actorID).inbox
    }

    private func activeAccount(_ username: String) async throws -> Account {
        let account = try await context.store.database.read { db in try AccountRepository(db).find(username: username) }
        guard let account, account.status == .active else {
            throw CommunityError(.notFound, "no active member named \"\(username)\" on this node")
        }
        return account
    }
}
