import Foundation
import PraxisCommunity
import PraxisHTTP
import PraxisJSON

/// The member's data export, as a downloadable ZIP archive.
extension APIRoutes {
    func registerExport(into router: inout Router) {
        let api = self
        let p = Self.prefix
        router.get("\(p)/me/export", authed { _, c in try await api.export(c) })
        router.post("\(p)/me/export", maxBodySize: APIBody.maxBytes, authed { _, c in try await api.export(c) })
    }

    /// Writes the archive to a temporary file, opens it, and unlinks it at once: the open file
    /// streams the body and disappears with the response, even if the client never reads it.
    func export(_ context: Context) async throws -> HTTPResponse {
        let exporter = DataExport(store: store)
        let authorization = context.authorization
        let archive = try await SessionService.offPool { try exporter.export(by: authorization) }
        defer { try? FileManager.default.removeItem(atPath: archive.path) }
        let file: ResponseFile
        do {
            file = try ResponseFile(path: archive.path)
        } catch {
            throw APIError(.internalServerError, "internal", "the export could not be read back; try again later")
        }
        var headers: HTTPHeaders = [:]
        headers["Content-Type"] = "application/zip"
        headers["Content-Disposition"] = "attachment; filename=\"\(archive.filename)\""
        headers["X-Content-Type-Options"] = "nosniff"
        return HTTPResponse(status: .ok, headers: headers, file: file)
    }
}
