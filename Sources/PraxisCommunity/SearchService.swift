import Foundation
import PraxisFederation
import PraxisSQLite
import PraxisStorage
import PraxisText

/// Full-text search over threads, replies and documents, local and received alike, returning
/// only what the searcher may read.
///
/// The read rules come from ``Authorization/searchScope(db:)`` and are applied inside the SQL
/// query, before the limit, so pages stay full and no count reveals hidden content. Before each
/// search the index catches up with objects written since the last one (see `SearchIndex`).
///
/// ```swift
/// let page = try await SearchService(store: store, urls: urls)
///     .search(SearchService.Request(query: "adjudicacion", kind: "question"), by: authorization)
/// ```
public struct SearchService: Sendable {
    public let store: NodeStore
    public let urls: NodeURLs

    /// Largest page size; larger requests are refused.
    public static let maxLimit = 50
    /// Furthest offset; deeper pages are refused (refine the query instead).
    public static let maxOffset = 1_000
    /// Kinds a search can be narrowed to: thread kinds and documents.
    public static let kinds: [String] = ThreadKind.allCases.map(\.rawValue) + ["document"]

    public init(store: NodeStore, urls: NodeURLs) {
        self.store = store
        self.urls = urls
    }

    /// What a person asks for.
    public struct Request: Sendable, Equatable {
        public var query: String
        /// A local community's name or a community's actor URL.
        public var community: String?
        public var kind: String?
        public var language: String?
        public var answered: Bool?
        public var limit: Int
        public var offset: Int

        public init(query: String, community: String? = nil, kind: String? = nil, language: String? = nil,
                    answered: Bool? = nil, limit: Int = 20, offset: Int = 0) {
            self.query = query
            self.community = community
            self.kind = kind
            self.language = language
            self.answered = answered
            self.limit = limit
            self.offset = offset
        }
    }

    /// One page of results; `nextOffset` is nil on the last page.
    public struct Page: Sendable, Equatable {
        public var hits: [SearchHit]
        public var nextOffset: Int?
        /// The read generations the page was built at (all content and permissions), for a cache;
        /// nil when objects written meanwhile were not yet indexed (such a page must not be kept).
        public var stamp: ReadStamp? = nil
    }

    /// Searches on behalf of an account.
    /// - Throws: `CommunityError` (`.invalid`) for a query that cannot be parsed or a filter out of
    ///   range, (`.forbidden`) for suppliers, who do not read practitioner communities.
    public func search(_ request: Request, by authorization: Authorization) async throws -> Page {
        guard authorization.account.affiliation != .supplier else {
            throw CommunityError(.forbidden, "suppliers cannot search practitioner communities")
        }
        let query: SearchQuery
        do {
            query = try SearchQuery(parsing: request.query)
        } catch {
            throw CommunityError(.invalid, error.message)
        }
        guard (1...Self.maxLimit).contains(request.limit) else {
            throw CommunityError(.invalid, "the page size must be 1 to \(Self.maxLimit)")
        }
        guard (0...Self.maxOffset).contains(request.offset) else {
            throw CommunityError(.invalid, "results go no further than \(Self.maxOffset); narrow the search instead")
        }
        if let kind = request.kind, !Self.kinds.contains(kind) {
            throw CommunityError(.invalid, "kind must be one of \(Self.kinds.joined(separator: ", "))")
        }
        if let language = request.language {
            guard !language.isEmpty, language.count <= 35,
                language.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") })
            else { throw CommunityError(.invalid, "language must be a language tag such as fr, nl or es") }
        }
        var community = request.community
        if let name = community, !name.hasPrefix("https://"), !name.hasPrefix("http://") {
            try Names.validate(name.lowercased(), what: "community")
            community = urls.community(name.lowercased())
        }
        try await catchUp()
        let filter = SearchFilter(
            community: community, kind: request.kind, language: request.language, answered: request.answered)
        let (limit, offset) = (request.limit, request.offset)
        let origins = TrustPolicy.originFilter(store.configuration, urls: urls)
        let (hits, stamp) = try await store.database.read { db -> ([SearchHit], ReadStamp?) in
            var scope = try authorization.searchScope(db: db)
            scope.origins = origins
            let index = SearchIndex(db)
            let stamp = try index.hasStale()
                ? nil : try ReadGenerations(db).stamp([ReadGenerations.permissions, ReadGenerations.content])
            do {
                // One extra row tells whether another page follows.
                return (try index.search(query, filter: filter, scope: scope, limit: limit + 1, offset: offset), stamp)
            } catch let error as SearchError {
                throw CommunityError(.invalid, error.message)
            }
        }
        let more = hits.count > limit && offset + limit <= Self.maxOffset
        return Page(hits: Array(hits.prefix(limit)), nextOffset: more ? offset + limit : nil, stamp: stamp)
    }

    /// Indexes every object written since the last search, in batches so other writers interleave.
    public func catchUp() async throws {
        guard try await store.database.read({ db in try SearchIndex(db).hasStale() }) else { return }
        // Bounded: each round handles a batch; re-marked replies settle within a few rounds.
        for _ in 0..<100_000 {
            let handled = try await store.database.write { db in
                try SearchIndex(db).refresh(limit: 500, plainText: PlainText.fromHTML)
            }
            if handled == 0 { return }
        }
    }
}
