import Foundation
import PraxisActivityStreams
import PraxisCommunity
import PraxisFederation
import PraxisHTTP
import PraxisJSON
import PraxisStorage

/// Taking part: registration, codes of conduct, join requests, expert invitations, accepted
/// answers and "helpful" marks.
extension APIRoutes {
    func registerParticipation(into router: inout Router) {
        let api = self
        let p = Self.prefix
        let small = APIBody.maxBytes
        router.post("\(p)/registrations", maxBodySize: small, open { try await api.registerAccount($0) })
        router.get("\(p)/conduct", authed { r, _ in try await api.conduct(r) })
        router.post("\(p)/conduct/accept", maxBodySize: small, authed { r, c in try await api.acceptConduct(r, c) })
        router.get("\(p)/communities/:name/requests", authed { r, c in try await api.requests(r, c) })
        router.post("\(p)/communities/:name/requests", maxBodySize: small, authed { r, c in try await api.decide(r, c) })
        router.post("\(p)/communities/:name/invitations", maxBodySize: small, authed { r, c in try await api.invite(r, c) })
        router.post("\(p)/invitations/redeem", maxBodySize: small, open { try await api.redeem($0) })
        router.post("\(p)/communities/:name/members/invite", maxBodySize: small, authed { r, c in try await api.inviteMember(r, c) })
        router.get("\(p)/me/invitations", authed { _, c in try await api.receivedInvitations(c) })
        router.post("\(p)/me/invitations/respond", maxBodySize: small, authed { r, c in try await api.respondToInvitation(r, c) })
        router.post("\(p)/posts/:id/accept", maxBodySize: small, authed { r, c in try await api.acceptAnswer(r, c) })
        router.post("\(p)/posts/:id/helpful", maxBodySize: small, authed { r, c in try await api.helpful(r, c) })
    }

    func registerAccount(_ request: HTTPRequest) async throws -> HTTPResponse {
        let body = try APIBody.parse(request)
        let username = try body.requiredString("username")
        let password = try body.requiredString("password")
        let email = try body.requiredString("email")
        let displayName = try body.string("displayName")
        let affiliation = try body.choice("affiliation", as: Affiliation.self, allowed: Affiliation.allCases) ?? .buyer
        let registration = RegistrationService(store: store, passwordCost: passwordCost)
        let account = try await SessionService.offPool {
            try registration.register(username: username, password: password, email: email, displayName: displayName,
                                      affiliation: affiliation)
        }
        var view = APIViews.account(account, urls: urls)
        view["status"] = .string(account.status.rawValue)
        return Self.json(.object(view), status: .created)
    }

    func conduct(_ request: HTTPRequest) async throws -> HTTPResponse {
        let community = request.queryItems["community"]
        let codes = try ConductService(store: store).current(community: community)
        return Self.json(["codes": .array(codes.map { code in
            [
                "scope": code.scope.isEmpty ? "node" : .string(code.scope),
                "version": .integer(Int64(code.version)),
                "text": .string(code.text),
                "published": .string(ISO8601.string(code.publishedAt)),
            ]
        })])
    }

    func acceptConduct(_ request: HTTPRequest, _ context: Context) async throws -> HTTPResponse {
        let body = try APIBody.parse(request)
        guard let version = body.object["version"]?.intValue else {
            throw APIError.invalid("\"version\" must be the version number you accept", field: "version")
        }
        let community = try body.string("community")
        let conduct = ConductService(store: store)
        let username = context.username
        try await SessionService.offPool { try conduct.accept(member: username, community: community, version: Int(version)) }
        return Self.noContent
    }

    func requests(_ request: HTTPRequest, _ context: Context) async throws -> HTTPResponse {
        let membership = MembershipService(context: try requireSocial().context)
        let pending = try await membership.pending(manager: context.username, community: request.parameters["name"] ?? "")
        return Self.json(["requests": .array(pending.map { follow in
            ["follower": .string(follow.follower), "node": .string(follow.followerDomain), "request": .string(follow.activityID)]
        })])
    }

    func decide(_ request: HTTPRequest, _ context: Context) async throws -> HTTPResponse {
        let body = try APIBody.parse(request)
        let follower = try body.requiredString("follower")
        guard let accept = body.object["accept"]?.boolValue else {
            throw APIError.invalid("\"accept\" must be true or false", field: "accept")
        }
        let membership = MembershipService(context: try requireSocial().context)
        try await membership.decide(manager: context.username, community: request.parameters["name"] ?? "",
                                    follower: follower, accept: accept)
        return Self.noContent
    }

    func invite(_ request: HTTPRequest, _ context: Context) async throws -> HTTPResponse {
        let body = try APIBody.parse(request)
        let topic = try body.string("topic")
        let days = body.object["validDays"]?.intValue ?? 14
        guard (1...365).contains(days) else { throw APIError.invalid("\"validDays\" must be 1 to 365", field: "validDays") }
        let note = try body.string("note") ?? ""
        let invitations = InvitationService(context: try requireSocial().context, passwordCost: passwordCost)
        let username = context.username
        let created = try await SessionService.offPool {
            try invitations.inviteExpert(manager: username, community: request.parameters["name"] ?? "", topic: topic,
                                         validFor: TimeInterval(days) * 86_400, note: note)
        }
        return Self.json([
            "url": .string(created.url), "token": .string(created.token), "expiresAt": .string(ISO8601.string(created.expiresAt)),
        ], status: .created)
    }

    func redeem(_ request: HTTPRequest) async throws -> HTTPResponse {
        let body = try APIBody.parse(request)
        let token = try body.requiredString("token")
        let username = try body.requiredString("username")
        let password = try body.requiredString("password")
        let displayName = try body.string("displayName")
        let email = try body.string("email")
        let invitations = InvitationService(context: try requireSocial().context, passwordCost: passwordCost)
        let account = try await SessionService.offPool {
            try invitations.redeem(token: token, username: username, password: password, displayName: displayName, email: email)
        }
        return Self.json(.object(APIViews.account(account, urls: urls)), status: .created)
    }

    func inviteMember(_ request: HTTPRequest, _ context: Context) async throws -> HTTPResponse {
        let body = try APIBody.parse(request)
        let invitee = try body.requiredString("invitee")
        let note = try body.string("note") ?? ""
        let membership = MembershipService(context: try requireSocial().context)
        try await membership.invite(manager: context.username, community: request.parameters["name"] ?? "", invitee: invitee,
                                    note: note)
        return HTTPResponse(status: .accepted)
    }

    func receivedInvitations(_ context: Context) async throws -> HTTPResponse {
        let membership = MembershipService(context: try requireSocial().context)
        let invitations = try await membership.invitations(member: context.username)
        return Self.json(["invitations": .array(invitations.map { invitation in
            [
                "id": .string(invitation.activityID), "community": .string(invitation.community),
                "inviter": .string(invitation.inviter), "note": .string(invitation.note),
                "received": .string(ISO8601.string(invitation.receivedAt)), "state": .string(invitation.state.rawValue),
            ]
        })])
    }

    func respondToInvitation(_ request: HTTPRequest, _ context: Context) async throws -> HTTPResponse {
        let social = try requireSocial()
        let body = try APIBody.parse(request)
        let invitation = try body.requiredString("invitation")
        guard let accept = body.object["accept"]?.boolValue else {
            throw APIError.invalid("\"accept\" must be true or false", field: "accept")
        }
        try await MembershipService(context: social.context).respond(member: context.username, invitation: invitation,
                                                                     accept: accept, social: social)
        return Self.noContent
    }

    func acceptAnswer(_ request: HTTPRequest, _ context: Context) async throws -> HTTPResponse {
        let social = try requireSocial()
        let body = try APIBody.parse(request)
        let answer = try body.requiredString("answer")
        let question = try await findPost(request, context)
        try context.authorization.requireChange(question)
        try await social.acceptAnswer(member: context.username, question: question.id, answer: answer)
        let id = question.id
        let updated = try await store.database.read { db in try ObjectRepository(db).find(id: id) }
        return Self.json(APIViews.post(updated ?? question))
    }

    func helpful(_ request: HTTPRequest, _ context: Context) async throws -> HTTPResponse {
        let social = try requireSocial()
        let post = try await findPost(request, context)
        try await social.markHelpful(member: context.username, objectID: post.id)
        return Self.noContent
    }
}
