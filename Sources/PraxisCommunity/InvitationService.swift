import Foundation
import PraxisCrypto
import PraxisFederation
import PraxisSQLite
import PraxisStorage

/// Invitations of external experts: a community manager creates a one-time link, scoped to the
/// community and optionally to one topic (a tag, or one thread), with an end date. Redeeming it
/// creates a guest account that sees and posts in that scope only, cannot invite, and loses access
/// at the end date.
public struct InvitationService: Sendable {
    public static let maximumValidity: TimeInterval = 365 * 86_400

    public let context: FederationContext
    public let passwordCost: PasswordHash.Cost

    public init(context: FederationContext, passwordCost: PasswordHash.Cost = .standard) {
        self.context = context
        self.passwordCost = passwordCost
    }

    /// A created invitation: the secret token (shown once, never stored) and the link to send.
    public struct Created: Sendable {
        public var token: String
        public var url: String
        public var expiresAt: Date
    }

    /// Invites an external expert to `community` (a local community's name), optionally limited to
    /// `topic`: a tag (`marches-publics`) or a thread's id (an http(s) URL).
    public func inviteExpert(manager: String, community: String, topic: String?, validFor: TimeInterval,
                             note: String = "", now: Date = Date()) throws -> Created {
        guard validFor > 0, validFor <= Self.maximumValidity else {
            throw CommunityError(.invalid, "an invitation is valid for 1 second to 365 days")
        }
        if let topic {
            guard !topic.isEmpty, topic.count <= 500, !topic.contains(where: \.isWhitespace) else {
                throw CommunityError(.invalid, "the topic is a tag or a thread's URL, without spaces")
            }
        }
        let token = SecureRandom.token(bytes: 32)
        let expires = now.addingTimeInterval(validFor)
        let context = context
        try context.store.database.write { db in
            let (group, _) = try MembershipService.authorise(manager: manager, community: community, context: context, db: db)
            guard let inviter = try AccountRepository(db).find(username: manager),
                try InvitationRepository(db).guestScope(accountID: inviter.actor.id) == nil
            else { throw CommunityError(.forbidden, "guests cannot invite") }
            if let topic, topic.hasPrefix("http") {
                guard let thread = try ObjectRepository(db).find(id: topic),
                    thread.audience == context.urls.community(group.username), thread.inReplyTo == nil
                else { throw CommunityError(.notFound, "no thread \(topic) in \(community)") }
            }
            try InvitationRepository(db).insert(
                kind: .expert, tokenHash: SHA256.hash(Array(token.utf8)), community: group.username, topic: topic,
                inviterID: inviter.actor.id, invitee: nil, note: note, expiresAt: expires, now: now)
        }
        return Created(token: token, url: context.urls.base + "/invitations/" + token, expiresAt: expires)
    }

    /// Redeems an expert invitation: creates the guest account, makes it a member of the
    /// community, and records the scope.
    public func redeem(token: String, username: String, password: String, displayName: String?, email: String?,
                       now: Date = Date()) throws -> Account {
        let hash = SHA256.hash(Array(token.utf8))
        let context = context
        let invitation = try context.store.database.read { db in try InvitationRepository(db).find(tokenHash: hash) }
        guard let invitation, invitation.kind == .expert else {
            throw CommunityError(.notFound, "this invitation link is not valid; ask the community manager for a new one")
        }
        guard invitation.usedAt == nil else {
            throw CommunityError(.forbidden, "this invitation was already used; each link works once")
        }
        guard invitation.expiresAt > now else {
            throw CommunityError(.forbidden, "this invitation expired on \(ISO8601DateFormatter().string(from: invitation.expiresAt))")
        }
        let account = try AccountService(store: context.store, passwordCost: passwordCost).add(
            .init(username: username, password: password, displayName: displayName, role: .member, affiliation: .expert,
                  email: email))
        let communityID = context.urls.community(invitation.community)
        do {
            try context.store.database.write { db in
                try InvitationRepository(db).markUsed(id: invitation.id, by: account.actor.id, now: now)
                try InvitationRepository(db).setGuestScope(
                    accountID: account.actor.id, community: communityID, topic: invitation.topic, expiresAt: invitation.expiresAt)
                try FollowRepository(db).upsert(Follow(
                    follower: context.urls.actor(account.actor), followed: communityID, followerInbox: nil,
                    followerDomain: context.urls.domain, followedDomain: context.urls.domain, state: .accepted,
                    activityID: context.publisher.newActivityID()))
            }
        } catch {
            // The link was used concurrently: the account just created must not survive without scope.
            try? context.store.database.write { db in try db.run("DELETE FROM actors WHERE id = ?", account.actor.id) }
            throw CommunityError(.forbidden, "this invitation was already used; each link works once")
        }
        return account
    }
}

/// The rules every local post passes, in one place: suppliers never post, codes of conduct must be
/// accepted, and guests stay inside their scope until it ends.
enum PostingRules {
    static func check(_ account: Account, community: String, localCommunity: String?, inReplyTo: String?, tags: [String],
                      context: FederationContext, db: Connection, now: Date = Date()) throws {
        guard account.affiliation != .supplier else {
            throw CommunityError(.forbidden, "suppliers cannot take part in practitioner communities")
        }
        try ConductService.requireAccepted(account, community: localCommunity, db: db)
        guard let scope = try InvitationRepository(db).guestScope(accountID: account.actor.id) else { return }
        guard scope.expiresAt > now else {
            throw CommunityError(.forbidden, "your invitation ended on \(ISO8601DateFormatter().string(from: scope.expiresAt))")
        }
        guard scope.community == community else {
            throw CommunityError(.forbidden, "your invitation covers \(scope.community) only")
        }
        guard let topic = scope.topic else { return }
        let objects = ObjectRepository(db)
        if topic.hasPrefix("http") {
            guard let parent = inReplyTo, try FederationContext.threadRoot(of: parent, db: db) == topic else {
                throw CommunityError(.forbidden, "your invitation covers the thread \(topic) only")
            }
        } else if let parent = inReplyTo {
            let root = try FederationContext.threadRoot(of: parent, db: db)
            guard let thread = try objects.find(id: root), thread.tags.contains(topic) else {
                throw CommunityError(.forbidden, "your invitation covers threads tagged #\(topic) only")
            }
        } else {
            guard tags.map({ $0.lowercased() }).contains(topic) else {
                throw CommunityError(.forbidden, "your invitation covers threads tagged #\(topic) only; add that tag")
            }
        }
    }

    /// Whether a guest may see an object (a thread or reply) of `community`; members always may.
    static func guestMaySee(_ object: StoredObject, scope: (community: String, topic: String?, expiresAt: Date),
                            db: Connection, now: Date = Date()) throws -> Bool {
        guard scope.expiresAt > now, object.audience == scope.community else { return false }
        guard let topic = scope.topic else { return true }
        let root = try FederationContext.threadRoot(of: object.id, db: db)
        if topic.hasPrefix("http") { return root == topic }
        return try ObjectRepository(db).find(id: root)?.tags.contains(topic) ?? false
    }
}
