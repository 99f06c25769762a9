import Testing

@testable import PraxisHTTP

@Suite struct PrometheusTextTests {
    @Test func writesFamiliesSamplesAndEscapes() {
        var text = PrometheusText()
        text.family("praxis_queue", type: .gauge, help: "Queue depth\nper node \\ lane.")
        text.sample("praxis_queue", labels: [("destination", "a\"b\\c\nd")], value: 3)
        text.sample("praxis_queue", labels: [("destination", "plain"), ("kind", "x")], value: 0.25)
        text.sample("praxis_queue", value: UInt64.max)
        #expect(text.output == """
            # HELP praxis_queue Queue depth\\nper node \\\\ lane.
            # TYPE praxis_queue gauge
            praxis_queue{destination="a\\"b\\\\c\\nd"} 3
            praxis_queue{destination="plain",kind="x"} 0.25
            praxis_queue 18446744073709551615

            """)
    }

    @Test func formatsSpecialValuesAsGoDoes() {
        #expect(PrometheusText.format(.infinity) == "+Inf")
        #expect(PrometheusText.format(-.infinity) == "-Inf")
        #expect(PrometheusText.format(.nan) == "NaN")
        #expect(PrometheusText.format(42) == "42")
        #expect(PrometheusText.format(0.0025) == "0.0025")
        #expect(PrometheusText.format(1e20) == "1e+20")
    }

    @Test func invalidNamesAreRewrittenNotEmitted() {
        #expect(PrometheusText.isValidMetricName("praxis:http_total"))
        #expect(!PrometheusText.isValidMetricName("9lives"))
        #expect(!PrometheusText.isValidLabelName("__reserved"))
        var text = PrometheusText()
        text.sample("bad-name", labels: [("__x y", "v")], value: 1)
        #expect(text.output == "bad_name{_x_y=\"v\"} 1\n")
    }

    @Test func histogramHasCumulativeBucketsSumAndCount() {
        let histogram = LatencyHistogram(bounds: [0.001, 0.01])
        histogram.observe(nanoseconds: 1_000_000)  // exactly on the first bound: counted in it
        histogram.observe(nanoseconds: 5_000_000)
        histogram.observe(.milliseconds(20))
        var text = PrometheusText()
        text.histogram("praxis_x_seconds", help: "X.", histogram.snapshot())
        #expect(text.output == """
            # HELP praxis_x_seconds X.
            # TYPE praxis_x_seconds histogram
            praxis_x_seconds_bucket{le="0.001"} 1
            praxis_x_seconds_bucket{le="0.01"} 2
            praxis_x_seconds_bucket{le="+Inf"} 3
            praxis_x_seconds_sum 0.026
            praxis_x_seconds_count 3

            """)
    }

    @Test func histogramBoundsAreCleanedUp() {
        let histogram = LatencyHistogram(bounds: [0.5, -1, .nan, 0.1, 0.5])
        #expect(histogram.bounds == [0.1, 0.5])
        #expect(histogram.snapshot().count == 0)
    }
}

@Suite struct HTTPServerMetricsTests {
    @Test func serverCountsStatusesAndTimesEveryResponse() async throws {
        let metrics = HTTPServerMetrics(shards: 2)
        try await withServer(router: testRouter(), { $0.metrics = metrics }) { server in
            var statuses: [Int] = []
            for request in [
                "GET /ok HTTP/1.1\r\nHost: t\r\n\r\n", "GET /ok HTTP/1.1\r\nHost: t\r\n\r\n",
                "GET /forbidden HTTP/1.1\r\nHost: t\r\n\r\n", "GET /nowhere HTTP/1.1\r\nHost: t\r\n\r\n",
                // Refused by the parser, before any responder: still counted.
                "BROKEN\r\n\r\n",
                "GET /slow HTTP/1.1\r\nHost: t\r\n\r\n",
            ] {
                statuses.append(try await exchange(server, request).status)
            }
            #expect(statuses == [200, 200, 403, 404, 400, 200])
        }
        #expect(metrics.statusCounts() == [200: 3, 400: 1, 403: 1, 404: 1])
        let latency = metrics.latency()
        #expect(latency.count == 6)
        // /slow sleeps 600 ms: exactly one response lies above the 0.5 s bound.
        let atHalfSecond = latency.cumulative.first { $0.upperBound == 0.5 }?.count
        #expect(atHalfSecond == 5)
        #expect(latency.sumSeconds >= 0.6)
    }

    @Test func shardsAddUp() {
        let metrics = HTTPServerMetrics(shards: 3)
        for loop in 0..<7 { metrics.record(shard: loop, status: 201, nanoseconds: 1_000) }
        metrics.record(shard: -5, status: 999, nanoseconds: 1_000)
        #expect(metrics.statusCounts() == [201: 7])
        #expect(metrics.latency().count == 8)
    }
}
