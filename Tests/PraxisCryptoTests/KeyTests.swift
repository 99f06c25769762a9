import Foundation
import Testing
@testable import PraxisCrypto

@Suite struct Ed25519KeyTests {
    @Test func generatedKeyRoundTripsThroughEveryForm() throws {
        let key = Ed25519PrivateKey()
        let message = Array("hello, procurement".utf8)
        let signature = try key.signature(for: message)
        #expect(signature.count == 64)
        #expect(key.publicKey.isValidSignature(signature, for: message))

        let fromPEM = try Ed25519PrivateKey(pem: key.pemRepresentation)
        let fromRaw = try Ed25519PrivateKey(rawRepresentation: key.rawRepresentation)
        let fromMultikey = try Ed25519PrivateKey(multikey: key.multikey)
        for copy in [fromPEM, fromRaw, fromMultikey] {
            #expect(copy.publicKey == key.publicKey)
            #expect(try copy.signature(for: message) == signature)
        }
        #expect(key.pemRepresentation.hasPrefix("-----BEGIN PRIVATE KEY-----\n"))

        let publicKey = key.publicKey
        #expect(try Ed25519PublicKey(pem: publicKey.pemRepresentation) == publicKey)
        #expect(try Ed25519PublicKey(rawRepresentation: publicKey.rawRepresentation) == publicKey)
        #expect(try Ed25519PublicKey(multikey: publicKey.multikey) == publicKey)
        #expect(publicKey.multikey.hasPrefix("z6Mk"))
        #expect(Set([publicKey, try Ed25519PublicKey(pem: publicKey.pemRepresentation)]).count == 1)
    }

    @Test func tamperedSignaturesAndWrongKeysFail() throws {
        let key = Ed25519PrivateKey()
        let other = Ed25519PrivateKey()
        let message = Array("message".utf8)
        let signature = try key.signature(for: message)
        #expect(!other.publicKey.isValidSignature(signature, for: message))
        #expect(!key.publicKey.isValidSignature(signature, for: Array("messagE".utf8)))
        for index in [0, 31, 32, 63] {
            var tampered = signature
            tampered[index] ^= 0x01
            #expect(!key.publicKey.isValidSignature(tampered, for: message))
        }
        #expect(!key.publicKey.isValidSignature([], for: message))
        #expect(!key.publicKey.isValidSignature(signature + [0], for: message))
        #expect(!key.publicKey.isValidSignature(Array(signature.dropLast()), for: message))
        #expect(key.publicKey.isValidSignature(try key.signature(for: []), for: []))
    }

    @Test func malformedInputThrows() throws {
        #expect(throws: CryptoError.self) { try Ed25519PrivateKey(rawRepresentation: [1, 2, 3]) }
        #expect(throws: CryptoError.self) { try Ed25519PublicKey(rawRepresentation: [UInt8](repeating: 0, count: 33)) }
        #expect(throws: CryptoError.self) { try Ed25519PrivateKey(pem: "garbage") }
        // Right label, DER that is not a key.
        #expect(throws: CryptoError.self) { try Ed25519PrivateKey(pem: PEM.encode(label: "PRIVATE KEY", der: [0x30, 0x03, 0x02, 0x01, 0x00])) }
        #expect(throws: CryptoError.self) { try Ed25519PublicKey(pem: PEM.encode(label: "PUBLIC KEY", der: SecureRandom.bytes(44))) }
        // A valid key followed by trailing bytes.
        let der = try PEM.decode(Ed25519PrivateKey().publicKey.pemRepresentation).der
        #expect(throws: CryptoError.self) { try Ed25519PublicKey(pem: PEM.encode(label: "PUBLIC KEY", der: der + [0])) }
        // Another key type behind the right label.
        let rsa = try RSAPrivateKey(pem: TestKeys.rsa2048PKCS1)
        #expect(throws: CryptoError.self) { try Ed25519PrivateKey(pem: rsa.pemRepresentation) }
        #expect(throws: CryptoError.self) { try Ed25519PublicKey(pem: rsa.publicKey.pemRepresentation) }
        // Wrong label.
        #expect(throws: CryptoError.self) { try Ed25519PublicKey(pem: Ed25519PrivateKey().pemRepresentation) }
    }

    @Test func concurrentSigningAndVerification() async throws {
        let key = Ed25519PrivateKey()
        let publicKey = key.publicKey
        let results = try await withThrowingTaskGroup(of: Bool.self) { group in
            for task in 0..<8 {
                group.addTask {
                    for index in 0..<200 {
                        let message = Array("task \(task) message \(index)".utf8)
                        let signature = try key.signature(for: message)
                        guard publicKey.isValidSignature(signature, for: message),
                              !publicKey.isValidSignature(signature, for: message + [1])
                        else { return false }
                    }
                    return true
                }
            }
            var all: [Bool] = []
            for try await result in group { all.append(result) }
            return all
        }
        #expect(results == Array(repeating: true, count: 8))
    }

    @Test func verificationIsFast() throws {
        let key = Ed25519PrivateKey()
        let message = SecureRandom.bytes(300)
        let signature = try key.signature(for: message)
        let start = Date()
        for _ in 0..<1000 { _ = key.publicKey.isValidSignature(signature, for: message) }
        // OpenSSL does ~9,000/s per core; 1,000 within 2 s leaves room for a loaded debug build.
        #expect(Date().timeIntervalSince(start) < 2)
    }
}

@Suite struct RSAKeyTests {
    @Test func importedKeyRoundTripsThroughEveryPEMForm() throws {
        let key = try RSAPrivateKey(pem: TestKeys.rsa2048PKCS1)
        let message = Array("Mastodon-compatible".utf8)
        let signature = try key.signature(for: message, padding: .pkcs1v15SHA256)

        #expect(key.pkcs1PEMRepresentation.hasPrefix("-----BEGIN RSA PRIVATE KEY-----\n"))
        #expect(key.pemRepresentation.hasPrefix("-----BEGIN PRIVATE KEY-----\n"))
        for copy in [try RSAPrivateKey(pem: key.pemRepresentation), try RSAPrivateKey(pem: key.pkcs1PEMRepresentation)] {
            #expect(copy.publicKey == key.publicKey)
            #expect(try copy.signature(for: message, padding: .pkcs1v15SHA256) == signature)
            #expect(copy.bits == 2048)
        }
        let publicKey = key.publicKey
        #expect(publicKey.pemRepresentation.hasPrefix("-----BEGIN PUBLIC KEY-----\n"))
        #expect(publicKey.pkcs1PEMRepresentation.hasPrefix("-----BEGIN RSA PUBLIC KEY-----\n"))
        #expect(try RSAPublicKey(pem: publicKey.pemRepresentation) == publicKey)
        #expect(try RSAPublicKey(pem: publicKey.pkcs1PEMRepresentation) == publicKey)
        #expect(try RSAPublicKey(derRepresentation: publicKey.derRepresentation) == publicKey)
        #expect(publicKey.bits == 2048)
    }

    @Test(arguments: [RSAPadding.pkcs1v15SHA256, .pkcs1v15SHA512, .pssSHA256, .pssSHA512])
    func everyPaddingSignsAndRejectsTampering(padding: RSAPadding) throws {
        let key = try RSAPrivateKey(pem: TestKeys.rsa2048PKCS1)
        let message = SecureRandom.bytes(500)
        let signature = try key.signature(for: message, padding: padding)
        #expect(signature.count == 256)
        #expect(key.publicKey.isValidSignature(signature, for: message, padding: padding))
        var tampered = signature
        tampered[100] ^= 0x10
        #expect(!key.publicKey.isValidSignature(tampered, for: message, padding: padding))
        #expect(!key.publicKey.isValidSignature(signature, for: message + [0], padding: padding))
        #expect(!key.publicKey.isValidSignature([], for: message, padding: padding))
        #expect(!key.publicKey.isValidSignature(Array(signature.dropFirst()), for: message, padding: padding))
        #expect(!key.publicKey.isValidSignature([0] + signature, for: message, padding: padding))
        for other in [RSAPadding.pkcs1v15SHA256, .pkcs1v15SHA512, .pssSHA256, .pssSHA512] where other != padding {
            #expect(!key.publicKey.isValidSignature(signature, for: message, padding: other))
        }
    }

    /// A signature whose big-endian value starts with a zero byte must not also verify with that byte removed.
    /// PSS is randomised; about one signature in 164 starts with 0x00 for this modulus, so 3,000 tries
    /// miss with probability below e^-18.
    @Test func leadingZeroSignatureIsNotMalleable() throws {
        let key = try RSAPrivateKey(pem: TestKeys.rsa2048PKCS1)
        var found = 0
        for attempt in 0..<3000 where found == 0 {
            let message = Array("attempt \(attempt)".utf8)
            let signature = try key.signature(for: message, padding: .pssSHA512)
            guard signature[0] == 0 else { continue }
            found += 1
            #expect(key.publicKey.isValidSignature(signature, for: message, padding: .pssSHA512))
            #expect(!key.publicKey.isValidSignature(Array(signature.dropFirst()), for: message, padding: .pssSHA512))
        }
        #expect(found > 0)
    }

    @Test func generatedKeyWorksAndWrongKeyFails() throws {
        let key = try RSAPrivateKey()
        #expect(key.bits == 2048)
        let imported = try RSAPrivateKey(pem: TestKeys.rsa2048PKCS1)
        let message = Array("x".utf8)
        let signature = try key.signature(for: message, padding: .pkcs1v15SHA256)
        #expect(key.publicKey.isValidSignature(signature, for: message, padding: .pkcs1v15SHA256))
        #expect(!imported.publicKey.isValidSignature(signature, for: message, padding: .pkcs1v15SHA256))
        #expect(try RSAPrivateKey(pem: key.pemRepresentation).publicKey == key.publicKey)
        #expect(key.publicKey != imported.publicKey)
    }

    @Test func rejectsBadSizesAndMalformedInput() throws {
        #expect(throws: CryptoError.self) { try RSAPrivateKey(bits: 1024) }
        #expect(throws: CryptoError.self) { try RSAPrivateKey(bits: 100_000) }
        #expect(throws: CryptoError.self) { try RSAPrivateKey(pem: "") }
        #expect(throws: CryptoError.self) { try RSAPublicKey(pem: "-----BEGIN PUBLIC KEY-----\nMIIB\n-----END PUBLIC KEY-----\n") }
        #expect(throws: CryptoError.self) { try RSAPublicKey(pem: PEM.encode(label: "RSA PUBLIC KEY", der: SecureRandom.bytes(270))) }
        #expect(throws: CryptoError.self) { try RSAPublicKey(derRepresentation: []) }
        // Other key types are refused.
        #expect(throws: CryptoError.self) { try RSAPrivateKey(pem: Ed25519PrivateKey().pemRepresentation) }
        #expect(throws: CryptoError.self) { try RSAPublicKey(pem: Ed25519PrivateKey().publicKey.pemRepresentation) }
        #expect(throws: CryptoError.self) { try RSAPrivateKey(pem: TestKeys.p256SEC1) }
        // A 512-bit key is refused on import.
        #expect(throws: CryptoError.self) { try RSAPrivateKey(pem: TestKeys.rsa512PKCS1) }
    }
}

@Suite struct P256KeyTests {
    @Test func generatedKeyRoundTripsThroughEveryForm() throws {
        let key = try P256PrivateKey()
        let message = Array("p-256".utf8)
        let signature = try key.signature(for: message)
        #expect(signature.count == 64)
        #expect(key.publicKey.isValidSignature(signature, for: message))
        #expect(key.sec1PEMRepresentation.hasPrefix("-----BEGIN EC PRIVATE KEY-----\n"))
        for copy in [try P256PrivateKey(pem: key.pemRepresentation), try P256PrivateKey(pem: key.sec1PEMRepresentation)] {
            #expect(copy.publicKey == key.publicKey)
            #expect(key.publicKey.isValidSignature(try copy.signature(for: message), for: message))
        }
        let publicKey = key.publicKey
        #expect(try P256PublicKey(pem: publicKey.pemRepresentation) == publicKey)
        #expect(try P256PublicKey(x963Representation: publicKey.x963Representation) == publicKey)
        #expect(try P256PublicKey(x963Representation: publicKey.compressedRepresentation) == publicKey)
        #expect(try P256PublicKey(multikey: publicKey.multikey) == publicKey)
        #expect(publicKey.multikey.hasPrefix("zDn"))
        #expect(publicKey.x963Representation.first == 0x04)
    }

    @Test func tamperingAndWrongKeysFail() throws {
        let key = try P256PrivateKey(pem: TestKeys.p256SEC1)
        let other = try P256PrivateKey()
        let message = Array("m".utf8)
        let signature = try key.signature(for: message)
        #expect(key.publicKey.isValidSignature(signature, for: message))
        #expect(!other.publicKey.isValidSignature(signature, for: message))
        var tampered = signature
        tampered[40] ^= 0x02
        #expect(!key.publicKey.isValidSignature(tampered, for: message))
        #expect(!key.publicKey.isValidSignature(Array(signature.dropLast()), for: message))
        #expect(!key.publicKey.isValidSignature([UInt8](repeating: 0, count: 64), for: message))
        #expect(!key.publicKey.isValidSignature([UInt8](repeating: 0xFF, count: 64), for: message))
    }

    @Test func malformedInputThrows() throws {
        #expect(throws: CryptoError.self) { try P256PublicKey(x963Representation: [0x04] + [UInt8](repeating: 1, count: 64)) }
        #expect(throws: CryptoError.self) { try P256PublicKey(x963Representation: [1, 2, 3]) }
        #expect(throws: CryptoError.self) { try P256PrivateKey(pem: Ed25519PrivateKey().pemRepresentation) }
        #expect(throws: CryptoError.self) { try P256PublicKey(pem: Ed25519PrivateKey().publicKey.pemRepresentation) }
        #expect(throws: CryptoError.self) { try P256PrivateKey(pem: PEM.encode(label: "EC PRIVATE KEY", der: SecureRandom.bytes(50))) }
        #expect(throws: CryptoError.self) { try P256PrivateKey(pem: TestKeys.p384SEC1) }
    }
}
