import Foundation
import PraxisHTTP
import Testing

@testable import PraxisFederation

/// Backoff, Retry-After and the classification of answers, as pure functions.
struct DeliveryPolicyTests {
    @Test func retryAfterAcceptsSecondsAndTheThreeHTTPDateForms() {
        let now = Date(timeIntervalSince1970: 784_111_777)  // Sun, 06 Nov 1994 08:49:37 GMT
        let nowMS: Int64 = 784_111_777_000
        #expect(RetryAfter.parse("120", now: now) == nowMS + 120_000)
        #expect(RetryAfter.parse(" 0 ", now: now) == nowMS)
        #expect(RetryAfter.parse("Sun, 06 Nov 1994 08:49:37 GMT", now: now) == nowMS)
        #expect(RetryAfter.parse("Sunday, 06-Nov-94 08:49:37 GMT", now: now) == nowMS)
        #expect(RetryAfter.parse("Sun Nov  6 08:49:37 1994", now: now) == nowMS)
        #expect(RetryAfter.parse("Thu, 01 Jan 2037 00:00:00 GMT", now: now) == 2_114_380_800_000)
        for bad in ["", "-5", "1.5", "soon", "Sun, 06 Nov 1994 25:49:37 GMT", "Sun, 06 Foo 1994 08:49:37 GMT"] {
            #expect(RetryAfter.parse(bad, now: now) == nil, "\(bad)")
        }
    }

    @Test func backoffDoublesWithJitterAndIsCapped() {
        for _ in 0..<50 {
            #expect((500...1000).contains(Backoff.delay(attempts: 1, initial: 1000, maximum: 60_000)))
            #expect((4000...8000).contains(Backoff.delay(attempts: 4, initial: 1000, maximum: 60_000)))
            #expect((30_000...60_000).contains(Backoff.delay(attempts: 80, initial: 1000, maximum: 60_000)))
        }
    }

    @Test func classifiesAnswers() throws {
        let now = Date()
        let privateAddress = try #require(IPAddress("10.0.0.1"))
        func answer(_ code: Int, _ headers: HTTPHeaders = [:]) -> DeliveryResult {
            DeliveryClassifier.classify(HTTPClientResponse(status: HTTPStatus(code: code), headers: headers, url: "x"), now: now)
        }
        #expect(answer(202) == .delivered(status: 202))
        #expect(answer(204) == .delivered(status: 204))
        guard case .permanent(404, _) = answer(404) else { Issue.record("404 must not be retried"); return }
        guard case .permanent(301, let reason) = answer(301, ["Location": "https://elsewhere/inbox"]),
            reason.contains("https://elsewhere/inbox")
        else { Issue.record("redirects are reported, not followed"); return }
        guard case .transient(503, _, nil, true, false) = answer(503) else { Issue.record("5xx retried"); return }
        guard case .transient(408, _, nil, true, false) = answer(408) else { Issue.record("408 retried"); return }
        guard case .transient(429, _, let at?, false, true) = answer(429, ["Retry-After": "30"]) else {
            Issue.record("429 pauses the lane"); return
        }
        #expect(at == now.deliveryMilliseconds + 30_000)
        guard case .transient(nil, _, nil, true, false) = DeliveryClassifier.classify(HTTPClientError(.connectFailed, "refused"))
        else { Issue.record("connection errors retried"); return }
        guard case .permanent = DeliveryClassifier.classify(
            HTTPClientError(.forbiddenAddress(host: "x", address: privateAddress), "private"))
        else { Issue.record("refused addresses are permanent"); return }
        #expect(DeliveryClassifier.classify(CancellationError()) == .interrupted)
    }
}
