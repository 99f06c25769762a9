import Foundation
import Testing
@testable import PraxisCrypto

/// Content-Digest (RFC 9530), Digest (RFC 3230 as cavage uses it) and HTTP-date.
@Suite struct DigestHeaderTests {
    let body = Array(#"{"hello": "world"}"#.utf8)

    @Test func contentDigest() throws {
        #expect(ContentDigest.headerValue(for: body) == "sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:")
        let both = ContentDigest.headerValue(for: body, algorithms: [.sha512, .sha256])
        #expect(both.hasPrefix("sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:, sha-256=:"))
        #expect(try ContentDigest.verify(both, body: body) == [.sha512, .sha256])
        // Unknown algorithms next to a supported one are ignored.
        #expect(try ContentDigest.verify("md5=:AAAA:, sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:", body: body) == [.sha256])
        let mismatch = expectSignatureError(.digestMismatch) { try ContentDigest.verify(both, body: body + [0x20]) }
        #expect(mismatch?.hasPrefix("Content-Digest does not match the body") == true)
        expectSignatureError(.unsupportedDigestAlgorithm) { try ContentDigest.verify("md5=:XrY7u+Ae7tCTyyK7j1rNww==:", body: body) }
        expectSignatureError(.unsupportedDigestAlgorithm) { try ContentDigest.verify("", body: body) }
        expectSignatureError(.malformedDigest) { try ContentDigest.verify("sha-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=", body: body) }
        expectSignatureError(.malformedDigest) { try ContentDigest.verify("sha-256=\"abc\"", body: body) }
        expectSignatureError(.malformedDigest) { try ContentDigest.verify("SHA-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:", body: body) }
        // A digest of the wrong length is a mismatch, not a crash.
        expectSignatureError(.digestMismatch) { try ContentDigest.verify("sha-256=:AAAA:", body: body) }
        #expect(try ContentDigest.verify(ContentDigest.headerValue(for: []), body: []) == [.sha256])
    }

    @Test func digestHeader() throws {
        #expect(DigestHeader.headerValue(for: body) == "SHA-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=")
        try DigestHeader.verify("SHA-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=", body: body)
        try DigestHeader.verify("sha-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=", body: body)
        try DigestHeader.verify("MD5=abc, SHA-512=" + Base64.encode(SHA512.hash(body)), body: body)
        expectSignatureError(.digestMismatch) { try DigestHeader.verify("SHA-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=", body: []) }
        expectSignatureError(.unsupportedDigestAlgorithm) { try DigestHeader.verify("MD5=XrY7u+Ae7tCTyyK7j1rNww==", body: body) }
        expectSignatureError(.malformedDigest) { try DigestHeader.verify("SHA-256", body: body) }
        expectSignatureError(.malformedDigest) { try DigestHeader.verify("SHA-256=!!!", body: body) }
    }

    @Test func httpDates() throws {
        #expect(HTTPDate.format(Date(timeIntervalSince1970: 784_111_777)) == "Sun, 06 Nov 1994 08:49:37 GMT")
        #expect(HTTPDate.format(Date(timeIntervalSince1970: 0)) == "Thu, 01 Jan 1970 00:00:00 GMT")
        #expect(HTTPDate.format(secondsSince1970: 951_782_400) == "Tue, 29 Feb 2000 00:00:00 GMT")
        #expect(HTTPDate.format(secondsSince1970: -1) == "Wed, 31 Dec 1969 23:59:59 GMT")
        #expect(HTTPDate.parseSeconds("Sun, 06 Nov 1994 08:49:37 GMT") == 784_111_777)
        #expect(HTTPDate.parseSeconds("Sunday, 06-Nov-94 08:49:37 GMT") == 784_111_777)
        #expect(HTTPDate.parseSeconds("Sun Nov  6 08:49:37 1994") == 784_111_777)
        #expect(HTTPDate.parseSeconds(" Tue, 20 Apr 2021 02:07:55 GMT ") == 1_618_884_475)
        for bad in [
            "", "Sun, 06 Nov 1994 08:49:37 UTC", "Sun, 31 Feb 1994 08:49:37 GMT", "Sun, 06 Nov 1994 24:00:00 GMT",
            "Sun, 6 Nov 1994 08:49:37 GMT", "Xyz, 06 Nov 1994 08:49:37 GMT", "Sun, 06 Foo 1994 08:49:37 GMT",
            "1618884475", "Sun, 06 Nov 1994 08:49:37 GMT\u{e9}", "Sunday, 06-Nov-94 08:49 GMT",
        ] {
            #expect(HTTPDate.parse(bad) == nil, "'\(bad)' should not parse")
        }
        // Round trip across eras.
        for seconds in stride(from: Int64(-5_000_000_000), to: 8_000_000_000, by: 86_399 * 97) {
            #expect(HTTPDate.parseSeconds(HTTPDate.format(secondsSince1970: seconds)) == seconds)
        }
        #expect(DurationText.describe(7200) == "2 hours")
        #expect(DurationText.describe(3600) == "1 hour")
        #expect(DurationText.describe(5400) == "1.5 hours")
        #expect(DurationText.describe(90) == "90 seconds")
        #expect(DurationText.describe(600) == "10 minutes")
    }
}
