// Fuzz target `as2-json`: the JSON parser as the inbox runs it on an activity, the serialiser, the
// AS2 readers the inbox applies (type, actor, addressing, dates) and Data Integrity proof checks.
//
// Properties checked besides "no crash": whatever parses serialises (compact, and pretty with
// sorted keys) to text that parses back to an equal value, and an AS2 date formats and parses back
// to the same second.
import Foundation
import PraxisActivityStreams
import PraxisCrypto
import PraxisJSON

let fixedNow = Date(timeIntervalSince1970: 1_700_000_000)
/// Any key will do: the proofs fuzzed here are not meant to verify, only to be read safely.
let proofKey = Ed25519PrivateKey().publicKey

func checkSerialization(_ value: JSON) {
    for (pretty, sorted) in [(false, false), (true, true)] {
        let text = value.serializedBytes(pretty: pretty, sortedKeys: sorted)
        let back = try? JSON.parse(text, limits: .unlimited)
        invariant(back == value, "serialisation (pretty: \(pretty)) does not parse back: \(String(decoding: text, as: UTF8.self))")
    }
}

func readAS2(_ value: JSON) {
    _ = value.asType
    _ = value["id"]?.linkID
    _ = value["actor"]?.linkID
    _ = value["attributedTo"]?.linkID
    _ = value["inReplyTo"]?.linkID
    for property in ["to", "cc", "bto", "bcc", "audience"] { _ = value.addresses(property) }
    _ = value.isPublic
    for property in ["published", "updated", "endTime"] {
        guard let text = value[property]?.stringValue, let date = ISO8601.date(text) else { continue }
        // Only the years AS2 documents use; before 1970 the C and Foundation calendars may disagree.
        guard date.timeIntervalSince1970 >= 0, date.timeIntervalSince1970 < 253_402_300_800 else { continue }
        let whole = Date(timeIntervalSince1970: date.timeIntervalSince1970.rounded(.down))
        let formatted = ISO8601.string(date)
        invariant(ISO8601.date(formatted) == whole, "AS2 date \(text.debugDescription) formats as \(formatted)")
    }
    if value["proof"] != nil {
        _ = try? EddsaJcs2022.verifyAll(value, now: fixedNow) { _ in proofKey }
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = fuzzBytes(data, size)
    guard let activity = try? JSON.parse(bytes, limits: .default) else { return 0 }
    checkSerialization(activity)
    readAS2(activity)
    // An Announce carries the member's activity, which carries the object: read each level.
    var inner = activity["object"]
    var depth = 0
    while let value = inner, depth < 4 {
        readAS2(value)
        inner = value["object"]
        depth += 1
    }
    return 0
}
