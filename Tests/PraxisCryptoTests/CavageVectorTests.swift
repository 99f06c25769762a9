import Testing
@testable import PraxisCrypto

/// draft-cavage-http-signatures-12 Appendix C (file Vectors/cavage-vectors.md): rsa-sha256 = PKCS#1 v1.5 + SHA-256.
@Suite struct CavageVectorTests {
    let file: VectorFile
    let privateKey: RSAPrivateKey
    let publicKey: RSAPublicKey

    init() throws {
        file = try VectorFile("cavage-vectors")
        privateKey = try RSAPrivateKey(pem: file.pem("RSA PRIVATE KEY", after: "## Verbatim: Appendix C"))
        publicKey = try RSAPublicKey(pem: file.pem("PUBLIC KEY", after: "## Verbatim: Appendix C"))
    }

    @Test func keysMatch() {
        #expect(privateKey.bits == 1024)
        #expect(privateKey.publicKey == publicKey)
    }

    @Test(arguments: [
        "C.1 Default Test — signing string",
        "C.2 Basic Test — signing string",
        "C.3 All Headers Test — signing string",
    ])
    func rsaSHA256(heading: String) throws {
        let signingString = try file.block(after: heading).bytes
        let signature = try Base64.decode(file.block(after: heading, index: 1))
        #expect(signature.count == 128)
        #expect(publicKey.isValidSignature(signature, for: signingString, padding: .pkcs1v15SHA256))
        #expect(try privateKey.signature(for: signingString, padding: .pkcs1v15SHA256) == signature)
        #expect(!publicKey.isValidSignature(signature, for: signingString + [0x0A], padding: .pkcs1v15SHA256))
    }

    @Test func defaultTestSigningStringIsExact() throws {
        #expect(try file.block(after: "C.1 Default Test — signing string").utf8.count == 35)
    }

    @Test func digestHeader() {
        #expect("SHA-256=" + Base64.encode(SHA256.hash(#"{"hello": "world"}"#.utf8))
            == "SHA-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=")
    }
}
