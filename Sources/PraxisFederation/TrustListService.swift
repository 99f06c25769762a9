import Foundation
import PraxisCrypto
import PraxisHTTP
import PraxisJSON
import PraxisStorage

/// Export, import and subscription of trust lists: the use cases behind `praxis trust export |
/// import | subscribe | review`. Nothing is ever applied without the operator asking for it.
public struct TrustListService: Sendable {
    public let store: NodeStore
    public let urls: NodeURLs

    public init(store: NodeStore) {
        self.store = store
        self.urls = NodeURLs(configuration: store.configuration)
    }

    /// This node's list, signed by the node actor's current Ed25519 key.
    public func export(now: Date = Date()) throws -> JSON {
        let (urls, mode) = (urls, store.configuration.federation)
        let list = try store.database.read { db in try TrustListDocument.current(urls: urls, mode: mode, db: db, now: now) }
        return try list.signed(with: LocalKeyring(store: store, urls: urls).keys(for: NodeSetup.nodeActorUsername), now: now)
    }

    /// Checks the proof of `document`, issued by `issuer`: with the node's own keys when the
    /// issuer is this node, else with the key the issuer's actor document publishes (fetched
    /// signed through `directory`, so the issuer's node must not be blocked).
    /// - Throws: ``TrustListError`` when the proof is missing, made by another actor's key, or
    ///   does not verify; the directory's error when the key cannot be obtained.
    public func verify(_ document: JSON, issuer: String, directory: RemoteDirectory?) async throws {
        guard let method = TrustListDocument.verificationMethod(of: document) else {
            throw TrustListError("the trust list carries no proof, so who published it cannot be checked")
        }
        let key: Ed25519PublicKey
        if issuer == urls.nodeActor {
            let actorID = urls.nodeActor
            let keys = try await store.database.read { db -> [ActorKey] in
                guard let node = try ActorRepository(db).nodeActor() else { return [] }
                return try ActorRepository(db).keys(of: node.id)
            }
            guard let stored = keys.first(where: { $0.algorithm == .ed25519 && method == actorID + "#" + $0.fragment }) else {
                throw TrustListError("the proof's key \(method) is not a key of this node")
            }
            key = try Ed25519PublicKey(multikey: stored.publicKey)
        } else {
            guard let directory else {
                throw TrustListError("the list was issued by \(issuer); checking its proof needs that node's key")
            }
            let (remoteKey, owner) = try await directory.key(id: method)
            guard owner.id == issuer else {
                throw TrustListError("the proof's key \(method) belongs to \(owner.id), not to the issuer \(issuer)")
            }
            guard case .ed25519(let ed25519) = remoteKey.material else {
                throw TrustListError("the proof's key \(method) is not an Ed25519 key")
            }
            key = ed25519
        }
        try TrustListDocument.verify(document) { vm in
            guard vm == method else { throw ProofError(.malformedProof, "a proof set with several keys is not accepted") }
            return key
        }
    }

    /// What importing `list` would change in this node's trust list.
    public func preview(_ list: TrustListDocument) throws -> TrustListDiff {
        let current = try store.database.read { db in try TrustRepository(db).all().map(\.listEntry) }
        return TrustListDiff(from: current, to: list.entries, localDomain: urls.domain)
    }

    /// Applies `diff` and records it in the audit log under `operatorName`.
    public func apply(_ diff: TrustListDiff, operatorName: String, source: String) throws {
        try store.database.write { db in
            try diff.apply(db: db)
            for line in diff.lines {
                try AuditRepository(db).record(operator: operatorName, action: "trust.import", target: source, detail: line)
            }
        }
    }

    // MARK: - Subscriptions

    /// Subscribes to a partner's published list (`https://partner/trust-list`). The issuer is the
    /// partner's node actor (`https://partner/actor`), whose key must sign every version.
    @discardableResult
    public func subscribe(url: String) throws -> TrustSubscription {
        let parsed: HTTPClientURL
        do {
            parsed = try HTTPClientURL(url)
        } catch {
            throw TrustListError("\(url) is not an http(s) URL: \(error)")
        }
        guard parsed.scheme == .https || store.configuration.development else {
            throw TrustListError("trust lists are fetched over https only (plain http only for nodes initialised with --dev)")
        }
        guard parsed.authority.lowercased() != urls.domain.lowercased() else {
            throw TrustListError("\(url) is this node's own list")
        }
        let subscription = TrustSubscription(url: url, issuer: "\(parsed.scheme.rawValue)://\(parsed.authority)/actor")
        let added = try store.database.write { db in try TrustSubscriptionRepository(db).add(subscription) }
        guard added else { throw TrustListError("already subscribed to \(url)") }
        return subscription
    }

    /// One subscription's pending difference.
    public struct Review: Sendable, Equatable {
        public var url: String
        public var issuer: String
        /// From the last reviewed version to the one just fetched.
        public var diff: TrustListDiff
        /// Why the list could not be fetched or verified (the previous fetch is kept).
        public var failure: String?
    }

    /// Fetches each subscribed list signed, verifies its proof against its issuer's key, keeps it
    /// as the latest fetched version and returns its difference from the last reviewed version.
    public func review(directory: RemoteDirectory) async throws -> [Review] {
        let subscriptions = try await store.database.read { db in try TrustSubscriptionRepository(db).all() }
        var reviews: [Review] = []
        for subscription in subscriptions {
            var review = Review(url: subscription.url, issuer: subscription.issuer,
                                diff: Self.diff(subscription, localDomain: urls.domain), failure: nil)
            do {
                let document = try await directory.fetchObject(url: subscription.url)
                let list = try TrustListDocument(parsing: document)
                guard list.issuer == subscription.issuer else {
                    throw TrustListError("the list names \(list.issuer) as its issuer, not \(subscription.issuer)")
                }
                try await verify(document, issuer: subscription.issuer, directory: directory)
                let entries = list.entries.map { TrustEntry(domain: $0.domain, level: $0.level, note: $0.note) }
                let url = subscription.url
                try await store.database.write { db in try TrustSubscriptionRepository(db).recordFetched(url: url, entries: entries) }
                var updated = subscription
                updated.fetched = entries
                review.diff = Self.diff(updated, localDomain: urls.domain)
            } catch {
                review.failure = "\(error)"
            }
            reviews.append(review)
        }
        return reviews
    }

    /// Applies the reviewed difference for `domains` (nil: all of it) from every subscription's
    /// last fetched list, and marks those parts reviewed. Returns what was applied.
    public func accept(domains: Set<String>?, operatorName: String) throws -> [TrustListDiff] {
        let localDomain = urls.domain
        return try store.database.write { db in
            let repository = TrustSubscriptionRepository(db)
            var applied: [TrustListDiff] = []
            for subscription in try repository.all() {
                guard let fetched = subscription.fetched else { continue }
                let full = Self.diff(subscription, localDomain: localDomain)
                let part = domains.map { full.restricted(to: $0) } ?? full
                guard !part.isEmpty else { continue }
                let touched = Set(part.added.map(\.domain) + part.removed.map(\.domain) + part.changed.map(\.domain))
                // The trust list takes the partner's entry for each accepted domain (or loses it).
                var ours = TrustListDiff(from: [], to: [], localDomain: localDomain)
                let current = Dictionary(try TrustRepository(db).all().map { ($0.domain, $0.listEntry) },
                                         uniquingKeysWith: { first, _ in first })
                for domain in touched.sorted() {
                    let theirs = fetched.first { $0.domain == domain }?.listEntry
                    switch (current[domain], theirs) {
                    case (nil, let entry?): ours.added.append(entry)
                    case (let old?, let entry?) where old != entry:
                        ours.changed.append(.init(domain: domain, from: old.level, to: entry.level, note: entry.note))
                    case (let old?, nil): ours.removed.append(old)
                    default: break
                    }
                }
                try ours.apply(db: db)
                for line in part.lines {
                    try AuditRepository(db).record(operator: operatorName, action: "trust.accept", target: subscription.url,
                                                   detail: line)
                }
                let reviewed = subscription.reviewed.filter { !touched.contains($0.domain) }
                    + fetched.filter { touched.contains($0.domain) }
                try repository.recordReviewed(url: subscription.url, entries: reviewed.sorted { $0.domain < $1.domain })
                applied.append(part)
            }
            return applied
        }
    }

    static func diff(_ subscription: TrustSubscription, localDomain: String) -> TrustListDiff {
        TrustListDiff(from: subscription.reviewed.map(\.listEntry), to: (subscription.fetched ?? subscription.reviewed).map(\.listEntry),
                      localDomain: localDomain)
    }
}
