/// An independent, deliberately strict reader of the HTML that Praxis produces, used to check the
/// renderer's and the sanitiser's output: it accepts only the allowlisted elements and attributes,
/// double-quoted attribute values, the five escapes `&amp; &lt; &gt; &quot; &#39;`, and properly
/// nested elements, and it shares no code with the module under test.
enum StrictHTMLChecker {
    static let elements: Set<String> = [
        "p", "br", "strong", "b", "em", "i", "code", "pre", "blockquote", "ul", "ol", "li", "a", "h3", "h4", "h5", "span",
    ]
    static let escapes = ["&amp;", "&lt;", "&gt;", "&quot;", "&#39;"]

    /// Returns nil when `html` is acceptable, else a description of the first problem.
    static func problem(in html: String) -> String? {
        let s = Array(html.unicodeScalars)
        var i = 0
        var stack: [String] = []
        while i < s.count {
            let c = s[i]
            if c == ">" || c == "\"" || c == "'" { return "raw \(c) in text at \(i)" }
            if c == "&" {
                guard let escape = escapes.first(where: { matches($0, s, at: i) }) else { return "bad reference at \(i)" }
                i += escape.unicodeScalars.count
                continue
            }
            if c.value < 0x20 && c != "\n" && c != "\t" { return "control character in text at \(i)" }
            guard c == "<" else {
                i += 1
                continue
            }
            i += 1
            var closing = false
            if i < s.count, s[i] == "/" {
                closing = true
                i += 1
            }
            var name = ""
            while i < s.count, (s[i] >= "a" && s[i] <= "z") || (s[i] >= "0" && s[i] <= "9") {
                name.unicodeScalars.append(s[i])
                i += 1
            }
            guard elements.contains(name) else { return "element '\(name)' not allowed" }
            var attributes: [(String, String)] = []
            while i < s.count, s[i] == " " {
                i += 1
                var attribute = ""
                while i < s.count, s[i] >= "a" && s[i] <= "z" {
                    attribute.unicodeScalars.append(s[i])
                    i += 1
                }
                guard i + 1 < s.count, s[i] == "=", s[i + 1] == "\"" else { return "attribute without double quotes" }
                i += 2
                var value = ""
                while i < s.count, s[i] != "\"" {
                    if s[i] == "<" || s[i] == ">" || s[i] == "'" { return "raw \(s[i]) in attribute" }
                    if s[i] == "&" {
                        guard let escape = escapes.first(where: { matches($0, s, at: i) }) else { return "bad reference in attribute" }
                        value += ["&amp;": "&", "&lt;": "<", "&gt;": ">", "&quot;": "\"", "&#39;": "'"][escape] ?? ""
                        i += escape.unicodeScalars.count
                        continue
                    }
                    value.unicodeScalars.append(s[i])
                    i += 1
                }
                guard i < s.count else { return "unterminated attribute" }
                i += 1
                attributes.append((attribute, value))
            }
            guard i < s.count, s[i] == ">" else { return "malformed tag '\(name)'" }
            i += 1
            if closing {
                guard attributes.isEmpty else { return "attributes on end tag" }
                guard name != "br" else { return "</br>" }
                guard stack.popLast() == name else { return "misnested </\(name)>" }
                continue
            }
            if let problem = attributeProblem(element: name, attributes) { return problem }
            if name != "br" { stack.append(name) }
        }
        return stack.isEmpty ? nil : "unclosed \(stack)"
    }

    private static func attributeProblem(element: String, _ attributes: [(String, String)]) -> String? {
        switch element {
        case "a":
            guard attributes.count == 2, attributes[0].0 == "href", attributes[1] == ("rel", "nofollow noopener noreferrer")
            else { return "a needs exactly href and the forced rel: \(attributes)" }
            let href = attributes[0].1
            // By scalars: compared as Swift `Character`s, "https://" followed by a combining mark
            // does not start with "https://" (a fuzz finding).
            let lower = Array(href.lowercased().unicodeScalars)
            guard ["https://", "http://", "mailto:"].contains(where: { lower.starts(with: $0.unicodeScalars) }) else {
                return "href scheme not allowed: \(href)"
            }
            if href.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) { return "control in href" }
            return nil
        case "ol":
            if attributes.isEmpty { return nil }
            guard attributes.count == 1, attributes[0].0 == "start", !attributes[0].1.isEmpty,
                attributes[0].1.allSatisfy({ $0.isASCII && $0.isNumber })
            else { return "bad ol attributes \(attributes)" }
            return nil
        default:
            return attributes.isEmpty ? nil : "attributes on \(element)"
        }
    }

    /// The names of every attribute in every tag, read outside quoted values, by Unicode scalars
    /// as a browser tokenises (text `<` is escaped, so every `<` starts a tag). A second,
    /// allowlist-free view of the output, used by the fuzz target's event-handler check.
    static func attributeNames(in html: String) -> [String] {
        var names: [String] = []
        var inTag = false
        var quote: Unicode.Scalar?
        var current = ""
        var afterSpace = false
        for c in html.unicodeScalars {
            if let q = quote {
                if c == q { quote = nil }
                continue
            }
            if !inTag {
                inTag = c == "<"
                afterSpace = false
                continue
            }
            switch c {
            case ">": inTag = false
            case "\"", "'": quote = c
            case " ", "\t", "\n", "/": afterSpace = true
            case "=":
                if !current.isEmpty { names.append(current) }
                current = ""
                afterSpace = false
            default:
                if afterSpace {
                    current = ""
                    afterSpace = false
                }
                current.unicodeScalars.append(c)
            }
        }
        return names
    }

    /// Whether `needle` occurs in `html`, compared by Unicode scalars (not by grapheme clusters).
    static func containsScalars(_ html: String, _ needle: String) -> Bool {
        let s = Array(html.unicodeScalars)
        guard let first = needle.unicodeScalars.first else { return true }
        return s.indices.contains { s[$0] == first && matches(needle, s, at: $0) }
    }

    private static func matches(_ text: String, _ s: [Unicode.Scalar], at i: Int) -> Bool {
        let t = Array(text.unicodeScalars)
        return i + t.count <= s.count && Array(s[i..<(i + t.count)]) == t
    }
}

/// SplitMix64: a tiny seeded generator so property tests are reproducible.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
