import Foundation
import PraxisHTTP
import Testing
@testable import PraxisCrypto

/// HTTPSigner → HTTPSignatureVerifier round trips for both profiles, and every refusal.
@Suite struct SignatureFacadeTests {
    let ed: Ed25519PrivateKey
    let rsa: RSAPrivateKey
    let now = Date(timeIntervalSince1970: 1_750_000_000)
    let body = Array(#"{"type":"Create","actor":"https://a.example/actor"}"#.utf8)

    init() throws {
        rsa = try RSAPrivateKey(pem: TestKeys.rsa2048PKCS1)
        ed = try Ed25519PrivateKey(rawRepresentation: Array(repeating: 7, count: 32))
    }

    enum KeyKind: String, CaseIterable, Sendable { case ed25519, rsa }

    func signingKey(_ kind: KeyKind) -> HTTPSigningKey { kind == .ed25519 ? .ed25519(ed) : .rsa(rsa) }
    func verificationKey(_ kind: KeyKind) -> HTTPVerificationKey { kind == .ed25519 ? .ed25519(ed.publicKey) : .rsa(rsa.publicKey) }

    /// A request as the receiving node sees it after `HTTPSigner` prepared it.
    func signed(
        _ method: HTTPMethod = .post, url: String = "https://b.example/inbox?x=1", body: [UInt8]? = nil, key: KeyKind = .ed25519,
        profile: SignatureProfile, expiresAfter: TimeInterval? = nil
    ) throws -> HTTPRequest {
        let payload = body ?? (method == .post ? self.body : [])
        var headers: HTTPHeaders = ["Content-Type": "application/activity+json"]
        try HTTPSigner.sign(
            method: method, url: url, headers: &headers, body: payload, keyID: "https://a.example/actor#main-key",
            key: signingKey(key), profile: profile, now: now, expiresAfter: expiresAfter)
        let target = String(url.dropFirst("https://b.example".count))
        return HTTPRequest(method: method, target: target.isEmpty ? "/" : target, headers: headers, body: payload)
    }

    func verify(
        _ request: HTTPRequest, key: KeyKind = .ed25519, otherKey: HTTPVerificationKey? = nil, at time: Date? = nil,
        authority: String = "b.example"
    ) throws -> HTTPSignatureVerifier.Result {
        try HTTPSignatureVerifier.verify(request, authority: authority, scheme: "https", key: otherKey ?? verificationKey(key), now: time ?? now)
    }

    @Test(arguments: [SignatureProfile.rfc9421, .cavage], KeyKind.allCases)
    func roundTrips(profile: SignatureProfile, key: KeyKind) throws {
        let post = try signed(key: key, profile: profile)
        #expect(post.headers["Host"] == "b.example")
        #expect(post.headers["Date"] == "Sun, 15 Jun 2025 15:06:40 GMT")
        #expect(try HTTPSignatureVerifier.keyID(of: post) == "https://a.example/actor#main-key")
        #expect(try HTTPSignatureVerifier.profile(of: post) == profile)
        let result = try verify(post, key: key)
        #expect(result.keyID == "https://a.example/actor#main-key")
        #expect(result.profile == profile)
        #expect(result.created == now)
        let get = try signed(.get, url: "https://b.example/users/ana", key: key, profile: profile)
        let getResult = try verify(get, key: key, at: now + 1800)
        switch profile {
        case .rfc9421:
            #expect(post.headers["Content-Digest"] == ContentDigest.headerValue(for: body))
            #expect(result.coveredComponents == ["@method", "@target-uri", "content-digest"])
            #expect(result.label == "sig1")
            #expect(post.headers["Signature-Input"]?.contains(key == .ed25519 ? #"alg="ed25519""# : #"alg="rsa-v1_5-sha256""#) == true)
            #expect(getResult.coveredComponents == ["@method", "@target-uri"])
            #expect(get.headers["Content-Digest"] == nil)
        case .cavage:
            #expect(post.headers["Digest"] == DigestHeader.headerValue(for: body))
            #expect(result.coveredComponents == ["(request-target)", "host", "date", "digest"])
            #expect(post.headers["Signature"]?.contains(key == .rsa ? #"algorithm="rsa-sha256""# : #"algorithm="hs2019""#) == true)
            #expect(getResult.coveredComponents == ["(request-target)", "host", "date"])
        }
    }

    @Test(arguments: [SignatureProfile.rfc9421, .cavage], KeyKind.allCases)
    func parsedOnceThenVerified(profile: SignatureProfile, key: KeyKind) throws {
        let post = try signed(key: key, profile: profile)
        let parsed = try HTTPSignatureVerifier.parse(post)
        #expect(parsed.keyID == "https://a.example/actor#main-key")
        #expect(parsed.profile == profile)
        #expect(parsed.signature.count == (key == .ed25519 ? 64 : 256))
        let result = try HTTPSignatureVerifier.verify(
            post, parsed: parsed, authority: "b.example", scheme: "https", key: verificationKey(key), now: now)
        #expect(result.keyID == parsed.keyID)
        #expect(result.created == now)
        // The parsed signature is checked against the request it is given: a changed body fails.
        var tampered = post
        tampered.body = Array(#"{"type":"Delete"}"#.utf8)
        #expect(throws: HTTPSignatureError.self) {
            try HTTPSignatureVerifier.verify(
                tampered, parsed: parsed, authority: "b.example", scheme: "https", key: verificationKey(key), now: now)
        }
        // Unsigned or unparseable signature headers fail at parse time.
        #expect(throws: HTTPSignatureError.self) { try HTTPSignatureVerifier.parse(HTTPRequest(method: .post, target: "/inbox")) }
        var broken = post
        broken.headers[profile == .rfc9421 ? "Signature-Input" : "Signature"] = "sig1=(\"@method\""
        #expect(throws: HTTPSignatureError.self) { try HTTPSignatureVerifier.parse(broken) }
    }

    @Test func signerNormalisesTheURL() throws {
        var headers = HTTPHeaders()
        try HTTPSigner.sign(
            method: .get, url: "HTTPS://B.Example:443", headers: &headers, body: [], keyID: "k", key: .ed25519(ed), profile: .rfc9421, now: now)
        #expect(headers["Host"] == "b.example")
        let request = HTTPRequest(method: .get, target: "/", headers: headers)
        #expect(try verify(request).keyID == "k")
        var local = HTTPHeaders()
        try HTTPSigner.sign(method: .get, url: "http://127.0.0.1:8081/x", headers: &local, body: [], keyID: "k", key: .rsa(rsa), profile: .cavage, now: now)
        #expect(local["Host"] == "127.0.0.1:8081")
        #expect(try HTTPSignatureVerifier.verify(
            HTTPRequest(method: .get, target: "/x", headers: local), authority: "127.0.0.1:8081", scheme: "http", key: .rsa(rsa.publicKey), now: now).profile == .cavage)
        for bad in ["/inbox", "ftp://b.example/x", "https:///x", "https://user@b.example/"] {
            var h = HTTPHeaders()
            expectSignatureError(.invalidParameter) {
                try HTTPSigner.sign(method: .get, url: bad, headers: &h, body: [], keyID: "k", key: .ed25519(ed), profile: .rfc9421, now: now)
            }
        }
    }

    @Test(arguments: [SignatureProfile.rfc9421, .cavage])
    func refusals(profile: SignatureProfile) throws {
        let request = try signed(profile: profile)
        var kinds: [HTTPSignatureError.Kind: String] = [:]
        func refuse(_ kind: HTTPSignatureError.Kind, _ body: () throws -> Void) {
            if let message = expectSignatureError(kind, body) { kinds[kind] = message }
        }

        // Tampered body: the digest no longer matches.
        var tamperedBody = request
        tamperedBody.body = Array(#"{"type":"Delete"}"#.utf8)
        refuse(.digestMismatch) { _ = try verify(tamperedBody) }

        // Tampered covered header: a new digest for the new body breaks the signature.
        var tamperedHeader = tamperedBody
        if profile == .rfc9421 {
            tamperedHeader.headers["Content-Digest"] = ContentDigest.headerValue(for: tamperedBody.body)
        } else {
            tamperedHeader.headers["Digest"] = DigestHeader.headerValue(for: tamperedBody.body)
        }
        refuse(.invalidSignature) { _ = try verify(tamperedHeader) }

        // Clock window (the Date header for cavage, created for RFC 9421).
        let stale = expectSignatureError(.tooOld) { _ = try verify(request, at: now + 7200) }
        #expect(stale == (profile == .cavage ? "Date header" : "signature 'created'") + " is 2 hours old; clock skew allowed is 1 hour")
        refuse(.createdInFuture) { _ = try verify(request, at: now - 5400) }
        #expect(throws: Never.self) { try verify(request, at: now + 3500) }
        #expect(throws: Never.self) { try verify(request, at: now - 3500) }

        refuse(.invalidSignature) { _ = try verify(request, otherKey: .ed25519(Ed25519PrivateKey().publicKey)) }  // wrong key
        refuse(.missingSignature) { _ = try verify(HTTPRequest(method: .post, target: "/inbox?x=1", headers: [:], body: body)) }

        // Unknown algorithm, malformed headers.
        var unknown = request
        var malformed = request
        switch profile {
        case .rfc9421:
            unknown.headers["Signature-Input"] = request.headers["Signature-Input"]?.replacingOccurrences(of: "ed25519", with: "ed448")
            malformed.headers["Signature-Input"] = "sig1=(\"@method\";created=1"
            var uncovered = try signed(profile: .rfc9421)
            var components: [MessageComponent] = ["@method", "content-digest"]
            let message = SignatureMessage.request(uncovered, scheme: "https", authority: "b.example")
            uncovered.headers["Signature-Input"] = nil
            uncovered.headers["Signature"] = nil
            try MessageSignature.sign(
                message, label: "sig1", components: components,
                parameters: MessageSignatureParameters(created: Int64(now.timeIntervalSince1970), keyID: "k"), key: .ed25519(ed)
            ).apply(to: &uncovered.headers)
            let notCovered = expectSignatureError(.requiredComponentNotCovered) { _ = try verify(uncovered) }
            #expect(notCovered == "signature does not cover @target-uri")
            kinds[.requiredComponentNotCovered] = notCovered
            components = ["@method", "@target-uri"]
            var noDigest = uncovered
            noDigest.headers["Signature-Input"] = nil
            noDigest.headers["Signature"] = nil
            try MessageSignature.sign(
                message, label: "sig1", components: components,
                parameters: MessageSignatureParameters(created: Int64(now.timeIntervalSince1970), keyID: "k"), key: .ed25519(ed)
            ).apply(to: &noDigest.headers)
            refuse(.requiredComponentNotCovered) { _ = try verify(noDigest) }

            let expiring = try signed(profile: .rfc9421, expiresAfter: 60)
            #expect(throws: Never.self) { try verify(expiring, at: now + 30) }
            refuse(.expired) { _ = try verify(expiring, at: now + 3700) }
            refuse(.algorithmMismatch) { _ = try verify(request, key: .rsa) }
            // Signed for another node: @target-uri differs.
            refuse(.invalidSignature) { _ = try verify(request, authority: "c.example") }
        case .cavage:
            unknown.headers["Signature"] = request.headers["Signature"]?.replacingOccurrences(of: "hs2019", with: "ecdsa-sha256")
            malformed.headers["Signature"] = "keyId=\"k\",signature="
            var noDigest = request
            noDigest.headers["Signature"] = nil
            var headers = noDigest.headers
            try CavageSignature.sign(
                method: .post, target: request.target, headers: &headers, coveredHeaders: ["(request-target)", "host", "date"],
                keyID: "k", key: .ed25519(ed))
            noDigest.headers = headers
            let notCovered = expectSignatureError(.requiredComponentNotCovered) { _ = try verify(noDigest) }
            #expect(notCovered == "signature does not cover digest")
            refuse(.wrongAuthority) { _ = try verify(request, authority: "c.example") }
            var unsupportedDigest = request
            unsupportedDigest.headers["Digest"] = "MD5=XrY7u+Ae7tCTyyK7j1rNww=="
            refuse(.invalidSignature) { _ = try verify(unsupportedDigest) }
        }
        refuse(.unsupportedAlgorithm) { _ = try verify(unknown) }
        refuse(.malformedSignature) { _ = try verify(malformed) }

        // Each refusal has its own kind and message.
        #expect(Set(kinds.values).count == kinds.count)
        for message in kinds.values { #expect(message.count > 15) }
    }

    @Test func digestCoveredButAbsent() throws {
        var headers: HTTPHeaders = ["Host": "b.example", "Date": HTTPDate.format(now)]
        expectSignatureError(.missingComponent) {
            try CavageSignature.sign(
                method: .put, target: "/x", headers: &headers, coveredHeaders: ["(request-target)", "host", "date", "digest"],
                keyID: "k", key: .ed25519(ed))
        }
        // A signed request whose Content-Digest names only algorithms we do not implement.
        var request = try signed(profile: .rfc9421)
        request.headers["Content-Digest"] = "md5=:XrY7u+Ae7tCTyyK7j1rNww==:"
        expectSignatureError(.invalidSignature) { _ = try verify(request) }
    }

    @Test func neverCrashesOnTruncatedHeaders() throws {
        for profile in [SignatureProfile.rfc9421, .cavage] {
            let request = try signed(profile: profile)
            for name in ["Signature-Input", "Signature", "Content-Digest", "Digest", "Date", "Host"] {
                guard let value = request.headers[name] else { continue }
                let utf8 = Array(value.utf8)
                for cut in stride(from: 0, to: utf8.count, by: 3) {
                    var broken = request
                    broken.headers[name] = String(decoding: utf8[..<cut], as: UTF8.self)
                    do {
                        _ = try verify(broken)
                    } catch is HTTPSignatureError {
                    } catch {
                        Issue.record("unexpected error type \(error)")
                    }
                }
            }
        }
    }
}
