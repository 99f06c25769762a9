import Testing

@testable import PraxisText

@Suite("HTML tokenizer")
struct HTMLTokenizerTests {
    @Test func attributesQuotedUnquotedAndBare() {
        let tokens = HTMLTokenizer.tokenize("<A HREF='x y' title=\"a&amp;b\" data=v&lt;w disabled href=dup>")
        #expect(
            tokens == [
                .startTag(
                    name: "a",
                    attributes: [("href", "x y"), ("title", "a&b"), ("data", "v<w"), ("disabled", "")],
                    selfClosing: false)
            ])
    }

    /// A legacy name followed by `=` or an alphanumeric is not a reference inside an attribute.
    @Test func legacyReferencesInAttributesFollowTheStandard() {
        let tokens = HTMLTokenizer.tokenize("<a href=\"?x=1&copy=2&amp=3&#106\">&copy2</a>")
        #expect(
            tokens == [
                .startTag(name: "a", attributes: [("href", "?x=1&copy=2&amp=3j")], selfClosing: false),
                .text("©2"), .endTag(name: "a"),
            ])
    }

    /// `<![CDATA[` outside SVG/MathML is a bogus comment that ends at the first `>`.
    @Test func commentsAndBogusCommentsVanish() {
        #expect(HTMLTokenizer.tokenize("a<!-- x -->b<!-->c<!--->d<!-- y --!>e") == [.text("abcde")])
        #expect(HTMLTokenizer.tokenize("a<!DOCTYPE html>b<?php x ?>c</ d>e<![CDATA[f]]>g") == [.text("abceg")])
        #expect(HTMLTokenizer.tokenize("a<!-- never closed <b>") == [.text("a")])
    }

    @Test func literalLessThanAndCutOffTags() {
        #expect(HTMLTokenizer.tokenize("1 < 2 <3 </>x") == [.text("1 < 2 <3 x")])
        #expect(HTMLTokenizer.tokenize("ok<a href=\"never closed") == [.text("ok")])
        #expect(HTMLTokenizer.tokenize("x<") == [.text("x<")])
    }

    @Test func rawTextIsNotParsedAsMarkup() {
        #expect(
            HTMLTokenizer.tokenize("<script>if (a<b) {}</scripty></script >x")
                == [.startTag(name: "script", attributes: [], selfClosing: false), .text("if (a<b) {}</scripty>"), .endTag(name: "script"), .text("x")])
        #expect(
            HTMLTokenizer.tokenize("<title>a &amp; <b></title>")
                == [.startTag(name: "title", attributes: [], selfClosing: false), .text("a & <b>"), .endTag(name: "title")])
    }

    @Test func inputStreamIsNormalised() {
        #expect(HTMLTokenizer.tokenize("a\r\nb\rc\u{0}d&#13;e") == [.text("a\nb\nc\u{FFFD}d\ne")])
    }
}
