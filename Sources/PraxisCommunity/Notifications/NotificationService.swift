import Foundation
import PraxisCrypto
import PraxisFederation
import PraxisSQLite
import PraxisStorage

/// A member's notifications: listing them newest first, unread counts, marking them read, and the
/// secret-token Atom digest feed.
///
/// Notifications are recorded where the changes happen (see `NotificationRecorder`); this service
/// only reads and marks them. Titles are looked up when shown and only for posts the member may
/// still read, so nothing of a members-only post reaches a member who has since left.
public struct NotificationService: Sendable {
    public static let defaultLimit = 20
    public static let maxLimit = 100
    /// Most ids one request may mark read.
    public static let maxMarkIDs = 500
    /// Entries in the digest feed.
    public static let feedLimit = 50

    public let store: NodeStore
    public let urls: NodeURLs

    public init(store: NodeStore, urls: NodeURLs) {
        self.store = store
        self.urls = urls
    }

    /// A notification as a member sees it.
    public struct Item: Sendable, Equatable {
        public var record: NotificationRecord
        /// The title of the thread (or post) concerned, when there is one the member may read.
        public var title: String?
    }

    /// One page, newest first; `nextBefore` continues with older ones (nil on the last page).
    public struct Page: Sendable, Equatable {
        public var items: [Item]
        public var nextBefore: Int64?
    }

    /// Which notifications to mark read.
    public enum ReadSelection: Sendable, Equatable {
        case ids([Int64])
        case all
        /// Every notification up to and including this id.
        case upTo(Int64)
    }

    /// The member's notifications, newest first.
    ///
    /// - Parameters:
    ///   - unreadOnly: only those not yet marked read.
    ///   - before: a cursor (`nextBefore` of the previous page): only notifications with smaller ids.
    ///   - limit: 1 to ``maxLimit``.
    /// - Throws: ``CommunityError`` `.invalid` for a limit out of range, `.notFound` for an unknown member.
    public func list(member: String, unreadOnly: Bool = false, before: Int64? = nil, limit: Int = defaultLimit)
        async throws -> Page
    {
        guard (1...Self.maxLimit).contains(limit) else {
            throw CommunityError(.invalid, "limit must be a whole number from 1 to \(Self.maxLimit)")
        }
        let urls = urls
        return try await store.database.read { db in
            let account = try Self.account(member, db: db)
            // One extra row tells whether an older page exists.
            let records = try NotificationRepository(db).list(
                accountID: account.actor.id, unreadOnly: unreadOnly, before: before, limit: limit + 1)
            let page = Array(records.prefix(limit))
            let items = try page.map { Item(record: $0, title: try Self.title(of: $0, account: account, urls: urls, db: db)) }
            return Page(items: items, nextBefore: records.count > limit ? page.last?.id : nil)
        }
    }

    public func unreadCount(member: String) async throws -> Int {
        try await store.database.read { db in
            try NotificationRepository(db).unreadCount(accountID: try Self.account(member, db: db).actor.id)
        }
    }

    /// Marks notifications read; returns how many were unread. Ids of other members' notifications
    /// are ignored.
    /// - Throws: ``CommunityError`` `.invalid` for an empty or too long list of ids.
    @discardableResult
    public func markRead(member: String, _ selection: ReadSelection) async throws -> Int {
        if case .ids(let ids) = selection {
            guard !ids.isEmpty, ids.count <= Self.maxMarkIDs else {
                throw CommunityError(.invalid, "give 1 to \(Self.maxMarkIDs) notification ids")
            }
        }
        return try await store.database.write { db in
            let account = try Self.account(member, db: db)
            let notifications = NotificationRepository(db)
            switch selection {
            case .ids(let ids): return try notifications.markRead(accountID: account.actor.id, ids: ids)
            case .all: return try notifications.markAllRead(accountID: account.actor.id)
            case .upTo(let id): return try notifications.markAllRead(accountID: account.actor.id, upTo: id)
            }
        }
    }

    // MARK: - Digest feed

    /// Creates or replaces the member's feed token: 256 random bits, base64url; only its SHA-256 is
    /// stored, and the previous token stops working.
    /// - Returns: the token, to be shown once as part of the feed URL.
    public func rotateFeedToken(member: String) async throws -> String {
        let token = SecureRandom.token(bytes: 32)
        let hash = SHA256.hash(Array(token.utf8))
        try await store.database.write { db in
            let account = try Self.account(member, db: db)
            try NotificationRepository(db).setFeedToken(hash: hash, accountID: account.actor.id)
        }
        return token
    }

    /// Revokes the member's feed token; false when there was none.
    @discardableResult
    public func revokeFeedToken(member: String) async throws -> Bool {
        try await store.database.write { db in
            try NotificationRepository(db).removeFeedToken(accountID: try Self.account(member, db: db).actor.id)
        }
    }

    /// The feed URL of a token.
    public func feedURL(token: String) -> String { urls.base + "/feeds/" + token + ".atom" }

    /// The digest behind a feed token: the account and its newest notifications.
    /// - Throws: ``CommunityError`` `.notFound` for a malformed or unknown token, or an account
    ///   that is no longer active (the same answer for all, so tokens cannot be probed).
    public func feed(token: String) async throws -> (account: Account, items: [Item]) {
        let unknown = CommunityError(.notFound, "no feed here")
        guard token.utf8.count == 43, (try? Base64.urlDecode(token))?.count == 32 else { throw unknown }
        let hash = SHA256.hash(Array(token.utf8))
        let urls = urls
        let found = try await store.database.read { db -> (Account, [Item])? in
            guard let entry = try NotificationRepository(db).feedToken(hash: hash),
                ConstantTime.equals(entry.hash, hash),
                let actor = try ActorRepository(db).find(id: entry.accountID),
                let account = try AccountRepository(db).find(username: actor.username), account.status == .active
            else { return nil }
            let records = try NotificationRepository(db).list(
                accountID: account.actor.id, unreadOnly: false, before: nil, limit: Self.feedLimit)
            return (account, try records.map { Item(record: $0, title: try Self.title(of: $0, account: account, urls: urls, db: db)) })
        }
        guard let found else { throw unknown }
        return found
    }

    // MARK: - Helpers

    static func account(_ member: String, db: Connection) throws -> Account {
        guard let account = try AccountRepository(db).find(username: member) else {
            throw CommunityError(.notFound, "no member named \"\(member)\" on this node")
        }
        return account
    }

    /// The title of the thread a notification is about, only if the member may read it now.
    static func title(of record: NotificationRecord, account: Account, urls: NodeURLs, db: Connection) throws -> String? {
        guard let threadID = record.thread ?? (record.kind == .removal ? nil : record.object),
            let thread = try ObjectRepository(db).find(id: threadID), thread.deletedAt == nil, let name = thread.name,
            try NotificationAccess.mayRead(thread, account: account, urls: urls, db: db)
        else { return nil }
        return name
    }
}
