import Testing

@testable import PraxisText

@Suite("Plain text")
struct PlainTextTests {
    static let cases: [(String, String)] = [
        ("<p>Hello <b>world</b></p>", "Hello world"),
        ("<p>one</p><p>two</p>", "one\n\ntwo"),
        ("a<br>b<br><br>c", "a\nb\n\nc"),
        ("<ul><li>x</li><li>y</li></ul>after", "x\ny\n\nafter"),
        ("<h3>Title</h3>Body", "Title\n\nBody"),
        ("  lots   of \n\t space  ", "lots of space"),
        ("<pre>  keep\n    this</pre>", "keep\n    this"),
        ("keep<script>alert(1)</script> this<style>p{}</style>", "keep this"),
        ("&lt;b&gt; &amp; &eacute;", "<b> & é"),
        (
            "<p><span class=\"h-card\"><a href=\"https://m.example/@bob\" class=\"u-url mention\">@<span>bob</span></a></span> hi</p>",
            "@bob hi"
        ),
        ("<a href=\"javascript:alert(1)\">click</a>", "click"),
        ("", ""),
    ]

    @Test("text from HTML", arguments: cases)
    func fromHTML(_ html: String, _ expected: String) {
        #expect(PlainText.fromHTML(html) == expected)
    }

    @Test func fromRenderedMarkdown() {
        let html = Markdown.render("# Notice\n\nThe **tender** closes on *Friday*.\n\n- lot 1\n- lot 2")
        #expect(PlainText.fromHTML(html) == "Notice\n\nThe tender closes on Friday.\n\nlot 1\nlot 2")
    }

    @Test func shortTextIsUnchangedButCollapsed() {
        #expect(PlainText.excerpt("short", limit: 10) == "short")
        #expect(PlainText.excerpt("a\n\nb   c", limit: 10) == "a b c")
        #expect(PlainText.excerpt("exactly10!", limit: 10) == "exactly10!")
        #expect(PlainText.excerpt("anything", limit: 0) == "")
        #expect(PlainText.excerpt("anything", limit: 1) == "…")
    }

    @Test func longTextIsCutAtAWordBoundary() {
        let excerpt = PlainText.excerpt("The framework agreement for office supplies", limit: 30)
        #expect(excerpt == "The framework agreement for…")
        #expect(excerpt.count <= 30)
        #expect(PlainText.excerpt("Supercalifragilisticexpialidocious", limit: 10) == "Supercali…")
    }

    @Test func graphemeClustersAreNeverSplit() {
        let family = "👩‍👩‍👧‍👦"
        let text = String(repeating: family, count: 20)
        let excerpt = PlainText.excerpt(text, limit: 5)
        #expect(excerpt == String(repeating: family, count: 4) + "…")
        let accents = String(repeating: "e\u{301}", count: 20)
        let cut = PlainText.excerpt(accents, limit: 3)
        #expect(cut == "e\u{301}e\u{301}…")
        #expect(cut.unicodeScalars.count == 5)
        let flags = PlainText.excerpt("🇫🇷🇧🇪🇳🇱🇪🇸", limit: 3)
        #expect(flags == "🇫🇷🇧🇪…")
    }
}
