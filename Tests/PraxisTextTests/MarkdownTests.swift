import Testing

@testable import PraxisText

private let rel = "rel=\"nofollow noopener noreferrer\""

@Suite("Markdown subset")
struct MarkdownTests {
    static let features: [(String, String)] = [
        ("", ""),
        ("Hello world", "<p>Hello world</p>"),
        ("one\ntwo", "<p>one<br>two</p>"),
        ("one\r\ntwo\rthree", "<p>one<br>two<br>three</p>"),
        ("p1\n\n\np2", "<p>p1</p>\n<p>p2</p>"),
        ("  indented   \n  lines  ", "<p>indented<br>lines</p>"),
        ("**bold** and *italic* and _italic_", "<p><strong>bold</strong> and <em>italic</em> and <em>italic</em></p>"),
        ("__bold__", "<p><strong>bold</strong></p>"),
        ("***both***", "<p><em><strong>both</strong></em></p>"),
        ("`code <b>`", "<p><code>code &lt;b&gt;</code></p>"),
        ("``a ` b``", "<p><code>a ` b</code></p>"),
        ("`**not bold**`", "<p><code>**not bold**</code></p>"),
        ("```swift\nlet x = 1 < 2\n\n  *y*\n```\nafter", "<pre><code>let x = 1 &lt; 2\n\n  *y*\n</code></pre>\n<p>after</p>"),
        ("```\nunclosed", "<pre><code>unclosed\n</code></pre>"),
        ("- a\n- b", "<ul>\n<li>a</li>\n<li>b</li>\n</ul>"),
        ("* a\n* b", "<ul>\n<li>a</li>\n<li>b</li>\n</ul>"),
        ("1. a\n2. b", "<ol>\n<li>a</li>\n<li>b</li>\n</ol>"),
        ("3. c\n4. d", "<ol start=\"3\">\n<li>c</li>\n<li>d</li>\n</ol>"),
        ("- a\n  - b\n- c", "<ul>\n<li>a\n<ul>\n<li>b</li>\n</ul></li>\n<li>c</li>\n</ul>"),
        ("- a\n\n- b", "<ul>\n<li><p>a</p></li>\n<li><p>b</p></li>\n</ul>"),
        ("- a\ncontinued", "<ul>\n<li>a<br>continued</li>\n</ul>"),
        ("- **x**", "<ul>\n<li><strong>x</strong></li>\n</ul>"),
        ("para\n- item", "<p>para</p>\n<ul>\n<li>item</li>\n</ul>"),
        ("In 2024. we met", "<p>In 2024. we met</p>"),
        ("text\n2024. was a year", "<p>text<br>2024. was a year</p>"),
        ("> quote\n> more", "<blockquote>\n<p>quote<br>more</p>\n</blockquote>"),
        ("> a\nlazy", "<blockquote>\n<p>a<br>lazy</p>\n</blockquote>"),
        ("> > nested", "<blockquote>\n<blockquote>\n<p>nested</p>\n</blockquote>\n</blockquote>"),
        ("> - item", "<blockquote>\n<ul>\n<li>item</li>\n</ul>\n</blockquote>"),
        ("# One\n## Two\n### Three", "<h3>One</h3>\n<h4>Two</h4>\n<h5>Three</h5>"),
        ("#### Four ##", "<h5>Four</h5>"),
        ("#nospace", "<p>#nospace</p>"),
        ("[link](https://example.org/a?b=1&c=2)", "<p><a href=\"https://example.org/a?b=1&amp;c=2\" \(rel)>link</a></p>"),
        ("[**bold** link](https://e.org)", "<p><a href=\"https://e.org\" \(rel)><strong>bold</strong> link</a></p>"),
        ("[wiki](https://e.org/wiki/A_(b))", "<p><a href=\"https://e.org/wiki/A_(b)\" \(rel)>wiki</a></p>"),
        ("[mail](mailto:buyer@example.org)", "<p><a href=\"mailto:buyer@example.org\" \(rel)>mail</a></p>"),
        ("[a](<https://e.org/a b>)", "<p><a href=\"https://e.org/a b\" \(rel)>a</a></p>"),
        ("[https://a.org](https://b.org)", "<p><a href=\"https://b.org\" \(rel)>https://a.org</a></p>"),
        ("see https://example.org/x_y. ok", "<p>see <a href=\"https://example.org/x_y\" \(rel)>https://example.org/x_y</a>. ok</p>"),
        ("(https://e.org/x)", "<p>(<a href=\"https://e.org/x\" \(rel)>https://e.org/x</a>)</p>"),
        ("*https://e.org*", "<p><em><a href=\"https://e.org\" \(rel)>https://e.org</a></em></p>"),
        ("xhttps://e.org", "<p>xhttps://e.org</p>"),
        ("@alice@example.org and @jean_luc@node.example", "<p>@alice@example.org and @jean_luc@node.example</p>"),
        ("a \\*not\\* b \\", "<p>a *not* b \\</p>"),
    ]

    @Test("feature table", arguments: features)
    func feature(_ input: String, _ expected: String) {
        #expect(Markdown.render(input) == expected)
    }

    static let emphasisEdges: [(String, String)] = [
        ("**a *b** c*", "<p><strong>a *b</strong> c*</p>"),
        ("*a **b***", "<p><em>a <strong>b</strong></em></p>"),
        ("**a *b***", "<p><strong>a <em>b</em></strong></p>"),
        ("*a _b* c_", "<p><em>a _b</em> c_</p>"),
        ("****", "<p>****</p>"),
        ("** not bold **", "<p>** not bold **</p>"),
        ("x*y*z", "<p>x<em>y</em>z</p>"),
        ("snake_case_name", "<p>snake_case_name</p>"),
        ("_a_b", "<p>_a_b</p>"),
        ("*unclosed", "<p>*unclosed</p>"),
        ("**unclosed *em*", "<p>**unclosed <em>em</em></p>"),
        ("*a\nb*", "<p><em>a<br>b</em></p>"),
        ("*[a*](https://e.org)", "<p><em>[a</em>](<a href=\"https://e.org\" \(rel)>https://e.org</a>)</p>"),
        ("[*a](https://e.org)*", "<p><a href=\"https://e.org\" \(rel)>*a</a>*</p>"),
        ("`*a`*", "<p><code>*a</code>*</p>"),
    ]

    @Test("nested and broken emphasis stays well formed", arguments: emphasisEdges)
    func emphasis(_ input: String, _ expected: String) {
        let html = Markdown.render(input)
        #expect(html == expected)
        #expect(StrictHTMLChecker.problem(in: html) == nil)
    }

    @Test func rawHTMLIsShownAsText() {
        #expect(Markdown.render("<script>alert(1)</script>") == "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>")
        #expect(Markdown.render("<img src=x onerror=\"alert('x')\">") == "<p>&lt;img src=x onerror=&quot;alert(&#39;x&#39;)&quot;&gt;</p>")
        #expect(Markdown.render("Tom & Jerry &amp; &lt;b&gt;") == "<p>Tom &amp; Jerry &amp;amp; &amp;lt;b&amp;gt;</p>")
        #expect(Markdown.render("# <b>x</b>") == "<h3>&lt;b&gt;x&lt;/b&gt;</h3>")
        #expect(Markdown.render("```\n</code></pre><script>\n```") == "<pre><code>&lt;/code&gt;&lt;/pre&gt;&lt;script&gt;\n</code></pre>")
        #expect(Markdown.render("a\u{0}b\u{7}c") == "<p>a\u{FFFD}bc</p>")
    }

    @Test func quotesInLinkTargetsCannotBreakOutOfTheAttribute() {
        let html = Markdown.render("[x](https://e.org/\"onmouseover=\"alert(1))")
        #expect(html == "<p><a href=\"https://e.org/&quot;onmouseover=&quot;alert(1)\" \(rel)>x</a></p>")
        #expect(StrictHTMLChecker.problem(in: html) == nil)
    }

    /// Refused targets: the whole `[text](target)` is shown as text, never as an `<a>`.
    /// Relative links are refused on purpose: a post shown on another node has no base URL.
    static let refusedTargets = [
        "javascript:alert(1)", "JaVaScRiPt:alert(1)", "&#106;avascript:alert(1)", "&#x6A;avascript:alert(1)",
        "javascript&colon;alert(1)", "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==", "vbscript:msgbox(1)",
        "file:///etc/passwd", "/relative/path", "../up", "relative.html", "//evil.example/x", "#fragment", "?q=1",
        "https:evil.example", "https:\\\\evil.example", "https://", "mailto:", "\u{1}javascript:alert(1)",
        "java\u{0}script:alert(1)", "ｊａｖａｓｃｒｉｐｔ:alert(1)",
    ]

    @Test("refused link targets are shown as text", arguments: refusedTargets)
    func refusedTarget(_ target: String) {
        let html = Markdown.render("[click](\(target))")
        #expect(!html.contains("<a"))
        #expect(!html.contains("href"))
        #expect(html.hasPrefix("<p>[click]("))
        #expect(StrictHTMLChecker.problem(in: html) == nil)
    }

    @Test func whitespaceInsideTargetsIsNotALink() {
        // A tab or space ends the destination, so these never reach the scheme check as one URL.
        for source in ["[x](java\tscript:alert(1))", "[x](java script:alert(1))", "[x]( javascript:alert(1))"] {
            let html = Markdown.render(source)
            #expect(!html.contains("<a"), "\(source) -> \(html)")
        }
    }

    @Test func allowedTargetsIgnoreSchemeCase() {
        #expect(Markdown.render("[x](HTTPS://E.ORG)") == "<p><a href=\"HTTPS://E.ORG\" \(rel)>x</a></p>")
        #expect(Markdown.render("[x](http://e.org)") == "<p><a href=\"http://e.org\" \(rel)>x</a></p>")
    }

    @Test func nestingDeeperThanTheLimitIsText() {
        let deep = String(repeating: "> ", count: 50) + "deep"
        let html = Markdown.render(deep)
        #expect(occurrences(of: "<blockquote>", in: html) == Markdown.maxNesting)
        #expect(html.contains("&gt; &gt;"))
        #expect(StrictHTMLChecker.problem(in: html) == nil)
        let list = String(repeating: "- ", count: 50) + "item"
        let listHTML = Markdown.render(list)
        #expect(occurrences(of: "<ul>", in: listHTML) == Markdown.maxNesting)
        #expect(StrictHTMLChecker.problem(in: listHTML) == nil)
    }

    @Test func sourceAtTheLimitRenders() {
        let line = "**Tender** notice _draft_ `code` [link](https://e.org/x) https://e.org/y @a@b.example\n"
        var source = ""
        while source.utf8.count + line.utf8.count <= Markdown.maxSourceBytes { source += line }
        source += String(repeating: "x", count: Markdown.maxSourceBytes - source.utf8.count)
        #expect(source.utf8.count == Markdown.maxSourceBytes)
        let html = Markdown.render(source)
        #expect(html.hasPrefix("<p><strong>Tender</strong>"))
        #expect(!html.contains(Markdown.truncationMarker))
        #expect(StrictHTMLChecker.problem(in: html) == nil)
    }

    @Test func oversizedSourceIsTruncatedBetweenGraphemes() {
        let source = "a" + String(repeating: "🇫🇷", count: 10_000) + "<b>"
        let html = Markdown.render(source)
        #expect(html.hasSuffix("<p><em>" + Markdown.truncationMarker + "</em></p>"))
        #expect(!html.contains("<strong>"))
        let text = html.dropFirst("<p>a".count).prefix { $0 != "<" }
        #expect(text.unicodeScalars.count % 2 == 0)  // Whole flags only: two regional indicators each.
        #expect(text.allSatisfy { $0 == "🇫🇷" })
        #expect("a".utf8.count + text.utf8.count <= Markdown.maxSourceBytes)
        #expect(StrictHTMLChecker.problem(in: html) == nil)
    }

    /// Inputs built to make naive parsers backtrack; they must finish (the test has no timing
    /// assertion, but a quadratic parser takes minutes on these).
    @Test func pathologicalInputsFinish() {
        let size = Markdown.maxSourceBytes / 4
        let inputs = [
            String(repeating: "*a ", count: size / 3) + String(repeating: "**", count: size / 4),
            String(repeating: "_", count: size),
            String(repeating: "[", count: size / 2) + String(repeating: "](", count: size / 4),
            String(repeating: "](", count: size / 4) + "https://e.org",
            String(repeating: "`", count: 1) + String(repeating: "``x", count: size / 3),
            String(repeating: "` `` ", count: size / 5),
            "[a](" + String(repeating: "(", count: size),
            "[a](" + String(repeating: "()", count: size / 2),
            String(repeating: "https://", count: size / 8),
            "https://e.org/" + String(repeating: ")", count: size),
            String(repeating: "> ", count: size / 2),
            String(repeating: "- ", count: size / 2),
            String(repeating: "- a\n  ", count: size / 6),
            String(repeating: "1. ", count: size / 3),
            String(repeating: "```\n", count: size / 4),
            "-\n" + String(repeating: "\n", count: size / 2) + String(repeating: "  x\n\n", count: size / 10),
            String(repeating: "> a\n", count: size / 4),
        ]
        for input in inputs {
            let html = Markdown.render(input)
            #expect(StrictHTMLChecker.problem(in: html) == nil)
        }
    }

    @Test func renderedMarkdownIsAFixedPointOfTheSanitiser() {
        for (input, _) in Self.features + Self.emphasisEdges {
            let html = Markdown.render(input)
            #expect(HTMLSanitizer.sanitize(html) == html, "\(input)")
        }
    }

    @Test func randomMarkdownStaysWellFormed() {
        let pieces = [
            "*", "**", "_", "__", "`", "```\n", "[", "]", "(", ")", "](https://e.org)", "](javascript:x)", "\n", "\n\n", "> ",
            "- ", "1. ", "# ", "  ", "<", ">", "&", "\"", "'", "https://e.org/p", "@a@b.example", "\\", "word", "é", "🇫🇷", "\t",
        ]
        var generator = SeededGenerator(seed: 0x5EED_0001)
        for _ in 0..<400 {
            var source = ""
            for _ in 0..<Int.random(in: 1...60, using: &generator) {
                source += pieces.randomElement(using: &generator) ?? ""
            }
            let html = Markdown.render(source)
            #expect(StrictHTMLChecker.problem(in: html) == nil, "\(source.debugDescription) -> \(html.debugDescription)")
            #expect(HTMLSanitizer.sanitize(html) == html, "\(source.debugDescription)")
        }
    }
}

/// Non-overlapping occurrences of `needle` in `haystack`.
func occurrences(of needle: String, in haystack: String) -> Int {
    var count = 0
    var rest = Substring(haystack)
    while let range = rest.firstRange(of: needle) {
        count += 1
        rest = rest[range.upperBound...]
    }
    return count
}
