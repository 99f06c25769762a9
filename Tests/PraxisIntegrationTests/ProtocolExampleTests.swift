import Foundation
import PraxisCrypto
import PraxisJSON
import Testing

/// The hand-assembled examples in `Protocol/examples/` must be what a node would accept: the
/// `Document` example's proof verifies and its digest is the digest of the bytes `documents.md`
/// names. Examples are signed with the published FEP-8b32 test key, so readers can check them too.
@Suite struct ProtocolExampleTests {
    /// The Ed25519 key of the FEP-8b32 test vectors (public: `z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2`).
    static let exampleSecretKey = "z3u2en7t5LR2WtQH5PfFqMqwVHBeXouLzo6haApm8XHqvjxq"
    static let examplePublicKey = "z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"
    /// The 16 bytes of the example PDF (`documents.md`).
    static let exampleBytes = Array("%PDF-1.7\n%%EOF\n\n".utf8)

    static var examples: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Protocol/examples")
    }

    @Test func documentExampleProofAndDigestHold() throws {
        let data = try Data(contentsOf: Self.examples.appendingPathComponent("document.json"))
        let document = try JSON.parse(Array(data))
        let key = try Ed25519PublicKey(multikey: Self.examplePublicKey)
        let proof = try EddsaJcs2022.verify(document, now: Date(timeIntervalSince1970: 1_795_000_000)) { method in
            #expect(method == document["attributedTo"]?.stringValue.map { $0 + "#ed25519-key" })
            return key
        }
        #expect(proof.cryptosuite == "eddsa-jcs-2022")
        #expect(document["size"]?.intValue == Int64(Self.exampleBytes.count))
        let multihash: [UInt8] = [0x12, 0x20] + SHA256.hash(Self.exampleBytes)
        #expect(document["digestMultibase"]?.stringValue == Multibase.encode(multihash, as: .base58btc))
    }
}
