import PraxisHTTP
import Testing

@Suite("HTTPClientURL")
struct ClientURLTests {
    @Test func validURLs() throws {
        let a = try HTTPClientURL("https://Example.ORG/users/ana?x=%2F&y=1#frag")
        #expect(a.scheme == .https)
        #expect(a.host == "example.org")
        #expect(a.port == 443)
        #expect(a.target == "/users/ana?x=%2F&y=1")
        #expect(a.authority == "example.org")
        #expect(a.hostAddress == nil)

        let b = try HTTPClientURL("http://example.org:8080")
        #expect(b.target == "/")
        #expect(b.authority == "example.org:8080")

        let c = try HTTPClientURL("https://[2001:db8::1]:8443/a/../b")
        #expect(c.host == "2001:db8::1")
        #expect(c.hostAddress == IPAddress("2001:db8::1"))
        #expect(c.authority == "[2001:db8::1]:8443")
        #expect(c.target == "/a/../b", "the request-target is kept as given")

        let d = try HTTPClientURL("https://192.0.2.1:443?q=1")
        #expect(d.hostAddress == .v4(0xC000_0201))
        #expect(d.target == "/?q=1")
        #expect(d.authority == "192.0.2.1")
        // The authority is always lowercase: the inbox compares it with stored hosts as is.
        #expect(try HTTPClientURL("https://Social.EXAMPLE:8080/x").authority == "social.example:8080")
        #expect(try HTTPClientURL("https://[2001:DB8::A]/").authority == "[2001:db8::a]")
        #expect(try HTTPClientURL("http://127.0.0.1:80/").authority == "127.0.0.1")

        let e = try HTTPClientURL("HTTPS://under_score.example/%7Euser")
        #expect(e.scheme == .https && e.target == "/%7Euser")
        #expect(try HTTPClientURL("hTtP://example.org:0080/").scheme == .http)
        #expect(try HTTPClientURL("hTtP://example.org:0080/").port == 80)
    }

    @Test("invalid URLs", arguments: [
        "", "example.org/x", "ftp://example.org/", "file:///etc/passwd", "https://", "https:///path",
        "https://user@example.org/", "https://user:pw@example.org/", "https://example.org@evil.test/",
        "https://example.org:0/", "https://example.org:65536/", "https://example.org:/", "https://example.org:8a/",
        "https://[::1/", "https://[fe80::1%25eth0]/", "https://[1.2.3.4]/", "https://::1/", "https://exa mple.org/",
        "https://exämple.org/", "https://example.org/a b", "https://example.org/\u{7F}", "https://example.org\\@evil/",
        "https://127.1/", "https://0x7f.0.0.1/", "https://2130706433/", "https://010.0.0.1/", "https://a..b/",
        "https://.example.org/", "https://example.org/%zz", "https://example.org/%4", "https://ex!ample.org/",
        "https://[::1]x/", "httpx://example.org/", "htt://example.org/", "https://example.org:123456/",
        "https://example.org:-1/", "https://example.org: 80/",
    ])
    func invalid(_ text: String) {
        #expect(throws: HTTPClientError.self, "\(text)") { try HTTPClientURL(text) }
        do {
            _ = try HTTPClientURL(text)
        } catch let error as HTTPClientError {
            #expect(error.kind == .invalidURL)
            #expect(!error.message.isEmpty)
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test func resolvingReferences() throws {
        let base = try HTTPClientURL("https://a.example/dir/page?x=1")
        #expect(try base.resolving("https://b.example/y").text == "https://b.example/y")
        #expect(try base.resolving("//c.example/z").text == "https://c.example/z")
        #expect(try base.resolving("/root?q").text == "https://a.example/root?q")
        #expect(try base.resolving("other").text == "https://a.example/dir/other")
        #expect(try base.resolving("../up").text == "https://a.example/up")
        #expect(try base.resolving("./same/./x").text == "https://a.example/dir/same/x")
        #expect(try base.resolving("?y=2").text == "https://a.example/dir/page?y=2")
        #expect(try base.resolving("#frag").text == "https://a.example/dir/page?x=1")
        #expect(try base.resolving("/a%20b#f").target == "/a%20b")
        #expect(throws: HTTPClientError.self) { try base.resolving("gopher://x/") }
        #expect(throws: HTTPClientError.self) { try base.resolving("https://u@x/") }
    }
}
