import Foundation
import PraxisFederation
import PraxisSQLite
import PraxisStorage
import Synchronization

/// What one account may do, decided in one place from its role, affiliation and status and from
/// its memberships (the state of its follows).
///
/// Handlers ask; they never decide themselves. The rules:
/// - a non-active (pending or suspended) account may do nothing;
/// - suppliers never join, read or post in practitioner communities, nor follow remote ones;
/// - a public community is visible to everyone; a members-only one only to its accepted members
///   and its owner, and to everyone else it does not exist (so refusals are "not found");
/// - posting needs an accepted membership; managing needs ownership or the node's admin role;
/// - creating communities is for admins and moderators.
///
/// ```swift
/// let authorization = try Authorization.load(account: account, urls: urls, db: db)
/// try authorization.requireRead(community)        // throws .notFound or .forbidden
/// ```
public struct Authorization: Sendable {
    public let account: Account
    public let urls: NodeURLs
    /// State of each follow the account has, by the followed actor's id.
    public let memberships: [String: Follow.State]
    /// For a guest (an external expert): the one community and optional topic it was invited to,
    /// and when that ends.
    public let guestScope: GuestScope?
    /// When the decision is made (guest scopes end).
    public let now: Date
    /// Communities (actor ids, local or remote) whose moderators banned the account.
    public let bannedFrom: Set<String>

    public struct GuestScope: Sendable, Equatable {
        public var community: String
        public var topic: String?
        public var expiresAt: Date
    }

    public init(account: Account, urls: NodeURLs, memberships: [String: Follow.State], guestScope: GuestScope? = nil,
                now: Date = Date(), bannedFrom: Set<String> = []) {
        self.bannedFrom = bannedFrom
        self.account = account
        self.urls = urls
        self.memberships = memberships
        self.guestScope = guestScope
        self.now = now
    }

    /// Reads the account's memberships and guest scope.
    public static func load(account: Account, urls: NodeURLs, db: Connection) throws -> Authorization {
        let memberships = try FollowRepository(db).states(of: urls.actor(account.actor))
        let scope = try InvitationRepository(db).guestScope(accountID: account.actor.id).map {
            GuestScope(community: $0.community, topic: $0.topic, expiresAt: $0.expiresAt)
        }
        let banned = try ModerationRepository(db).bannedCommunities(actor: urls.actor(account.actor))
        return Authorization(account: account, urls: urls, memberships: memberships, guestScope: scope, bannedFrom: banned)
    }

    /// Like ``load(account:urls:db:)``, reusing the memberships, guest scope and bans `memo` kept
    /// for the account while the permissions read generation (bumped by every change to follows,
    /// guest scopes, bans and accounts, see `ReadGenerations`) is the one they were read at; the
    /// account itself is always the one given. Members of many communities otherwise read all
    /// their follows at every request.
    public static func load(account: Account, urls: NodeURLs, db: Connection, memo: AuthorizationMemo) throws
        -> Authorization
    {
        let generation = try ReadGenerations(db).stamp([ReadGenerations.permissions]).values[0]
        if let kept = memo.kept(account.actor.id, generation: generation) {
            return Authorization(
                account: account, urls: urls, memberships: kept.memberships, guestScope: kept.guestScope,
                bannedFrom: kept.bannedFrom)
        }
        let loaded = try load(account: account, urls: urls, db: db)
        memo.keep(loaded, generation: generation)
        return loaded
    }

    /// A guest's scope covers `communityID` (and has not ended); everyone else is unrestricted.
    func withinGuestScope(_ communityID: String) -> Bool {
        guard let guestScope else { return true }
        return guestScope.expiresAt > now && guestScope.community == communityID
    }

    /// Whether the account may read this post: guests only inside their topic until their scope
    /// ends; members of the community always.
    public func canRead(post: StoredObject, db: Connection) throws -> Bool {
        guard let guestScope else { return true }
        return try PostingRules.guestMaySee(
            post, scope: (guestScope.community, guestScope.topic, guestScope.expiresAt), db: db, now: now)
    }

    /// Whether the account may read a stored post at all: within a guest's scope and, for a post
    /// in a local community, in a community it may read. Anything else is answered as missing,
    /// by every operation that names the post (reading, reporting), so none reveals it exists.
    public func canReadPost(_ post: StoredObject, db: Connection) throws -> Bool {
        guard try canRead(post: post, db: db) else { return false }
        guard let audience = post.audience, let reference = urls.localActorReference(audience), reference.kind == .group,
            let community = try CommunityRepository(db).find(username: reference.username)
        else { return true }
        return canRead(community: community)
    }

    /// The account's actor id.
    public var actorID: String { urls.actor(account.actor) }

    var isActive: Bool { account.status == .active }
    var isPractitioner: Bool { isActive && account.affiliation != .supplier }

    /// The account's membership state in a community (local or remote), if it asked to join.
    public func membership(of communityID: String) -> Follow.State? { memberships[communityID] }

    /// True when the account is an accepted member of the community.
    public func isMember(of communityID: String) -> Bool { memberships[communityID] == .accepted }

    func isOwner(of community: Community) -> Bool { community.ownerUsername == account.actor.username }

    /// Whether the community appears at all to this account (in lists, by name).
    public func canSee(_ community: Community) -> Bool {
        guard isActive, withinGuestScope(urls.community(community.actor.username)) else { return false }
        if community.visibility == .public { return true }
        return isPractitioner && (isMember(of: urls.community(community.actor.username)) || isOwner(of: community))
    }

    /// Whether the account may read the community's posts.
    public func canRead(community: Community) -> Bool { isPractitioner && canSee(community) }

    /// What a search by this account may return, from the same rules as reading: local
    /// communities it may read, remote communities it is an accepted member of, and public
    /// content of other remote communities; for a guest only its community (and topic) until the
    /// invitation ends. Suppliers and inactive accounts read nothing.
    public func searchScope(db: Connection) throws -> SearchScope {
        guard isPractitioner else { return .nothing }
        let local = try CommunityRepository(db).all()
        let localIDs = local.map { urls.community($0.actor.username) }
        var readable = local.filter { canRead(community: $0) }.map { urls.community($0.actor.username) }
        let localSet = Set(localIDs)
        readable += memberships.keys.sorted().filter { id in
            !localSet.contains(id) && isMember(of: id) && withinGuestScope(id)
        }
        return SearchScope(
            communities: readable, publicRemoteContent: guestScope == nil, localCommunities: localIDs,
            topic: guestScope?.topic)
    }

    /// Whether the account may ask to join the community (the join policy then decides whether it
    /// is accepted at once or waits for approval).
    /// Members-only communities with an approval policy accept requests from people who cannot
    /// see them yet, or nobody could ever join; invitation-only ones do not.
    public func canJoin(_ community: Community) -> Bool {
        isPractitioner && guestScope == nil && community.joinPolicy != .invite
            && !bannedFrom.contains(urls.community(community.actor.username))
    }

    /// Whether the account may post in a community, local or remote, named by its actor id.
    public func canPost(in communityID: String) -> Bool {
        isPractitioner && isMember(of: communityID) && withinGuestScope(communityID) && !bannedFrom.contains(communityID)
    }

    /// Whether the account may follow remote communities and people.
    public var canFollowRemote: Bool { isPractitioner && guestScope == nil }

    /// Whether the account may change the community's settings and members.
    public func canManage(community: Community) -> Bool {
        isPractitioner && (isOwner(of: community) || (account.role == .admin && canSee(community)))
    }

    /// Whether the account may see who the members are.
    public func canListMembers(of community: Community) -> Bool {
        guard isPractitioner, canSee(community) else { return false }
        return canManage(community: community) || account.role == .moderator
            || isMember(of: urls.community(community.actor.username))
    }

    /// Whether the account may create communities on this node.
    public var canCreateCommunity: Bool {
        isPractitioner && guestScope == nil && (account.role == .admin || account.role == .moderator)
    }

    /// Whether the account may edit or delete a post.
    public func canChange(_ post: StoredObject) -> Bool { isActive && post.attributedTo == actorID }

    // MARK: - Refusals as errors

    /// A community the account cannot see is reported as missing, never as forbidden.
    public func requireSee(_ community: Community) throws(CommunityError) {
        guard canSee(community) else { throw Self.missing(community.actor.username) }
    }

    public func requireRead(_ community: Community) throws(CommunityError) {
        try requireSee(community)
        guard canRead(community: community) else {
            throw CommunityError(.forbidden, "suppliers cannot read practitioner communities")
        }
    }

    public func requireJoin(_ community: Community) throws(CommunityError) {
        guard isPractitioner else {
            throw CommunityError(.forbidden, "suppliers cannot join practitioner communities")
        }
        guard !bannedFrom.contains(urls.community(community.actor.username)) else {
            throw CommunityError(.forbidden, "you are banned from \(community.title)")
        }
        guard canJoin(community) else {
            guard canSee(community) else { throw Self.missing(community.actor.username) }
            throw CommunityError(.forbidden, "\(community.title) admits members by invitation only")
        }
    }

    public func requirePost(in communityID: String) throws(CommunityError) {
        guard isPractitioner else {
            throw CommunityError(.forbidden, "suppliers cannot post in practitioner communities")
        }
        guard !bannedFrom.contains(communityID) else {
            throw CommunityError(.forbidden, "you are banned from \(communityID)")
        }
        guard canPost(in: communityID) else {
            let state = membership(of: communityID)
            throw CommunityError(
                .forbidden,
                state == .pending ? "your request to join \(communityID) is still pending" : "join \(communityID) before posting there")
        }
    }

    public func requireFollowRemote() throws(CommunityError) {
        guard canFollowRemote else {
            throw CommunityError(.forbidden, "suppliers cannot join practitioner communities")
        }
    }

    public func requireListMembers(of community: Community) throws(CommunityError) {
        try requireSee(community)
        guard canListMembers(of: community) else {
            throw CommunityError(.forbidden, "only members, managers and moderators may see who belongs to \(community.title)")
        }
    }

    public func requireCreateCommunity() throws(CommunityError) {
        guard canCreateCommunity else {
            throw CommunityError(.forbidden, "only admins and moderators may create communities")
        }
    }

    public func requireChange(_ post: StoredObject) throws(CommunityError) {
        guard canChange(post) else { throw CommunityError(.forbidden, "only the author may change this post") }
    }

    // MARK: - Remote communities, threads, profiles, exports

    /// Whether a community of another node appears to this account in lists: members-only ones
    /// only to those who asked to join them (as local members-only communities).
    public func canSee(remoteCommunity id: String, membersOnly: Bool) -> Bool {
        guard isActive, withinGuestScope(id) else { return false }
        return !membersOnly || membership(of: id) != nil
    }

    /// Whether the account may read what this node holds of a remote community: accepted members
    /// always; other practitioners (not guests) when the community is public.
    public func canRead(remoteCommunity id: String, membersOnly: Bool) -> Bool {
        guard isPractitioner, withinGuestScope(id), !bannedFrom.contains(id) else { return false }
        return isMember(of: id) || (!membersOnly && guestScope == nil)
    }

    /// Refuses reading a remote community's threads: "not found" when it is hidden from the
    /// account, "forbidden" when it is visible but not readable.
    public func requireRead(remoteCommunity id: String, membersOnly: Bool) throws(CommunityError) {
        guard canSee(remoteCommunity: id, membersOnly: membersOnly) else {
            throw CommunityError(.notFound, "no community \(id) known to this node")
        }
        guard canRead(remoteCommunity: id, membersOnly: membersOnly) else {
            throw CommunityError(
                .forbidden, isPractitioner ? "join \(id) to read its threads" : "suppliers cannot read practitioner communities")
        }
    }

    /// Whether the account may see another member's profile: a local member (active) or a remote
    /// person the node knows. Guests see only their own; suppliers see profiles (names are not
    /// confidential, content is).
    public var canSeeProfiles: Bool { isActive && guestScope == nil }

    public func requireSeeProfiles() throws(CommunityError) {
        guard canSeeProfiles else { throw CommunityError(.forbidden, "guests can see only their own profile") }
    }

    /// Whether the account may change its own profile and settings, and export its data: any
    /// active account, guests and suppliers included (it is their own data).
    public var canManageOwnData: Bool { isActive }

    public func requireManageOwnData() throws(CommunityError) {
        guard canManageOwnData else { throw CommunityError(.forbidden, "this account is not active") }
    }

    static func missing(_ name: String) -> CommunityError {
        CommunityError(.notFound, "no community named \"\(name)\" on this node")
    }
}

/// The parts of ``Authorization`` read from the database, per account, with the permissions read
/// generation they were read at (see ``Authorization/load(account:urls:db:memo:)``).
public final class AuthorizationMemo: Sendable {
    struct Kept {
        var generation: Int64
        var memberships: [String: Follow.State]
        var guestScope: Authorization.GuestScope?
        var bannedFrom: Set<String>
    }

    /// Beyond this many accounts the memo starts again empty (a bound, not a cache policy).
    static let capacity = 10_000
    private let kept = Mutex<[Int64: Kept]>([:])

    public init() {}

    func kept(_ accountID: Int64, generation: Int64) -> Kept? {
        kept.withLock { kept in kept[accountID].flatMap { $0.generation == generation ? $0 : nil } }
    }

    func keep(_ authorization: Authorization, generation: Int64) {
        let entry = Kept(
            generation: generation, memberships: authorization.memberships, guestScope: authorization.guestScope,
            bannedFrom: authorization.bannedFrom)
        kept.withLock { kept in
            if kept.count >= Self.capacity { kept.removeAll() }
            kept[authorization.account.actor.id] = entry
        }
    }
}
