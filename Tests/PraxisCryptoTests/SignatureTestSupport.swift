import Foundation
import PraxisHTTP
import Testing
@testable import PraxisCrypto

/// An HTTP/1.1 message as printed in the RFC vector files (request or status line, fields, body).
struct PrintedMessage {
    var method: String?
    var target: String?
    var status: Int?
    var headers: HTTPHeaders
    var body: [UInt8]

    /// Parses a (RFC 8792-unwrapped) message: the first line, `Name: value` lines, a blank line, the body.
    init(_ text: String) throws {
        var lines = unwrapRFC8792(text).components(separatedBy: "\n")
        let first = try #require(lines.first, "empty message")
        lines.removeFirst()
        let words = first.split(separator: " ")
        if first.hasPrefix("HTTP/") {
            status = Int(words[1])
        } else {
            method = String(words[0])
            target = String(words[1])
        }
        headers = HTTPHeaders()
        while let line = lines.first, !line.isEmpty {
            lines.removeFirst()
            let colon = try #require(line.firstIndex(of: ":"), "header line without ':' in \(line)")
            // As an HTTP parser does: optional whitespace around the value is not part of it.
            headers.add(name: String(line[..<colon]), value: line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
        }
        while lines.first?.isEmpty == true { lines.removeFirst() }
        body = Array(lines.joined(separator: "\n").utf8)
    }

    /// As a request received at `https://<Host header>`.
    var request: SignatureMessage {
        get throws {
            SignatureMessage.request(
                method: HTTPMethod(try #require(method)), scheme: "https", authority: try #require(headers["Host"]),
                target: try #require(target), headers: headers)
        }
    }

    var httpRequest: HTTPRequest {
        get throws {
            HTTPRequest(method: HTTPMethod(try #require(method)), target: try #require(target), headers: headers, body: body)
        }
    }
}

/// Expects `body` to throw an ``HTTPSignatureError`` of `kind`, and returns its message.
@discardableResult
func expectSignatureError(
    _ kind: HTTPSignatureError.Kind, sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Void
) -> String? {
    do {
        try body()
        Issue.record("expected HTTPSignatureError.\(kind), nothing was thrown", sourceLocation: sourceLocation)
    } catch let error as HTTPSignatureError {
        #expect(error.kind == kind, "got \(error.kind): \(error.message)", sourceLocation: sourceLocation)
        #expect(!error.message.isEmpty, sourceLocation: sourceLocation)
        return error.message
    } catch {
        Issue.record("expected HTTPSignatureError.\(kind), got \(error)", sourceLocation: sourceLocation)
    }
    return nil
}
