import Foundation
import PraxisActivityStreams
import PraxisCommunity
import PraxisHTTP
import PraxisJSON
import PraxisStorage

/// `GET /api/v1/audit-log`: the operators' audit log for the node's admins, read with the same
/// query as `praxis audit list` (``AuditLogService``).
extension APIRoutes {
    func registerAudit(into router: inout Router) {
        let api = self
        router.get("\(Self.prefix)/audit-log", authed { r, c in try await api.auditLog(r, c) })
    }

    func auditLog(_ request: HTTPRequest, _ context: Context) async throws -> HTTPResponse {
        let items = request.queryItems
        let query: AuditLogService.Query
        do {
            query = try AuditLogService.query(
                action: items["action"], actor: items["actor"], since: items["since"], until: items["until"],
                cursor: items["cursor"], limit: items["limit"], limits: .api)
        } catch {
            throw APIError.badRequest(error.message, field: error.field)
        }
        let page = try await AuditLogService(store: store).page(query, viewer: context.username)
        return Self.json([
            "entries": .array(page.entries.map(Self.auditView)),
            "next": page.next.map { .string($0) } ?? .null,
        ])
    }

    static func auditView(_ entry: AuditEntry) -> JSON {
        [
            "id": .integer(entry.id), "operator": .string(entry.operatorName), "action": .string(entry.action),
            "target": .string(entry.target), "detail": .string(entry.detail),
            "created": .string(ISO8601.string(entry.createdAt)),
        ]
    }
}
