import Testing
@testable import PraxisCrypto

@Suite struct DigestTests {
    // FIPS 180-4 example values.
    @Test func sha256KnownValues() {
        #expect(Hex.encode(SHA256.hash("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(Hex.encode(SHA256.hash([UInt8]())) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(Hex.encode(SHA256.hash("abc".utf8.lazy.map { $0 })) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    @Test func sha512KnownValues() {
        #expect(Hex.encode(SHA512.hash("abc".utf8))
            == "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f")
        #expect(Hex.encode(SHA512.hash([UInt8]()))
            == "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e")
    }

    @Test func incrementalMatchesOneShot() {
        let data = (0..<10_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        var hasher = SHA256Hasher()
        var index = 0
        while index < data.count {
            let end = min(index + 777, data.count)
            hasher.update(Array(data[index..<end]))
            index = end
        }
        #expect(hasher.finalize() == SHA256.hash(data))
        // finalize() does not consume the state.
        #expect(hasher.finalize() == SHA256.hash(data))

        var wide = SHA512Hasher()
        data.withUnsafeBytes { wide.update($0) }
        #expect(wide.finalize() == SHA512.hash(data))
        #expect(SHA256Hasher().finalize() == SHA256.hash([UInt8]()))
    }

    @Test func copiesForkTheState() {
        var first = SHA256Hasher()
        first.update(Array("ab".utf8))
        var second = first
        first.update(Array("c".utf8))
        second.update(Array("x".utf8))
        #expect(first.finalize() == SHA256.hash("abc".utf8))
        #expect(second.finalize() == SHA256.hash("abx".utf8))
    }

    // RFC 4231 test cases 1 and 2.
    @Test func hmacRFC4231() throws {
        let key1 = [UInt8](repeating: 0x0b, count: 20)
        #expect(Hex.encode(HMAC.sha256(key: key1, data: Array("Hi There".utf8)))
            == "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7")
        #expect(Hex.encode(HMAC.sha512(key: key1, data: Array("Hi There".utf8)))
            == "87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cdedaa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854")
        let key2 = Array("Jefe".utf8)
        let data2 = Array("what do ya want for nothing?".utf8)
        #expect(Hex.encode(HMAC.sha256(key: key2, data: data2))
            == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
        #expect(Hex.encode(HMAC.sha512(key: key2, data: data2))
            == "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea2505549758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737")
    }

    @Test func hmacWithEmptyKeyAndData() {
        #expect(Hex.encode(HMAC.sha256(key: [], data: Array("x".utf8)))
            == "4cbc96099a6467ce002461f10549b4898265ebe6188b45efacc44293516e62c4")
        #expect(HMAC.sha256(key: [1], data: []).count == 32)
    }

    @Test func constantTimeEquals() {
        #expect(ConstantTime.equals([1, 2, 3], [1, 2, 3]))
        #expect(!ConstantTime.equals([1, 2, 3], [1, 2, 4]))
        #expect(!ConstantTime.equals([1, 2, 3], [1, 2]))
        #expect(ConstantTime.equals([], []))
    }

    @Test func secureRandom() throws {
        #expect(SecureRandom.bytes(0).isEmpty)
        let a = SecureRandom.bytes(32)
        let b = SecureRandom.bytes(32)
        #expect(a.count == 32)
        #expect(a != b)
        let token = SecureRandom.token()
        #expect(token.count == 43)
        #expect(try Base64.urlDecode(token).count == 32)
        #expect(SecureRandom.token(bytes: 16).count == 22)
        let hex = SecureRandom.hex(bytes: 8)
        #expect(hex.count == 16)
        #expect(try Hex.decode(hex).count == 8)
    }
}
