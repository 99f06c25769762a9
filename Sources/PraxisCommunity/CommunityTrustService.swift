import Foundation
import PraxisFederation
import PraxisSQLite
import PraxisStorage

/// Per-community narrowing of the node's trust list: a community's managers exclude nodes the
/// node trusts (never admit nodes it does not). Excluded nodes' follows are refused, relays are
/// not sent to them, their posts to the community are refused and their content already stored
/// in the community is hidden (at read time, so lifting the exclusion shows it again).
public struct CommunityTrustService: Sendable {
    public let store: NodeStore
    public let urls: NodeURLs

    public init(store: NodeStore) {
        self.store = store
        self.urls = NodeURLs(configuration: store.configuration)
    }

    /// The community's exclusions.
    /// - Throws: `CommunityError` when `manager` may not manage `community`.
    public func excluded(manager: String, community: String) async throws -> [CommunityExclusion] {
        let urls = urls
        return try await store.database.read { db in
            let (group, _) = try MembershipService.authorise(manager: manager, community: community, urls: urls, db: db)
            return try CommunityTrustRepository(db).all(community: group.username)
        }
    }

    /// Excludes `domain` from the community; false when it was excluded already.
    /// - Throws: `CommunityError` (`.invalid`) for a malformed domain or this node's own,
    ///   (`.forbidden`/`.notFound`) when `manager` may not manage `community`.
    @discardableResult
    public func exclude(manager: String, community: String, domain: String, note: String = "") async throws -> Bool {
        let domain = try validated(domain)
        guard note.count <= 500 else { throw CommunityError(.invalid, "the note must be at most 500 characters") }
        let urls = urls
        return try await store.database.write { db in
            let (group, _) = try MembershipService.authorise(manager: manager, community: community, urls: urls, db: db)
            let added = try CommunityTrustRepository(db).exclude(
                CommunityExclusion(community: group.username, domain: domain, note: note, createdBy: manager))
            if added {
                try AuditRepository(db).record(operator: manager, action: "community.exclude-node",
                                               target: group.username, detail: domain)
            }
            return added
        }
    }

    /// Lifts an exclusion; false when `domain` was not excluded.
    @discardableResult
    public func include(manager: String, community: String, domain: String) async throws -> Bool {
        let domain = try validated(domain)
        let urls = urls
        return try await store.database.write { db in
            let (group, _) = try MembershipService.authorise(manager: manager, community: community, urls: urls, db: db)
            let removed = try CommunityTrustRepository(db).include(community: group.username, domain: domain)
            if removed {
                try AuditRepository(db).record(operator: manager, action: "community.include-node",
                                               target: group.username, detail: domain)
            }
            return removed
        }
    }

    func validated(_ domain: String) throws -> String {
        let domain = domain.trimmingCharacters(in: .whitespaces).lowercased()
        do {
            try Domain.validate(domain)
        } catch {
            throw CommunityError(.invalid, "\(error)")
        }
        guard domain != urls.domain.lowercased() else {
            throw CommunityError(.invalid, "\(domain) is this node itself; a community cannot exclude its own node")
        }
        return domain
    }
}
