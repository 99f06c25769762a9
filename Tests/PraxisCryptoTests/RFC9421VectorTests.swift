import Testing
@testable import PraxisCrypto

/// RFC 9421 Appendix B keys and signatures (file Vectors/rfc9421-vectors.md), checked with the raw primitives.
@Suite struct RFC9421VectorTests {
    let file: VectorFile

    init() throws {
        file = try VectorFile("rfc9421-vectors")
    }

    /// The unwrapped signature base of a section, checked against the SHA-256 printed in its header.
    func base(_ heading: String) throws -> [UInt8] {
        let base = try file.block(after: heading).bytes
        let header = try file.line(after: heading, startingWith: "Signature base")
        if let range = header.range(of: "sha256 ") {
            let expected = String(header[range.upperBound...].prefix(64))
            #expect(Hex.encode(SHA256.hash(base)) == expected, "extracted base for \(heading) differs from the file")
        }
        return base
    }

    func signature(_ heading: String, label: String) throws -> [UInt8] {
        let line = try file.line(after: heading, startingWith: "Signature:")
        return try Base64.decode(signatureValue(line, label: label))
    }

    var rsaPSSPublic: RSAPublicKey {
        get throws { try RSAPublicKey(pem: file.pem("PUBLIC KEY", after: "### Example RSA PSS Key")) }
    }

    @Test func importsEveryTestKey() throws {
        let rsa = try RSAPrivateKey(pem: file.pem("RSA PRIVATE KEY", after: "### Example Key RSA test"))
        let rsaPublic = try RSAPublicKey(pem: file.pem("RSA PUBLIC KEY", after: "### Example Key RSA test"))
        let rsaSPKI = try RSAPublicKey(pem: file.pem("PUBLIC KEY", after: "re-encoded as SPKI"))
        #expect(rsa.bits == 2048)
        #expect(rsa.publicKey == rsaPublic)
        #expect(rsaPublic == rsaSPKI)
        #expect(rsaPublic.pemRepresentation == (try file.pem("PUBLIC KEY", after: "re-encoded as SPKI")) + "\n")

        let pss = try RSAPrivateKey(pem: file.pem("PRIVATE KEY", after: "### Example RSA PSS Key"))
        #expect(pss.publicKey == (try rsaPSSPublic))
        #expect(pss.bits == 2048)

        let ecc = try P256PrivateKey(pem: file.pem("EC PRIVATE KEY", after: "### Example ECC P-256 Test Key"))
        let eccPublic = try P256PublicKey(pem: file.pem("PUBLIC KEY", after: "### Example ECC P-256 Test Key"))
        #expect(ecc.publicKey == eccPublic)
        // JWK x = qIVYZVLC..., y = Mc4nN9LT...
        let x = try Base64.urlDecode("qIVYZVLCrPZHGHjP17CTW0_-D9Lfw0EkjqF7xB4FivA")
        let y = try Base64.urlDecode("Mc4nN9LTDOBhfoUeg8Ye9WedFRhnZXZJA12Qp0zZ6F0")
        #expect(eccPublic.x963Representation == [0x04] + x + y)

        let ed = try Ed25519PrivateKey(pem: file.pem("PRIVATE KEY", after: "### Example Ed25519 Test Key"))
        let edPublic = try Ed25519PublicKey(pem: file.pem("PUBLIC KEY", after: "### Example Ed25519 Test Key"))
        #expect(ed.publicKey == edPublic)
        #expect(Hex.encode(edPublic.rawRepresentation) == "26b40b8f93fff3d897112f7ebc582b232dbd72517d082fe83cfb30ddce43d1bb")
        #expect(Hex.encode(ed.rawRepresentation) == "9f8362f87a484a954e6e740c5b4c0e84229139a20aa8ab56ff66586f6a7d29c5")
        #expect(ed.pemRepresentation == (try file.pem("PRIVATE KEY", after: "### Example Ed25519 Test Key")) + "\n")
    }

    @Test(arguments: [("### B.2.1", "sig-b21"), ("### B.2.2", "sig-b22"), ("### B.2.3", "sig-b23")])
    func rsaPSSSHA512(heading: String, label: String) throws {
        let key = try rsaPSSPublic
        let base = try base(heading)
        let sig = try signature(heading, label: label)
        #expect(key.isValidSignature(sig, for: base, padding: .pssSHA512))
        #expect(!key.isValidSignature(sig, for: base + [0x0A], padding: .pssSHA512))
        #expect(!key.isValidSignature(sig, for: base, padding: .pkcs1v15SHA256))

        // PSS is randomised: a fresh signature differs but verifies.
        let priv = try RSAPrivateKey(pem: file.pem("PRIVATE KEY", after: "### Example RSA PSS Key"))
        let mine = try priv.signature(for: base, padding: .pssSHA512)
        #expect(mine != sig)
        #expect(key.isValidSignature(mine, for: base, padding: .pssSHA512))
    }

    @Test func ecdsaP256Response() throws {
        let key = try P256PublicKey(pem: file.pem("PUBLIC KEY", after: "### Example ECC P-256 Test Key"))
        let base = try base("### B.2.4")
        let sig = try signature("### B.2.4", label: "sig-b24")
        #expect(sig.count == 64)
        #expect(key.isValidSignature(sig, for: base))
        var tampered = sig
        tampered[10] ^= 0x01
        #expect(!key.isValidSignature(tampered, for: base))

        let priv = try P256PrivateKey(pem: file.pem("EC PRIVATE KEY", after: "### Example ECC P-256 Test Key"))
        let mine = try priv.signature(for: base)
        #expect(mine.count == 64)
        #expect(key.isValidSignature(mine, for: base))
    }

    @Test func ecdsaP256ClientSignatureOfSection4_3() throws {
        let key = try P256PublicKey(pem: file.pem("PUBLIC KEY", after: "### Example ECC P-256 Test Key"))
        let base = try file.block(after: "### Section 4.3 client sig1").bytes
        let wrapped = try file.block(after: "## Multiple Signatures {#signature-multiple}")
        let line = try #require(unwrapRFC8792(wrapped).split(separator: "\n").first { $0.hasPrefix("Signature:") })
        let sig = try Base64.decode(signatureValue(String(line), label: "sig1"))
        #expect(key.isValidSignature(sig, for: base))
    }

    @Test func hmacSHA256() throws {
        let secret = try Base64.decode(unwrapRFC8792(file.block(after: "### Example Shared Secret")))
        #expect(secret.count == 64)
        let base = try base("### B.2.5")
        let expected = try signature("### B.2.5", label: "sig-b25")
        #expect(HMAC.sha256(key: secret, data: base) == expected)
        #expect(HMAC.isValidSHA256(expected, key: secret, data: base))
        #expect(!HMAC.isValidSHA256(expected, key: secret, data: base + [0]))
    }

    @Test func ed25519RequestIsDeterministic() throws {
        let base = try base("### B.2.6")
        let sig = try signature("### B.2.6", label: "sig-b26")
        let key = try Ed25519PrivateKey(pem: file.pem("PRIVATE KEY", after: "### Example Ed25519 Test Key"))
        let publicKey = try Ed25519PublicKey(pem: file.pem("PUBLIC KEY", after: "### Example Ed25519 Test Key"))
        #expect(publicKey.isValidSignature(sig, for: base))
        #expect(try key.signature(for: base) == sig)
        #expect(!publicKey.isValidSignature(sig, for: Array(base.dropLast())))
    }

    @Test func ed25519TransformExample() throws {
        let base = try file.block(after: "### B.4 transform").bytes
        let wrapped = try file.block(after: "## HTTP Message Transformations {#example-transform}")
        let line = try #require(unwrapRFC8792(wrapped).split(separator: "\n").first { $0.hasPrefix("Signature:") })
        let sig = try Base64.decode(signatureValue(String(line), label: "transform"))
        let publicKey = try Ed25519PublicKey(pem: file.pem("PUBLIC KEY", after: "### Example Ed25519 Test Key"))
        #expect(publicKey.isValidSignature(sig, for: base))
        let key = try Ed25519PrivateKey(pem: file.pem("PRIVATE KEY", after: "### Example Ed25519 Test Key"))
        #expect(try key.signature(for: base) == sig)
    }

    @Test func rsaV15ProxySignatureIsDeterministic() throws {
        let heading = "### Section 4.3 proxy_sig"
        let base = try file.block(after: heading).bytes
        #expect(Hex.encode(SHA256.hash(base)) == "92658a80bddd666bf4fb778d617e3ba3e1c083e99e560587c9433d42adbfb494")
        let sig = try Base64.decode(file.block(after: heading, index: 1))
        let key = try RSAPrivateKey(pem: file.pem("RSA PRIVATE KEY", after: "### Example Key RSA test"))
        let publicKey = try RSAPublicKey(pem: file.pem("RSA PUBLIC KEY", after: "### Example Key RSA test"))
        #expect(publicKey.isValidSignature(sig, for: base, padding: .pkcs1v15SHA256))
        #expect(try key.signature(for: base, padding: .pkcs1v15SHA256) == sig)
        #expect(!publicKey.isValidSignature(sig, for: base, padding: .pssSHA512))
        #expect(!(try rsaPSSPublic).isValidSignature(sig, for: base, padding: .pkcs1v15SHA256))
    }

    @Test func contentDigests() throws {
        let digests = try file.block(after: "### Content-Digest values recomputed").split(separator: "\n")
        func value(_ prefix: String) throws -> String {
            let line = try #require(digests.first { $0.hasPrefix(prefix) })
            return String(try #require(line.split(separator: "=", maxSplits: 1).last)).trimmingCharacters(in: .whitespaces)
        }
        #expect(Base64.encode(SHA512.hash(#"{"hello": "world"}"#.utf8)) == (try value("sha-512 of {\"hello\"")))
        #expect(Base64.encode(SHA512.hash(#"{"message": "good dog"}"#.utf8)) == (try value("sha-512 of {\"message\"")))
        #expect(Base64.encode(SHA256.hash(#"{"hello": "world"}"#.utf8)) == (try value("sha-256 of {\"hello\"")))
    }
}
