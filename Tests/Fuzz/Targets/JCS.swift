// Fuzz target `jcs`: RFC 8785 canonicalisation of any JSON the parser accepts.
//
// Property checked besides "no crash": canonicalisation is idempotent, that is
// canonical(parse(canonical(x))) == canonical(x), and canonical text is always valid JSON.
import PraxisCrypto
import PraxisJSON

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = fuzzBytes(data, size)
    guard let value = try? JSON.parse(bytes, limits: .default) else { return 0 }
    // Numbers JSON allows but I-JSON cannot carry exactly may be refused; that is an error, not a crash.
    guard let canonical = try? JCS.canonicalize(value) else { return 0 }
    let reparsed: JSON
    do {
        reparsed = try JSON.parse(canonical, limits: .unlimited)
    } catch {
        invariant(false, "canonical text is not JSON (\(error)): \(String(decoding: canonical, as: UTF8.self))")
        return 0
    }
    let again = try? JCS.canonicalize(reparsed)
    invariant(
        again == canonical,
        "canonicalisation is not idempotent: \(String(decoding: canonical, as: UTF8.self)) -> \(again.map { String(decoding: $0, as: UTF8.self) } ?? "error")")
    return 0
}
