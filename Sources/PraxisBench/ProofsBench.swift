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
        var measures = [
            Measure("raw Ed25519 sign (64 bytes)") { _ = try key.signature(for: message) },
            Measure("proof created (sign)") {
                _ = try EddsaJcs2022.sign(document, key: key, verificationMethod: method, created: created)
            },
            Measure("raw Ed25519 verify (64 bytes)") { _ = publicKey.isValidSignature(rawSignature, for: message) },
            Measure("proof verified (verify)") { try EddsaJcs2022.verify(signed) { _ in publicKey } },
            Measure("proof verified from bytes (parse)") { try EddsaJcs2022.verify(JSON.parse(signedBytes)) { _ in publicKey } },
            Measure("JCS of the signed document") { _ = try JCS.canonicalize(signed) },
        ]
        // Short slices taken in turn, so that load from other processes weighs on every measure alike.
        let rounds = 20
        for _ in 0..<rounds {
            for index in measures.indices { try measures[index].run(for: seconds / Double(rounds)) }
        }
        let rates = measures.map(\.perSecond)
        func row(_ index: Int, versus raw: Int? = nil) {
            let micros = 1e6 / rates[index]
            var line = "  \(measures[index].name.padding(toLength: 34, withPad: " ", startingAt: 0))"
            line += String(format: "%10.0f /s %9.1f µs", rates[index], micros)
            if let raw {
                line += String(format: "   (%+.1f µs per op, %.0f%% of raw rate)", micros - 1e6 / rates[raw], 100 * rates[index] / rates[raw])
            }
            print(line)
        }
        row(0)
        row(1, versus: 0)
        row(2)
        row(3, versus: 2)
        row(4, versus: 2)
        row(5)
    }

    /// One operation, timed over several slices.
    struct Measure {
        let name: String
        let body: () throws -> Void
        var count = 0
        var elapsed = 0.0

        init(_ name: String, _ body: @escaping () throws -> Void) {
            self.name = name
            self.body = body
        }

        var perSecond: Double { elapsed > 0 ? Double(count) / elapsed : 0 }

        /// Runs the operation in batches until `seconds` have passed; the first slice starts with a
        /// warm-up that is not counted.
        mutating func run(for seconds: Double) throws {
            if count == 0 { for _ in 0..<50 { try body() } }
            let clock = ContinuousClock()
            let start = clock.now
            var spent = 0.0
            repeat {
                for _ in 0..<20 { try body() }
                count += 20
                let duration = clock.now - start
                spent = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
            } while spent < seconds
            elapsed += spent
        }
    }
}
