// Fuzz target `markdown`: the Markdown renderer and the HTML sanitiser.
//
// The first byte picks the path: Markdown source rendered to HTML, or remote HTML sanitised.
// Properties checked besides "no crash": the output passes the strict checker of the PraxisText
// tests (only allowlisted elements and attributes, escaped text, http(s)/mailto links, balanced
// tags), so it has no `<script`, no `javascript:` link and no event-handler attribute; sanitising
// the output again changes nothing.
import PraxisText

func checkSafe(_ html: String, from input: String, _ what: String) {
    if let problem = StrictHTMLChecker.problem(in: html) {
        invariant(false, "\(what) output rejected by the strict checker (\(problem)): \(input.debugDescription) -> \(html.debugDescription)")
    }
    // Belt and braces, independent of the checker's allowlist.
    let lower = html.lowercased()
    invariant(!lower.contains("<script"), "\(what) output contains <script: \(html.debugDescription)")
    invariant(!lower.contains("href=\"javascript:"), "\(what) output links to javascript: \(html.debugDescription)")
    invariant(!attributeNames(lower).contains(where: { $0.hasPrefix("on") }), "\(what) output carries an event handler: \(html.debugDescription)")
    let again = HTMLSanitizer.sanitize(html)
    invariant(again == html, "sanitising \(what) output changes it: \(html.debugDescription) -> \(again.debugDescription)")
}

/// The names of every attribute in every tag, read outside quoted values (text `<` is escaped,
/// so every `<` starts a tag).
func attributeNames(_ html: String) -> [String] {
    var names: [String] = []
    var inTag = false
    var quote: Character?
    var current = ""
    var afterSpace = false
    for c in html {
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
            current.append(c)
        }
    }
    return names
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = fuzzBytes(data, size)
    guard let selector = bytes.first else { return 0 }
    let input = String(decoding: bytes.dropFirst(), as: UTF8.self)
    if selector % 2 == 0 {
        checkSafe(Markdown.render(input), from: input, "Markdown")
    } else {
        checkSafe(HTMLSanitizer.sanitize(input), from: input, "sanitiser")
    }
    return 0
}
