import Foundation
import PraxisHTTP

/// Which HTTP signature scheme a request uses.
public enum SignatureProfile: Sendable, Equatable {
    /// RFC 9421 HTTP Message Signatures with `Content-Digest` (Praxis peers, Mastodon 4.5+).
    case rfc9421
    /// draft-cavage-12 with `Digest: SHA-256=` (Mastodon and most of the fediverse).
    case cavage
}

/// The key a node or actor signs outgoing requests with.
public enum HTTPSigningKey: Sendable {
    case ed25519(Ed25519PrivateKey)
    case rsa(RSAPrivateKey)
}

/// The public key of the sender of an incoming request.
public enum HTTPVerificationKey: Sendable {
    case ed25519(Ed25519PublicKey)
    case rsa(RSAPublicKey)
}

/// Signs outgoing federation requests.
///
/// The federation profile: `Host` and `Date` are set from `url` and `now`; a body (or any POST) gets a
/// digest header. RFC 9421 signs `@method @target-uri` (+ `content-digest`) with `created`, `keyid`,
/// `alg` under label `sig1`; cavage signs `(request-target) host date` (+ `digest`).
public struct HTTPSigner: Sendable {
    /// Adds `Host`, `Date`, `Content-Digest`/`Digest` and the signature headers to `headers`.
    ///
    /// - Parameters:
    ///   - url: the absolute URL the request goes to (`https://host[:port]/path?query`).
    ///   - expiresAfter: RFC 9421 only: adds `expires` = `created` + this many seconds.
    /// - Throws: ``HTTPSignatureError`` for a URL that is not absolute http(s) or a key that fails.
    public static func sign(
        method: HTTPMethod, url: String, headers: inout HTTPHeaders, body: [UInt8], keyID: String, key: HTTPSigningKey,
        profile: SignatureProfile, now: Date, expiresAfter: TimeInterval? = nil
    ) throws {
        let parts = TargetParts(url)
        guard let scheme = parts.scheme.map({ $0.lowercased() }), scheme == "https" || scheme == "http",
            let rawAuthority = parts.authority, !rawAuthority.isEmpty, !rawAuthority.contains("@")
        else {
            throw HTTPSignatureError(.invalidParameter, "'\(url)' is not an absolute http(s) URL")
        }
        let authority = SignatureBase.normalizedAuthority(String(rawAuthority), scheme: scheme)
        let target = (parts.path.isEmpty ? "/" : String(parts.path)) + (parts.query.map { "?" + $0 } ?? "")
        let seconds = Int64(now.timeIntervalSince1970.rounded(.down))
        let hasBody = !body.isEmpty || method == .post

        headers["Host"] = authority
        headers["Date"] = HTTPDate.format(secondsSince1970: seconds)

        switch profile {
        case .rfc9421:
            var components: [MessageComponent] = [.method, .targetURI]
            if hasBody {
                headers["Content-Digest"] = ContentDigest.headerValue(for: body)
                components.append("content-digest")
            }
            let signingKey: MessageSigningKey
            switch key {
            case .ed25519(let ed): signingKey = .ed25519(ed)
            case .rsa(let rsa): signingKey = .rsaPKCS1v15SHA256(rsa)
            }
            let parameters = MessageSignatureParameters(
                created: seconds, keyID: keyID, algorithm: signingKey.algorithm,
                expires: expiresAfter.map { seconds + Int64($0.rounded(.up)) })
            let message = SignatureMessage.request(method: method, scheme: scheme, authority: authority, target: target, headers: headers)
            // Replace rather than append: a request leaves with exactly one signature of ours.
            headers["Signature-Input"] = nil
            headers["Signature"] = nil
            try MessageSignature.sign(message, label: "sig1", components: components, parameters: parameters, key: signingKey)
                .apply(to: &headers)
        case .cavage:
            var covered = ["(request-target)", "host", "date"]
            if hasBody {
                headers["Digest"] = DigestHeader.headerValue(for: body)
                covered.append("digest")
            }
            let cavageKey: CavageSigningKey
            switch key {
            case .ed25519(let ed): cavageKey = .ed25519(ed)
            case .rsa(let rsa): cavageKey = .rsa(rsa)
            }
            try CavageSignature.sign(method: method, target: target, headers: &headers, coveredHeaders: covered, keyID: keyID, key: cavageKey)
        }
    }
}

/// The signature headers of a request, parsed once: the key id to fetch the key by, and
/// everything ``HTTPSignatureVerifier/verify(_:parsed:authority:scheme:key:now:maxSkew:)`` needs,
/// so that a verifier that looks up the key first does not parse the structured fields again.
public struct ParsedHTTPSignature: Sendable {
    enum Storage: Sendable {
        case rfc9421(MessageSignature.Selected)
        case cavage(CavageSignatureHeader)
    }

    let storage: Storage
    /// The signature's `keyid` (RFC 9421) or `keyId` (cavage).
    public let keyID: String

    public var profile: SignatureProfile {
        switch storage {
        case .rfc9421: .rfc9421
        case .cavage: .cavage
        }
    }

    /// The raw signature bytes: what a replay repeats.
    public var signature: [UInt8] {
        switch storage {
        case .rfc9421(let selected): selected.signature
        case .cavage(let header): header.signature
        }
    }
}

/// Verifies incoming federation requests signed with either profile.
///
/// ```swift
/// let parsed = try HTTPSignatureVerifier.parse(request)
/// let key = try await keys.fetch(parsed.keyID)   // cached
/// let result = try HTTPSignatureVerifier.verify(request, parsed: parsed, authority: "node.example",
///                                               scheme: "https", key: key, now: Date())
/// ```
public struct HTTPSignatureVerifier: Sendable {
    public struct Result: Sendable {
        public var keyID: String
        public var profile: SignatureProfile
        /// `created`, `(created)` or the signed Date header.
        public var created: Date?
        /// Covered components: RFC 9421 names (`@method`, `content-digest`) or cavage header names.
        public var coveredComponents: [String]
        /// The RFC 9421 label, or nil for cavage.
        public var label: String?
    }

    /// The profile of a request: RFC 9421 when `Signature-Input` is present, else cavage.
    public static func profile(of request: HTTPRequest) throws -> SignatureProfile {
        if request.headers.contains("Signature-Input") { return .rfc9421 }
        if request.headers.contains("Signature") { return .cavage }
        if let authorization = request.headers["Authorization"], authorization.lowercased().hasPrefix("signature ") { return .cavage }
        throw HTTPSignatureError(.missingSignature, "the request is not signed (no Signature-Input, Signature or Authorization: Signature header)")
    }

    /// Parses the request's signature headers without checking anything cryptographic, so that the
    /// caller can fetch (or find in its cache) the key named by ``ParsedHTTPSignature/keyID`` first.
    /// - Throws: ``HTTPSignatureError``: the request is not signed, or its signature headers do not
    ///   parse or name no key.
    public static func parse(_ request: HTTPRequest) throws -> ParsedHTTPSignature {
        switch try profile(of: request) {
        case .rfc9421:
            let selected = try MessageSignature.select(request.headers, label: nil)
            let keyID = try MessageSignature.stringParameter("keyid", in: selected.input.parameters, label: selected.label)
            guard let keyID else {
                throw HTTPSignatureError(.malformedSignature, "Signature-Input \(selected.label) has no keyid parameter")
            }
            return ParsedHTTPSignature(storage: .rfc9421(selected), keyID: keyID)
        case .cavage:
            let header = try CavageSignature.header(in: request.headers)
            return ParsedHTTPSignature(storage: .cavage(header), keyID: header.keyID)
        }
    }

    /// The key id of the request's signature (``parse(_:)`` when the signature is verified next).
    public static func keyID(of request: HTTPRequest) throws -> String {
        try parse(request).keyID
    }

    /// Verifies `request` as received by a node reachable at `scheme://authority`; parses its
    /// signature headers first (see ``verify(_:parsed:authority:scheme:key:now:maxSkew:)``).
    public static func verify(
        _ request: HTTPRequest, authority: String, scheme: String, key: HTTPVerificationKey, now: Date,
        maxSkew: TimeInterval = 3600
    ) throws -> Result {
        try verify(request, parsed: parse(request), authority: authority, scheme: scheme, key: key, now: now, maxSkew: maxSkew)
    }

    /// The RFC 9421 components every incoming request must cover (made once, not per request).
    static let requiredWithoutDigest = ["@method", "@target-uri"]
    static let requiredWithDigest = ["@method", "@target-uri", "content-digest"]

    /// Verifies `request`, whose signature headers ``parse(_:)`` returned as `parsed`, as received
    /// by a node reachable at `scheme://authority`.
    ///
    /// Enforces, in this order: `@method` and `@target-uri`
    /// (RFC 9421) or `(request-target)`, `host` and `date`/`(created)` (cavage) are covered, plus the
    /// digest header when the request has a body or is a POST; the signed creation time is within
    /// `maxSkew` of `now` and the signature has not expired; the signature is valid for `key`; the
    /// digest matches the body; the signed Host is this node (cavage; RFC 9421 signs `@target-uri`,
    /// which is built from `authority`, so a request meant for another node fails the signature).
    /// - Throws: ``HTTPSignatureError`` with a message for the remote operator.
    public static func verify(
        _ request: HTTPRequest, parsed: ParsedHTTPSignature, authority: String, scheme: String, key: HTTPVerificationKey,
        now: Date, maxSkew: TimeInterval = 3600
    ) throws -> Result {
        let needsDigest = !request.body.isEmpty || request.method == .post
        switch parsed.storage {
        case .rfc9421(let selected):
            let policy = MessageSignaturePolicy(
                requiredComponents: needsDigest ? Self.requiredWithDigest : Self.requiredWithoutDigest, requiresCreated: true, maximumAge: maxSkew, maximumClockSkew: maxSkew)
            let message = SignatureMessage.request(request, scheme: scheme, authority: authority)
            let verified = try MessageSignature.verify(message, selected: selected, policy: policy, now: now) { _, declared in
                switch key {
                case .ed25519(let ed): return .ed25519(ed)
                case .rsa(let rsa): return declared == .rsaPSSSHA512 ? .rsaPSSSHA512(rsa) : .rsaPKCS1v15SHA256(rsa)
                }
            }
            if needsDigest {
                guard let digest = request.headers.combinedValue(for: "Content-Digest") else {
                    throw HTTPSignatureError(.missingDigest, "the request has a body but no Content-Digest header")
                }
                try ContentDigest.verify(digest, body: request.body)
            }
            return Result(
                keyID: verified.keyID, profile: .rfc9421, created: verified.created,
                coveredComponents: verified.coveredComponents.map(\.description), label: verified.label)
        case .cavage(let header):
            var required = ["(request-target)", "host"]
            if needsDigest { required.append("digest") }
            let policy = CavageSignaturePolicy(
                requiredHeaders: required, requiresDateOrCreated: true, maximumAge: maxSkew, maximumClockSkew: maxSkew)
            let verified = try CavageSignature.verify(
                method: request.method, target: request.target, headers: request.headers, parsed: header, policy: policy,
                now: now
            ) { _ in
                switch key {
                case .ed25519(let ed): return .ed25519(ed)
                case .rsa(let rsa): return .rsa(rsa)
                }
            }
            if needsDigest {
                guard let digest = request.headers.combinedValue(for: "Digest") else {
                    throw HTTPSignatureError(.missingDigest, "the request has a body but no Digest header")
                }
                try DigestHeader.verify(digest, body: request.body)
            }
            let host = request.headers.combinedValue(for: "Host") ?? ""
            guard SignatureBase.normalizedAuthority(host, scheme: scheme) == SignatureBase.normalizedAuthority(authority, scheme: scheme) else {
                throw HTTPSignatureError(.wrongAuthority, "the signed Host '\(host)' is not this node (\(authority))")
            }
            return Result(
                keyID: verified.keyID, profile: .cavage, created: verified.created, coveredComponents: verified.coveredHeaders,
                label: nil)
        }
    }
}
