import Testing

@testable import PraxisHTTP

/// The request parsers on their own: every result must be the same however the bytes are split.
@Suite struct ServerParserTests {
    let limits = RequestLimits(maxRequestLineBytes: 8192, maxHeaderBytes: 32768, maxHeaderCount: 100)

    func parse(_ text: String) throws(RequestFailure) -> HeadParseResult {
        var scan = 0
        let bytes = Array(text.utf8)
        return try bytes.withUnsafeBufferPointer { (b) throws(RequestFailure) -> HeadParseResult in
            try RequestHeadParser.parse(b, scanFrom: &scan, limits: limits)
        }
    }

    @Test func parsesAHeadIncrementally() throws {
        let text = "POST /inbox?x=1 HTTP/1.1\r\nHost: node.example\r\nContent-Length: 5, 5\r\nConnection: keep-alive, Upgrade\r\nX-Empty:\r\n\r\nhello"
        let bytes = Array(text.utf8)
        var scan = 0
        var result: HeadParseResult = .needMore
        // Feed one more byte each time, as a slow client would.
        for end in 1...bytes.count {
            result = try bytes[0..<end].withUnsafeBufferPointer { (b) throws(RequestFailure) -> HeadParseResult in
                try RequestHeadParser.parse(b, scanFrom: &scan, limits: limits)
            }
            if case .complete = result { break }
        }
        guard case .complete(let head, let consumed) = result else {
            Issue.record("head not parsed")
            return
        }
        #expect(consumed == bytes.count - 5)
        #expect(head.method == .post)
        #expect(head.target == "/inbox?x=1")
        #expect(head.version == .http11)
        #expect(head.contentLength == 5)
        #expect(head.keepAlive)
        #expect(head.headers["host"] == "node.example")
        #expect(head.headers["X-Empty"] == "")
        #expect(head.headers.count == 4)
    }

    @Test func keepAliveRules() throws {
        func keepAlive(_ text: String) throws -> Bool {
            guard case .complete(let head, _) = try parse(text) else { return false }
            return head.keepAlive
        }
        #expect(try keepAlive("GET / HTTP/1.1\r\nHost: a\r\n\r\n"))
        #expect(try !keepAlive("GET / HTTP/1.1\r\nHost: a\r\nConnection: Close\r\n\r\n"))
        #expect(try !keepAlive("GET / HTTP/1.0\r\n\r\n"))
        #expect(try keepAlive("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n"))
    }

    @Test func failuresCarryStatuses() {
        func status(_ text: String) -> Int? {
            do {
                _ = try parse(text)
                return nil
            } catch {
                return error.status.code
            }
        }
        #expect(status("GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 1\r\n\r\n") == 400)
        #expect(status("GET / HTTP/3.0\r\nHost: a\r\n\r\n") == 505)
        #expect(status("G@T / HTTP/1.1\r\nHost: a\r\n\r\n") == 400)
        #expect(status("GET * HTTP/1.1\r\nHost: a\r\n\r\n") == 400)
        #expect(status("OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n") == nil)
        #expect(status("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999\r\n\r\n") == 400)
    }

    @Test func chunkedDecoderSplitAnywhere() throws {
        let wire = Array("4;a=b\r\nWiki\r\n5\r\npedia\r\nE\r\n in\r\n\r\nchunks.\r\n0\r\nExpires: never\r\n\r\nNEXT".utf8)
        for split in 0...wire.count {
            var decoder = ChunkedDecoder()
            var body: [UInt8] = []
            var consumed = 0
            var done = false
            for part in [wire[0..<split], wire[split...]] {
                let (n, progress) = try wire[consumed..<part.endIndex].withUnsafeBufferPointer {
                    (b) throws(RequestFailure) -> (Int, ChunkedDecoder.Progress) in
                    try decoder.consume(b, into: &body, maxBodySize: 1000, maxTrailerBytes: 1000)
                }
                consumed += n
                if progress == .done {
                    done = true
                    break
                }
            }
            #expect(done, "split at \(split)")
            #expect(String(decoding: body, as: UTF8.self) == "Wikipedia in\r\n\r\nchunks.")
            #expect(consumed == wire.count - 4, "stops before the next request")
        }
    }

    @Test func dateHeaderFormat() {
        #expect(String(decoding: DateHeaderCache.format(784_111_777), as: UTF8.self) == "Sun, 06 Nov 1994 08:49:37 GMT")
    }
}
