/// One entry of an `Accept` header: a media range with its parameters and quality.
public struct MediaRange: Sendable, Equatable {
    public var type: String
    public var subtype: String
    public var parameters: [String: String]
    public var quality: Double

    /// Parses an `Accept` header value (RFC 9110 section 12.5.1) into its ranges, in order.
    /// Malformed entries are skipped rather than failing the request.
    public static func parseAccept(_ value: String) -> [MediaRange] {
        var result: [MediaRange] = []
        for entry in splitOutsideQuotes(value, separator: ",") {
            let parts = splitOutsideQuotes(entry, separator: ";")
            guard let first = parts.first else { continue }
            let typeParts = first.trimmingASCIIWhitespace().lowercased().split(separator: "/", maxSplits: 1)
            guard typeParts.count == 2, !typeParts[0].isEmpty, !typeParts[1].isEmpty else { continue }
            var parameters: [String: String] = [:]
            var quality = 1.0
            for parameter in parts.dropFirst() {
                let kv = parameter.split(separator: "=", maxSplits: 1)
                guard kv.count == 2 else { continue }
                let name = kv[0].trimmingASCIIWhitespace().lowercased()
                var v = kv[1].trimmingASCIIWhitespace()
                if v.count >= 2, v.hasPrefix("\""), v.hasSuffix("\"") { v = String(v.dropFirst().dropLast()) }
                if name == "q" {
                    quality = min(1, max(0, Double(v) ?? 1))
                } else {
                    parameters[name] = v
                }
            }
            result.append(MediaRange(type: String(typeParts[0]), subtype: String(typeParts[1]), parameters: parameters,
                                     quality: quality))
        }
        return result
    }

    /// Which of `offers` (exact media types like `text/html`) the client prefers, by quality, then
    /// specificity, then the order of `offers`. Returns nil when it accepts none of them; an absent
    /// or empty header accepts the first offer.
    public static func preferred(_ offers: [MediaRange], accept: String?) -> Int? {
        guard let accept, !accept.trimmingASCIIWhitespace().isEmpty else { return offers.isEmpty ? nil : 0 }
        let ranges = parseAccept(accept)
        var best: (index: Int, quality: Double, specificity: Int)?
        for (index, offer) in offers.enumerated() {
            var match: (quality: Double, specificity: Int)?
            for range in ranges {
                guard let s = range.specificity(matching: offer) else { continue }
                if match == nil || s > match!.specificity { match = (range.quality, s) }
            }
            guard let match, match.quality > 0 else { continue }
            if best == nil || match.quality > best!.quality
                || (match.quality == best!.quality && match.specificity > best!.specificity)
            {
                best = (index, match.quality, match.specificity)
            }
        }
        return best?.index
    }

    /// How specifically this range matches `offer` (higher is more specific), or nil if it does not.
    func specificity(matching offer: MediaRange) -> Int? {
        if type == "*" && subtype == "*" { return 0 }
        guard type == offer.type else { return nil }
        if subtype == "*" { return 1 }
        guard subtype == offer.subtype else { return nil }
        for (k, v) in parameters where offer.parameters[k] != v { return nil }
        return 2 + parameters.count
    }

    public init(type: String, subtype: String, parameters: [String: String] = [:], quality: Double = 1) {
        self.type = type
        self.subtype = subtype
        self.parameters = parameters
        self.quality = quality
    }

    private static func splitOutsideQuotes(_ s: String, separator: Character) -> [String] {
        var parts: [String] = []
        var current = ""
        var inQuotes = false
        for c in s {
            if c == "\"" { inQuotes.toggle() }
            if c == separator && !inQuotes {
                parts.append(current)
                current = ""
            } else {
                current.append(c)
            }
        }
        parts.append(current)
        return parts
    }
}

extension StringProtocol {
    /// The string without leading and trailing spaces and tabs (no Foundation needed).
    func trimmingASCIIWhitespace() -> String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" { s.removeFirst() }
        while let l = s.last, l == " " || l == "\t" { s.removeLast() }
        return String(s)
    }
}
