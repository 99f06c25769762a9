import Testing
@testable import PraxisCrypto

@Suite struct EncodingTests {
    // RFC 4648 section 10.
    @Test func base64RFC4648() throws {
        let cases = [("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"), ("foob", "Zm9vYg=="),
                     ("fooba", "Zm9vYmE="), ("foobar", "Zm9vYmFy")]
        for (plain, encoded) in cases {
            #expect(Base64.encode(Array(plain.utf8)) == encoded)
            #expect(try Base64.decode(encoded) == Array(plain.utf8))
            let url = encoded.replacingOccurrences(of: "=", with: "")
            #expect(Base64.urlEncode(Array(plain.utf8)) == url)
            #expect(try Base64.urlDecode(url) == Array(plain.utf8))
            #expect(try Base64.urlDecode(encoded) == Array(plain.utf8))
        }
        #expect(Base64.encode([0xFB, 0xFF]) == "+/8=")
        #expect(Base64.urlEncode([0xFB, 0xFF]) == "-_8")
        #expect(try Base64.urlDecode("-_8") == [0xFB, 0xFF])
    }

    @Test(arguments: ["Zg", "Zg=", "Z===", "Zm9v\n", " Zm9v", "Zm9v YmFy", "Zh==", "Zm9=", "Z", "Zm9v====", "Zm*v", "-_8=", "Zg==Zg==", "=Zg="])
    func base64RejectsJunk(input: String) {
        #expect(throws: CryptoError.self) { try Base64.decode(input) }
    }

    @Test(arguments: ["+/8", "Zg=", "Z", "Zh", "Zm9v=", "a b"])
    func base64URLRejectsJunk(input: String) {
        #expect(throws: CryptoError.self) { try Base64.urlDecode(input) }
    }

    @Test func base64ErrorsAreReadable() {
        do {
            _ = try Base64.decode("ab!d")
            Issue.record("expected an error")
        } catch let error as CryptoError {
            #expect(error.kind == .invalidEncoding)
            #expect(error.description.contains("invalid character"))
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    @Test func base58KnownValues() throws {
        let cases: [(String, String)] = [
            ("", ""), ("00", "1"), ("00000001", "1112"), ("61", "2g"), ("ffffffff", "7YXq9G"),
            ("0000287fb4cd", "11233QC4"),
            (Hex.encode(Array("Hello World!".utf8)), "2NEpo7TZRRrLZSi2U"),
            (Hex.encode(Array("The quick brown fox jumps over the lazy dog.".utf8)),
             "USm3fpXnKG5EUBx2ndxBDMPVciP5hGey2Jh4NDv6gmeo1LkMeiKrLJUUBk6Z"),
        ]
        for (hex, encoded) in cases {
            let bytes = try Hex.decode(hex)
            #expect(Base58.encode(bytes) == encoded)
            #expect(try Base58.decode(encoded) == bytes)
        }
        for length in [1, 2, 31, 32, 33, 64, 100] {
            var bytes = SecureRandom.bytes(length)
            bytes[0] = 0
            #expect(try Base58.decode(Base58.encode(bytes)) == bytes)
        }
    }

    @Test(arguments: ["0", "O", "I", "l", "abc def", "z6Mk+", "\n"])
    func base58RejectsJunk(input: String) {
        #expect(throws: CryptoError.self) { try Base58.decode(input) }
    }

    @Test func base58RefusesHugeInput() {
        #expect(throws: CryptoError.self) { try Base58.decode(String(repeating: "2", count: 10_000)) }
    }

    @Test func hex() throws {
        #expect(Hex.encode([0x00, 0xAB, 0xFF]) == "00abff")
        #expect(try Hex.decode("00ABff") == [0x00, 0xAB, 0xFF])
        #expect(throws: CryptoError.self) { try Hex.decode("abc") }
        #expect(throws: CryptoError.self) { try Hex.decode("zz") }
    }

    @Test func multibase() throws {
        #expect(Multibase.encode(Array("Hello World!".utf8), as: .base58btc) == "z2NEpo7TZRRrLZSi2U")
        #expect(Multibase.encode([0xFB, 0xFF], as: .base64url) == "u-_8")
        #expect(try Multibase.decode("z2NEpo7TZRRrLZSi2U") == Array("Hello World!".utf8))
        #expect(try Multibase.decode("u-_8") == [0xFB, 0xFF])
        #expect(try Multibase.decodeWithEncoding("u-_8").encoding == .base64url)
        for junk in ["", "f00", "Z2NEpo", "z0", "u+/8", "m"] {
            #expect(throws: CryptoError.self, "\(junk)") { try Multibase.decode(junk) }
        }
    }

    @Test func multikeyRejectsWrongCodecsAndLengths() throws {
        let key = SecureRandom.bytes(32)
        let publicMultikey = Multikey.encodeEd25519Public(key)
        #expect(publicMultikey.hasPrefix("z6Mk"))
        #expect(Multikey.encodeEd25519Private(key).hasPrefix("z3u2"))
        let decoded = try Multikey.decode(publicMultikey)
        #expect(decoded.codec == .ed25519Public)
        #expect(decoded.key == key)

        // X25519 public key (0xec) is not accepted.
        #expect(throws: CryptoError.self) { try Multikey.decode(Multibase.encode([0xEC, 0x01] + key, as: .base58btc)) }
        // Wrong length for the codec.
        #expect(throws: CryptoError.self) { try Multikey.decode(Multibase.encode([0xED, 0x01] + key.dropLast(), as: .base58btc)) }
        // Truncated varint.
        #expect(throws: CryptoError.self) { try Multikey.decode(Multibase.encode([0xED], as: .base58btc)) }
        // Non-minimal varint for 0xed.
        #expect(throws: CryptoError.self) { try Multikey.decode(Multibase.encode([0xED, 0x81, 0x00] + key, as: .base58btc)) }
        // A private key is not a public key, and the other way round.
        #expect(throws: CryptoError.self) { try Ed25519PublicKey(multikey: Multikey.encodeEd25519Private(key)) }
        #expect(throws: CryptoError.self) { try Ed25519PrivateKey(multikey: publicMultikey) }
    }

    @Test func pemRoundTripAndErrors() throws {
        let der = SecureRandom.bytes(100)
        let text = PEM.encode(label: "TEST DATA", der: der)
        #expect(text.split(separator: "\n").allSatisfy { $0.count <= 64 })
        let block = try PEM.decode("leading text\n" + text + "trailing text")
        #expect(block == PEM.Block(label: "TEST DATA", der: der))
        #expect(try PEM.decode(text.replacingOccurrences(of: "\n", with: "\r\n")).der == der)

        let malformed = [
            "",
            "no pem here",
            "-----BEGIN X-----\nAAAA\n",
            "-----BEGIN X-----\nAAAA\n-----END Y-----\n",
            "-----BEGIN X-----\n-----END X-----\n",
            "-----BEGIN X-----\nAA!A\n-----END X-----\n",
            "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00\n\nAAAA\n-----END RSA PRIVATE KEY-----\n",
        ]
        for input in malformed {
            #expect(throws: CryptoError.self, "\(input)") { try PEM.decode(input) }
        }
    }
}
