import PraxisActivityStreams
import PraxisHTTP
import PraxisJSON
import PraxisStorage

/// WebFinger (RFC 7033) for local actors: `acct:NAME@DOMAIN` and actor URLs resolve to a JRD
/// whose `self` link is the ActivityPub actor, as Mastodon and other servers require.
public struct WebFinger: Sendable {
    public static let mediaType = "application/jrd+json"
    public static let profilePageRel = "http://webfinger.net/rel/profile-page"

    /// Why a query cannot be answered: 400 for a malformed resource, 404 for an unknown one.
    public enum Failure: Error, Equatable, CustomStringConvertible {
        case malformed(String)
        case notFound(String)

        public var description: String {
            switch self {
            case .malformed(let m), .notFound(let m): m
            }
        }
    }

    /// What a `resource` names, once parsed.
    public enum Resource: Equatable, Sendable {
        case account(username: String, domain: String)
        case url(String)
    }

    public let urls: NodeURLs

    public init(urls: NodeURLs) { self.urls = urls }

    /// Parses the `resource` parameter: `acct:user@host` (RFC 7565, userpart percent-decoded), the
    /// bare `user@host` form some clients send, or an `http(s)` URL.
    public static func parse(resource raw: String?) throws(Failure) -> Resource {
        guard let raw, !raw.isEmpty else {
            throw .malformed("the resource parameter is required, e.g. ?resource=acct:name@host")
        }
        guard raw.utf8.count <= 1024 else { throw .malformed("the resource parameter is too long") }
        guard !raw.unicodeScalars.contains(where: { $0.value < 0x21 || $0.value == 0x7F }) else {
            throw .malformed("the resource contains spaces or control characters")
        }
        let lower = raw.lowercased()
        if lower.hasPrefix("https://") || lower.hasPrefix("http://") {
            return .url(raw)
        }
        var account = Substring(raw)
        if lower.hasPrefix("acct:") {
            account = account.dropFirst(5)
        } else if let colon = raw.firstIndex(of: ":"), !raw[..<colon].contains("@") {
            throw .malformed("unsupported resource scheme in \"\(raw)\"; use acct:name@host or an actor URL")
        }
        if account.hasPrefix("@") { account = account.dropFirst() }
        guard let at = account.lastIndex(of: "@") else {
            throw .malformed("\"\(raw)\" is not of the form acct:name@host")
        }
        let name = FormURLEncoding.percentDecode(account[..<at])
        let host = String(account[account.index(after: at)...]).lowercased()
        guard !name.isEmpty, !host.isEmpty else {
            throw .malformed("\"\(raw)\" is not of the form acct:name@host")
        }
        return .account(username: name, domain: host)
    }

    /// Builds the JRD for `resource`, keeping only links whose rel is in `rels` when any are given.
    /// - Parameter lookup: finds a local actor by kind-agnostic username.
    public func jrd(resource raw: String?, rels: [String], lookup: (String) throws -> LocalActor?) throws -> JSON {
        let resource = try Self.parse(resource: raw)
        let actor: LocalActor
        switch resource {
        case .account(let username, let domain):
            guard domain == urls.domain.lowercased() else {
                throw Failure.notFound("\(domain) is not this node (\(urls.domain)); ask that node instead")
            }
            guard let found = try lookup(username.lowercased()) else {
                throw Failure.notFound("no member or community named \"\(username)\" on \(urls.domain)")
            }
            actor = found
        case .url(let url):
            guard let reference = urls.localActorReference(url), let found = try lookup(reference.username),
                found.kind == reference.kind
            else {
                throw Failure.notFound("\(url) is not an actor of \(urls.domain)")
            }
            actor = found
        }
        let actorURL = urls.actor(actor)
        var links: [JSON] = [
            ["rel": "self", "type": .string(ActivityStreams.mediaType), "href": .string(actorURL)],
            ["rel": .string(Self.profilePageRel), "type": "text/html", "href": .string(actorURL)],
        ]
        if !rels.isEmpty {
            links = links.filter { link in rels.contains(link["rel"]?.stringValue ?? "") }
        }
        var doc: JSONObject = [
            "subject": .string(urls.acct(actor)),
            "aliases": [.string(actorURL)],
        ]
        let asType: String =
            switch actor.kind {
            case .application: ActorType.application.rawValue
            case .person: ActorType.person.rawValue
            case .group: ActorType.group.rawValue
            }
        doc["properties"] = ["https://www.w3.org/ns/activitystreams#type": .string(asType)]
        doc["links"] = .array(links)
        return .object(doc)
    }
}
