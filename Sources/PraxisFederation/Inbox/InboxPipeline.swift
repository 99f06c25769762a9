import Foundation
import PraxisActivityStreams
import PraxisCrypto
import PraxisHTTP
import PraxisJSON
import PraxisStorage

/// The inbox pipeline: everything that happens between an incoming POST and `202 Accepted`.
///
/// Order (each step refuses with a 4xx and stores nothing):
/// 1. media type is AS2 / JSON-LD / JSON (`415`);
/// 2. the request is signed and names a key (`401`);
/// 3. the key's node is not blocked by the trust list (`403`, before any fetch);
/// 4. the key is fetched or taken from the cache, and the signature verifies: digest of the body,
///    covered components, Date or `created` within ±1 hour, not expired (`401`); a failing
///    signature with a cached key refetches the key once, which handles key rotation;
/// 5. the body parses as JSON within limits, with `id`, `type` and `actor` (`400`);
/// 6. the key's host is the actor's host, and the activity id is on the actor's host (`401`/`400`);
/// 7. the same signature was not accepted before (replay, `401`);
/// 8. the activity is persisted, deduplicated by id, and `202` is returned. Processing happens
///    later from the persisted queue, so a crash after `202` loses nothing. Activities arriving
///    together share one transaction (``InboxWriter``, group commit); each answer waits for its
///    commit.
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
    let authenticator: RequestAuthenticator
    let accepted: @Sendable () -> Void
    let writer: InboxWriter

    /// - Parameter accepted: called after a transaction that persisted new activities committed,
    ///   once per transaction (wakes the processor).
    public init(store: NodeStore, directory: RemoteDirectory, accepted: @escaping @Sendable () -> Void) {
        self.store = store
        self.directory = directory
        self.policy = TrustPolicy(mode: store.configuration.federation, localDomain: store.configuration.domain)
        self.urls = NodeURLs(configuration: store.configuration)
        self.authenticator = RequestAuthenticator(
            directory: directory, authority: store.configuration.domain, scheme: store.configuration.scheme)
        self.accepted = accepted
        self.writer = InboxWriter(database: store.database, accepted: accepted)
    }

    /// A refusal: status and a message the remote operator can act on.
    struct Refusal: Error {
        let status: HTTPStatus
        let message: String
        init(_ status: HTTPStatus, _ message: String) {
            self.status = status
            self.message = message
        }
    }

    /// Runs the pipeline for a POST to `recipient` (the inbox URL path it was sent to).
    public func receive(_ request: HTTPRequest, recipient: String) async -> HTTPResponse {
        do {
            let message = try await accept(request, recipient: recipient)
            return HTTPResponse(status: .accepted, contentType: "text/plain; charset=utf-8", body: message + "\n")
        } catch let refusal as Refusal {
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

        let keyID: String
        do {
            keyID = try HTTPSignatureVerifier.keyID(of: request)
        } catch {
            throw Refusal(.unauthorized, "the request must carry an HTTP signature (RFC 9421 or draft-cavage-12): \(error)")
        }
        guard let keyHost = try? HTTPClientURL(keyID).authority.lowercased() else {
            throw Refusal(.unauthorized, "the signature's key id \"\(keyID)\" is not an http(s) URL")
        }
        guard keyHost != urls.domain.lowercased() else {
            let error = RemoteDirectory.localResource(keyID, localDomain: keyHost)
            throw Refusal(.unauthorized, "cannot obtain the signing key \(keyID): \(error)")
        }
        // Read at each request (a trust change takes effect at once), on this thread: one indexed
        // lookup costs less than the hop to a reader queue and back.
        let trust = try trustDecision(for: keyHost, recipient: recipient)
        guard trust.level != .blocked else { throw Refusal(.forbidden, trust.refusal) }

        let (key, keyOwner, verification) = try await verify(request, keyID: keyID)

        let activity: JSON
        do {
            activity = try JSON.parse(request.body, limits: Self.jsonLimits)
        } catch {
            throw Refusal(.badRequest, "the body is not valid JSON: \(error)")
        }
        guard let activityID = activity["id"]?.stringValue, let activityURL = try? HTTPClientURL(activityID) else {
            throw Refusal(.badRequest, "the activity needs an \"id\" that is an http(s) URL")
        }
        guard activity.asType != nil else { throw Refusal(.badRequest, "the activity needs a \"type\"") }
        guard let actorID = activity["actor"]?.linkID else {
            throw Refusal(.badRequest, "the activity needs an \"actor\" that is an http(s) URL")
        }
        // The usual case, the key's owner itself, was checked when its document was fetched.
        let actorHost: String
        if actorID == keyOwner.id {
            actorHost = keyOwner.domain.lowercased()
        } else if let actorURL = try? HTTPClientURL(actorID) {
            actorHost = actorURL.authority.lowercased()
        } else {
            throw Refusal(.badRequest, "the activity needs an \"actor\" that is an http(s) URL")
        }
        guard actorHost == keyHost, keyOwner.domain.lowercased() == actorHost else {
            throw Refusal(
                .unauthorized,
                "the signing key \(key.id) belongs to \(keyHost) but the activity's actor is on \(actorHost)")
        }
        guard activityURL.authority.lowercased() == actorHost else {
            throw Refusal(.badRequest, "the activity id must be on the actor's host \(actorHost)")
        }

        let entry = InboxWriter.Entry(
            signatureHash: SHA256.hash(Array(verification.utf8)), signatureExpires: Date().addingTimeInterval(2 * Self.maxClockSkew),
            activityID: activityID, actorID: actorID, originDomain: actorHost, recipient: recipient, body: request.body)
        switch try await writer.store(entry) {
        case .replay:
            throw Refusal(.unauthorized, "this signed request was already received (replay); sign each request anew")
        case .duplicate:
            return "already received"
        case .stored:
            return "accepted"
        }
    }

    /// The trust decision for a node, read synchronously on the calling thread; for a community's
    /// own inbox, narrowed by the community's exclusions. (Activities for a community that arrive
    /// at the shared inbox are checked when processed.)
    private func trustDecision(for domain: String, recipient: String) throws -> (level: TrustLevel, refusal: String) {
        let prefix = "/communities/"
        let community: String? =
            recipient.hasPrefix(prefix) && recipient.hasSuffix("/inbox")
            ? String(recipient.dropFirst(prefix.count).dropLast("/inbox".count)) : nil
        return try store.database.read { db in
            if let community { return try policy.decision(for: domain, community: community, db: db) }
            return try policy.decision(for: domain, db: db)
        }
    }

    /// Verifies the signature with the cached key, refetching the key once when it fails.
    /// - Returns: the key, its owner, and the signature header values (for replay detection).
    private func verify(_ request: HTTPRequest, keyID: String) async throws -> (RemoteKey, RemoteActor, String) {
        let signatureValue = (request.headers.values(for: "Signature") + request.headers.values(for: "Signature-Input")
            + request.headers.values(for: "Authorization")).joined(separator: "\n")
        do {
            let signer = try await authenticator.verify(request, keyID: keyID, hostChecked: true)
            return (signer.key, signer.owner, signatureValue)
        } catch let failure as RequestAuthenticator.Failure {
            throw Refusal(.unauthorized, failure.message)
        }
    }
}
