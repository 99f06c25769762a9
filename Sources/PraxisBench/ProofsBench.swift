import Foundation
import PraxisCrypto
import PraxisJSON

/// `praxis-bench proofs`: eddsa-jcs-2022 Data Integrity proofs created and verified per second for
/// a typical ~1 KB Note, beside raw Ed25519 signatures over the same 64 bytes, all on one thread,
/// so the cost of canonicalisation and hashing shows as the difference.
enum ProofsBench {
    static func run(_ arguments: [String]) {
        var seconds = 2.0
        var rest = arguments[...]
        while let option = rest.popFirst() {
            switch option {
            case "--seconds":
                guard let text = rest.popFirst(), let value = Double(text), value > 0, value <= 600 else {
                    fail("--seconds needs a number of seconds from 0 to 600")
                }
                seconds = value
            default:
                fail("unknown option \(option) (proofs takes --seconds S)")
            }
        }
        do {
            try measure(seconds: seconds)
        } catch {
            fail("\(error)")
        }
    }

    /// A Create of a Note as members write them: a few paragraphs, addressing, a tag, a reply link.
    static func note() -> JSON {
        let actor = "https://praxis.example.gov/members/marie.dupont"
        let content = """
            <p>Has anyone run a dynamic purchasing system for school catering with lots per region? \
            We are drafting the selection criteria and wonder how others weighted sustainability \
            (organic share, short supply chains) against price without excluding small local suppliers.</p>\
            <p>Our current draft: 40% price, 35% quality, 25% sustainability. Examples of award \
            reports welcome — ça nous aiderait beaucoup.</p>
            """
        let object: JSON = [
            "id": "https://praxis.example.gov/posts/8f6c2b1e-4d7a-4f0e-9b1a-2c3d4e5f6a7b",
            "type": "Note",
            "attributedTo": .string(actor),
            "audience": "https://praxis.example.gov/communities/food-procurement",
            "inReplyTo": "https://praxis.example.gov/posts/1a2b3c4d-5e6f-4a8b-9c0d-e1f2a3b4c5d6",
            "published": "2025-03-14T09:26:53Z",
            "content": .string(content),
            "mediaType": "text/html",
            "to": ["https://praxis.example.gov/communities/food-procurement"],
            "cc": ["https://praxis.example.gov/communities/food-procurement/followers"],
            "tag": [["type": "Hashtag", "name": "#DPS", "href": "https://praxis.example.gov/tags/dps"]],
            "sensitive": false,
            "version": 3,
            "score": .double(0.75),
        ]
        return [
            "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/data-integrity/v2"],
            "id": "https://praxis.example.gov/activities/0c9e8d7f-6a5b-4c3d-2e1f-0a9b8c7d6e5f",
            "type": "Create",
            "actor": .string(actor),
            "object": object,
        ]
    }

    static func measure(seconds: Double) throws {
        let key = Ed25519PrivateKey()
        let publicKey = key.publicKey
        let method = "https://praxis.example.gov/members/marie.dupont#ed25519-key"
        let created = Date(timeIntervalSince1970: 1_741_944_413)
        let document = note()
        let signed = try EddsaJcs2022.sign(document, key: key, verificationMethod: method, created: created)
        let signedBytes = signed.serializedBytes()
        let message = SHA512.hash(Array("64 bytes, as the proof signs".utf8))
        let rawSignature = try key.signature(for: message)
        print(
            "proofs: eddsa-jcs-2022 over a \(document.serializedBytes().count)-byte Create/Note "
                + "(\(signedBytes.count) bytes signed, canonical \(try JCS.canonicalize(document).count) bytes); "
                + "\(seconds) s per measure, one thread")

        guard publicKey.isValidSignature(rawSignature, for: message) else { fail("raw Ed25519 signature did not verify") }
        // Every measured call goes through libcrypto or allocates, so none can be optimised away.
        let rawSign = try rate(seconds) { _ = try key.signature(for: message) }
        let rawVerify = try rate(seconds) { _ = publicKey.isValidSignature(rawSignature, for: message) }
        let canonicalize = try rate(seconds) { _ = try JCS.canonicalize(signed) }
        let create = try rate(seconds) {
            _ = try EddsaJcs2022.sign(document, key: key, verificationMethod: method, created: created)
        }
        let verify = try rate(seconds) { try EddsaJcs2022.verify(signed) { _ in publicKey } }
        let parseVerify = try rate(seconds) { try EddsaJcs2022.verify(JSON.parse(signedBytes)) { _ in publicKey } }

        func row(_ name: String, _ perSecond: Double, versus raw: Double? = nil) {
            let micros = 1e6 / perSecond
            var line = "  \(name.padding(toLength: 34, withPad: " ", startingAt: 0))"
            line += String(format: "%10.0f /s %9.1f µs", perSecond, micros)
            if let raw { line += String(format: "   (+%.1f µs, %.0f%% of raw)", micros - 1e6 / raw, 100 * perSecond / raw) }
            print(line)
        }
        row("raw Ed25519 sign (64 bytes)", rawSign)
        row("proof created (sign)", create, versus: rawSign)
        row("raw Ed25519 verify (64 bytes)", rawVerify)
        row("proof verified (verify)", verify, versus: rawVerify)
        row("proof verified from bytes (parse)", parseVerify, versus: rawVerify)
        row("JCS of the signed document", canonicalize)
    }

    /// Operations per second of `body`, run in batches until `seconds` have passed.
    static func rate(_ seconds: Double, _ body: () throws -> Void) throws -> Double {
        for _ in 0..<50 { try body() }  // warm up caches and allocators
        let clock = ContinuousClock()
        let start = clock.now
        var count = 0
        var elapsed = 0.0
        repeat {
            for _ in 0..<100 { try body() }
            count += 100
            let duration = clock.now - start
            elapsed = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        } while elapsed < seconds
        return Double(count) / elapsed
    }
}
