import Foundation
import PraxisHTTP
import PraxisStorage

/// `GET /metrics`: the Prometheus exposition, for operators only.
extension NodeRoutes {
    static let metricsRefusal =
        "metrics are for the node's operators: scrape from an address listed in metricsAllowFrom in config.json "
        + "(loopback by default, and not through a proxy) or send an admin's token as \"Authorization: Bearer TOKEN\""

    /// Allowed with an admin's bearer token from anywhere, or without a token from an address in
    /// `metricsAllowFrom`. A token that is not an admin's gets 403 even from an allowed address:
    /// the caller asked to be judged by it.
    func metricsPage(_ request: HTTPRequest) async throws -> HTTPResponse {
        if let header = request.headers["Authorization"] {
            let sessions = SessionService(store: store, passwordCost: .standard, lifetime: 0)
            let caller: SessionService.Caller
            do {
                caller = try await sessions.authenticate(authorization: header)
            } catch let error as APIError {
                var response = HTTPResponse.error(error.status, error.message)
                for (name, value) in error.headers { response.headers[name] = value }
                return response
            }
            guard caller.account.role == .admin else { throw HTTPError(.forbidden, Self.metricsRefusal) }
        } else if !metricsAccess.allows(request) {
            throw HTTPError(.forbidden, Self.metricsRefusal)
        }
        let text = try await MetricsExporter(store: store, metrics: metrics).render()
        var response = HTTPResponse(status: .ok, contentType: PrometheusText.contentType, body: text)
        response.headers["Cache-Control"] = "no-store"
        return response
    }
}
