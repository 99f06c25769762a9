/// Why a remote actor, key or object could not be dereferenced.
///
/// ``kind`` lets code decide (delete on `.gone`, retry later when ``isTemporary``, answer 401 to a
/// signature whose key is `.keyNotFound`); ``message`` says what happened in words a remote
/// operator can act on, naming the URL. Messages never contain the remote body or signatures.
public struct DereferenceError: Error, CustomStringConvertible, Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// The trust list blocks the domain; no request was made.
        case blocked
        /// The URL belongs to this node: look it up locally instead.
        case localResource
        /// The URL or handle is not one this node can fetch.
        case invalidURL
        /// Connecting, TLS or reading the response failed, or took too long.
        case unreachable
        /// 404, or no such WebFinger account.
        case notFound
        /// 410: the remote deleted it; cached copies were dropped.
        case gone
        /// Any other status than 200.
        case unexpectedStatus(Int)
        /// The response is not JSON (AS2, JSON-LD, JRD or plain JSON).
        case unsupportedContentType
        /// The document is over the size, nesting or element limits.
        case tooLarge
        /// The body is not a JSON object, or a required member is missing or of the wrong type.
        case malformed
        /// The document's `id` is not the URL it was fetched from.
        case idMismatch
        /// The document is not an actor (`actor(id:)` only).
        case notAnActor
        /// The actor's inbox is on another host than the actor.
        case inboxOnOtherHost
        /// A key's `owner`/`controller` is not the actor that lists it.
        case keyOwnerMismatch
        /// A key's id is on another host than its actor.
        case keyOnOtherHost
        /// The actor does not list the key, even after a refetch.
        case keyNotFound
        /// WebFinger and the actor disagree (the loop-back check failed) or WebFinger has no actor link.
        case webFingerMismatch
        /// The fetch signer could not sign the request.
        case signingFailed
    }

    public var kind: Kind
    /// The URL (or handle) concerned.
    public var url: String
    public var message: String

    public init(_ kind: Kind, url: String, _ message: String) {
        self.kind = kind
        self.url = url
        self.message = message
    }

    /// Whether trying again later may succeed (network trouble, 5xx, 429).
    public var isTemporary: Bool {
        switch kind {
        case .unreachable: true
        case .unexpectedStatus(let code): code >= 500 || code == 429 || code == 408
        default: false
        }
    }

    public var description: String { message }
}
