// Fuzz target `structured-fields`: the RFC 8941 parser and serialiser.
//
// The first byte picks the field type (list, dictionary, item); the rest is the field value. A
// value that parses must serialise without error, and the serialisation must parse back to the
// same value and serialise to the same text (RFC 8941 section 4: serialise(parse(x)) is canonical).
import PraxisCrypto

func roundTrip<Value: Equatable>(
    _ text: String, parse: (String) throws -> Value, serialize: (Value) throws -> String
) {
    guard let value = try? parse(text) else { return }
    let serialized: String
    do {
        serialized = try serialize(value)
    } catch {
        invariant(false, "a parsed value does not serialise: \(error) for \(text.debugDescription)")
        return
    }
    let again: Value
    do {
        again = try parse(serialized)
    } catch {
        invariant(false, "the serialisation \(serialized.debugDescription) does not parse: \(error)")
        return
    }
    invariant(again == value, "round trip changed the value: \(text.debugDescription) -> \(serialized.debugDescription)")
    let reserialized = try? serialize(again)
    invariant(reserialized == serialized, "serialisation not canonical: \(serialized.debugDescription) vs \(String(describing: reserialized))")
}

/// The member without the text its inner list kept from parsing (any change drops it).
func withoutParsedText(_ member: StructuredFields.Member) -> StructuredFields.Member {
    guard case .innerList(var list) = member else { return member }
    let items = list.items
    list.items = items
    return .innerList(list)
}

/// A parsed inner list may keep its text and serialise by copying it; that must be exactly what
/// serialising it afresh gives.
func keptTextIsCanonical(_ parsed: String?, _ fresh: String?, _ text: String) {
    invariant(parsed == fresh, "kept inner-list text is not canonical: \(text.debugDescription) gave \(String(describing: parsed)) instead of \(String(describing: fresh))")
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = fuzzBytes(data, size)
    guard let selector = bytes.first else { return 0 }
    let text = String(decoding: bytes.dropFirst(), as: UTF8.self)
    switch selector % 3 {
    case 0:
        roundTrip(text, parse: { try StructuredFields.parseList($0) }, serialize: { try StructuredFields.serialize($0) })
        if let list = try? StructuredFields.parseList(text) {
            keptTextIsCanonical(
                try? StructuredFields.serialize(list), try? StructuredFields.serialize(list.map(withoutParsedText)), text)
        }
    case 1:
        roundTrip(text, parse: { try StructuredFields.parseDictionary($0) }, serialize: { try StructuredFields.serialize($0) })
        if let dictionary = try? StructuredFields.parseDictionary(text) {
            var fresh = StructuredFields.Dictionary()
            for entry in dictionary { fresh[entry.key] = withoutParsedText(entry.value) }
            keptTextIsCanonical(try? StructuredFields.serialize(dictionary), try? StructuredFields.serialize(fresh), text)
        }
    default:
        roundTrip(text, parse: { try StructuredFields.parseItem($0) }, serialize: { try StructuredFields.serialize($0) })
    }
    return 0
}
