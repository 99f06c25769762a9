#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// Parsing of HTTP/1.1 request heads and chunked bodies straight from the bytes received
/// (RFC 9112), strict where leniency enables request smuggling.
///
/// The parsers never allocate while scanning; they only create the `String`s the request keeps.
/// Every malformed input yields a `RequestFailure` with the status to answer, never a crash.
struct RequestFailure: Error {
    var status: HTTPStatus
    var message: String
    init(_ status: HTTPStatus, _ message: String) {
        self.status = status
        self.message = message
    }
}

/// Limits the head parser enforces.
struct RequestLimits: Sendable {
    var maxRequestLineBytes: Int
    var maxHeaderBytes: Int
    var maxHeaderCount: Int
}

/// A parsed request head plus what the server needs to frame the body and the connection.
struct ParsedHead {
    var method: HTTPMethod
    var target: String
    var version: HTTPVersion
    var headers: HTTPHeaders
    var contentLength: Int?
    var chunked: Bool
    var keepAlive: Bool
    var expectContinue: Bool
}

enum HeadParseResult {
    case needMore
    case complete(ParsedHead, consumed: Int)
}

enum ASCII {
    static let cr: UInt8 = 13
    static let lf: UInt8 = 10
    static let sp: UInt8 = 32
    static let tab: UInt8 = 9
    static let colon: UInt8 = 58
    static let semicolon: UInt8 = 59
    static let comma: UInt8 = 44

    /// RFC 9110 `tchar`: the characters of a token (method, header name, coding).
    static let tokenTable: [Bool] = {
        var table = [Bool](repeating: false, count: 256)
        for c in UInt8(ascii: "a")...UInt8(ascii: "z") { table[Int(c)] = true }
        for c in UInt8(ascii: "A")...UInt8(ascii: "Z") { table[Int(c)] = true }
        for c in UInt8(ascii: "0")...UInt8(ascii: "9") { table[Int(c)] = true }
        for c in "!#$%&'*+-.^_`|~".utf8 { table[Int(c)] = true }
        return table
    }()

    @inline(__always) static func lower(_ c: UInt8) -> UInt8 { (c >= 65 && c <= 90) ? c | 0x20 : c }

    /// Case-insensitive comparison of bytes with a lowercase ASCII literal.
    @inline(__always)
    static func equalsLowercase(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, _ literal: StaticString) -> Bool {
        guard range.count == literal.utf8CodeUnitCount else { return false }
        let lit = literal.utf8Start
        var i = 0
        for index in range {
            if lower(bytes[index]) != lit[i] { return false }
            i += 1
        }
        return true
    }

    @inline(__always)
    static func string(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> String {
        String(decoding: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self)
    }
}

enum RequestHeadParser {
    /// Parses a request head from `bytes` (which starts at the request line).
    ///
    /// - Parameter scanFrom: where to resume looking for the end of the head; updated when more
    ///   bytes are needed so each byte is scanned once.
    /// - Throws: `RequestFailure` for malformed or oversized heads.
    static func parse(_ bytes: UnsafeBufferPointer<UInt8>, scanFrom: inout Int, limits: RequestLimits) throws(RequestFailure)
        -> HeadParseResult
    {
        let count = bytes.count
        // The request line ends at the first LF.
        guard let lineEnd = firstIndex(of: ASCII.lf, in: bytes, from: 0, to: count) else {
            if count > limits.maxRequestLineBytes + 1 {
                throw RequestFailure(.uriTooLong, "request line longer than \(limits.maxRequestLineBytes) bytes")
            }
            return .needMore
        }
        guard lineEnd > 0, bytes[lineEnd - 1] == ASCII.cr else {
            throw RequestFailure(.badRequest, "request line must end with CRLF")
        }
        if lineEnd - 1 > limits.maxRequestLineBytes {
            throw RequestFailure(.uriTooLong, "request line longer than \(limits.maxRequestLineBytes) bytes")
        }
        // The head ends at the first CRLF CRLF; the header section lies between.
        let headersStart = lineEnd + 1
        let searchFrom = max(scanFrom, lineEnd - 1)
        guard let end = findHeadEnd(bytes, from: searchFrom) else {
            if count - headersStart > limits.maxHeaderBytes {
                throw RequestFailure(.requestHeaderFieldsTooLarge, "header section larger than \(limits.maxHeaderBytes) bytes")
            }
            scanFrom = max(0, count - 3)
            return .needMore
        }
        let headersEnd = end + 2  // include the CRLF of the last header line
        let consumed = end + 4
        if headersEnd > headersStart && headersEnd - headersStart > limits.maxHeaderBytes {
            throw RequestFailure(.requestHeaderFieldsTooLarge, "header section larger than \(limits.maxHeaderBytes) bytes")
        }

        var head = try parseRequestLine(bytes, 0..<(lineEnd - 1))
        if headersEnd > headersStart {
            // Room for a usual request's fields at once, rather than growing the list four times.
            head.headers.reserveCapacity(16)
            try parseHeaders(bytes, headersStart..<headersEnd, into: &head, limits: limits)
        } else {
            try finishHeaders(&head, framing: Framing())
        }
        return .complete(head, consumed: consumed)
    }

    @inline(__always)
    static func firstIndex(of byte: UInt8, in bytes: UnsafeBufferPointer<UInt8>, from: Int, to: Int) -> Int? {
        guard from < to, let base = bytes.baseAddress else { return nil }
        guard let found = memchr(base + from, Int32(byte), to - from) else { return nil }
        return UnsafeRawPointer(found) - UnsafeRawPointer(base)
    }

    /// Index of the `\r\n\r\n` that ends the head, searching from `from`.
    static func findHeadEnd(_ bytes: UnsafeBufferPointer<UInt8>, from: Int) -> Int? {
        let count = bytes.count
        var i = max(0, from)
        while let lf = firstIndex(of: ASCII.lf, in: bytes, from: i, to: count) {
            if lf >= 1, lf + 2 < count, bytes[lf - 1] == ASCII.cr, bytes[lf + 1] == ASCII.cr, bytes[lf + 2] == ASCII.lf {
                return lf - 1
            }
            i = lf + 1
        }
        return nil
    }

    static func parseRequestLine(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) throws(RequestFailure) -> ParsedHead {
        let start = range.lowerBound
        let end = range.upperBound
        guard let sp1 = firstIndex(of: ASCII.sp, in: bytes, from: start, to: end), sp1 > start else {
            throw RequestFailure(.badRequest, "malformed request line")
        }
        for i in start..<sp1 where !ASCII.tokenTable[Int(bytes[i])] {
            throw RequestFailure(.badRequest, "malformed request method")
        }
        guard let sp2 = firstIndex(of: ASCII.sp, in: bytes, from: sp1 + 1, to: end), sp2 > sp1 + 1 else {
            throw RequestFailure(.badRequest, "malformed request line")
        }
        for i in (sp1 + 1)..<sp2 {
            let c = bytes[i]
            if c <= 0x20 || c >= 0x7F { throw RequestFailure(.badRequest, "invalid character in request target") }
        }
        let versionStart = sp2 + 1
        guard versionStart < end else { throw RequestFailure(.badRequest, "malformed request line") }
        for i in versionStart..<end {
            let c = bytes[i]
            if c <= 0x20 || c >= 0x7F { throw RequestFailure(.badRequest, "malformed request line") }
        }
        let version = try parseVersion(bytes, versionStart..<end)
        let method = methodFor(bytes, start..<sp1)
        var target = ASCII.string(bytes, (sp1 + 1)..<sp2)
        if bytes[sp1 + 1] != UInt8(ascii: "/") {
            target = try originForm(target, method: method)
        }
        return ParsedHead(
            method: method, target: target, version: version, headers: HTTPHeaders(), contentLength: nil,
            chunked: false, keepAlive: version == .http11, expectContinue: false)
    }

    /// Only HTTP/1.x is spoken here; other well-formed or garbage versions get 505.
    static func parseVersion(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) throws(RequestFailure) -> HTTPVersion {
        let isDigit = { (c: UInt8) in c >= 48 && c <= 57 }
        if range.count == 8, bytes[range.lowerBound] == UInt8(ascii: "H"), bytes[range.lowerBound + 1] == UInt8(ascii: "T"),
            bytes[range.lowerBound + 2] == UInt8(ascii: "T"), bytes[range.lowerBound + 3] == UInt8(ascii: "P"),
            bytes[range.lowerBound + 4] == UInt8(ascii: "/"), isDigit(bytes[range.lowerBound + 5]),
            bytes[range.lowerBound + 6] == UInt8(ascii: "."), isDigit(bytes[range.lowerBound + 7])
        {
            let major = Int(bytes[range.lowerBound + 5] - 48)
            let minor = Int(bytes[range.lowerBound + 7] - 48)
            if major == 1 { return minor == 0 ? .http10 : .http11 }
        }
        throw RequestFailure(.httpVersionNotSupported, "only HTTP/1.0 and HTTP/1.1 are supported")
    }

    static func methodFor(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> HTTPMethod {
        switch range.count {
        case 3:
            if bytes[range.lowerBound] == UInt8(ascii: "G") && bytes[range.lowerBound + 1] == UInt8(ascii: "E")
                && bytes[range.lowerBound + 2] == UInt8(ascii: "T")
            { return .get }
            if bytes[range.lowerBound] == UInt8(ascii: "P") && bytes[range.lowerBound + 1] == UInt8(ascii: "U")
                && bytes[range.lowerBound + 2] == UInt8(ascii: "T")
            { return .put }
        case 4:
            if bytes[range.lowerBound] == UInt8(ascii: "P") && bytes[range.lowerBound + 1] == UInt8(ascii: "O") { return .post }
            if bytes[range.lowerBound] == UInt8(ascii: "H") && bytes[range.lowerBound + 1] == UInt8(ascii: "E") { return .head }
        default: break
        }
        return HTTPMethod(ASCII.string(bytes, range))
    }

    /// Turns an absolute-form target (`http://host/path`) into origin form, as servers must
    /// accept it (RFC 9112 section 3.2.2); `*` is kept for OPTIONS.
    static func originForm(_ target: String, method: HTTPMethod) throws(RequestFailure) -> String {
        if target == "*" {
            if method == .options { return target }
            throw RequestFailure(.badRequest, "asterisk target is only valid for OPTIONS")
        }
        let lower = target.lowercased()
        for scheme in ["http://", "https://"] where lower.hasPrefix(scheme) {
            let rest = target.dropFirst(scheme.count)
            guard let slash = rest.firstIndex(of: "/") else {
                if let q = rest.firstIndex(of: "?") { return "/" + rest[q...] }
                return "/"
            }
            return String(rest[slash...])
        }
        throw RequestFailure(.badRequest, "request target must be an absolute path")
    }

    /// What the framing headers said, checked once all fields are read.
    struct Framing {
        var contentLength: Int?
        var transferEncoding: [UInt8]?
        var hostCount = 0
        var connectionClose = false
        var connectionKeepAlive = false
        var expectContinue = false
    }

    static func parseHeaders(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, into head: inout ParsedHead, limits: RequestLimits)
        throws(RequestFailure)
    {
        var framing = Framing()
        var count = 0
        var lineStart = range.lowerBound
        while lineStart < range.upperBound {
            guard let lf = firstIndex(of: ASCII.lf, in: bytes, from: lineStart, to: range.upperBound), lf > lineStart,
                bytes[lf - 1] == ASCII.cr
            else {
                throw RequestFailure(.badRequest, "header line must end with CRLF")
            }
            count += 1
            if count > limits.maxHeaderCount {
                throw RequestFailure(.requestHeaderFieldsTooLarge, "more than \(limits.maxHeaderCount) header fields")
            }
            let (name, value) = try splitField(bytes, lineStart..<(lf - 1))
            try inspect(bytes, name: name, value: value, framing: &framing)
            head.headers.add(name: ASCII.string(bytes, name), value: ASCII.string(bytes, value))
            lineStart = lf + 1
        }
        try finishHeaders(&head, framing: framing)
    }

    /// Splits `name: value` into the name range and the value range without surrounding spaces.
    static func splitField(_ bytes: UnsafeBufferPointer<UInt8>, _ line: Range<Int>) throws(RequestFailure) -> (Range<Int>, Range<Int>) {
        let first = bytes[line.lowerBound]
        if first == ASCII.sp || first == ASCII.tab {
            throw RequestFailure(.badRequest, "obsolete line folding is not accepted")
        }
        var colon = line.lowerBound
        while colon < line.upperBound && bytes[colon] != ASCII.colon {
            if !ASCII.tokenTable[Int(bytes[colon])] { throw RequestFailure(.badRequest, "invalid character in header name") }
            colon += 1
        }
        guard colon < line.upperBound, colon > line.lowerBound else {
            throw RequestFailure(.badRequest, "malformed header line")
        }
        var valueStart = colon + 1
        var valueEnd = line.upperBound
        while valueStart < valueEnd && (bytes[valueStart] == ASCII.sp || bytes[valueStart] == ASCII.tab) { valueStart += 1 }
        while valueEnd > valueStart && (bytes[valueEnd - 1] == ASCII.sp || bytes[valueEnd - 1] == ASCII.tab) { valueEnd -= 1 }
        for i in valueStart..<valueEnd {
            let c = bytes[i]
            if (c < 0x20 && c != ASCII.tab) || c == 0x7F {
                throw RequestFailure(.badRequest, "control character in header value")
            }
        }
        return (line.lowerBound..<colon, valueStart..<valueEnd)
    }

    static func inspect(_ bytes: UnsafeBufferPointer<UInt8>, name: Range<Int>, value: Range<Int>, framing: inout Framing)
        throws(RequestFailure)
    {
        switch name.count {
        case 4 where ASCII.equalsLowercase(bytes, name, "host"):
            framing.hostCount += 1
        case 6 where ASCII.equalsLowercase(bytes, name, "expect"):
            if ASCII.equalsLowercase(bytes, value, "100-continue") {
                framing.expectContinue = true
            } else {
                throw RequestFailure(HTTPStatus(code: 417, reason: "Expectation Failed"), "only Expect: 100-continue is supported")
            }
        case 10 where ASCII.equalsLowercase(bytes, name, "connection"):
            forEachListElement(bytes, value) { element in
                if ASCII.equalsLowercase(bytes, element, "close") { framing.connectionClose = true }
                if ASCII.equalsLowercase(bytes, element, "keep-alive") { framing.connectionKeepAlive = true }
            }
        case 14 where ASCII.equalsLowercase(bytes, name, "content-length"):
            var failure: RequestFailure?
            forEachListElement(bytes, value) { element in
                guard failure == nil else { return }
                guard !element.isEmpty, element.count <= 18 else {
                    failure = RequestFailure(.badRequest, "invalid Content-Length")
                    return
                }
                var n = 0
                for i in element {
                    let c = bytes[i]
                    guard c >= 48 && c <= 57 else {
                        failure = RequestFailure(.badRequest, "invalid Content-Length")
                        return
                    }
                    n = n * 10 + Int(c - 48)
                }
                if let previous = framing.contentLength, previous != n {
                    failure = RequestFailure(.badRequest, "conflicting Content-Length values")
                }
                framing.contentLength = n
            }
            if value.isEmpty { failure = RequestFailure(.badRequest, "invalid Content-Length") }
            if let failure { throw failure }
        case 17 where ASCII.equalsLowercase(bytes, name, "transfer-encoding"):
            var codings = framing.transferEncoding ?? []
            if !codings.isEmpty { codings.append(ASCII.comma) }
            for i in value { codings.append(ASCII.lower(bytes[i])) }
            framing.transferEncoding = codings
        default:
            break
        }
    }

    /// Calls `body` with each non-empty, space-trimmed element of a comma-separated list.
    static func forEachListElement(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, _ body: (Range<Int>) -> Void) {
        var start = range.lowerBound
        while start <= range.upperBound {
            var end = start
            while end < range.upperBound && bytes[end] != ASCII.comma { end += 1 }
            var a = start
            var b = end
            while a < b && (bytes[a] == ASCII.sp || bytes[a] == ASCII.tab) { a += 1 }
            while b > a && (bytes[b - 1] == ASCII.sp || bytes[b - 1] == ASCII.tab) { b -= 1 }
            if a < b { body(a..<b) }
            start = end + 1
        }
    }

    static func finishHeaders(_ head: inout ParsedHead, framing: Framing) throws(RequestFailure) {
        if let te = framing.transferEncoding {
            if framing.contentLength != nil {
                throw RequestFailure(.badRequest, "both Content-Length and Transfer-Encoding present")
            }
            let codings = te.split(separator: ASCII.comma).map { element -> ArraySlice<UInt8> in
                var e = element
                while let f = e.first, f == ASCII.sp || f == ASCII.tab { e = e.dropFirst() }
                while let l = e.last, l == ASCII.sp || l == ASCII.tab { e = e.dropLast() }
                return e
            }.filter { !$0.isEmpty }
            let chunked = Array("chunked".utf8)
            guard let last = codings.last else { throw RequestFailure(.badRequest, "empty Transfer-Encoding") }
            if codings.dropLast().contains(where: { Array($0) == chunked }) {
                throw RequestFailure(.badRequest, "chunked must be the last transfer coding, once")
            }
            guard Array(last) == chunked else {
                throw RequestFailure(.notImplemented, "unsupported Transfer-Encoding; only chunked is accepted")
            }
            if codings.count > 1 {
                throw RequestFailure(.notImplemented, "unsupported Transfer-Encoding; only chunked is accepted")
            }
            head.chunked = true
        }
        head.contentLength = framing.contentLength
        if framing.hostCount > 1 { throw RequestFailure(.badRequest, "more than one Host header") }
        if head.version == .http11 && framing.hostCount == 0 {
            throw RequestFailure(.badRequest, "HTTP/1.1 requests must carry a Host header")
        }
        if head.version == .http11 {
            head.keepAlive = !framing.connectionClose
        } else {
            head.keepAlive = framing.connectionKeepAlive && !framing.connectionClose
        }
        head.expectContinue = framing.expectContinue && head.version == .http11
    }
}

/// Incremental decoder of a `Transfer-Encoding: chunked` body (RFC 9112 section 7.1).
///
/// Chunk extensions are accepted and ignored; trailer fields are checked for syntax and size,
/// then discarded, since no part of Praxis relies on them.
struct ChunkedDecoder {
    enum State { case size, data(Int), dataEnd, trailers, done }
    private(set) var state: State = .size
    private var trailerBytes = 0
    static let maxSizeLineBytes = 4096

    enum Progress { case needMore, done }

    /// Consumes bytes, appending chunk data to `body`.
    /// - Returns: how many bytes were consumed, and whether the body is complete.
    mutating func consume(_ bytes: UnsafeBufferPointer<UInt8>, into body: inout [UInt8], maxBodySize: Int, maxTrailerBytes: Int)
        throws(RequestFailure) -> (consumed: Int, progress: Progress)
    {
        var i = 0
        let count = bytes.count
        while true {
            switch state {
            case .done:
                return (i, .done)
            case .size:
                guard let lf = RequestHeadParser.firstIndex(of: ASCII.lf, in: bytes, from: i, to: count) else {
                    if count - i > Self.maxSizeLineBytes { throw RequestFailure(.badRequest, "chunk size line too long") }
                    return (i, .needMore)
                }
                guard lf > i, bytes[lf - 1] == ASCII.cr else { throw RequestFailure(.badRequest, "chunk size line must end with CRLF") }
                if lf - i > Self.maxSizeLineBytes { throw RequestFailure(.badRequest, "chunk size line too long") }
                let size = try Self.parseSizeLine(bytes, i..<(lf - 1))
                i = lf + 1
                if size == 0 {
                    state = .trailers
                } else {
                    if size > maxBodySize - body.count {
                        throw RequestFailure(.payloadTooLarge, "request body larger than \(maxBodySize) bytes")
                    }
                    state = .data(size)
                }
            case .data(let remaining):
                let n = min(remaining, count - i)
                if n == 0 { return (i, .needMore) }
                body.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[i..<(i + n)]))
                i += n
                state = remaining - n == 0 ? .dataEnd : .data(remaining - n)
            case .dataEnd:
                if count - i < 2 { return (i, .needMore) }
                guard bytes[i] == ASCII.cr, bytes[i + 1] == ASCII.lf else {
                    throw RequestFailure(.badRequest, "chunk data must be followed by CRLF")
                }
                i += 2
                state = .size
            case .trailers:
                guard let lf = RequestHeadParser.firstIndex(of: ASCII.lf, in: bytes, from: i, to: count) else {
                    if trailerBytes + count - i > maxTrailerBytes {
                        throw RequestFailure(.requestHeaderFieldsTooLarge, "trailer section too large")
                    }
                    return (i, .needMore)
                }
                guard lf > i, bytes[lf - 1] == ASCII.cr else { throw RequestFailure(.badRequest, "trailer line must end with CRLF") }
                trailerBytes += lf + 1 - i
                if trailerBytes > maxTrailerBytes { throw RequestFailure(.requestHeaderFieldsTooLarge, "trailer section too large") }
                if lf - 1 == i {
                    state = .done
                } else {
                    _ = try RequestHeadParser.splitField(bytes, i..<(lf - 1))
                }
                i = lf + 1
            }
        }
    }

    /// `chunk-size [ chunk-ext ]`: hex digits, then optional `;name[=value]` extensions.
    static func parseSizeLine(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) throws(RequestFailure) -> Int {
        var size = 0
        var digits = 0
        var j = range.lowerBound
        while j < range.upperBound, let v = hexValue(bytes[j]) {
            digits += 1
            if digits > 15 { throw RequestFailure(.badRequest, "chunk size too large") }
            size = size << 4 | Int(v)
            j += 1
        }
        guard digits > 0 else { throw RequestFailure(.badRequest, "invalid chunk size") }
        while j < range.upperBound && (bytes[j] == ASCII.sp || bytes[j] == ASCII.tab) { j += 1 }
        if j < range.upperBound {
            guard bytes[j] == ASCII.semicolon else { throw RequestFailure(.badRequest, "invalid chunk size") }
            for k in j..<range.upperBound {
                let c = bytes[k]
                if (c < 0x20 && c != ASCII.tab) || c == 0x7F { throw RequestFailure(.badRequest, "control character in chunk extension") }
            }
        }
        return size
    }

    @inline(__always)
    static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case 48...57: c - 48
        case 97...102: c - 87
        case 65...70: c - 55
        default: nil
        }
    }
}
