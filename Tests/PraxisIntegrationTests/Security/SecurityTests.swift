import Foundation
import PraxisCrypto
import PraxisHTTP
import PraxisJSON
import PraxisSQLite
import PraxisStorage
import PraxisTestSupport
import Testing

/// The security suite (issue 6, item 6): one sub-suite per threat, each case run against real
/// nodes on loopback and asserting both the refusal (status and message) and that the node's
/// storage is unchanged (``StorageSnapshot``, a checksum of every table's contents).
///
/// The threat matrix, and where each item is tested:
/// - forged, replayed, stale and tampered signatures; key/actor host mismatch:
///   ``InboxSecurityTests`` (status, message and inbox traces unchanged);
/// - impersonation through `Announce` by a non-group actor: `Impersonation` here;
/// - `Update`/`Delete` of another author's object, sent directly or relayed: ``ChangeAuthorityTests``
///   and `Impersonation` here;
/// - oversized bodies and headers, deeply nested JSON: `Limits` here;
/// - XSS payloads in titles, posts, tags, display names and file names: `Markup` here, and
///   ``HostileContentTests`` for HTML sent by another node;
/// - path traversal in document and blob paths: `Traversal` here;
/// - SQL metacharacters in every text field of the API: `Metacharacters` here;
/// - SSRF through actor, key and document URLs and follows by handle, including `localhost`:
///   `ServerSideRequests` and `DocumentURLs` here; DNS names resolving (wholly or in part) to
///   private addresses, redirects from an allowed remote to loopback and the metadata service,
///   inboxes declared inside and DNS rebinding before a delivery, on a production node with
///   operator-allowed private networks: `Networks` here; every reserved range and the redirect hop
///   at client level: `ClientSSRFTests`, `ClientResolverTests`, `ClientRedirectTests` and
///   `DeliveryPolicyTests`;
/// - members-only content through the API, document bytes and search: `MembersOnly` here;
///   through federation: ``MembersOnlyTests`` and ``DocumentFederationTests``.
@Suite("Security", .serialized) struct SecurityTests {}

extension StorageSnapshot {
    /// The snapshot of node `node` of the fixture.
    static func take(_ f: FederationFixture, node: Int = 0) async throws -> StorageSnapshot {
        try await take(f.directory(node))
    }
}

extension HTTPClientResponse {
    /// The API error's message (`{"error": {"message": ...}}`), else the body as text.
    var refusal: String {
        if let json = try? JSON.parse(body), let message = json["error"]?["message"]?.stringValue { return message }
        return text
    }
}
