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

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = fuzzBytes(data, size)
    guard let selector = bytes.first else { return 0 }
    let text = String(decoding: bytes.dropFirst(), as: UTF8.self)
    switch selector % 3 {
    case 0:
        roundTrip(text, parse: { try StructuredFields.parseList($0) }, serialize: { try StructuredFields.serialize($0) })
    case 1:
        roundTrip(text, parse: { try StructuredFields.parseDictionary($0) }, serialize: { try StructuredFields.serialize($0) })
    default:
        roundTrip(text, parse: { try StructuredFields.parseItem($0) }, serialize: { try StructuredFields.serialize($0) })
    }
    return 0
}
