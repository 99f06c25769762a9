/// Serialising requests and parsing response heads for the client (RFC 9112).
enum ClientWireFormat {
    /// The status line and header fields of a response.
    struct ResponseHead {
        var version: HTTPVersion
        var status: HTTPStatus
        var headers: HTTPHeaders
    }

    /// Header fields the client controls itself; values given by the caller are replaced.
    static let managedFields = ["host", "content-length", "transfer-encoding", "connection"]

    /// The request line, header block and body, ready to write.
    static func serialize(
        method: HTTPMethod, url: HTTPClientURL, headers: HTTPHeaders, body: [UInt8], userAgent: String
    ) throws -> [UInt8] {
        guard isToken(method.rawValue) else {
            throw HTTPClientError(.invalidRequest, "'\(method.rawValue.prefix(40))' is not a valid HTTP method")
        }
        var head = "\(method.rawValue) \(url.target) HTTP/1.1\r\nHost: \(url.authority)\r\n"
        var hasUserAgent = false
        for (name, value) in headers {
            guard isToken(name) else {
                throw HTTPClientError(.invalidRequest, "'\(name.prefix(60))' is not a valid header field name")
            }
            guard value.utf8.allSatisfy({ $0 != 13 && $0 != 10 && $0 != 0 }) else {
                throw HTTPClientError(.invalidRequest, "the value of header field '\(name)' contains a line break or NUL")
            }
            let lower = name.lowercased()
            if managedFields.contains(lower) { continue }
            if lower == "user-agent" { hasUserAgent = true }
            head += "\(name): \(value)\r\n"
        }
        if !hasUserAgent && !userAgent.isEmpty { head += "User-Agent: \(userAgent)\r\n" }
        if !body.isEmpty || [HTTPMethod.post, .put, .patch].contains(method) {
            head += "Content-Length: \(body.count)\r\n"
        }
        head += "\r\n"
        return Array(head.utf8) + body
    }

    /// Parses a response head (without its final empty line).
    static func parseHead(_ bytes: [UInt8]) throws -> ResponseHead {
        var lines = split(bytes)
        guard !lines.isEmpty else { throw malformed("the response is empty") }
        let statusLine = lines.removeFirst()
        // "HTTP/1.1 200 OK": version, one space, three digits, then a space and a reason (optional).
        guard statusLine.count >= 12, Array(statusLine[0..<5]) == Array("HTTP/".utf8),
            isDigit(statusLine[5]), statusLine[6] == UInt8(ascii: "."), isDigit(statusLine[7]),
            statusLine[8] == 32, statusLine[9..<12].allSatisfy(isDigit),
            statusLine.count == 12 || statusLine[12] == 32
        else {
            throw malformed("the status line '\(printable(statusLine))' is not 'HTTP/x.y NNN reason'")
        }
        let version = HTTPVersion(major: Int(statusLine[5] - 48), minor: Int(statusLine[7] - 48))
        guard version.major == 1 else { throw malformed("unsupported protocol version \(version)") }
        let code = statusLine[9..<12].reduce(0) { $0 * 10 + Int($1 - 48) }
        guard code >= 100 else { throw malformed("invalid status code \(code)") }
        let reasonBytes = statusLine.count > 13 ? Array(statusLine[13...]) : []
        guard reasonBytes.allSatisfy({ $0 == 9 || ($0 >= 32 && $0 != 127) }) else {
            throw malformed("the reason phrase contains control characters")
        }
        let reason = String(decoding: reasonBytes, as: UTF8.self)
        let headers = try parseFields(lines)
        return ResponseHead(
            version: version, status: HTTPStatus(code: code, reason: reason.isEmpty ? nil : reason), headers: headers)
    }

    /// Parses `name: value` lines (response header fields or chunked trailers).
    static func parseFields(_ lines: [ArraySlice<UInt8>]) throws -> HTTPHeaders {
        var headers = HTTPHeaders()
        for line in lines {
            guard let first = line.first else { throw malformed("unexpected empty header line") }
            if first == 32 || first == 9 { throw malformed("obsolete line folding in header fields is not accepted") }
            guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else {
                throw malformed("the header line '\(printable(line))' has no colon")
            }
            let nameBytes = line[line.startIndex..<colon]
            guard !nameBytes.isEmpty, nameBytes.allSatisfy(isTokenByte) else {
                throw malformed("invalid header field name '\(printable(nameBytes))'")
            }
            var value = line[(colon + 1)...]
            while let c = value.first, c == 32 || c == 9 { value.removeFirst() }
            while let c = value.last, c == 32 || c == 9 { value.removeLast() }
            guard value.allSatisfy({ $0 == 9 || ($0 >= 32 && $0 != 127) }) else {
                throw malformed("the value of header field '\(printable(nameBytes))' contains control characters")
            }
            headers.add(name: String(decoding: nameBytes, as: UTF8.self), value: String(decoding: value, as: UTF8.self))
        }
        return headers
    }

    /// Splits on CRLF; a bare CR or LF inside a line is an error caught by the field checks.
    private static func split(_ bytes: [UInt8]) -> [ArraySlice<UInt8>] {
        var lines: [ArraySlice<UInt8>] = []
        var start = 0
        var index = 0
        while index + 1 < bytes.count {
            if bytes[index] == 13 && bytes[index + 1] == 10 {
                lines.append(bytes[start..<index])
                index += 2
                start = index
            } else {
                index += 1
            }
        }
        lines.append(bytes[start...])
        return lines
    }

    /// True when the comma-separated field values contain `token` (case-insensitive).
    static func hasToken(_ headers: HTTPHeaders, _ name: String, _ token: String) -> Bool {
        headers.values(for: name).contains { value in
            value.split(separator: ",").contains { trimmed($0).lowercased() == token }
        }
    }

    static func malformed(_ why: String) -> HTTPClientError {
        HTTPClientError(.malformedResponse(why), "malformed response: \(why)")
    }

    static func isToken(_ text: String) -> Bool { !text.isEmpty && text.utf8.allSatisfy(isTokenByte) }

    /// RFC 9110 `tchar`.
    static func isTokenByte(_ c: UInt8) -> Bool {
        switch c {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        default:
            return Array("!#$%&'*+-.^_`|~".utf8).contains(c)
        }
    }

    static func isDigit(_ c: UInt8) -> Bool { c >= 48 && c <= 57 }

    static func isHexDigit(_ c: UInt8) -> Bool { isDigit(c) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102) }

    static func printable<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
        String(decoding: bytes.prefix(80).map { ($0 >= 32 && $0 < 127) ? $0 : UInt8(ascii: "?") }, as: UTF8.self)
    }

    /// `text` without leading and trailing spaces and tabs (RFC 9110 OWS).
    static func trimmed(_ text: Substring) -> Substring {
        var result = text
        while let c = result.first, c == " " || c == "\t" { result.removeFirst() }
        while let c = result.last, c == " " || c == "\t" { result.removeLast() }
        return result
    }
}
