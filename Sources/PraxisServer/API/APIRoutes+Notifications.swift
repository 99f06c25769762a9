import Foundation
import PraxisActivityStreams
import PraxisCommunity
import PraxisHTTP
import PraxisJSON
import PraxisStorage

/// Notifications: the member's list (cursor pagination, newest first), the unread count, marking
/// read, the digest feed token, and the Atom feed itself at `GET /feeds/TOKEN.atom`.
///
/// The feed is the only unauthenticated route here: its 256-bit token is the credential, stored
/// as a hash, compared in constant time, and every unknown or malformed token is the same 404.
extension APIRoutes {
    func registerNotifications(into router: inout Router) {
        let api = self
        let p = Self.prefix
        let small = APIBody.maxBytes
        router.get("\(p)/notifications", authed { r, c in try await api.notifications(r, c) })
        router.get("\(p)/notifications/unread-count", authed { _, c in try await api.unreadCount(c) })
        router.post("\(p)/notifications/read", maxBodySize: small, authed { r, c in try await api.markRead(r, c) })
        router.post("\(p)/me/feed-token", maxBodySize: small, authed { _, c in try await api.rotateFeedToken(c) })
        router.delete("\(p)/me/feed-token", authed { _, c in try await api.revokeFeedToken(c) })
        router.get("/feeds/:file") { request in await api.feed(request) }
    }

    var notificationService: NotificationService { NotificationService(store: store, urls: urls) }

    func notifications(_ request: HTTPRequest, _ context: Context) async throws -> HTTPResponse {
        let query = request.queryItems
        var unreadOnly = false
        if let unread = query["unread"] {
            switch unread {
            case "true": unreadOnly = true
            case "false": unreadOnly = false
            default: throw APIError.badRequest("\"unread\" must be true or false", field: "unread")
            }
        }
        var before: Int64?
        if let text = query["before"] {
            guard let value = Int64(text), value > 0 else {
                throw APIError.badRequest("\"before\" must be a notification id (a positive whole number)", field: "before")
            }
            before = value
        }
        var limit = NotificationService.defaultLimit
        if let text = query["limit"] {
            guard let value = Int(text), (1...NotificationService.maxLimit).contains(value) else {
                throw APIError.badRequest(
                    "\"limit\" must be a whole number from 1 to \(NotificationService.maxLimit)", field: "limit")
            }
            limit = value
        }
        let page = try await notificationService.list(
            member: context.username, unreadOnly: unreadOnly, before: before, limit: limit)
        return Self.json([
            "notifications": .array(page.items.map(Self.notificationView)),
            "next": page.nextBefore.map { .integer($0) } ?? .null,
        ])
    }

    func unreadCount(_ context: Context) async throws -> HTTPResponse {
        Self.json(["unread": .integer(Int64(try await notificationService.unreadCount(member: context.username)))])
    }

    func markRead(_ request: HTTPRequest, _ context: Context) async throws -> HTTPResponse {
        let body = try APIBody.parse(request)
        let given = ["ids", "all", "upTo"].filter { body.object[$0] != nil && body.object[$0] != .null }
        guard given.count == 1, let field = given.first else {
            throw APIError.invalid("give exactly one of \"ids\" (a list of ids), \"all\": true or \"upTo\" (an id)",
                                   field: given.count > 1 ? given[1] : "ids")
        }
        let selection: NotificationService.ReadSelection
        switch field {
        case "ids":
            guard case .array(let items)? = body.object["ids"] else {
                throw APIError.invalid("\"ids\" must be a list of notification ids", field: "ids")
            }
            let ids = items.compactMap(Self.positiveID)
            guard ids.count == items.count, (1...NotificationService.maxMarkIDs).contains(ids.count) else {
                throw APIError.invalid(
                    "\"ids\" must be a list of 1 to \(NotificationService.maxMarkIDs) notification ids", field: "ids")
            }
            selection = .ids(ids)
        case "all":
            guard body.object["all"] == .bool(true) else {
                throw APIError.invalid("\"all\" must be true (or leave it out)", field: "all")
            }
            selection = .all
        default:
            guard let id = body.object["upTo"].flatMap(Self.positiveID) else {
                throw APIError.invalid("\"upTo\" must be a notification id", field: "upTo")
            }
            selection = .upTo(id)
        }
        let service = notificationService
        let marked = try await service.markRead(member: context.username, selection)
        let unread = try await service.unreadCount(member: context.username)
        return Self.json(["marked": .integer(Int64(marked)), "unread": .integer(Int64(unread))])
    }

    func rotateFeedToken(_ context: Context) async throws -> HTTPResponse {
        let service = notificationService
        let token = try await service.rotateFeedToken(member: context.username)
        return Self.json(["token": .string(token), "url": .string(service.feedURL(token: token))], status: .created)
    }

    func revokeFeedToken(_ context: Context) async throws -> HTTPResponse {
        try await notificationService.revokeFeedToken(member: context.username)
        return Self.noContent
    }

    /// `GET /feeds/TOKEN.atom`: the member's digest; 404 for anything but a current token.
    func feed(_ request: HTTPRequest) async -> HTTPResponse {
        var response: HTTPResponse
        let file = request.parameters["file"] ?? ""
        do {
            guard file.hasSuffix(".atom") else { throw CommunityError(.notFound, "no feed here") }
            let digest = try await notificationService.feed(token: String(file.dropLast(".atom".count)))
            let xml = NotificationFeed.atom(
                account: digest.account, items: digest.items, urls: urls, nodeName: store.configuration.name)
            response = HTTPResponse(contentType: "application/atom+xml; charset=utf-8", body: xml)
        } catch let error as CommunityError where error.kind == .notFound {
            response = HTTPResponse(status: .notFound, contentType: "text/plain; charset=utf-8",
                                    body: "No feed here. Create a feed URL in your notification settings.\n")
        } catch {
            response = HTTPResponse(status: .internalServerError, contentType: "text/plain; charset=utf-8",
                                    body: "The feed could not be produced; try again later.\n")
        }
        // The URL is a credential: keep the answer out of shared caches.
        response.headers["Cache-Control"] = "private, no-store"
        return response
    }

    static func positiveID(_ value: JSON) -> Int64? {
        guard case .integer(let id) = value, id > 0 else { return nil }
        return id
    }

    static func notificationView(_ item: NotificationService.Item) -> JSON {
        let record = item.record
        return [
            "id": .integer(record.id),
            "kind": .string(record.kind.rawValue),
            "actor": .string(record.actor),
            "object": record.object.map { .string($0) } ?? .null,
            "community": record.community.map { .string($0) } ?? .null,
            "thread": record.thread.map { .string($0) } ?? .null,
            "title": item.title.map { .string($0) } ?? .null,
            "createdAt": .string(ISO8601.string(record.createdAt)),
            "read": .bool(record.isRead),
        ]
    }
}
