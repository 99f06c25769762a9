import Foundation
import PraxisCommunity
import PraxisCrypto
import PraxisFederation
import PraxisHTTP
import PraxisJSON
import PraxisServer
import PraxisStorage
import PraxisTestSupport

/// A node with members and communities, its router (client API mounted) and request helpers.
///
/// Members: `ada` (admin), `mo` (moderator), `ana`, `bob` and `cleo` (buyers), `sam` (supplier).
/// Communities: `cloud` (public, open, owned by ana), `secret` (members only, approval, owned by
/// ada) and `club` (members only, by invitation).
struct APITestNode: Sendable {
    static let password = "correct horse battery"
    let node: TestNode
    let federation: NodeFederation
    let router: Router

    init() throws {
        node = try TestNode(domain: "praxis.test", name: "API test node")
        try Self.addMember("ada", role: .admin, to: node.store)
        try Self.addMember("mo", role: .moderator, to: node.store)
        try Self.addMember("ana", displayName: "Ana Ruiz", to: node.store)
        try Self.addMember("bob", to: node.store)
        try Self.addMember("cleo", to: node.store)
        try Self.addMember("sam", affiliation: .supplier, to: node.store)
        try Self.addCommunity("cloud", visibility: .public, join: .open, owner: "ana", to: node.store)
        try Self.addCommunity("secret", visibility: .members, join: .approval, owner: "ada", to: node.store)
        try Self.addCommunity("club", visibility: .members, join: .invite, owner: nil, to: node.store)
        federation = try NodeFederation(store: node.store, delivery: DeliveryConfiguration(), log: { _ in })
        router = NodeRoutes(store: node.store, federation: federation).router()
    }

    /// One key set for every test actor: generating RSA keys per member would make each test take
    /// seconds, and nothing in these tests verifies signatures.
    static let sharedKeys: Result<[ActorKey], any Error> = Result { try ActorKeyFactory.generate() }

    func addMember(_ name: String, role: AccountRole = .member, affiliation: Affiliation = .buyer) throws {
        try Self.addMember(name, role: role, affiliation: affiliation, to: store)
    }

    static func addMember(_ name: String, role: AccountRole = .member, affiliation: Affiliation = .buyer,
                          displayName: String? = nil, to store: NodeStore) throws {
        let keys = try sharedKeys.get()
        let hash = try PasswordHash.make(password: password, cost: .testing)
        try store.database.write { db in
            let actor = try ActorRepository(db).insert(kind: .person, username: name, displayName: displayName ?? name, keys: keys)
            try AccountRepository(db).insert(actorID: actor.id, passwordHash: hash, role: role, affiliation: affiliation,
                                             status: .active, email: nil)
        }
    }

    static func addCommunity(_ name: String, visibility: CommunityVisibility, join: JoinPolicy, owner: String?,
                             to store: NodeStore) throws {
        let keys = try sharedKeys.get()
        try store.database.write { db in
            let ownerID = try owner.flatMap { try ActorRepository(db).find(username: $0)?.id }
            let actor = try ActorRepository(db).insert(kind: .group, username: name, displayName: name.capitalized, keys: keys)
            try CommunityRepository(db).insert(actorID: actor.id, visibility: visibility, joinPolicy: join, ownerID: ownerID,
                                               parentID: nil)
        }
    }

    var store: NodeStore { node.store }
    func community(_ name: String) -> String { "https://praxis.test/communities/\(name)" }
    func person(_ name: String) -> String { "https://praxis.test/users/\(name)" }

    func call(_ method: HTTPMethod, _ target: String, token: String? = nil, body: JSON? = nil, raw: [UInt8]? = nil)
        async throws -> HTTPResponse
    {
        var headers: HTTPHeaders = ["Host": "praxis.test", "User-Agent": "api-tests/1.0"]
        if let token { headers["Authorization"] = "Bearer \(token)" }
        var bytes = raw ?? []
        if let body {
            bytes = body.serializedBytes()
            headers["Content-Type"] = "application/json"
        }
        return try await router.respond(to: HTTPRequest(method: method, target: "/api/v1" + target, headers: headers, body: bytes))
    }

    func signIn(_ name: String, password: String = password) async throws -> String {
        let response = try await call(.post, "/auth/sign-in", body: ["username": .string(name), "password": .string(password)])
        guard response.status == .ok, let token = try JSON.parse(response.body)["token"]?.stringValue else {
            throw APITestFailure("sign-in of \(name) failed with \(response.status)")
        }
        return token
    }

    /// Makes `member` an accepted member of a local community, as a manager's approval would.
    func accept(_ member: String, in community: String) async throws {
        let follower = person(member)
        let followed = self.community(community)
        try await store.database.write { db in
            try FollowRepository(db).upsert(Follow(
                follower: follower, followed: followed, followerInbox: nil, followerDomain: "praxis.test",
                followedDomain: "praxis.test", state: .accepted, activityID: "https://praxis.test/activities/\(UUID())"))
        }
    }

    /// Puts a remote actor of `other.test` in the actor cache, as a fetch would.
    func addRemoteActor(_ id: String, type: String, username: String, name: String, document: String) async throws {
        try await store.database.write { db in
            try db.run(
                """
                INSERT INTO remote_actors (id, domain, type, preferred_username, name, acct, inbox, document, fetched_at, expires_at)
                VALUES (?, 'other.test', ?, ?, ?, ?, ?, ?, 0, 9999999999)
                """, id, type, username, name, "\(username)@other.test", id + "/inbox", document)
        }
    }
}

struct APITestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

func json(_ response: HTTPResponse) throws -> JSON { try JSON.parse(response.body) }

/// The `code` of an API error response.
func errorCode(_ response: HTTPResponse) -> String? { (try? JSON.parse(response.body))?["error"]?["code"]?.stringValue }
func errorField(_ response: HTTPResponse) -> String? { (try? JSON.parse(response.body))?["error"]?["field"]?.stringValue }
func errorMessage(_ response: HTTPResponse) -> String? {
    (try? JSON.parse(response.body))?["error"]?["message"]?.stringValue
}
