import Foundation
import PraxisActivityStreams
import PraxisCommunity
import PraxisHTTP
import PraxisJSON
import PraxisStorage

/// Moderation: reports, the moderators' queue and actions, bans, warnings, the moderation log
/// and account suspensions. ``ModerationService`` decides who may do what; refusals are 4xx
/// (non-moderators 403).
extension APIRoutes {
    func registerModeration(into router: inout Router) {
        let api = self
        let p = Self.prefix
        let small = APIBody.maxBytes
        router.post("\(p)/reports", maxBodySize: small, authed { r, c in try await api.report(r, c) })
        router.post("\(p)/reports/:id/resolve", maxBodySize: small, authed { r, c in try await api.resolveReport(r, c) })
        router.get("\(p)/communities/:name/reports", authed { r, c in try await api.reports(r, c) })
        router.get("\(p)/communities/:name/moderation-log", authed { r, c in try await api.moderationLog(r, c) })
        router.post("\(p)/communities/:name/moderation-settings", maxBodySize: small,
                    authed { r, c in try await api.moderationSettings(r, c) })
        router.get("\(p)/communities/:name/bans", authed { r, c in try await api.bans(r, c) })
        router.post("\(p)/communities/:name/bans", maxBodySize: small, authed { r, c in try await api.ban(r, c) })
        router.delete("\(p)/communities/:name/bans", authed { r, c in try await api.unban(r, c) })
        router.post("\(p)/communities/:name/removals", maxBodySize: small, authed { r, c in try await api.removePost(r, c) })
        router.post("\(p)/communities/:name/warnings", maxBodySize: small, authed { r, c in try await api.warn(r, c) })
        router.get("\(p)/me/warnings", authed { _, c in try await api.myWarnings(c) })
        router.post("\(p)/accounts/:name/suspend", maxBodySize: small, authed { r, c in try await api.suspend(r, c, true) })
        router.post("\(p)/accounts/:name/reinstate", maxBodySize: small, authed { r, c in try await api.suspend(r, c, false) })
        router.get("\(p)/moderation-log", authed { _, c in try await api.nodeModerationLog(c) })
    }

    func moderation() throws -> ModerationService { ModerationService(context: try requireSocial().context) }

    func report(_ request: HTTPRequest, _ context: Context) async throws -> HTTPResponse {
        let body = try APIBody.parse(request)
        let reason = try body.requiredString("reason")
        let object = try body.string("object")
        let account = try body.string("account")
        guard object != nil || account != nil else {
            throw APIError.invalid("name the post (\"object\") or the member (\"account\") you report", field: "object")
        }
        let receipt = try await moderation().report(
            member: context.username, object: object, account: account, community: try body.string("community"),
            reason: reason)
        var view: JSONObject = ["community": .string(receipt.community), "sent": .bool(receipt.sent)]
        if let id = receipt.id { view["id"] = .integer(id) }
        return Self.json(.object(view), status: receipt.sent ? .accepted : .created)
    }

    func reports(_ request: HTTPRequest, _ context: Context) async throws -> HTTPResponse {
        let state = request.queryItems["state"] ?? "open"
        guard state == "open" || state == "all" else {
            throw APIError.badRequest("state must be open or all", field: "state")
        }
        let reports = try await moderation().reports(
            moderator: context.username, community: request.parameters["name"] ?? "", includeResolved: state == "all")
        return Self.json(["reports": .array(reports.map(Self.reportView))])
    }

    func resolveReport(_ request: HTTPRequest, _ context: Context) async throws -> HTTPResponse {
        guard let id = Int64(request.parameters["id"] ?? "") else { throw APIError.notFound("no report with that id") }
        let body = try APIBody.parse(request)
        guard let action = try body.choice("action", as: ModerationService.Resolution.self,
                                           allowed: ModerationService.Resolution.allCases)
        else { throw APIError.invalid("\"action\" must be remove, ban, warn or dismiss", field: "action") }
        try await moderation().resolve(moderator: context.username, reportID: id, action: action,
                                       reason: try body.string("reason"))
        return Self.noContent
    }

    func moderationLog(_ request: HTTPRequest, _ context: Context) async throws -> HTTPResponse {
        let name = request.parameters["name"] ?? ""
        let service = try moderation()
        let entries = try await service.log(viewer: context.username, community: name)
        return Self.json([
            "publicRemovals": .bool(try await service.publicRemovals(community: name)),
            "entries": .array(entries.map(Self.logView)),
        ])
    }

    func moderationSettings(_ request: HTTPRequest, _ context: Context) async throws -> HTTPResponse {
        let body = try APIBody.parse(request)
        guard let value = body.object["publicRemovals"]?.boolValue else {
            throw APIError.invalid("\"publicRemovals\" must be true or false", field: "publicRemovals")
        }
        try await moderation().setPublicRemovals(value, community: request.parameters["name"] ?? "", by: context.username)
        return Self.noContent
    }

    func bans(_ request: HTTPRequest, _ context: Context) async throws -> HTTPResponse {
        let bans = try await moderation().bans(moderator: context.username, community: request.parameters["name"] ?? "")
        return Self.json(["bans": .array(bans.map { ban in
            [
                "account": .string(ban.actor), "reason": .string(ban.reason), "bannedBy": .string(ban.bannedBy),
                "created": .string(ISO8601.string(ban.createdAt)),
            ]
        })])
    }

    func ban(_ request: HTTPRequest, _ context: Context) async throws -> HTTPResponse {
        let body = try APIBody.parse(request)
        try await moderation().ban(
            moderator: context.username, community: request.parameters["name"] ?? "",
            member: try body.requiredString("account"), reason: try body.string("reason") ?? "")
        return Self.noContent
    }

    func unban(_ request: HTTPRequest, _ context: Context) async throws -> HTTPResponse {
        guard let account = request.queryItems["account"]?.trimmingCharacters(in: .whitespaces), !account.isEmpty else {
            throw APIError.badRequest("name the member whose ban to lift with ?account=URL", field: "account")
        }
        try await moderation().unban(moderator: context.username, community: request.parameters["name"] ?? "",
                                     member: account)
        return Self.noContent
    }

    func removePost(_ request: HTTPRequest, _ context: Context) async throws -> HTTPResponse {
        let body = try APIBody.parse(request)
        try await moderation().remove(
            moderator: context.username, community: request.parameters["name"] ?? "",
            object: try body.requiredString("object"), reason: try body.string("reason") ?? "")
        return Self.noContent
    }

    func warn(_ request: HTTPRequest, _ context: Context) async throws -> HTTPResponse {
        let body = try APIBody.parse(request)
        try await moderation().warn(
            moderator: context.username, community: request.parameters["name"] ?? "",
            member: try body.requiredString("account"), reason: try body.requiredString("reason"),
            object: try body.string("object"))
        return Self.noContent
    }

    func myWarnings(_ context: Context) async throws -> HTTPResponse {
        let warnings = try await moderation().warnings(member: context.username)
        return Self.json(["warnings": .array(warnings.map { warning in
            var view: JSONObject = [
                "id": .integer(warning.id), "community": .string(warning.community), "reason": .string(warning.reason),
                "created": .string(ISO8601.string(warning.createdAt)),
            ]
            if let object = warning.object { view["object"] = .string(object) }
            return .object(view)
        })])
    }

    func suspend(_ request: HTTPRequest, _ context: Context, _ suspended: Bool) async throws -> HTTPResponse {
        let body = try APIBody.parse(request)
        let name = (request.parameters["name"] ?? "").lowercased()
        let (previous, current) = try await moderation().setSuspended(
            suspended, username: name, by: context.username, reason: try body.string("reason") ?? "")
        return Self.json(["name": .string(name), "status": .string(current.rawValue), "previous": .string(previous.rawValue)])
    }

    func nodeModerationLog(_ context: Context) async throws -> HTTPResponse {
        let entries = try await moderation().nodeLog(moderator: context.username)
        return Self.json(["entries": .array(entries.map(Self.logView))])
    }

    static func reportView(_ report: Report) -> JSON {
        var view: JSONObject = [
            "id": .integer(report.id), "community": .string(report.community), "account": .string(report.target),
            "reason": .string(report.reason), "node": .string(report.reporterNode), "state": .string(report.state.rawValue),
            "created": .string(ISO8601.string(report.createdAt)),
        ]
        if let object = report.object { view["object"] = .string(object) }
        if let reporter = report.reporter { view["reporter"] = .string(reporter) }
        if let resolution = report.resolution { view["resolution"] = .string(resolution) }
        if let by = report.resolvedBy { view["resolvedBy"] = .string(by) }
        if let at = report.resolvedAt { view["resolved"] = .string(ISO8601.string(at)) }
        return .object(view)
    }

    static func logView(_ entry: ModerationLogEntry) -> JSON {
        var view: JSONObject = [
            "id": .integer(entry.id), "action": .string(entry.action), "target": .string(entry.target),
            "reason": .string(entry.reason), "created": .string(ISO8601.string(entry.createdAt)),
        ]
        if !entry.moderator.isEmpty { view["moderator"] = .string(entry.moderator) }
        if let report = entry.reportID { view["report"] = .integer(report) }
        return .object(view)
    }
}
