import Foundation
import PraxisActivityStreams
import PraxisCrypto
import PraxisHTTP
import PraxisJSON
import PraxisStorage

/// The inbox pipeline: everything that happens between an incoming POST and `202 Accepted`.
///
/// Order (each step refuses with a 4xx and stores nothing):
/// 1. media type is AS2 / JSON-LD / JSON (`415`); the client address has not sent too many
///    requests whose signature failed (`429`, see below);
/// 2. the request is signed and names a key (`401`); the key's node has tokens left in its
///    inbox bucket (`429` with `Retry-After`, checked without taking one);
/// 3. the key's node is not blocked by the trust list (`403`, before any fetch; a cached decision
///    only when the key is in memory, see ``InboxTrustCache``);
/// 4. the key is fetched or taken from the cache, and the signature verifies: digest of the body,
///    covered components, Date or `created` within ±1 hour, not expired (`401`); a failing
///    signature with a cached key refetches the key once, which handles key rotation;
///    A verified request then takes a token from its node's bucket (`429` when a burst emptied
///    it meanwhile); a failed one takes a token from its client address's failure bucket;
/// 5. the body parses as JSON within limits, with `id`, `type` and `actor` (`400`), and names at
///    most so many recipients, tags and attachments (``ActivityLimits``, `400`);
/// 6. the key's host is the actor's host, and the activity id is on the actor's host (`401`/`400`);
/// 7. the same signature was not accepted before (replay, `401`), and the trust list, read again in
///    the transaction that persists the activity, still does not block the node (`403`);
/// 8. the activity is persisted, deduplicated by id, and `202` is returned. Processing happens
///    later from the persisted queue, so a crash after `202` loses nothing. Activities arriving
///    together share one transaction (``InboxWriter``, group commit); each answer waits for its
///    commit. One with nothing to process (no handler acts on its type, or its handler says so)
///    is stored already done in that transaction.
///
/// Rate limits come before any expensive work. Only verified requests are charged to a node, so
/// someone naming another node's key id cannot spend that node's budget: the check before
/// verification only looks at the bucket, and unverified failures are charged to the client
/// address instead (``AbuseLimits/failedSignaturesPerAddress``).
public final class InboxPipeline: Sendable {
    public static let maxBodySize = 512 * 1024
    public static let jsonLimits = JSONLimits(maxBytes: maxBodySize, maxDepth: 32, maxStringBytes: 256 * 1024,
                                              maxContainerElements: 2_000)
    /// Signatures older or newer than this are refused (Mastodon and Lemmy use an hour too).
    public static let maxClockSkew = RequestAuthenticator.maxClockSkew

    let store: NodeStore
    let directory: RemoteDirectory
    let policy: TrustPolicy
    let urls: NodeURLs
    /// This node's authority, lowercase.
    let localDomain: String
    let authenticator: RequestAuthenticator
    let accepted: @Sendable () -> Void
    let writer: InboxWriter
    let trustCache = InboxTrustCache()
    /// Verified inbox requests per remote node.
    let nodeLimiter: RateLimiter
    /// Requests whose signature failed, per client address.
    let failureLimiter: RateLimiter
    let activityLimits: ActivityLimits

    /// An inbox whose activities are all queued for processing.
    /// - Parameter accepted: called after a transaction that persisted new activities committed,
    ///   once per transaction (wakes the processor).
    public convenience init(store: NodeStore, directory: RemoteDirectory, accepted: @escaping @Sendable () -> Void) {
        self.init(store: store, directory: directory, processor: nil, accepted: accepted)
    }

    /// An inbox feeding `processor`: activities it has nothing to do for are stored already done
    /// (see ``InboxWriter``), and it is woken once per transaction that queued new ones.
    public convenience init(store: NodeStore, directory: RemoteDirectory, processor: InboxProcessor) {
        self.init(store: store, directory: directory, processor: processor, accepted: { processor.wake() })
    }

    private init(
        store: NodeStore, directory: RemoteDirectory, processor: InboxProcessor?, accepted: @escaping @Sendable () -> Void
    ) {
        self.store = store
        self.directory = directory
        self.policy = TrustPolicy(mode: store.configuration.federation, localDomain: store.configuration.domain)
        let urls = NodeURLs(configuration: store.configuration)
        self.urls = urls
        self.localDomain = urls.domain.lowercased()
        self.authenticator = RequestAuthenticator(
            directory: directory, authority: store.configuration.domain, scheme: store.configuration.scheme)
        self.accepted = accepted
        self.writer = InboxWriter(
            database: store.database, processor: processor, policy: policy, trustCache: trustCache, accepted: accepted)
        let limits = store.configuration.effectiveLimits
        self.nodeLimiter = RateLimiter(Self.rule(limits.inboxPerNode))
        self.failureLimiter = RateLimiter(Self.rule(limits.failedSignaturesPerAddress))
        self.activityLimits = ActivityLimits(limits)
    }

    /// A refusal: status and a message the remote operator can act on.
    struct Refusal: Error {
        let status: HTTPStatus
        let message: String
        /// Seconds for `Retry-After` (on `429`).
        var retryAfter: Int?
        init(_ status: HTTPStatus, _ message: String, retryAfter: Int? = nil) {
            self.status = status
            self.message = message
            self.retryAfter = retryAfter
        }
    }

    /// The limiter rule of a configured rate.
    public static func rule(_ rate: AbuseLimits.Rate) -> RateLimiter.Rule {
        RateLimiter.Rule(perSecond: rate.perSecond, burst: Double(rate.burst))
    }

    /// Runs the pipeline for a POST to `recipient` (the inbox URL path it was sent to).
    public func receive(_ request: HTTPRequest, recipient: String) async -> HTTPResponse {
        do {
            let message = try await accept(request, recipient: recipient)
            return HTTPResponse(status: .accepted, contentType: "text/plain; charset=utf-8", body: message + "\n")
        } catch let refusal as Refusal {
            if let retryAfter = refusal.retryAfter { return .tooManyRequests(refusal.message, retryAfter: retryAfter) }
            return .error(refusal.status, refusal.message)
        } catch {
            return .error(.internalServerError, "the activity could not be stored; retry later")
        }
    }

    private func accept(_ request: HTTPRequest, recipient: String) async throws -> String {
        let contentType = (request.headers["Content-Type"] ?? "").lowercased()
        guard contentType.hasPrefix("application/activity+json") || contentType.hasPrefix("application/ld+json")
            || contentType.hasPrefix("application/json")
        else {
            throw Refusal(.unsupportedMediaType, "send activities as application/activity+json")
        }
        let address = request.clientAddress
        if case .refused(let retryAfter) = failureLimiter.check(address) {
            throw Refusal(
                .tooManyRequests,
                "too many requests from \(address) failed signature verification; fix the signatures, then retry after "
                    + "\(retryAfter) s", retryAfter: retryAfter)
        }

        let parsed: ParsedHTTPSignature
        do {
            parsed = try HTTPSignatureVerifier.parse(request)
        } catch {
            _ = failureLimiter.take(address)
            throw Refusal(.unauthorized, "the request must carry an HTTP signature (RFC 9421 or draft-cavage-12): \(error)")
        }
        let keyID = parsed.keyID
        // A key held in memory was checked to be on its owner's host when its actor was fetched,
        // so that host is the key id's (without parsing the URL again).
        let inMemory = directory.keyInMemory(keyID)
        let keyHost: String
        if let owner = inMemory?.1 {
            keyHost = owner.domain.lowercased()
        } else if let host = try? HTTPClientURL(keyID).authority {
            keyHost = host
        } else {
            _ = failureLimiter.take(address)
            throw Refusal(.unauthorized, "the signature's key id \"\(keyID)\" is not an http(s) URL")
        }
        if case .refused(let retryAfter) = nodeLimiter.check(keyHost) {
            throw nodeRefusal(keyHost, retryAfter: retryAfter)
        }
        guard keyHost != localDomain else {
            let error = RemoteDirectory.localResource(keyID, localDomain: keyHost)
            throw Refusal(.unauthorized, "cannot obtain the signing key \(keyID): \(error)")
        }
        // The cached level is enough when nothing will be fetched: the writer decides again in
        // the transaction that persists the activity. Otherwise read it now, on this thread (one
        // indexed lookup costs less than the hop to a reader queue and back), before any fetch.
        // A community's own inbox is always read, narrowed by the community's exclusions.
        let community = Self.community(ofInbox: recipient)
        if community != nil || inMemory == nil || trustCache.usable(for: keyHost) == nil {
            try checkTrust(of: keyHost, community: community)
        }

        let (key, keyOwner, created, verification): (RemoteKey, RemoteActor, Date, String)
        do {
            (key, keyOwner, created, verification) = try await verify(
                request, parsed: parsed, keyHost: keyHost, inMemory: inMemory)
        } catch let refusal as Refusal where refusal.status == .unauthorized {
            _ = failureLimiter.take(address)
            throw refusal
        }
        if case .refused(let retryAfter) = nodeLimiter.take(keyHost) {
            throw nodeRefusal(keyHost, retryAfter: retryAfter)
        }

        let activity: JSON
        do {
            activity = try JSON.parse(request.body, limits: Self.jsonLimits)
        } catch {
            throw Refusal(.badRequest, "the body is not valid JSON: \(error)")
        }
        guard let activityID = activity["id"]?.stringValue, let activityURL = try? HTTPClientURL(activityID) else {
            throw Refusal(.badRequest, "the activity needs an \"id\" that is an http(s) URL")
        }
        guard let type = activity.asType else { throw Refusal(.badRequest, "the activity needs a \"type\"") }
        if let violation = activityLimits.violation(in: activity) { throw Refusal(.badRequest, violation) }
        guard let actorID = activity["actor"]?.linkID else {
            throw Refusal(.badRequest, "the activity needs an \"actor\" that is an http(s) URL")
        }
        // The usual case, the key's owner itself, was checked when its document was fetched.
        let actorHost: String
        if actorID == keyOwner.id {
            actorHost = keyOwner.domain.lowercased()
        } else if let actorURL = try? HTTPClientURL(actorID) {
            actorHost = actorURL.authority
        } else {
            throw Refusal(.badRequest, "the activity needs an \"actor\" that is an http(s) URL")
        }
        guard actorHost == keyHost, keyOwner.domain.lowercased() == actorHost else {
            throw Refusal(
                .unauthorized,
                "the signing key \(key.id) belongs to \(keyHost) but the activity's actor is on \(actorHost)")
        }
        // (A parsed URL's authority is lowercase.)
        guard activityURL.authority == actorHost else {
            throw Refusal(.badRequest, "the activity id must be on the actor's host \(actorHost)")
        }

        let entry = InboxWriter.Entry(
            signatureHash: SHA256.hash(verification.utf8), signatureCreated: created, activityID: activityID,
            type: type, actorID: actorID, originDomain: actorHost, recipient: recipient, body: request.body, json: activity)
        switch try await writer.store(entry) {
        case .blocked(let refusal):
            throw Refusal(.forbidden, refusal)
        case .replay:
            throw Refusal(.unauthorized, "this signed request was already received (replay); sign each request anew")
        case .duplicate:
            return "already received"
        case .stored:
            return "accepted"
        }
    }

    private func nodeRefusal(_ node: String, retryAfter: Int) -> Refusal {
        Refusal(
            .tooManyRequests,
            "\(node) sends more than this node's inbox limit (\(nodeLimiter.rule)); retry after \(retryAfter) s",
            retryAfter: retryAfter)
    }

    /// Reads the trust list for `domain` now, on the calling thread, and refuses a blocked node;
    /// for a community's own inbox the decision is narrowed by the community's exclusions (and not
    /// cached: the cache holds node-level decisions). Activities for a community that arrive at the
    /// shared inbox are checked when processed.
    private func checkTrust(of domain: String, community: String? = nil) throws {
        let decision = try store.database.read { db in
            if let community { return try policy.decision(for: domain, community: community, db: db) }
            return try policy.decision(for: domain, db: db)
        }
        if community == nil { trustCache.remember(decision, for: domain) }
        guard decision.level != .blocked else { throw Refusal(.forbidden, decision.refusal) }
    }

    /// The community whose own inbox `recipient` is (`/communities/NAME/inbox`), if it is one.
    static func community(ofInbox recipient: String) -> String? {
        let prefix = "/communities/"
        guard recipient.hasPrefix(prefix) && recipient.hasSuffix("/inbox") else { return nil }
        return String(recipient.dropFirst(prefix.count).dropLast("/inbox".count))
    }

    /// The fields whose values, joined with "\n" in this order, make a request's replay key.
    static let replayKeyFields = ["Signature", "Signature-Input", "Authorization"]

    /// Verifies the signature with the cached key, refetching the key once when it fails (after
    /// reading the trust list again: that fetch goes to the network).
    /// - Returns: the key, its owner, the signature's signed creation time, and the signature
    ///   header values (for replay detection).
    private func verify(
        _ request: HTTPRequest, parsed: ParsedHTTPSignature, keyHost: String, inMemory: (RemoteKey, RemoteActor)?
    ) async throws -> (RemoteKey, RemoteActor, Date, String) {
        // The values of these fields joined with "\n", in this order (what replay keys hash).
        var signatureValue = ""
        signatureValue.reserveCapacity(512)
        var first = true
        for name in Self.replayKeyFields {
            request.headers.forEachValue(of: name) { value in
                if !first { signatureValue += "\n" }
                signatureValue += value
                first = false
            }
        }
        do {
            let signer = try await authenticator.verify(request, parsed: parsed, hostChecked: true, inMemory: inMemory) {
                try self.checkTrust(of: keyHost)
            }
            // Verification requires a signed creation time; without one a replay key could not
            // be told from a new one, so the request is refused rather than let through.
            guard let created = signer.created else {
                throw Refusal(.unauthorized, "the signature must carry a signed creation time (created or Date)")
            }
            return (signer.key, signer.owner, created, signatureValue)
        } catch let failure as RequestAuthenticator.Failure {
            throw Refusal(.unauthorized, failure.message)
        }
    }
}
