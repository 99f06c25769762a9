import Foundation
import PraxisActivityStreams
import PraxisCommunity
import PraxisCrypto
import PraxisFederation
import PraxisJSON
import PraxisStorage

/// The JSON shapes of the client API (`Protocol/openapi.yaml` names them in `components.schemas`).
enum APIViews {
    static func account(_ account: Account, urls: NodeURLs) -> JSONObject {
        var view: JSONObject = [
            "name": .string(account.actor.username),
            "displayName": .string(account.actor.displayName),
            "role": .string(account.role.rawValue),
            "affiliation": .string(account.affiliation.rawValue),
            "status": .string(account.status.rawValue),
            "actor": .string(urls.actor(account.actor)),
            "handle": .string("\(account.actor.username)@\(urls.domain)"),
        ]
        if let email = account.email { view["email"] = .string(email) }
        return view
    }

    static func community(_ community: Community, urls: NodeURLs, membership: Follow.State?, memberCount: Int?) -> JSON {
        var view: JSONObject = [
            "id": .string(urls.community(community.actor.username)),
            "local": true,
            "name": .string(community.actor.username),
            "handle": .string("\(community.actor.username)@\(urls.domain)"),
            "title": .string(community.title),
            "description": .string(community.actor.summary),
            "visibility": .string(community.visibility.rawValue),
            "joinPolicy": .string(community.joinPolicy.rawValue),
            "theme": .string(community.theme.rawValue),
            "languages": .array(community.languages.map(JSON.string)),
            "owner": community.ownerUsername.map { .string($0) } ?? .null,
            "parent": community.parentUsername.map { .string($0) } ?? .null,
            "membership": membership.map { .string($0.rawValue) } ?? .null,
        ]
        if let memberCount { view["memberCount"] = .integer(Int64(memberCount)) }
        return .object(view)
    }

    /// A community on another node, as far as the remote actor cache knows it.
    static func remoteCommunity(id: String, summary: RemoteActorSummary?, membership: Follow.State?) -> JSON {
        let handle = summary?.acct ?? summary.flatMap { s in s.preferredUsername.map { "\($0)@\(s.domain)" } }
        return [
            "id": .string(id),
            "local": false,
            "name": summary?.preferredUsername.map { .string($0) } ?? .null,
            "handle": handle.map { .string($0) } ?? .null,
            "title": summary?.name.map { .string($0) } ?? summary?.preferredUsername.map { .string($0) } ?? .null,
            "membership": membership.map { .string($0.rawValue) } ?? .null,
        ]
    }

    /// A post: `content` is sanitised HTML (safe to insert in a page), `source` the author's
    /// Markdown when the post was written on a Praxis node.
    static func post(_ post: StoredObject) -> JSON {
        self.post(post, source: (try? JSON.parse(post.document))?["source"]?["content"]?.stringValue)
    }

    /// A post whose Markdown source was read already (thread lists and pages get it from SQLite).
    static func post(_ post: StoredObject, source: String?) -> JSON {
        [
            "id": .string(post.id),
            "type": .string(post.type),
            "community": post.audience.map { .string($0) } ?? .null,
            "author": .string(post.attributedTo),
            "title": post.name.map { .string($0) } ?? .null,
            "content": .string(post.content),
            "source": source.map { .string($0) } ?? .null,
            "kind": post.kind.map { .string($0) } ?? .null,
            "tags": .array(post.tags.map { .string($0) }),
            "language": post.language.map { .string($0) } ?? .null,
            "acceptedAnswer": post.acceptedAnswer.map { .string($0) } ?? .null,
            "inReplyTo": post.inReplyTo.map { .string($0) } ?? .null,
            "published": post.published.map { .string(ISO8601.string($0)) } ?? .null,
            "updated": post.updated.map { .string(ISO8601.string($0)) } ?? .null,
        ]
    }

    static func member(id: String, account: Account?, remote: RemoteActorSummary?, urls: NodeURLs) -> JSON {
        if let account {
            return [
                "id": .string(id), "local": true, "name": .string(account.actor.username),
                "handle": .string("\(account.actor.username)@\(urls.domain)"),
                "displayName": .string(account.actor.displayName), "affiliation": .string(account.affiliation.rawValue),
            ]
        }
        let handle = remote?.acct ?? remote.flatMap { r in r.preferredUsername.map { "\($0)@\(r.domain)" } }
        return [
            "id": .string(id), "local": false, "name": remote?.preferredUsername.map { .string($0) } ?? .null,
            "handle": handle.map { .string($0) } ?? .null,
            "displayName": remote?.name.map { .string($0) } ?? .null, "affiliation": .null,
        ]
    }

    /// The opaque `before` cursor: base64url of `published:id`.
    static func cursor(_ post: StoredObject) -> String {
        Base64.urlEncode(Array("\(post.published.map { Int64($0.timeIntervalSince1970) } ?? 0):\(post.id)".utf8))
    }

    static func parseCursor(_ text: String) -> PostCursor? {
        guard text.utf8.count <= 4096, let bytes = try? Base64.urlDecode(text),
            let decoded = String(validating: bytes, as: UTF8.self), let colon = decoded.firstIndex(of: ":"),
            let published = Int64(decoded[..<colon])
        else { return nil }
        let id = String(decoded[decoded.index(after: colon)...])
        return id.isEmpty ? nil : PostCursor(published: published, id: id)
    }
}
