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
    // Compared by Unicode scalars, as a browser reads HTML: compared as Swift `Character`s, a
    // combining mark after `>` would glue onto it and hide the end of a tag.
    let lower = html.lowercased()
    invariant(!StrictHTMLChecker.containsScalars(lower, "<script"), "\(what) output contains <script: \(html.debugDescription)")
    invariant(!StrictHTMLChecker.containsScalars(lower, "href=\"javascript:"), "\(what) output links to javascript: \(html.debugDescription)")
    invariant(!StrictHTMLChecker.attributeNames(in: lower).contains(where: { $0.hasPrefix("on") }), "\(what) output carries an event handler: \(html.debugDescription)")
    let again = HTMLSanitizer.sanitize(html)
    invariant(again == html, "sanitising \(what) output changes it: \(html.debugDescription) -> \(again.debugDescription)")
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
