// Fuzz target `http-request`: the server's request-head parser and chunked-body decoder.
//
// Properties checked besides "no crash": parsing a head in two deliveries (with the resumable
// `scanFrom`) gives exactly what parsing it at once gives; a parsed head is self-consistent; and
// decoding a chunked body in two pieces gives the same body as decoding it at once.
@testable import PraxisHTTP

let limits = RequestLimits(maxRequestLineBytes: 8 * 1024, maxHeaderBytes: 32 * 1024, maxHeaderCount: 100)

enum HeadOutcome: Equatable {
    case needMore
    case failed(Int, String)
    case complete(String, consumed: Int)
}

/// Parses `bytes` as the server does; `scanFrom` carries over between deliveries.
func parseHead(_ bytes: ArraySlice<UInt8>, scanFrom: inout Int) -> (HeadOutcome, ParsedHead?) {
    let result = bytes.withUnsafeBufferPointer { buffer in
        Result { () throws(RequestFailure) -> HeadParseResult in
            try RequestHeadParser.parse(buffer, scanFrom: &scanFrom, limits: limits)
        }
    }
    switch result {
    case .failure(let failure):
        return (.failed(failure.status.code, failure.message), nil)
    case .success(.needMore):
        return (.needMore, nil)
    case .success(.complete(let head, let consumed)):
        let summary = "\(head.method.rawValue) \(head.target) \(head.version) \(head.headers.map { "\($0.name)=\($0.value)" })"
            + " cl=\(String(describing: head.contentLength)) chunked=\(head.chunked) ka=\(head.keepAlive) ec=\(head.expectContinue)"
        return (.complete(summary, consumed: consumed), head)
    }
}

func checkHead(_ head: ParsedHead, consumed: Int, of count: Int) {
    invariant(consumed > 0 && consumed <= count, "consumed \(consumed) of \(count) bytes")
    invariant(head.target.hasPrefix("/") || head.target == "*", "target not in origin form: \(head.target)")
    invariant(!(head.chunked && head.contentLength != nil), "both chunked and Content-Length")
    invariant((head.contentLength ?? 0) >= 0, "negative Content-Length")
    for field in head.headers {
        invariant(!field.name.isEmpty, "empty header name")
        invariant(!field.value.utf8.contains(where: { $0 == 10 || $0 == 13 || $0 == 0 }), "CR, LF or NUL in a header value")
    }
}

enum BodyOutcome: Equatable {
    case needMore([UInt8])
    case done([UInt8], consumed: Int)
    case failed(Int, String)
}

/// Decodes `pieces` in order as successive deliveries, keeping unconsumed bytes as the server does.
func decodeChunked(_ pieces: [ArraySlice<UInt8>], maxBodySize: Int) -> BodyOutcome {
    var decoder = ChunkedDecoder()
    var body: [UInt8] = []
    var pending: [UInt8] = []
    var consumedTotal = 0
    for piece in pieces {
        pending.append(contentsOf: piece)
        let step = pending.withUnsafeBufferPointer { buffer in
            Result { () throws(RequestFailure) -> (consumed: Int, progress: ChunkedDecoder.Progress) in
                try decoder.consume(buffer, into: &body, maxBodySize: maxBodySize, maxTrailerBytes: 1024)
            }
        }
        switch step {
        case .failure(let failure):
            return .failed(failure.status.code, failure.message)
        case .success(let (consumed, progress)):
            invariant(consumed >= 0 && consumed <= pending.count, "chunked decoder consumed \(consumed) of \(pending.count)")
            invariant(body.count <= maxBodySize, "body of \(body.count) bytes exceeds the limit \(maxBodySize)")
            consumedTotal += consumed
            pending.removeFirst(consumed)
            if case .done = progress { return .done(body, consumed: consumedTotal) }
        }
    }
    return .needMore(body)
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = fuzzBytes(data, size)
    guard let selector = bytes.first else { return 0 }
    let input = bytes.dropFirst()

    // The whole head at once.
    var freshScan = 0
    let (whole, head) = parseHead(input, scanFrom: &freshScan)

    // The same bytes in two deliveries, split where the first byte says.
    let split = input.startIndex + Int(selector) % (input.count + 1)
    var resumedScan = 0
    let (first, _) = parseHead(input[..<split], scanFrom: &resumedScan)
    switch first {
    case .complete:
        invariant(first == whole, "a head complete in a prefix parses differently in full: \(first) vs \(whole)")
    case .needMore:
        invariant(resumedScan >= 0 && resumedScan <= split, "scanFrom \(resumedScan) outside the \(split) bytes seen")
        let (second, _) = parseHead(input, scanFrom: &resumedScan)
        invariant(second == whole, "resumed parse differs from a fresh one: \(second) vs \(whole)")
    case .failed:
        break
    }

    guard let head, case .complete(_, let consumed) = whole else { return 0 }
    checkHead(head, consumed: consumed, of: input.count)
    guard head.chunked else { return 0 }

    // The body after the head, decoded at once and in two deliveries.
    let body = input[(input.startIndex + consumed)...]
    let maxBodySize = 1 + Int(selector) * 64
    let once = decodeChunked([body], maxBodySize: maxBodySize)
    let cut = body.startIndex + (Int(selector) * 7) % (body.count + 1)
    let twice = decodeChunked([body[..<cut], body[cut...]], maxBodySize: maxBodySize)
    invariant(once == twice, "chunked body decodes differently when split at \(cut - body.startIndex): \(once) vs \(twice)")
    return 0
}
