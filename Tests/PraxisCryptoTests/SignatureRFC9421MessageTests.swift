import Foundation
import PraxisHTTP
import Testing
@testable import PraxisCrypto

/// RFC 9421 vectors rebuilt from the HTTP messages: the signature base is derived from the printed
/// request/response (request line, fields, body) and compared byte for byte with the RFC's base,
/// then the RFC's signature is verified through the public verifier.
@Suite struct SignatureRFC9421MessageTests {
    let file: VectorFile

    init() throws {
        file = try VectorFile("rfc9421-vectors")
    }

    func keys() throws -> [String: MessageVerificationKey] {
        [
            "test-key-rsa-pss": .rsaPSSSHA512(try RSAPublicKey(pem: file.pem("PUBLIC KEY", after: "### Example RSA PSS Key"))),
            "test-key-rsa": .rsaPKCS1v15SHA256(try RSAPublicKey(pem: file.pem("RSA PUBLIC KEY", after: "### Example Key RSA test"))),
            "test-key-ecc-p256": .ecdsaP256SHA256(try P256PublicKey(pem: file.pem("PUBLIC KEY", after: "### Example ECC P-256 Test Key"))),
            "test-key-ed25519": .ed25519(try Ed25519PublicKey(pem: file.pem("PUBLIC KEY", after: "### Example Ed25519 Test Key"))),
            "test-shared-secret": .hmacSHA256(secret: try Base64.decode(unwrapRFC8792(file.block(after: "### Example Shared Secret")))),
        ]
    }

    /// The test-request, or the test-response with the erratum applied (see the file: the printed
    /// response Content-Digest is not the digest of its body; the B.2.4 base uses the corrected one).
    func testMessage(response: Bool) throws -> PrintedMessage {
        if !response { return try PrintedMessage(file.block(after: "For requests, this `test-request`")) }
        var message = try PrintedMessage(file.block(after: "For responses, this `test-response`"))
        #expect(throws: HTTPSignatureError.self) { try ContentDigest.verify(message.headers["Content-Digest"] ?? "", body: message.body) }
        message.headers["Content-Digest"] = "sha-512=:mEWXIS7MaLRuGgxOBdODa3xqM1XdEvxoYhvlCFJ41QJgJc4GTsPp29l5oGX69wWdXymyU0rjJuahq4l5aGgfLQ==:"
        try ContentDigest.verify(message.headers["Content-Digest"] ?? "", body: message.body)
        return message
    }

    func verify(_ message: SignatureMessage, label: String, created: Int64) throws -> VerifiedMessageSignature {
        let keys = try keys()
        return try MessageSignature.verify(
            message, label: label, policy: MessageSignaturePolicy(maximumAge: nil),
            now: Date(timeIntervalSince1970: TimeInterval(created + 5))
        ) { keyID, _ in keys[keyID] }
    }

    @Test(arguments: [
        ("### B.2.1", "sig-b21", false), ("### B.2.2", "sig-b22", false), ("### B.2.3", "sig-b23", false),
        ("### B.2.4", "sig-b24", true), ("### B.2.5", "sig-b25", false), ("### B.2.6", "sig-b26", false),
    ])
    func appendixB2(heading: String, label: String, response: Bool) throws {
        var printed = try testMessage(response: response)
        if !response { try ContentDigest.verify(printed.headers["Content-Digest"] ?? "", body: printed.body) }
        for line in try file.block(after: heading, index: 1).split(separator: "\n") {
            let colon = try #require(line.firstIndex(of: ":"))
            printed.headers.add(name: String(line[..<colon]), value: line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
        }
        let message: SignatureMessage = response ? .response(status: try #require(printed.status), headers: printed.headers) : try printed.request
        let expected = try file.block(after: heading).bytes
        let base = try MessageSignature.signatureBase(ofReceived: message, label: label)
        #expect(String(decoding: base, as: UTF8.self) == String(decoding: expected, as: UTF8.self))
        #expect(base == expected)

        let verified = try verify(message, label: label, created: 1_618_884_473)
        #expect(verified.label == label)
        #expect(verified.created == Date(timeIntervalSince1970: 1_618_884_473))

        // Changing a covered part of the message breaks the signature.
        if !verified.coveredComponents.isEmpty {
            var tampered = message
            if verified.coveredComponents.contains(where: { $0.name == "content-type" }) {
                tampered.headers["Content-Type"] = "text/plain"
            } else {
                tampered.headers["Content-Digest"] = ContentDigest.headerValue(for: [1, 2, 3], algorithms: [.sha512])
            }
            expectSignatureError(.invalidSignature) { _ = try verify(tampered, label: label, created: 1_618_884_473) }
        }
    }

    @Test func deterministicAlgorithmsResignIdentically() throws {
        let printed = try testMessage(response: false)
        let message = try printed.request
        let ed = try Ed25519PrivateKey(pem: file.pem("PRIVATE KEY", after: "### Example Ed25519 Test Key"))
        let b26 = try MessageSignature.sign(
            message, label: "sig-b26", components: ["date", "@method", "@path", "@authority", "content-type", "content-length"],
            parameters: MessageSignatureParameters(created: 1_618_884_473, keyID: "test-key-ed25519"), key: .ed25519(ed))
        #expect(b26.signatureBase == (try file.block(after: "### B.2.6").bytes))
        #expect(b26.signatureMember == (try file.line(after: "### B.2.6", startingWith: "Signature:")).dropFirst("Signature: ".count).description)
        #expect("Signature-Input: " + b26.signatureInputMember == (try file.line(after: "### B.2.6", startingWith: "Signature-Input:")))

        let secret = try Base64.decode(unwrapRFC8792(file.block(after: "### Example Shared Secret")))
        let b25 = try MessageSignature.sign(
            message, label: "sig-b25", components: ["date", "@authority", "content-type"],
            parameters: MessageSignatureParameters(created: 1_618_884_473, keyID: "test-shared-secret"), key: .hmacSHA256(secret: secret))
        #expect("Signature: " + b25.signatureMember == (try file.line(after: "### B.2.5", startingWith: "Signature:")))

        // B.2.2 is PSS (randomised): the Signature-Input must match, and the fresh signature verify.
        let pss = try RSAPrivateKey(pem: file.pem("PRIVATE KEY", after: "### Example RSA PSS Key"))
        var headers = message.headers
        let b22 = try MessageSignature.sign(
            message, label: "sig-b22", components: ["@authority", "content-digest", .queryParameter("Pet")],
            parameters: MessageSignatureParameters(created: 1_618_884_473, keyID: "test-key-rsa-pss", tag: "header-example"),
            key: .rsaPSSSHA512(pss))
        #expect("Signature-Input: " + b22.signatureInputMember == (try file.line(after: "### B.2.2", startingWith: "Signature-Input:")))
        b22.apply(to: &headers)
        var signed = message
        signed.headers = headers
        #expect(try verify(signed, label: "sig-b22", created: 1_618_884_473).tag == "header-example")
    }

    @Test func section4_3MultipleSignatures() throws {
        let marker = "## Multiple Signatures {#signature-multiple}"
        // The client's message, signed with ECDSA P-256.
        let client = try PrintedMessage(file.block(after: marker, index: 0))
        let clientBase = try MessageSignature.signatureBase(ofReceived: try client.request, label: "sig1")
        #expect(clientBase == (try file.block(after: "### Section 4.3 client sig1").bytes))
        #expect(try verify(try client.request, label: "sig1", created: 1_618_884_475).keyID == "test-key-ecc-p256")
        try ContentDigest.verify(try #require(client.headers["Content-Digest"]), body: client.body)

        // The proxy's message carries both; only proxy_sig verifies there (the authority changed).
        let proxied = try PrintedMessage(file.block(after: marker, index: 4))
        let message = try proxied.request
        let base = try MessageSignature.signatureBase(ofReceived: message, label: "proxy_sig")
        #expect(base == (try file.block(after: "### Section 4.3 proxy_sig").bytes))
        let verified = try verify(message, label: "proxy_sig", created: 1_618_884_480)
        #expect(verified.algorithm == .rsaPKCS1v15SHA256)
        #expect(verified.expires == Date(timeIntervalSince1970: 1_618_884_540))
        #expect(verified.coveredComponents.map(\.name).last == "forwarded")
        expectSignatureError(.invalidSignature) { _ = try verify(message, label: "sig1", created: 1_618_884_475) }

        // rsa-v1_5-sha256 is deterministic: re-signing the proxy's message gives the RFC's bytes.
        let key = try RSAPrivateKey(pem: file.pem("RSA PRIVATE KEY", after: "### Example Key RSA test"))
        let again = try MessageSignature.sign(
            message, label: "proxy_sig",
            components: ["@method", "@authority", "@path", "content-digest", "content-type", "content-length", "forwarded"],
            parameters: MessageSignatureParameters(created: 1_618_884_480, keyID: "test-key-rsa", algorithm: .rsaPKCS1v15SHA256, expires: 1_618_884_540),
            key: .rsaPKCS1v15SHA256(key))
        #expect(Base64.encode(again.signature) == (try file.block(after: "### Section 4.3 proxy_sig", index: 1)))

        // The verifier reports expiry (the proxy signature is valid for 60 seconds).
        let keys = try keys()
        expectSignatureError(.expired) {
            _ = try MessageSignature.verify(
                message, label: "proxy_sig", policy: MessageSignaturePolicy(maximumAge: nil, maximumClockSkew: 0),
                now: Date(timeIntervalSince1970: 1_618_884_541)) { id, _ in keys[id] }
        }
    }

    @Test func appendixB4Transformations() throws {
        let marker = "## HTTP Message Transformations {#example-transform}"
        let original = try PrintedMessage(file.block(after: marker, index: 0))
        let base = try MessageSignature.signatureBase(ofReceived: try original.request, label: "transform")
        #expect(base == (try file.block(after: "### B.4 transform").bytes))
        #expect(base == (try unwrapRFC8792(file.block(after: marker, index: 1)).bytes))
        for index in [0, 2, 3, 4] {
            let message = try PrintedMessage(file.block(after: marker, index: index))
            #expect(try verify(try message.request, label: "transform", created: 1_618_884_473).keyID == "test-key-ed25519")
        }
        for index in [5, 6] {
            let message = try PrintedMessage(file.block(after: marker, index: index))
            expectSignatureError(.invalidSignature) { _ = try verify(try message.request, label: "transform", created: 1_618_884_473) }
        }
    }

    @Test func derivedComponentValues() throws {
        let headers: HTTPHeaders = ["Host": "www.example.com"]
        let message = SignatureMessage.request(
            method: .post, scheme: "HTTPS", authority: "WWW.Example.com:443",
            target: "/path?param=value&foo=bar&baz=batman&qux=", headers: headers)
        func value(_ component: MessageComponent) throws -> String {
            try SignatureBase.componentValue(component, of: message)
        }
        #expect(try value(.method) == "POST")
        #expect(try value(.authority) == "www.example.com")
        #expect(try value(.scheme) == "https")
        #expect(try value(.targetURI) == "https://WWW.Example.com:443/path?param=value&foo=bar&baz=batman&qux=")
        #expect(try value(.requestTarget) == "/path?param=value&foo=bar&baz=batman&qux=")
        #expect(try value(.path) == "/path")
        #expect(try value(.query) == "?param=value&foo=bar&baz=batman&qux=")
        #expect(try value(.queryParameter("baz")) == "batman")
        #expect(try value(.queryParameter("qux")) == "")

        // RFC 9421 section 2.2.8 example: names and values re-encoded, '+' is a space.
        let encoded = SignatureMessage.request(
            method: .get, scheme: "https", authority: "example.com",
            target: "/parameters?var=this%20is%20a%20big%0Avalue&bar=with+plus+whitespace&fa%C3%A7ade%22%3A%20=something",
            headers: [:])
        #expect(try SignatureBase.componentValue(.queryParameter("var"), of: encoded) == "this%20is%20a%20big%0Avalue")
        #expect(try SignatureBase.componentValue(.queryParameter("bar"), of: encoded) == "with%20plus%20whitespace")
        #expect(try SignatureBase.componentValue(.queryParameter("fa%C3%A7ade%22%3A%20"), of: encoded) == "something")

        let noQuery = SignatureMessage.request(method: .get, scheme: "https", authority: "a.example", target: "/", headers: [:])
        #expect(try SignatureBase.componentValue(.query, of: noQuery) == "?")
        expectSignatureError(.missingComponent) { _ = try SignatureBase.componentValue(.queryParameter("x"), of: noQuery) }
        expectSignatureError(.invalidComponent) { _ = try SignatureBase.componentValue(.status, of: noQuery) }
        let repeated = SignatureMessage.request(method: .get, scheme: "https", authority: "a", target: "/?a=1&a=2", headers: [:])
        expectSignatureError(.invalidComponent) { _ = try SignatureBase.componentValue(.queryParameter("a"), of: repeated) }
        expectSignatureError(.invalidComponent) { _ = try SignatureBase.componentValue("@signature-params", of: repeated) }
        expectSignatureError(.invalidComponent) { _ = try SignatureBase.componentValue("@unknown", of: repeated) }
    }

    @Test func fieldComponentParameters() throws {
        // RFC 9421 section 2.1.1-2.1.3 examples.
        var headers = HTTPHeaders()
        headers.add(name: "Example-Dict", value: " a=1,    b=2;x=1;y=2,   c=(a   b   c)  ")
        headers.add(name: "X-Empty-Header", value: "")
        headers.add(name: "X-OWS-Header", value: "   Leading and trailing whitespace.   ")
        headers.add(name: "X-Obs-Fold-Header", value: "Obsolete line folding.")
        headers.add(name: "Example-Header", value: "value, with, lots")
        headers.add(name: "Example-Header", value: "of, commas")
        let message = SignatureMessage.request(method: .get, scheme: "https", authority: "example.com", target: "/", headers: headers)
        func value(_ component: MessageComponent) throws -> String {
            try SignatureBase.componentValue(component, of: message)
        }
        #expect(try value("example-dict") == "a=1,    b=2;x=1;y=2,   c=(a   b   c)")
        #expect(try value(.field("example-dict", structured: true)) == "a=1, b=2;x=1;y=2, c=(a b c)")
        #expect(try value(.field("example-dict", key: "a")) == "1")
        #expect(try value(.field("example-dict", key: "b")) == "2;x=1;y=2")
        #expect(try value(.field("example-dict", key: "c")) == "(a b c)")
        #expect(try value("x-empty-header") == "")
        #expect(try value("x-ows-header") == "Leading and trailing whitespace.")
        #expect(try value("example-header") == "value, with, lots, of, commas")
        #expect(try value(.field("example-header", byteSequence: true)) == ":dmFsdWUsIHdpdGgsIGxvdHM=:, :b2YsIGNvbW1hcw==:")
        expectSignatureError(.missingComponent) { _ = try value(.field("example-dict", key: "zz")) }
        expectSignatureError(.missingComponent) { _ = try value("x-absent") }
        expectSignatureError(.invalidComponent) { _ = try value(.field("example-header", structured: true)) }
        expectSignatureError(.invalidComponent) { _ = try value(MessageComponent("Example-Header")) }
        expectSignatureError(.invalidComponent) {
            _ = try MessageSignature.signatureBase(for: message, components: ["x-empty-header", "x-empty-header"], parameters: .init())
        }
    }
}
