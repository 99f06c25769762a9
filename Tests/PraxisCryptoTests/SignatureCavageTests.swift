import Foundation
import PraxisHTTP
import Testing
@testable import PraxisCrypto

/// draft-cavage-12 through the public API: Appendix C rebuilt from the request, section 2.3, round trips.
@Suite struct SignatureCavageTests {
    let file: VectorFile
    let privateKey: RSAPrivateKey
    let publicKey: RSAPublicKey
    /// The Appendix C request: `POST /foo?param=value&pet=dog`.
    let headers: HTTPHeaders = [
        "Host": "example.com", "Date": "Sun, 05 Jan 2014 21:31:40 GMT", "Content-Type": "application/json",
        "Digest": "SHA-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=", "Content-Length": "18",
    ]
    let body = Array(#"{"hello": "world"}"#.utf8)
    let target = "/foo?param=value&pet=dog"

    init() throws {
        file = try VectorFile("cavage-vectors")
        privateKey = try RSAPrivateKey(pem: file.pem("RSA PRIVATE KEY", after: "## Verbatim: Appendix C"))
        publicKey = try RSAPublicKey(pem: file.pem("PUBLIC KEY", after: "## Verbatim: Appendix C"))
    }

    var dateOfRequest: Date { Date(timeIntervalSince1970: TimeInterval(HTTPDate.parseSeconds("Sun, 05 Jan 2014 21:31:40 GMT") ?? 0)) }

    func verify(_ headers: HTTPHeaders, policy: CavageSignaturePolicy = CavageSignaturePolicy(requiredHeaders: []), now: Date? = nil) throws -> VerifiedCavageSignature {
        try CavageSignature.verify(method: .post, target: target, headers: headers, policy: policy, now: now ?? dateOfRequest) { id in
            id == "Test" ? .rsa(publicKey) : nil
        }
    }

    @Test(arguments: [
        ("C.1 Default Test — signing string", nil as String?),
        ("C.2 Basic Test — signing string", "(request-target) host date"),
        ("C.3 All Headers Test — signing string", "(request-target) host date content-type digest content-length"),
    ])
    func appendixC(heading: String, headerList: String?) throws {
        let expected = try file.block(after: heading).bytes
        let signature = try file.block(after: heading, index: 1)
        let covered = headerList?.split(separator: " ").map(String.init) ?? ["date"]
        let string = try CavageSignature.signingString(
            coveredHeaders: covered, method: "POST", target: target, headers: headers, algorithm: "rsa-sha256")
        #expect(string == expected)

        var signed = headers
        let headersParameter = headerList.map { ",headers=\"\($0)\"" } ?? ""
        signed["Signature"] = "keyId=\"Test\",algorithm=\"rsa-sha256\"\(headersParameter),signature=\"\(signature)\""
        let verified = try verify(signed)
        #expect(verified.keyID == "Test")
        #expect(verified.coveredHeaders == covered)
        #expect(verified.created == dateOfRequest)
        try DigestHeader.verify(try #require(headers["Digest"]), body: body)

        // The Authorization form carries the same parameters.
        var authorization = headers
        authorization["Authorization"] = "Signature keyId=\"Test\",algorithm=\"rsa-sha256\"\(headersParameter), signature=\"\(signature)\""
        #expect(try verify(authorization).keyID == "Test")

        // rsa-sha256 is deterministic: signing the request again gives the draft's signature.
        var mine = headers
        let value = try CavageSignature.sign(
            method: .post, target: target, headers: &mine, coveredHeaders: covered, keyID: "Test", key: .rsa(privateKey))
        #expect(value.hasSuffix("signature=\"\(signature)\""))
        #expect(try CavageSignatureHeader.parse(value).signature == (try Base64.decode(signature)))
    }

    @Test func section2_3Canonicalisation() throws {
        var headers = HTTPHeaders()
        headers.add(name: "Host", value: "example.org")
        headers.add(name: "Date", value: "Tue, 07 Jun 2014 20:51:35 GMT")
        headers.add(name: "X-Example", value: "Example header with some whitespace.")
        headers.add(name: "X-EmptyHeader", value: "")
        headers.add(name: "Cache-Control", value: "max-age=60")
        headers.add(name: "Cache-Control", value: "must-revalidate")
        let string = try CavageSignature.signingString(
            coveredHeaders: ["(request-target)", "(created)", "host", "date", "cache-control", "x-emptyheader", "x-example"],
            method: "GET", target: "/foo", headers: headers, algorithm: "hs2019", created: 1_402_170_695)
        #expect(string == (try file.block(after: "Section 2.3 canonicalisation example", index: 1)).bytes)
        #expect(String(decoding: string, as: UTF8.self).contains("x-emptyheader: \n"))

        // (created) is an error with rsa-* algorithms, and without a created parameter.
        expectSignatureError(.invalidComponent) {
            _ = try CavageSignature.signingString(coveredHeaders: ["(created)"], method: "GET", target: "/", headers: headers, algorithm: "rsa-sha256", created: 1)
        }
        expectSignatureError(.invalidComponent) {
            _ = try CavageSignature.signingString(coveredHeaders: ["(expires)"], method: "GET", target: "/", headers: headers, algorithm: "hs2019")
        }
        expectSignatureError(.missingComponent) {
            _ = try CavageSignature.signingString(coveredHeaders: ["digest"], method: "GET", target: "/", headers: headers, algorithm: nil)
        }
        expectSignatureError(.invalidComponent) {
            _ = try CavageSignature.signingString(coveredHeaders: ["host", "host"], method: "GET", target: "/", headers: headers, algorithm: nil)
        }
    }

    @Test func headerParsing() throws {
        let parsed = try CavageSignatureHeader.parse(
            #"keyId="https://a.example/actor#main-key", algorithm=hs2019 ,created=1402170695, expires=1402170699.5,headers="(request-target) (created) Host",signature="AAEC""#)
        #expect(parsed.keyID == "https://a.example/actor#main-key")
        #expect(parsed.algorithm == "hs2019")
        #expect(parsed.created == 1_402_170_695)
        #expect(parsed.expires == 1_402_170_699)
        #expect(parsed.headers == ["(request-target)", "(created)", "host"])
        #expect(parsed.signature == [0, 1, 2])
        #expect(try CavageSignatureHeader.parse(parsed.headerValue) == parsed)
        // Defaults: hs2019 (or no algorithm) signs (created), others date.
        #expect(try CavageSignatureHeader.parse(#"keyId="k",signature="AA==""#).headers == ["(created)"])
        #expect(try CavageSignatureHeader.parse(#"keyId="k",algorithm="rsa-sha256",signature="AA==""#).headers == ["date"])
        #expect(try CavageSignatureHeader.parse(#"keyId="a\"b",signature="AA==""#).keyID == "a\"b")

        for bad in [
            "", #"signature="AA==""#, #"keyId="k""#, #"keyId="k",signature="not base64!""#, #"keyId="k,signature="AA==""#,
            #"keyId="k",keyId="j",signature="AA==""#, #"keyId="k" signature="AA==""#, #"keyId"#, #"="x""#,
            #"keyId="k",headers="",signature="AA==""#,
        ] {
            expectSignatureError(.malformedSignature) { _ = try CavageSignatureHeader.parse(bad) }
        }
        expectSignatureError(.invalidParameter) { _ = try CavageSignatureHeader.parse(#"keyId="k",created=soon,signature="AA==""#) }
        expectSignatureError(.missingSignature) { _ = try CavageSignature.header(in: ["Authorization": "Bearer x"]) }
    }

    /// Found by the `signature-headers` fuzz target: an unquoted `headers` value may hold `"` or `\`,
    /// which `headerValue` wrote unescaped, so the header no longer parsed back to itself.
    @Test func headerValueEscapesCoveredHeaderNames() throws {
        for value in [
            #"keyId="k",headers=a"b\c,signature="AA==""#,
            "keyId=\"rsa-key-1\",algorithm=\"hs2019\",created=140695,headers=\0\0\0\u{01}\"(request-tpe\",signature=\"c2lnbmF0dXJl\"",
        ] {
            let parsed = try CavageSignatureHeader.parse(value)
            #expect(parsed.headers.contains { $0.contains("\"") })
            #expect(try CavageSignatureHeader.parse(parsed.headerValue) == parsed, "\(parsed.headerValue)")
        }
    }

    /// Regression (fuzz finding, signature-headers target): a backslash followed by a combining
    /// mark is one Swift `Character`; the escape must still double it so the value parses back.
    @Test func headerValueEscapesABackslashBeforeACombiningMark() throws {
        let value = "keyId=\"https://masto\u{FFFD}on.example/users/a\",algorithm=\"hs2-sha256\\\\\\\u{64D}\u{FFFD}\\\\\",headers=\"(request-target) host\",signature=\"c2lnbmF0dXJl\""
        let parsed = try CavageSignatureHeader.parse(value)
        #expect(parsed.algorithm == "hs2-sha256\\\u{64D}\u{FFFD}\\")
        #expect(try CavageSignatureHeader.parse(parsed.headerValue) == parsed, "\(parsed.headerValue)")
        // And covered names separated by a space that a combining mark follows.
        let spaced = try CavageSignatureHeader.parse("keyId=\"k\",headers=\"(request-target) \u{64D}host Date\",signature=\"AA==\"")
        #expect(spaced.headers == ["(request-target)", "\u{64D}host", "date"])
        #expect(try CavageSignatureHeader.parse(spaced.headerValue) == spaced)
    }

    @Test func refusals() throws {
        var signed = headers
        try CavageSignature.sign(
            method: .post, target: target, headers: &signed, coveredHeaders: ["(request-target)", "host", "date", "digest"],
            keyID: "Test", key: .rsa(privateKey))
        let strict = CavageSignaturePolicy(requiredHeaders: ["(request-target)", "host", "digest"])
        #expect(try verify(signed, policy: strict).coveredHeaders == ["(request-target)", "host", "date", "digest"])

        var tampered = signed
        tampered["Host"] = "evil.example"
        expectSignatureError(.invalidSignature) { _ = try verify(tampered, policy: strict) }
        expectSignatureError(.invalidSignature) {
            _ = try CavageSignature.verify(method: .put, target: target, headers: signed, policy: strict, now: dateOfRequest) { _ in .rsa(publicKey) }
        }
        let missing = CavageSignaturePolicy(requiredHeaders: ["(request-target)", "content-type"])
        let message = expectSignatureError(.requiredComponentNotCovered) { _ = try verify(signed, policy: missing) }
        #expect(message == "signature does not cover content-type")
        let late = expectSignatureError(.tooOld) { _ = try verify(signed, policy: strict, now: dateOfRequest + 7200) }
        #expect(late == "Date header is 2 hours old; clock skew allowed is 1 hour")
        expectSignatureError(.createdInFuture) { _ = try verify(signed, policy: strict, now: dateOfRequest - 3700) }
        expectSignatureError(.unknownKey) {
            _ = try CavageSignature.verify(method: .post, target: target, headers: signed, policy: strict, now: dateOfRequest) { _ in nil }
        }
        let otherKey = try RSAPrivateKey(pem: TestKeys.rsa2048PKCS1).publicKey
        expectSignatureError(.invalidSignature) {
            _ = try CavageSignature.verify(method: .post, target: target, headers: signed, policy: strict, now: dateOfRequest) { _ in .rsa(otherKey) }
        }
        let ed = Ed25519PrivateKey()
        expectSignatureError(.algorithmMismatch) {
            _ = try CavageSignature.verify(method: .post, target: target, headers: signed, policy: strict, now: dateOfRequest) { _ in .ed25519(ed.publicKey) }
        }
        var unknownAlgorithm = signed
        unknownAlgorithm["Signature"] = signed["Signature"]?.replacingOccurrences(of: "rsa-sha256", with: "hmac-sha256")
        expectSignatureError(.unsupportedAlgorithm) { _ = try verify(unknownAlgorithm, policy: strict) }
        var badDate = signed
        badDate["Date"] = "yesterday"
        expectSignatureError(.invalidParameter) { _ = try verify(badDate, policy: strict) }
        var noDate = signed
        noDate["Signature"] = signed["Signature"]?.replacingOccurrences(of: " date", with: "")
        expectSignatureError(.requiredComponentNotCovered) { _ = try verify(noDate, policy: strict) }
        expectSignatureError(.missingSignature) { _ = try verify(headers) }
    }

    @Test func ed25519HS2019WithCreatedAndExpires() throws {
        let key = Ed25519PrivateKey()
        var signed: HTTPHeaders = ["Host": "b.example"]
        let created: Int64 = 1_700_000_000
        try CavageSignature.sign(
            method: .get, target: "/users/ana?page=2", headers: &signed,
            coveredHeaders: ["(request-target)", "(created)", "(expires)", "host"], keyID: "k", key: .ed25519(key),
            created: created, expires: created + 300)
        #expect(signed["Signature"]?.contains("algorithm=\"hs2019\"") == true)
        let policy = CavageSignaturePolicy(requiredHeaders: ["(request-target)", "host"])
        func check(_ target: String, at seconds: Int64) throws -> VerifiedCavageSignature {
            try CavageSignature.verify(method: .get, target: target, headers: signed, policy: policy, now: Date(timeIntervalSince1970: TimeInterval(seconds))) { _ in
                .ed25519(key.publicKey)
            }
        }
        let verified = try check("/users/ana?page=2", at: created + 10)
        #expect(verified.algorithm == "hs2019")
        #expect(verified.created == Date(timeIntervalSince1970: TimeInterval(created)))
        #expect(verified.expires == Date(timeIntervalSince1970: TimeInterval(created + 300)))
        expectSignatureError(.invalidSignature) { _ = try check("/users/ana?page=3", at: created + 10) }
        expectSignatureError(.expired) { _ = try check("/users/ana?page=2", at: created + 300 + 3601) }

        // Mastodon's fallback: a signer that left the query out of (request-target) still verifies.
        var pathOnly: HTTPHeaders = ["Host": "b.example", "Date": HTTPDate.format(Date(timeIntervalSince1970: TimeInterval(created)))]
        try CavageSignature.sign(method: .get, target: "/outbox", headers: &pathOnly, coveredHeaders: ["(request-target)", "host", "date"], keyID: "k", key: .ed25519(key))
        let now = Date(timeIntervalSince1970: TimeInterval(created))
        #expect(throws: Never.self) {
            try CavageSignature.verify(method: .get, target: "/outbox?page=true", headers: pathOnly, policy: policy, now: now) { _ in .ed25519(key.publicKey) }
        }
        var noFallback = policy
        noFallback.allowsPathOnlyRequestTarget = false
        expectSignatureError(.invalidSignature) {
            _ = try CavageSignature.verify(method: .get, target: "/outbox?page=true", headers: pathOnly, policy: noFallback, now: now) { _ in .ed25519(key.publicKey) }
        }
    }
}
