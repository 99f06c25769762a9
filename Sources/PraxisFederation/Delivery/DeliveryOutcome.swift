import Foundation
import PraxisHTTP

/// What one attempt came to.
enum DeliveryResult: Sendable, Equatable {
    /// 2xx: the destination has the activity.
    case delivered(status: Int)
    /// Retrying cannot help (4xx other than 408/429, a bad URL, a refused address, signing failed).
    case permanent(status: Int?, reason: String)
    /// Worth retrying later. `retryAt` is the destination's `Retry-After` (ms), if it gave one.
    /// `countsAsFailure` feeds the circuit breaker (the node looks down); `pausesLane` holds back
    /// the whole lane until `retryAt` (the node asked us to slow down).
    case transient(status: Int?, reason: String, retryAt: Int64?, countsAsFailure: Bool, pausesLane: Bool)
    /// Cut short by `stop()`: queued again, not counted as an attempt.
    case interrupted
}

/// One finished attempt, reported to the scheduler.
struct DeliveryOutcome: Sendable {
    var delivery: ClaimedDelivery
    var result: DeliveryResult
}

enum DeliveryClassifier {
    /// Classifies an HTTP answer.
    static func classify(_ response: HTTPClientResponse, now: Date) -> DeliveryResult {
        let code = response.status.code
        let summary = "\(response.status)" + bodySnippet(response.body)
        switch code {
        case 200..<300:
            return .delivered(status: code)
        case 429:
            let retryAt = response.headers["Retry-After"].flatMap { RetryAfter.parse($0, now: now) }
            return .transient(
                status: code, reason: "the destination asked us to slow down (\(summary))", retryAt: retryAt,
                countsAsFailure: false, pausesLane: retryAt != nil)
        case 408:
            return .transient(status: code, reason: "HTTP \(summary)", retryAt: nil, countsAsFailure: true, pausesLane: false)
        case 500..<600:
            let retryAt = response.headers["Retry-After"].flatMap { RetryAfter.parse($0, now: now) }
            return .transient(status: code, reason: "HTTP \(summary)", retryAt: retryAt, countsAsFailure: true, pausesLane: false)
        case 300..<400:
            // Redirects are not followed: a 301/302 would turn the POST into a GET, and a signed
            // request must not be replayed elsewhere. The inbox URL needs correcting.
            let location = response.headers["Location"].map { " to \($0)" } ?? ""
            return .permanent(status: code, reason: "the inbox redirected\(location) (HTTP \(response.status)); redirects are not followed")
        default:
            return .permanent(status: code, reason: "refused with HTTP \(summary)")
        }
    }

    /// Classifies a failure to get an answer.
    static func classify(_ error: any Error) -> DeliveryResult {
        if error is CancellationError { return .interrupted }
        if let error = error as? HTTPClientError {
            switch error.kind {
            case .invalidURL, .invalidRequest, .insecureScheme, .forbiddenAddress, .tooManyRedirects:
                return .permanent(status: nil, reason: error.message)
            case .resolutionFailed, .connectFailed, .connectTimeout, .timeout, .tls, .responseTooLarge, .headersTooLarge,
                .malformedResponse, .connectionClosed, .bodyNotStored:
                return .transient(status: nil, reason: error.message, retryAt: nil, countsAsFailure: true, pausesLane: false)
            }
        }
        if let error = error as? DeliveryTimeout {
            return .transient(status: nil, reason: error.description, retryAt: nil, countsAsFailure: true, pausesLane: false)
        }
        return .transient(status: nil, reason: "\(error)", retryAt: nil, countsAsFailure: true, pausesLane: false)
    }

    /// The start of a text body, so a recorded failure says what the destination objected to.
    private static func bodySnippet(_ body: [UInt8]) -> String {
        guard !body.isEmpty else { return "" }
        let text = String(decoding: body.prefix(200), as: UTF8.self)
            .map { $0.isNewline || $0 == "\t" ? " " : $0 }
            .filter { !$0.unicodeScalars.contains { CharacterSet.controlCharacters.contains($0) } }
        return ": " + String(text).trimmingCharacters(in: .whitespaces)
    }
}

/// An attempt that got no complete answer within ``DeliveryConfiguration/requestTimeout``.
struct DeliveryTimeout: Error, CustomStringConvertible {
    var inbox: String
    var timeout: Duration
    var description: String { "no answer from \(inbox) within \(timeout)" }
}

/// Backoff with jitter: `initial × 2^(attempts−1)`, capped, then drawn between half and all of it.
enum Backoff {
    static func delay(attempts: Int, initial: Int64, maximum: Int64) -> Int64 {
        let exponent = min(max(attempts - 1, 0), 40)
        let (scaled, overflow) = max(initial, 1).multipliedReportingOverflow(by: Int64(1) << exponent)
        let capped = overflow ? maximum : min(scaled, maximum)
        let half = capped / 2
        return half + Int64.random(in: 0...max(0, capped - half))
    }
}

/// `Retry-After` (RFC 9110 section 10.2.3): delay-seconds or an HTTP-date.
enum RetryAfter {
    /// The time (ms since 1970) the field asks for, or nil when it cannot be read.
    static func parse(_ value: String, now: Date) -> Int64? {
        let text = value.trimmingCharacters(in: .whitespaces)
        if !text.isEmpty, text.utf8.count <= 10, text.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }), let seconds = Int64(text) {
            return now.deliveryMilliseconds + seconds * 1000
        }
        return HTTPDate.parse(text).map { $0 * 1000 }
    }
}

/// HTTP-date parsing (RFC 9110 section 5.6.7): IMF-fixdate, and the obsolete RFC 850 and asctime
/// forms recipients must accept.
enum HTTPDate {
    private static let months = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]

    /// Seconds since 1970, or nil when `text` is not an HTTP-date.
    static func parse(_ text: String) -> Int64? {
        let words = text.split(whereSeparator: { $0 == " " || $0 == "," }).map { $0.lowercased() }
        var day: Int?
        var month: Int?
        var year: Int?
        var time: (Int, Int, Int)?
        if words.count == 6, words[5] == "gmt" {
            // IMF-fixdate: Sun, 06 Nov 1994 08:49:37 GMT
            day = Int(words[1])
            month = months.firstIndex(of: words[2]).map { $0 + 1 }
            year = Int(words[3])
            time = clock(words[4])
        } else if words.count == 4, words[3] == "gmt" {
            // RFC 850: Sunday, 06-Nov-94 08:49:37 GMT
            let parts = words[1].split(separator: "-").map(String.init)
            guard parts.count == 3, let twoDigit = Int(parts[2]), parts[2].count == 2 else { return nil }
            day = Int(parts[0])
            month = months.firstIndex(of: parts[1]).map { $0 + 1 }
            year = twoDigit < 70 ? 2000 + twoDigit : 1900 + twoDigit
            time = clock(words[2])
        } else if words.count == 5 {
            // asctime: Sun Nov  6 08:49:37 1994
            month = months.firstIndex(of: words[1]).map { $0 + 1 }
            day = Int(words[2])
            time = clock(words[3])
            year = Int(words[4])
        }
        guard let day, let month, let year, let time, (1...31).contains(day), (1970...9999).contains(year) else {
            return nil
        }
        let days = daysFromCivil(year: year, month: month, day: day)
        return Int64(days) * 86400 + Int64(time.0 * 3600 + time.1 * 60 + time.2)
    }

    private static func clock(_ text: String) -> (Int, Int, Int)? {
        let parts = text.split(separator: ":")
        guard parts.count == 3, parts.allSatisfy({ $0.count == 2 }), let h = Int(parts[0]), let m = Int(parts[1]),
            let s = Int(parts[2]), h < 24, m < 60, s <= 60
        else { return nil }
        return (h, m, s)
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
    private static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146097 + dayOfEra - 719468
    }
}
