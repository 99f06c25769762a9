import Foundation
import PraxisActivityStreams
import PraxisCommunity
import PraxisFederation
import PraxisHTTP
import PraxisJSON
import PraxisStorage

/// The member's own profile and settings, and other members' profiles.
extension APIRoutes {
    func registerProfile(into router: inout Router) {
        let api = self
        let p = Self.prefix
        let small = APIBody.maxBytes
        router.get("\(p)/me/profile", authed { _, c in try await api.ownProfile(c) })
        router.patch("\(p)/me/profile", maxBodySize: small, authed { r, c in try await api.updateProfile(r, c) })
        router.get("\(p)/me/settings", authed { _, c in try await api.settings(c) })
        router.patch("\(p)/me/settings", maxBodySize: small, authed { r, c in try await api.updateSettings(r, c) })
        router.get("\(p)/members/:handle", authed { r, c in try await api.memberProfile(r, c) })
    }

    func ownProfile(_ context: Context) async throws -> HTTPResponse {
        try context.authorization.requireManageOwnData()
        let service = ProfileService(store: store)
        let account = context.caller.account
        let profile = try await SessionService.offPool { try service.profile(of: account) }
        return Self.json(APIViews.profile(profile, urls: urls, own: true))
    }

    /// `PATCH /me/profile`: `displayName`, `summary`, `organisation`, `country` (`""` or null
    /// clears it), `languages`; members left out stay as they are.
    func updateProfile(_ request: HTTPRequest, _ context: Context) async throws -> HTTPResponse {
        let body = try APIBody.parse(request)
        var change = ProfileService.Change(
            displayName: try body.string("displayName"), summary: try body.string("summary"),
            organisation: try body.string("organisation"), country: try body.string("country"),
            languages: try body.strings("languages"))
        if body.object["country"]?.isNull == true { change.country = "" }
        let service = ProfileService(store: store)
        let authorization = context.authorization
        let wanted = change
        let (profile, update) = try await SessionService.offPool { try service.update(wanted, by: authorization) }
        guard case .object(var view) = APIViews.profile(profile, urls: urls, own: true) else {
            return Self.json(APIViews.profile(profile, urls: urls, own: true))
        }
        view["update"] = update.map(JSON.string) ?? .null
        return Self.json(.object(view))
    }

    func settings(_ context: Context) async throws -> HTTPResponse {
        try context.authorization.requireManageOwnData()
        let service = ProfileService(store: store)
        let account = context.caller.account
        return Self.json(try await SessionService.offPool { try service.settings(of: account) }.json)
    }

    /// `PATCH /me/settings`: any of the known keys; an unknown key or a bad value is 422 naming it.
    func updateSettings(_ request: HTTPRequest, _ context: Context) async throws -> HTTPResponse {
        let body = try APIBody.parse(request)
        let service = ProfileService(store: store)
        let authorization = context.authorization
        let patch = body.object
        let settings = try await SessionService.offPool { try service.updateSettings(patch, by: authorization) }
        return Self.json(settings.json)
    }

    /// `GET /members/:handle`: `name`, `name@host` or an actor URL (percent-encoded).
    func memberProfile(_ request: HTTPRequest, _ context: Context) async throws -> HTTPResponse {
        let handle = (request.parameters["handle"] ?? "").trimmingCharacters(in: .whitespaces)
        guard !handle.isEmpty, handle.utf8.count <= 2048 else {
            throw APIError.badRequest("name the member as name, name@host or an actor URL", field: "handle")
        }
        let service = ProfileService(store: store)
        let authorization = context.authorization
        switch try await SessionService.offPool({ try service.member(handle, by: authorization) }) {
        case .local(let profile):
            return Self.json(APIViews.profile(profile, urls: urls, own: profile.account.actor.id == context.caller.account.actor.id))
        case .remote(let remote):
            return Self.json([
                "id": .string(remote.id), "local": false, "node": .string(remote.domain),
                "name": remote.preferredUsername.map { .string($0) } ?? .null,
                "handle": remote.handle.map { .string($0) } ?? .null,
                "displayName": remote.name.map { .string($0) } ?? .null,
                "summary": remote.summary.map { .string($0) } ?? .null,
            ])
        }
    }
}

extension APIViews {
    /// A local member's profile; `own` adds what only the member sees (e-mail, role, status).
    static func profile(_ profile: ProfileService.Profile, urls: NodeURLs, own: Bool) -> JSON {
        let actor = profile.account.actor
        var view: JSONObject = [
            "id": .string(urls.actor(actor)),
            "local": true,
            "node": .string(urls.domain),
            "name": .string(actor.username),
            "handle": .string("\(actor.username)@\(urls.domain)"),
            "displayName": .string(actor.displayName),
            "summary": .string(actor.summary),
            "organisation": .string(profile.details.organisation),
            "country": profile.details.country.map { .string($0) } ?? .null,
            "languages": .array(profile.details.languages.map(JSON.string)),
            "affiliation": .string(profile.account.affiliation.rawValue),
        ]
        if own {
            view["email"] = profile.account.email.map { .string($0) } ?? .null
            view["role"] = .string(profile.account.role.rawValue)
            view["status"] = .string(profile.account.status.rawValue)
        }
        return .object(view)
    }
}
