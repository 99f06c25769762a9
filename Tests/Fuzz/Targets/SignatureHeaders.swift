// Fuzz target `signature-headers`: RFC 9421 `Signature-Input`/`Signature`, draft-cavage `Signature`,
// `Content-Digest`/`Digest` and `Date`, as a verifier reads them from a received request.
//
// The input is a header section, one `name: value` per line. Properties checked besides "no
// crash": a parsed cavage header serialises and parses back to itself, and a parsed HTTP date
// formats and parses back to the same second.
import Foundation
import PraxisCrypto
import PraxisHTTP

let secret = Array("praxis fuzz hmac key".utf8)
let fixedNow = Date(timeIntervalSince1970: 1_700_000_000)

func headers(from bytes: [UInt8]) -> HTTPHeaders {
    var fields: [(String, String)] = []
    for line in bytes.split(separator: 10, omittingEmptySubsequences: true) {
        guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else { continue }
        let name = String(decoding: line[..<colon], as: UTF8.self)
        let value = String(decoding: line[(colon + 1)...], as: UTF8.self).trimmingCharacters(in: .whitespaces)
        fields.append((name, value))
    }
    return HTTPHeaders(fields)
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let fields = headers(from: fuzzBytes(data, size))

    // RFC 9421: what an inbox does before and while verifying.
    _ = try? MessageSignature.keyID(of: fields)
    let message = SignatureMessage.request(
        method: .post, scheme: "https", authority: "node.example", target: "/inbox?page=1", headers: fields)
    _ = try? MessageSignature.signatureBase(ofReceived: message)
    let policy = MessageSignaturePolicy(requiresCreated: false, maximumAge: nil)
    _ = try? MessageSignature.verify(message, policy: policy, now: fixedNow) { _, _ in .hmacSHA256(secret: secret) }

    // draft-cavage-12.
    if let parsed = try? CavageSignature.header(in: fields) {
        let reparsed = try? CavageSignatureHeader.parse(parsed.headerValue)
        invariant(reparsed == parsed, "cavage header does not survive a round trip: \(parsed.headerValue.debugDescription)")
        _ = try? CavageSignature.signingString(
            coveredHeaders: parsed.headers, method: "POST", target: "/inbox?page=1", headers: fields,
            algorithm: parsed.algorithm, created: parsed.created, expires: parsed.expires)
    }

    // Body digests against an empty body, and the Date header.
    if let value = fields.combinedValue(for: "Content-Digest") { _ = try? ContentDigest.verify(value, body: []) }
    if let value = fields["Digest"] { _ = try? DigestHeader.verify(value, body: []) }
    if let value = fields["Date"], let seconds = HTTPDate.parseSeconds(value) {
        let formatted = HTTPDate.format(secondsSince1970: seconds)
        invariant(HTTPDate.parseSeconds(formatted) == seconds, "HTTP date \(value.debugDescription) formats as \(formatted)")
    }
    return 0
}
