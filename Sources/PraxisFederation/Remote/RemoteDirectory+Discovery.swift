import Foundation
import PraxisHTTP
import PraxisJSON

extension RemoteDirectory {
    // MARK: - WebFinger

    /// The actor behind a handle (`@name@host`, `name@host` or `acct:name@host`), found with
    /// WebFinger (`/.well-known/webfinger?resource=acct:name@host`, its `self` link of type
    /// `application/activity+json` or `application/ld+json`) and then fetched.
    ///
    /// As Mastodon does, the answer is only believed when it loops back: the actor's own
    /// `preferredUsername@its host` must resolve, by WebFinger on its host, to the same id, so one
    /// server cannot claim handles for actors of another. A confirmed handle is remembered with
    /// the cached actor. WebFinger requests are not signed (servers do not expect it).
    /// - Throws: ``DereferenceError``: `.invalidURL` for a malformed handle, `.notFound` when the
    ///   host knows no such account, `.webFingerMismatch` when the loop-back check fails, or any
    ///   error of ``actor(id:refresh:)``.
    public func resolve(handle: String) async throws -> RemoteActor {
        let (name, host) = try Self.parseHandle(handle)
        let acct = "\(name)@\(host)".lowercased()
        try checkAllowed(baseURL(host) + "/", what: "WebFinger")
        if let cachedID = try await database.read({ try RemoteStore(db: $0).actor(acct: acct)?.id }),
            let actor = try await cachedActor(id: cachedID)
        {
            return actor
        }
        let href = try await webFingerSelf(name: name, host: host, handle: handle)
        let actor = try await self.actor(id: href)
        guard let username = actor.preferredUsername, !username.isEmpty else {
            throw DereferenceError(
                .webFingerMismatch, url: actor.id,
                "the actor \(actor.id) found for \(handle.prefix(200)) has no preferredUsername, so its handle cannot be confirmed")
        }
        let canonical = "\(username)@\(actor.domain)".lowercased()
        if canonical != acct || actor.id != href {
            let back: String
            do {
                back = try await webFingerSelf(name: username, host: actor.domain, handle: canonical)
            } catch let error as DereferenceError where error.kind == .notFound {
                throw DereferenceError(
                    .webFingerMismatch, url: actor.id,
                    "\(handle.prefix(200)) points to \(actor.id), but that actor's own handle \(canonical) is unknown to "
                        + "WebFinger on \(actor.domain); the handle is not confirmed")
            }
            guard back == actor.id else {
                throw DereferenceError(
                    .webFingerMismatch, url: actor.id,
                    "\(handle.prefix(200)) points to \(actor.id), but that actor's own handle \(canonical) resolves to "
                        + "\(back.prefix(200)); the handle is not confirmed")
            }
        }
        try await database.write { try RemoteStore(db: $0).setAcct(canonical, actorID: actor.id) }
        return actor
    }

    /// Splits a handle into its lowercase-host parts, refusing anything that is not `name@host`.
    static func parseHandle(_ handle: String) throws -> (name: String, host: String) {
        var text = Substring(handle.trimmingCharacters(in: .whitespaces))
        if text.lowercased().hasPrefix("acct:") { text = text.dropFirst(5) }
        if text.hasPrefix("@") { text = text.dropFirst() }
        let fail = DereferenceError(
            .invalidURL, url: handle, "'\(handle.prefix(200))' is not a handle; write it as name@host, e.g. ana@praxis.example.org")
        guard text.utf8.count <= 512, let at = text.lastIndex(of: "@") else { throw fail }
        let name = text[..<at]
        let host = text[text.index(after: at)...]
        guard !name.isEmpty, !host.isEmpty,
            name.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value != 0x7F && !"@/?#%".unicodeScalars.contains($0) })
        else { throw fail }
        guard let url = try? HTTPClientURL("https://\(host)/"), url.target == "/" else { throw fail }
        return (String(name), url.authority)
    }

    /// `https://host` (`http://` when the client runs in development mode).
    func baseURL(_ host: String) -> String {
        (client.configuration.allowInsecureAndPrivate ? "http://" : "https://") + host
    }

    /// The `self` link of `acct:name@host`.
    private func webFingerSelf(name: String, host: String, handle: String) async throws -> String {
        let resource = "acct:\(Self.percentEncoded(name))@\(host)"
        let url = baseURL(host) + "/.well-known/webfinger?resource=" + resource
        try checkAllowed(url, what: "WebFinger")
        let fetched: Fetched
        do {
            fetched = try await get(url, accept: "application/jrd+json, application/json", types: Self.jrdTypes,
                                    signed: false, what: "WebFinger answer")
        } catch let error as DereferenceError where error.kind == .notFound {
            throw DereferenceError(.notFound, url: handle, "\(host) knows no account \(name) (WebFinger answered 404)")
        }
        for link in RemoteActorParser.members(fetched.json["links"]) {
            guard link["rel"]?.stringValue == "self", let href = link["href"]?.stringValue,
                let type = Self.mediaType(link["type"]?.stringValue),
                type == "application/activity+json" || type == "application/ld+json"
            else { continue }
            return href
        }
        throw DereferenceError(
            .webFingerMismatch, url: handle,
            "the WebFinger answer of \(host) for \(name) has no 'self' link of type application/activity+json")
    }

    /// Percent-encodes everything but RFC 3986 unreserved characters.
    static func percentEncoded(_ text: String) -> String {
        var result = ""
        for byte in text.utf8 {
            let c = Character(Unicode.Scalar(byte))
            if byte < 0x80, c.isLetter || c.isNumber || "-._~".contains(c) {
                result.append(c)
            } else {
                result += String(format: "%%%02X", byte)
            }
        }
        return result
    }

    // MARK: - NodeInfo

    /// The HTTP signature profile a node wants: ``RemoteSignatureProfile/rfc9421`` when its
    /// NodeInfo 2.1 (or 2.0) document lists `rfc9421` under `metadata.praxis.httpSignatures`,
    /// else ``RemoteSignatureProfile/cavage``, which every fediverse server accepts.
    ///
    /// Cached per domain for `nodeInfoLifetime`; a node whose NodeInfo cannot be read counts as
    /// `cavage` and is asked again after `nodeInfoRetryInterval`. A blocked domain gets `cavage`
    /// without any request (nothing will be sent to it anyway).
    public func signatureProfile(domain: String) async -> RemoteSignatureProfile {
        let domain = domain.lowercased()
        guard (try? checkAllowed(baseURL(domain) + "/", what: "NodeInfo")) != nil else { return .cavage }
        let time = now()
        if let row = try? await database.read({ try RemoteStore(db: $0).node(domain: domain) }), row.expiresAt > time {
            return row.profile
        }
        return (try? await nodeChecks.run(domain) { [self] in
            if let row = try await database.read({ try RemoteStore(db: $0).node(domain: domain) }), row.expiresAt > now() {
                return row.profile
            }
            let checkedAt = Date(remoteSeconds: now().remoteSeconds)
            let info = try? await nodeInfo(domain: domain)
            let profile = info?.profile ?? .cavage
            let expiresAt = checkedAt.addingTimeInterval(info == nil ? nodeInfoRetryInterval : nodeInfoLifetime)
            try await database.write {
                try RemoteStore(db: $0).saveNode(
                    domain: domain, software: info?.software, version: info?.version, profile: profile,
                    reachable: info != nil, checkedAt: checkedAt, expiresAt: expiresAt)
            }
            return profile
        }) ?? .cavage
    }

    /// Reads `/.well-known/nodeinfo`, then the 2.1 (or 2.0) document it links to on the same host.
    private func nodeInfo(domain: String) async throws -> (profile: RemoteSignatureProfile, software: String?, version: String?) {
        let discovery = try await get(
            baseURL(domain) + "/.well-known/nodeinfo", accept: "application/json", types: Self.jrdTypes, signed: false,
            what: "NodeInfo discovery document")
        var href: String?
        for schema in ["http://nodeinfo.diaspora.software/ns/schema/2.1", "http://nodeinfo.diaspora.software/ns/schema/2.0"] {
            href = RemoteActorParser.members(discovery.json["links"]).first { $0["rel"]?.stringValue == schema }?["href"]?.stringValue
            if href != nil { break }
        }
        guard let href, try checkAllowed(href, what: "NodeInfo") == domain else {
            throw DereferenceError(.malformed, url: domain, "\(domain) links no NodeInfo 2.1 or 2.0 document on its own host")
        }
        let document = try await get(href, accept: "application/json", types: Self.activityTypes, signed: false,
                                     what: "NodeInfo document")
        let signatures = RemoteActorParser.members(document.json["metadata"]?["praxis"]?["httpSignatures"])
        let profile: RemoteSignatureProfile = signatures.contains { $0.stringValue == "rfc9421" } ? .rfc9421 : .cavage
        return (profile, document.json["software"]?["name"]?.stringValue, document.json["software"]?["version"]?.stringValue)
    }
}
