import Testing
@testable import PraxisCrypto

@Suite struct ScryptTests {
    // RFC 7914 section 12, vectors 1 and 2.
    @Test func rfc7914Vectors() throws {
        let empty = try Scrypt.derive(password: [], salt: [], n: 16, r: 1, p: 1, length: 64)
        #expect(Hex.encode(empty)
            == "77d6576238657b203b19ca42c18a0497f16b4844e3074ae8dfdffa3fede21442fcd0069ded0948f8326a753a0fc81f17e8d3e0fb2e0d3628cf35e20c38d18906")
        let nacl = try Scrypt.derive(password: Array("password".utf8), salt: Array("NaCl".utf8), n: 1024, r: 8, p: 16, length: 64)
        #expect(Hex.encode(nacl)
            == "fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e77376634b3731622eaf30d92e22a3886ff109279d9830dac727afb94a83ee6d8360cbdfa2cc0640")
    }

    @Test func rejectsBadParameters() {
        #expect(throws: CryptoError.self) { try Scrypt.derive(password: [1], salt: [1], n: 1000, r: 8, p: 1, length: 32) }
        #expect(throws: CryptoError.self) { try Scrypt.derive(password: [1], salt: [1], n: 1, r: 8, p: 1, length: 32) }
        #expect(throws: CryptoError.self) { try Scrypt.derive(password: [1], salt: [1], n: 16, r: 0, p: 1, length: 32) }
        #expect(throws: CryptoError.self) { try Scrypt.derive(password: [1], salt: [1], n: 16, r: 1, p: 0, length: 32) }
        #expect(throws: CryptoError.self) { try Scrypt.derive(password: [1], salt: [1], n: 16, r: 1, p: 1, length: 0) }
        // 2^20 · 8 · 128 bytes = 1 GiB: over the memory cap.
        #expect(throws: CryptoError.self) { try Scrypt.derive(password: [1], salt: [1], n: 1 << 20, r: 8, p: 1, length: 32) }
    }
}

@Suite struct PasswordHashTests {
    @Test func makeAndVerify() throws {
        let encoded = try PasswordHash.make(password: "correct horse battery staple", cost: .testing)
        #expect(encoded.hasPrefix("$scrypt$ln=10,r=8,p=1$"))
        #expect(encoded.split(separator: "$").count == 4)
        #expect(PasswordHash.verify(password: "correct horse battery staple", against: encoded))
        #expect(!PasswordHash.verify(password: "correct horse battery stapler", against: encoded))
        #expect(!PasswordHash.verify(password: "", against: encoded))
        // Fresh salt each time.
        #expect(try PasswordHash.make(password: "same", cost: .testing) != (try PasswordHash.make(password: "same", cost: .testing)))
    }

    @Test func standardCostIsTheDefault() throws {
        let encoded = try PasswordHash.make(password: "pässwörd")
        #expect(encoded.hasPrefix("$scrypt$ln=15,r=8,p=1$"))
        #expect(PasswordHash.verify(password: "pässwörd", against: encoded))
        #expect(!PasswordHash.needsRehash(encoded))
        #expect(PasswordHash.needsRehash(encoded, cost: .testing))
    }

    @Test func unicodeNormalisation() throws {
        // "é" precomposed and decomposed are the same password.
        let encoded = try PasswordHash.make(password: "caf\u{E9}", cost: .testing)
        #expect(PasswordHash.verify(password: "cafe\u{301}", against: encoded))
    }

    @Test func knownHashStillVerifies() throws {
        // Fixed salt, computed independently with Python hashlib.scrypt(b"secret", salt=bytes(range(16)), n=1024, r=8, p=1, dklen=32).
        let salt = Base64.encodeUnpadded(Array(0..<16))
        let hash = try Scrypt.derive(password: Array("secret".utf8), salt: Array(0..<16), n: 1024, r: 8, p: 1, length: 32)
        let encoded = "$scrypt$ln=10,r=8,p=1$\(salt)$\(Base64.encodeUnpadded(hash))"
        #expect(PasswordHash.verify(password: "secret", against: encoded))
        #expect(Hex.encode(hash) == "31d73f8d308fcbeb94f1a48b6ccf85181402fc05d2cdf582b0052417f5580a09")
    }

    @Test(arguments: [
        "",
        "$scrypt$",
        "plaintext",
        "$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
        "$scrypt$ln=10,r=8$AAECAwQFBgcICQoLDA0ODw$AAECAwQFBgcICQoLDA0ODwABAgMEBQYHCAkKCwwNDg8",
        "$scrypt$ln=10,r=8,p=1,p=1$AAECAwQFBgcICQoLDA0ODw$AAECAwQFBgcICQoLDA0ODwABAgMEBQYHCAkKCwwNDg8",
        "$scrypt$ln=40,r=8,p=1$AAECAwQFBgcICQoLDA0ODw$AAECAwQFBgcICQoLDA0ODwABAgMEBQYHCAkKCwwNDg8",
        "$scrypt$ln=20,r=32,p=16$AAECAwQFBgcICQoLDA0ODw$AAECAwQFBgcICQoLDA0ODwABAgMEBQYHCAkKCwwNDg8",
        "$scrypt$ln=10,r=8,p=1$!!!$AAECAwQFBgcICQoLDA0ODwABAgMEBQYHCAkKCwwNDg8",
        "$scrypt$ln=10,r=8,p=1$AAECAwQFBgcICQoLDA0ODw==$AAECAwQFBgcICQoLDA0ODwABAgMEBQYHCAkKCwwNDg8",
        "$scrypt$ln=10,r=8,p=1$AAECAwQFBgcICQoLDA0ODw$AA",
        "$scrypt$ln=10,r=8,p=1$AAECAwQFBgcICQoLDA0ODw$AAECAwQFBgcICQoLDA0ODwABAgMEBQYHCAkKCwwNDg8$extra",
        "$scrypt$ln=-1,r=8,p=1$AAECAwQFBgcICQoLDA0ODw$AAECAwQFBgcICQoLDA0ODwABAgMEBQYHCAkKCwwNDg8",
    ])
    func malformedHashesAreRejected(encoded: String) {
        #expect(!PasswordHash.verify(password: "secret", against: encoded))
        #expect(PasswordHash.needsRehash(encoded))
    }

    @Test func rejectsOutOfRangeCost() {
        #expect(throws: CryptoError.self) { try PasswordHash.make(password: "x", cost: .init(logN: 0, r: 8, p: 1)) }
        #expect(throws: CryptoError.self) { try PasswordHash.make(password: "x", cost: .init(logN: 10, r: 0, p: 1)) }
    }
}
