import Foundation
import PraxisJSON
import Testing
@testable import PraxisCrypto

/// eddsa-jcs-2022 Data Integrity proofs: the W3C vc-di-eddsa vector and the FEP-8b32 vector (file
/// Vectors/eddsa-jcs-2022-vector.md), tampering, key mismatch, proof sets and malformed input.
@Suite struct ProofTests {
    let file: VectorFile
    let privateKey: Ed25519PrivateKey
    let publicKey: Ed25519PublicKey
    let vectorCreated = "2023-02-24T23:36:38Z"

    init() throws {
        file = try VectorFile("eddsa-jcs-2022-vector")
        let pair = try JSON.parse(file.block(after: "### `TestVectors/keyPair.json`"))
        privateKey = try Ed25519PrivateKey(multikey: #require(pair["privateKeyMultibase"]?.stringValue))
        publicKey = try Ed25519PublicKey(multikey: #require(pair["publicKeyMultibase"]?.stringValue))
    }

    func official(_ name: String) throws -> String {
        try file.block(after: "### `TestVectors/\(name)`")
    }

    /// The `"""` documents of the FEP-8b32 feature: signing input, signed output, signed input to
    /// verify, and the actor.
    func featureDocuments() throws -> [JSON] {
        // Block 0 after the heading is the intermediate values, block 1 the feature file.
        let feature = try file.block(after: "## FEP-8b32 test vector", index: 1)
        #expect(feature.hasPrefix("Feature: FEP-8b32"))
        let parts = feature.components(separatedBy: "\"\"\"")
        try #require(parts.count == 9)
        return try stride(from: 1, to: parts.count, by: 2).map { try JSON.parse(parts[$0]) }
    }

    /// A resolver that only knows one method.
    func resolver(_ method: String, _ key: Ed25519PublicKey) -> (String) throws -> Ed25519PublicKey {
        { asked in
            guard asked == method else { throw ProofError(.malformedProof, "unknown verification method \(asked)") }
            return key
        }
    }

    // MARK: W3C vc-di-eddsa vector

    @Test func w3cVectorIntermediateValues() throws {
        let unsigned = try JSON.parse(official("unsigned.json"))
        let canonicalDocument = try JCS.canonicalize(unsigned)
        #expect(String(decoding: canonicalDocument, as: UTF8.self) == (try official("eddsa-jcs-2022/canonDocJCS.txt")))
        #expect(Hex.encode(SHA256.hash(canonicalDocument)) == (try official("eddsa-jcs-2022/docHashJCS.txt")))

        let proofConfig = try JSON.parse(official("eddsa-jcs-2022/proofConfigJCS.json"))
        let canonicalConfig = try JCS.canonicalize(proofConfig)
        #expect(String(decoding: canonicalConfig, as: UTF8.self) == (try official("eddsa-jcs-2022/proofCanonJCS.txt")))
        #expect(Hex.encode(SHA256.hash(canonicalConfig)) == (try official("eddsa-jcs-2022/proofHashJCS.txt")))

        let combined = try EddsaJcs2022.hashData(
            proofOptions: #require(proofConfig.objectValue), unsecuredDocument: #require(unsigned.objectValue))
        #expect(Hex.encode(combined) == (try official("eddsa-jcs-2022/combinedHashJCS.txt")))
        let signature = try privateKey.signature(for: combined)
        #expect(Hex.encode(signature) == (try official("eddsa-jcs-2022/sigHexJCS.txt")))
        #expect(Multibase.encode(signature, as: .base58btc) == (try official("eddsa-jcs-2022/sigBTC58JCS.txt")))
    }

    @Test func w3cVectorSignedDocumentByteForByte() throws {
        let unsigned = try JSON.parse(official("unsigned.json"))
        let method = "did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2#z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"
        let signed = try EddsaJcs2022.sign(
            unsigned, key: privateKey, verificationMethod: method, created: XMLDateTime.parse(vectorCreated))
        let expected = try official("eddsa-jcs-2022/signedJCS.json")
        // The published file is two-space pretty JSON in the member order the spec's algorithm gives.
        #expect(signed.serialized(pretty: true) == expected)
        #expect(signed == (try JSON.parse(expected)))
        // The proof options without proofValue are exactly the published proof configuration.
        var options = try #require(signed["proof"])
        options["proofValue"] = nil
        #expect(try JCS.canonicalString(options) == (try official("eddsa-jcs-2022/proofCanonJCS.txt")))
    }

    @Test func w3cVectorVerifies() throws {
        let signed = try JSON.parse(official("eddsa-jcs-2022/signedJCS.json"))
        var asked: [String] = []
        let proof = try EddsaJcs2022.verify(signed) { method in
            asked.append(method)
            return publicKey
        }
        #expect(asked == [proof.verificationMethod])
        #expect(proof.verificationMethod.hasPrefix("did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2#"))
        #expect(proof.cryptosuite == "eddsa-jcs-2022")
        #expect(proof.proofPurpose == "assertionMethod")
        #expect(proof.createdText == vectorCreated)
        #expect(proof.created == Date(timeIntervalSince1970: 1_677_281_798))
        #expect(proof.proofValue == (try official("eddsa-jcs-2022/sigBTC58JCS.txt")))
    }

    // MARK: FEP-8b32 vector

    @Test func fep8b32SignsAsPublished() throws {
        let documents = try featureDocuments()
        let method = "https://server.example/users/alice#ed25519-key"
        let signed = try EddsaJcs2022.sign(
            documents[0], key: privateKey, verificationMethod: method, created: XMLDateTime.parse(vectorCreated))
        #expect(signed == documents[1])
        #expect(signed["proof"]?["proofValue"] == documents[1]["proof"]?["proofValue"])
        #expect(try JCS.canonicalize(signed) == JCS.canonicalize(documents[1]))

        func intermediate(_ prefix: String) throws -> String {
            let line = try file.line(after: "Intermediate values computed", startingWith: prefix)
            return String(line.dropFirst(prefix.count)).trimmingCharacters(in: .whitespaces)
        }
        #expect(try JCS.canonicalString(documents[0]) == (try intermediate("canonical document:")))
        var options = try #require(signed["proof"])
        options["proofValue"] = nil
        #expect(try JCS.canonicalString(options) == (try intermediate("canonical proof config:")))
    }

    @Test func fep8b32VerifiesWithTheActorsAssertionMethod() throws {
        let documents = try featureDocuments()
        let actor = documents[3]
        let proof = try EddsaJcs2022.verify(documents[2]) { method in
            // As a receiver would: the key must be one of the actor's assertion methods.
            guard let entry = actor["assertionMethod"]?.arrayValue?.first(where: { $0["id"]?.stringValue == method }),
                let multikey = entry["publicKeyMultibase"]?.stringValue
            else { throw ProofError(.malformedProof, "\(method) is not an assertion method of the actor") }
            return try Ed25519PublicKey(multikey: multikey)
        }
        #expect(proof.verificationMethod == "https://server.example/users/alice#ed25519-key")
    }

    // MARK: Tampering and keys

    /// The FEP document signed with the vector key, and a resolver for that key.
    func signedNote() throws -> (JSON, (String) throws -> Ed25519PublicKey) {
        let documents = try featureDocuments()
        return (documents[2], resolver("https://server.example/users/alice#ed25519-key", publicKey))
    }

    @Test func reorderingAndReformattingKeepTheProofValid() throws {
        let (signed, resolve) = try signedNote()
        let reparsed = try JSON.parse(signed.serialized(pretty: true, sortedKeys: true))
        #expect(reparsed.objectValue?.keys != signed.objectValue?.keys)
        #expect(throws: Never.self) { try EddsaJcs2022.verify(reparsed, resolveKey: resolve) }
        // Escaped and unescaped spellings of the same text are the same content.
        let escaped = signed.serialized().replacingOccurrences(of: "Hello world", with: #"Hello\u0020world"#)
        #expect(throws: Never.self) { try EddsaJcs2022.verify(JSON.parse(escaped), resolveKey: resolve) }
    }

    @Test func oneChangedCharacterInTheContentFails() throws {
        let (signed, resolve) = try signedNote()
        var altered = signed
        altered["object"]?["content"] = "Hello World"
        let error = try #require(throws: ProofError.self) { try EddsaJcs2022.verify(altered, resolveKey: resolve) }
        #expect(error.kind == .signatureMismatch)

        var moved = signed
        moved["object"]?["location"]?["latitude"] = .double(25.273963)
        #expect(failure { try EddsaJcs2022.verify(moved, resolveKey: resolve) } == .signatureMismatch)

        var added = signed
        added["object"]?["sensitive"] = true
        #expect(failure { try EddsaJcs2022.verify(added, resolveKey: resolve) } == .signatureMismatch)

        var removed = signed
        removed["actor"] = nil
        #expect(failure { try EddsaJcs2022.verify(removed, resolveKey: resolve) } == .signatureMismatch)
    }

    @Test func oneChangedCharacterInTheProofOptionsFails() throws {
        let (signed, resolve) = try signedNote()
        var later = signed
        later["proof"]?["created"] = "2023-02-24T23:36:39Z"
        #expect(failure { try EddsaJcs2022.verify(later, resolveKey: resolve) } == .signatureMismatch)

        var extra = signed
        extra["proof"]?["domain"] = "example.org"
        #expect(failure { try EddsaJcs2022.verify(extra, resolveKey: resolve) } == .signatureMismatch)

        // Another purpose, checked by a verifier that expects it: the signature still catches it.
        var purpose = signed
        purpose["proof"]?["proofPurpose"] = "authentication"
        #expect(
            failure { try EddsaJcs2022.verify(purpose, proofPurpose: "authentication", resolveKey: resolve) }
                == .signatureMismatch)
        let wrongPurpose = try #require(throws: ProofError.self) { try EddsaJcs2022.verify(purpose, resolveKey: resolve) }
        #expect(wrongPurpose.kind == .wrongProofPurpose)

        // A different key id that resolves to the same key: the proof options changed.
        var method = signed
        method["proof"]?["verificationMethod"] = "https://server.example/users/alice#ed25519-key2"
        #expect(failure { try EddsaJcs2022.verify(method) { _ in publicKey } } == .signatureMismatch)

        // A flipped signature bit.
        var signature = try Multibase.decode(#require(signed["proof"]?["proofValue"]?.stringValue))
        signature[10] ^= 1
        var flipped = signed
        flipped["proof"]?["proofValue"] = .string(Multibase.encode(signature, as: .base58btc))
        #expect(failure { try EddsaJcs2022.verify(flipped, resolveKey: resolve) } == .signatureMismatch)
    }

    @Test func keyMismatchFails() throws {
        let (signed, _) = try signedNote()
        let other = Ed25519PrivateKey().publicKey
        let error = try #require(throws: ProofError.self) { try EddsaJcs2022.verify(signed) { _ in other } }
        #expect(error.kind == .signatureMismatch)
        #expect(error.message.contains("https://server.example/users/alice#ed25519-key"))
        // The resolver's own errors reach the caller unchanged.
        struct Unreachable: Error {}
        #expect(throws: Unreachable.self) { try EddsaJcs2022.verify(signed) { _ in throw Unreachable() } }
    }

    @Test func contextHandling() throws {
        let (signed, resolve) = try signedNote()
        // The document's @context must start with the proof's.
        var swapped = signed
        swapped["@context"] = ["https://w3id.org/security/data-integrity/v2", "https://www.w3.org/ns/activitystreams"]
        let error = try #require(throws: ProofError.self) { try EddsaJcs2022.verify(swapped, resolveKey: resolve) }
        #expect(error.kind == .contextMismatch)
        var dropped = signed
        dropped["@context"] = nil
        #expect(failure { try EddsaJcs2022.verify(dropped, resolveKey: resolve) } == .contextMismatch)
        // Extra contexts after the proof's are allowed by the algorithm: the signature is checked
        // over the document under the proof's contexts.
        var extended = signed
        extended["@context"] = [
            "https://www.w3.org/ns/activitystreams", "https://w3id.org/security/data-integrity/v2", "https://example.org/ns",
        ]
        #expect(throws: Never.self) { try EddsaJcs2022.verify(extended, resolveKey: resolve) }

        // A document without @context gets a proof without one, and a string @context is copied as is.
        let key = Ed25519PrivateKey()
        let plain = try EddsaJcs2022.sign(["type": "Note", "content": "x"], key: key, verificationMethod: "k", created: Date())
        #expect(plain["proof"]?["@context"] == nil)
        #expect(throws: Never.self) { try EddsaJcs2022.verify(plain) { _ in key.publicKey } }
        let single = try EddsaJcs2022.sign(
            ["@context": "https://www.w3.org/ns/activitystreams", "type": "Note"], key: key, verificationMethod: "k",
            created: Date())
        #expect(single["proof"]?["@context"] == "https://www.w3.org/ns/activitystreams")
        #expect(throws: Never.self) { try EddsaJcs2022.verify(single) { _ in key.publicKey } }
    }

    // MARK: Proof sets

    @Test func proofSetsVerifyEveryProof() throws {
        let alice = Ed25519PrivateKey()
        let community = Ed25519PrivateKey()
        let keys = ["alice#key": alice.publicKey, "community#key": community.publicKey]
        let resolve: (String) throws -> Ed25519PublicKey = { method in
            guard let key = keys[method] else { throw ProofError(.malformedProof, "unknown \(method)") }
            return key
        }
        let note: JSON = ["@context": "https://www.w3.org/ns/activitystreams", "type": "Note", "content": "Bonjour"]
        let once = try EddsaJcs2022.sign(note, key: alice, verificationMethod: "alice#key", created: Date())
        let twice = try EddsaJcs2022.sign(once, key: community, verificationMethod: "community#key", created: Date())
        #expect(twice["proof"]?.arrayValue?.count == 2)
        let proofs = try EddsaJcs2022.verifyAll(twice, resolveKey: resolve)
        #expect(proofs.map(\.verificationMethod) == ["alice#key", "community#key"])
        #expect(try EddsaJcs2022.verify(twice, resolveKey: resolve).verificationMethod == "alice#key")

        // One bad proof in the set fails the whole set, and the error says which.
        var broken = twice
        var set = try #require(twice["proof"]?.arrayValue)
        set[1]["created"] = "2020-01-01T00:00:00Z"
        broken["proof"] = .array(set)
        let error = try #require(throws: ProofError.self) { try EddsaJcs2022.verify(broken, resolveKey: resolve) }
        #expect(error.kind == .signatureMismatch)
        #expect(error.message.hasPrefix("proof 2 of 2"))

        var empty = twice
        empty["proof"] = []
        #expect(failure { try EddsaJcs2022.verify(empty, resolveKey: resolve) } == .missingProof)

        var chained = once
        chained["proof"]?["previousProof"] = "urn:uuid:1"
        let chainError = try #require(throws: ProofError.self) { try EddsaJcs2022.verify(chained, resolveKey: resolve) }
        #expect(chainError.kind == .unsupportedProof)
        #expect(chainError.message.contains("previousProof"))
    }

    // MARK: Malformed input

    @Test func malformedProofsAreRefusedWithAReason() throws {
        let (signed, resolve) = try signedNote()
        func kind(_ edit: (inout JSON) -> Void, expectedProofPurpose: String = "assertionMethod") throws -> ProofError.Kind {
            var document = signed
            edit(&document)
            let error = try #require(throws: ProofError.self) {
                try EddsaJcs2022.verify(document, proofPurpose: expectedProofPurpose, resolveKey: resolve)
            }
            #expect(!error.message.isEmpty)
            return error.kind
        }
        #expect(try kind { $0 = .array([$0]) } == .invalidDocument)
        #expect(try kind { $0 = "text" } == .invalidDocument)
        #expect(try kind { $0["proof"] = nil } == .missingProof)
        #expect(try kind { $0["proof"] = "z3abc" } == .malformedProof)
        #expect(try kind { $0["proof"] = .null } == .malformedProof)
        #expect(try kind { $0["proof"] = .array([.integer(1)]) } == .malformedProof)
        for field in ["type", "cryptosuite", "verificationMethod", "proofPurpose", "proofValue"] {
            #expect(try kind { $0["proof"]?[field] = nil } == .malformedProof, "missing \(field)")
            #expect(try kind { $0["proof"]?[field] = 7 } == .malformedProof, "\(field) not a string")
            #expect(try kind { $0["proof"]?[field] = "" } == .malformedProof, "\(field) empty")
        }
        #expect(try kind { $0["proof"]?["type"] = "Ed25519Signature2020" } == .unsupportedProof)
        #expect(try kind { $0["proof"]?["cryptosuite"] = "eddsa-rdfc-2022" } == .unsupportedProof)
        #expect(try kind { $0["proof"]?["proofValue"] = .string("u" + Base64.urlEncode([UInt8](repeating: 1, count: 64))) } == .invalidProofValue)
        #expect(try kind { $0["proof"]?["proofValue"] = "z0OIl" } == .invalidProofValue)
        #expect(try kind { $0["proof"]?["proofValue"] = "x123" } == .invalidProofValue)
        #expect(try kind { $0["proof"]?["proofValue"] = .string(Multibase.encode([1, 2, 3], as: .base58btc)) } == .invalidProofValue)
        #expect(try kind { $0["proof"]?["created"] = "yesterday" } == .invalidDate)
        #expect(try kind { $0["proof"]?["created"] = 1_677_281_798 } == .malformedProof)
        #expect(try kind { $0["proof"]?["expires"] = "2023-02-25T00:00:00Z" } == .expired)
        #expect(try kind { $0["proof"]?["expires"] = "2023-02-30T00:00:00Z" } == .invalidDate)
        #expect(try kind { $0["object"]?["score"] = .double(.nan) } == .notCanonicalizable)
        // A future expiry is not an error by itself; the signature then fails since the options changed.
        #expect(try kind { $0["proof"]?["expires"] = "9999-01-01T00:00:00Z" } == .signatureMismatch)
    }

    @Test func signingRefusesWhatCannotBeSigned() throws {
        let key = Ed25519PrivateKey()
        let notObject = try #require(throws: ProofError.self) {
            try EddsaJcs2022.sign([1, 2], key: key, verificationMethod: "k", created: Date())
        }
        #expect(notObject.kind == .invalidDocument)
        let nan = try #require(throws: ProofError.self) {
            try EddsaJcs2022.sign(["n": .double(.nan)], key: key, verificationMethod: "k", created: Date())
        }
        #expect(nan.kind == .notCanonicalizable)
        let farFuture = try #require(throws: ProofError.self) {
            try EddsaJcs2022.sign(["n": 1], key: key, verificationMethod: "k", created: Date(timeIntervalSince1970: 1e12))
        }
        #expect(farFuture.kind == .invalidDate)
    }

    /// Random byte edits of a signed document: whatever still parses either verifies (because the
    /// edit did not change the canonical content, such as whitespace) or fails with a ProofError.
    @Test func mutatedDocumentsNeverCrashOrPassWhenChanged() throws {
        let (signed, resolve) = try signedNote()
        let original = Array(signed.serialized().utf8)
        let canonicalOriginal = try JCS.canonicalize(signed)
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next() -> UInt64 {
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            return state
        }
        let alphabet = Array(#"{}[]",:0123456789.eE+-\"zZ aAtrufnl"#.utf8)
        var parsed = 0
        var rejected = 0
        for _ in 0..<1500 {
            var bytes = original
            for _ in 0..<(1 + Int(next() % 3)) {
                let at = Int(next() % UInt64(bytes.count))
                switch next() % 3 {
                case 0: bytes[at] = alphabet[Int(next() % UInt64(alphabet.count))]
                case 1: bytes.remove(at: at)
                default: bytes.insert(alphabet[Int(next() % UInt64(alphabet.count))], at: at)
                }
            }
            guard let document = try? JSON.parse(bytes) else { continue }
            parsed += 1
            do {
                try EddsaJcs2022.verify(document, resolveKey: resolve)
                #expect(try JCS.canonicalize(document) == canonicalOriginal, "a changed document verified")
            } catch is ProofError {
                rejected += 1
            }
        }
        #expect(parsed > 50)
        #expect(rejected > 0)
    }

    // MARK: Dates

    @Test func xmlDateTimes() throws {
        #expect(try XMLDateTime.format(Date(timeIntervalSince1970: 1_677_281_798.9)) == "2023-02-24T23:36:38Z")
        #expect(try XMLDateTime.format(Date(timeIntervalSince1970: 0)) == "1970-01-01T00:00:00Z")
        #expect(try XMLDateTime.format(Date(timeIntervalSince1970: -1)) == "1969-12-31T23:59:59Z")
        #expect(try XMLDateTime.format(Date(timeIntervalSince1970: 951_782_400)) == "2000-02-29T00:00:00Z")
        #expect(try XMLDateTime.format(Date(timeIntervalSince1970: -62_135_596_800)) == "0001-01-01T00:00:00Z")
        #expect(try XMLDateTime.format(Date(timeIntervalSince1970: 253_402_300_799)) == "9999-12-31T23:59:59Z")
        #expect(throws: ProofError.self) { try XMLDateTime.format(Date(timeIntervalSince1970: 253_402_300_800)) }

        let reference = Date(timeIntervalSince1970: 1_677_281_798)
        #expect(try XMLDateTime.parse("2023-02-24T23:36:38Z") == reference)
        #expect(try XMLDateTime.parse("2023-02-24T23:36:38") == reference)
        #expect(try XMLDateTime.parse("2023-02-25T01:36:38+02:00") == reference)
        #expect(try XMLDateTime.parse("2023-02-24T18:36:38-05:00") == reference)
        #expect(try XMLDateTime.parse("2023-02-24T23:36:38.250Z") == reference.addingTimeInterval(0.25))
        #expect(try XMLDateTime.parse("2023-02-24T24:00:00Z") == (try XMLDateTime.parse("2023-02-25T00:00:00Z")))
        #expect(try XMLDateTime.parse("2000-02-29T00:00:00Z") == Date(timeIntervalSince1970: 951_782_400))
        for day in 0..<800 {
            let date = Date(timeIntervalSince1970: Double(day) * 86_400 * 37 + 12_345 - 1e9)
            #expect(try XMLDateTime.parse(XMLDateTime.format(date)) == date)
        }
        for bad in [
            "", "2023", "2023-02-24", "2023-02-24 23:36:38Z", "2023-2-24T23:36:38Z", "2023-02-30T00:00:00Z",
            "1900-02-29T00:00:00Z", "2023-13-01T00:00:00Z", "2023-00-01T00:00:00Z", "2023-02-24T25:00:00Z",
            "2023-02-24T24:00:01Z", "2023-02-24T23:60:00Z", "2023-02-24T23:36:60Z", "2023-02-24T23:36:38.Z",
            "2023-02-24T23:36:38+0200", "2023-02-24T23:36:38+15:00", "2023-02-24T23:36:38ZZ", "02023-02-24T23:36:38Z",
            "2023-02-24T23:36:38z", "２０２３-02-24T23:36:38Z",
        ] {
            let error = try #require(throws: ProofError.self, "\(bad)") { try XMLDateTime.parse(bad) }
            #expect(error.kind == .invalidDate)
        }
    }
}

/// The kind of ProofError `body` throws; nil when it succeeds or throws something else.
func failure(_ body: () throws -> Void) -> ProofError.Kind? {
    do {
        try body()
        return nil
    } catch let error as ProofError {
        return error.kind
    } catch {
        return nil
    }
}
