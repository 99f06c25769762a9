import Foundation
import Testing
@testable import PraxisCrypto

/// W3C vc-di-eddsa eddsa-jcs-2022 and FEP-8b32 vectors (file Vectors/eddsa-jcs-2022-vector.md): the
/// Multikey and Ed25519 parts; canonicalisation and proofs belong to later modules.
@Suite struct EddsaJcsVectorTests {
    let file: VectorFile
    let publicMultibase: String
    let privateMultibase: String

    init() throws {
        file = try VectorFile("eddsa-jcs-2022-vector")
        let json = try file.block(after: "### `TestVectors/keyPair.json`")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: String])
        publicMultibase = try #require(object["publicKeyMultibase"])
        privateMultibase = try #require(object["privateKeyMultibase"])
    }

    /// The hex value in backticks that follows `marker` in the "Derived key material" section.
    func derivedHex(after marker: String) throws -> String {
        let start = try #require(file.text.range(of: marker)).upperBound
        let open = try #require(file.text.range(of: "`", range: start..<file.text.endIndex)).upperBound
        let close = try #require(file.text.range(of: "`", range: open..<file.text.endIndex)).lowerBound
        return String(file.text[open..<close])
    }

    @Test func multikeysDecodeAndMatch() throws {
        let publicDecoded = try Multikey.decode(publicMultibase)
        let privateDecoded = try Multikey.decode(privateMultibase)
        #expect(publicDecoded.codec == .ed25519Public)
        #expect(privateDecoded.codec == .ed25519Private)
        #expect(Hex.encode(publicDecoded.key) == (try derivedHex(after: "raw public key")))
        #expect(Hex.encode(privateDecoded.key) == (try derivedHex(after: "raw seed")))
        #expect(Array(try Multibase.decode(publicMultibase).prefix(2)) == [0xED, 0x01])
        #expect(Array(try Multibase.decode(privateMultibase).prefix(2)) == [0x80, 0x26])

        let privateKey = try Ed25519PrivateKey(multikey: privateMultibase)
        let publicKey = try Ed25519PublicKey(multikey: publicMultibase)
        #expect(privateKey.publicKey == publicKey)
        #expect(publicKey.multikey == publicMultibase)
        #expect(privateKey.multikey == privateMultibase)
        #expect(Multikey.encodeEd25519Public(publicDecoded.key) == publicMultibase)
        #expect(Multikey.encodeEd25519Private(privateDecoded.key) == privateMultibase)

        // The same keys as PEM, as printed in the file.
        let pemPublic = try Ed25519PublicKey(pem: file.pem("PUBLIC KEY", after: "## Derived key material"))
        let pemPrivate = try Ed25519PrivateKey(pem: file.pem("PRIVATE KEY", after: "## Derived key material"))
        #expect(pemPublic == publicKey)
        #expect(pemPrivate.rawRepresentation == privateKey.rawRepresentation)
        #expect(publicKey.pemRepresentation == (try file.pem("PUBLIC KEY", after: "## Derived key material")) + "\n")
    }

    @Test func publishedSignatureVerifiesAndResignIsIdentical() throws {
        let combined = try Hex.decode(file.block(after: "### `TestVectors/eddsa-jcs-2022/combinedHashJCS.txt`"))
        let proofHash = try Hex.decode(file.block(after: "### `TestVectors/eddsa-jcs-2022/proofHashJCS.txt`"))
        let docHash = try Hex.decode(file.block(after: "### `TestVectors/eddsa-jcs-2022/docHashJCS.txt`"))
        #expect(combined == proofHash + docHash)
        #expect(combined.count == 64)

        let proofValue = try file.block(after: "### `TestVectors/eddsa-jcs-2022/sigBTC58JCS.txt`")
        let signature = try Multibase.decode(proofValue)
        #expect(signature == (try Base58.decode(String(proofValue.dropFirst()))))
        #expect(Hex.encode(signature) == (try file.block(after: "### `TestVectors/eddsa-jcs-2022/sigHexJCS.txt`")))

        let publicKey = try Ed25519PublicKey(multikey: publicMultibase)
        #expect(publicKey.isValidSignature(signature, for: combined))
        let privateKey = try Ed25519PrivateKey(multikey: privateMultibase)
        let mine = try privateKey.signature(for: combined)
        #expect(mine == signature)
        #expect(Multibase.encode(mine, as: .base58btc) == proofValue)

        var tampered = combined
        tampered[0] ^= 0x80
        #expect(!publicKey.isValidSignature(signature, for: tampered))
    }

    @Test func canonicalHashesMatchPublishedHashes() throws {
        let canonicalDocument = try file.block(after: "canonDocJCS.txt` (462 bytes")
        let canonicalProof = try file.block(after: "proofCanonJCS.txt` (355 bytes")
        #expect(canonicalDocument.utf8.count == 462)
        #expect(Hex.encode(SHA256.hash(canonicalDocument.utf8)) == (try file.block(after: "### `TestVectors/eddsa-jcs-2022/docHashJCS.txt`")))
        #expect(Hex.encode(SHA256.hash(canonicalProof.utf8)) == (try file.block(after: "### `TestVectors/eddsa-jcs-2022/proofHashJCS.txt`")))
    }

    @Test func fep8b32ProofValue() throws {
        // Lines look like `docHash (sha256 hex):         0793...` or `proofValue:    z42f...   (== feature file)`.
        func value(_ prefix: String) throws -> String {
            let line = try file.line(after: "Intermediate values computed", startingWith: prefix)
            let rest = try #require(line.range(of: ":")).upperBound
            return String(try #require(line[rest...].split(separator: " ").first))
        }
        let proofConfigHash = try Hex.decode(value("proofConfigHash"))
        let docHash = try Hex.decode(value("docHash"))
        let expectedSignature = try value("signature hex")
        let expectedProofValue = try value("proofValue")
        let key = try Ed25519PrivateKey(multikey: privateMultibase)
        let signature = try key.signature(for: proofConfigHash + docHash)
        #expect(Hex.encode(signature) == expectedSignature)
        #expect(Multibase.encode(signature, as: .base58btc) == expectedProofValue)
    }
}
