import Testing

@testable import PraxisText

@Suite("HTML sanitiser")
struct HTMLSanitizerTests {
    @Test func keepsParagraphs() {
        #expect(HTMLSanitizer.sanitize("<p>a</p>") == "<p>a</p>")
    }
}
