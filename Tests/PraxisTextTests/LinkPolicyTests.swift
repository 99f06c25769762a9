import Testing

@testable import PraxisText

@Suite("Link policy")
struct LinkPolicyTests {
    static let refused = [
        "javascript:alert(1)", "JaVaScRiPt:alert(1)", "java\tscript:alert(1)", "java\nscript:alert(1)",
        " \u{1}javascript:alert(1)", "\u{0B}javascript:alert(1)", "jav\u{0}ascript:alert(1)", "data:text/html,<script>",
        "vbscript:msgbox(1)", "livescript:x", "/relative", "relative", "//evil.example", "https:evil.example",
        "https:/evil.example", "https:\\\\evil.example", "https://", "https:///path", "mailto:", "mailto:a b",
        "", "   ", "ht tp://e.org", "1http://e.org", "https://e.org/\u{85}", "&#106;avascript:alert(1)",
        String(repeating: "a", count: LinkPolicy.maxLength) + "https://e.org",
    ]

    @Test("refused", arguments: refused)
    func refusedURL(_ url: String) {
        #expect(LinkPolicy.safeHref(url) == nil)
    }

    @Test func acceptedURLsAreCleaned() {
        #expect(LinkPolicy.safeHref("https://e.org/a") == "https://e.org/a")
        #expect(LinkPolicy.safeHref("HTTP://E.ORG") == "HTTP://E.ORG")
        #expect(LinkPolicy.safeHref("  https://e.org/a\n") == "https://e.org/a")
        #expect(LinkPolicy.safeHref("https://e.org/a\tb") == "https://e.org/ab")
        #expect(LinkPolicy.safeHref("mailto:a@b.example") == "mailto:a@b.example")
        #expect(LinkPolicy.safeHref("https://e.org/é?q=\"x\"") == "https://e.org/é?q=\"x\"")
    }

    @Test func cleaningIsIdempotent() {
        for url in ["  https://e.org/a\n", "https://e.org/a\tb", "\u{1}https://e.org"] {
            let once = LinkPolicy.safeHref(url)
            #expect(once != nil)
            #expect(once.flatMap(LinkPolicy.safeHref) == once)
        }
    }
}
