import Foundation
import PraxisFederation
import PraxisHTTP
import Synchronization

/// `praxis-bench lane`: one slow destination (each answer after 100 ms) receiving many
/// activities about 20 objects; measures activities per second and checks that each object's
/// activities arrived in order.
///
/// Activities about one object go one at a time (the next waits for the previous answer), so
/// with `O` objects and a `D` ms answer the ceiling is `O × 1000 / D` per second, whatever the
/// lane's request limit: 200/s for 20 objects at 100 ms. A second run with more objects than the
/// lane's in-flight limit shows the limit of the lane itself.
enum LaneBench {
    static let target = 200.0

    struct Scenario {
        var objects: Int
        var perObject: Int
    }

    static func run(_ arguments: [String]) async {
        do {
            var scenarios = [Scenario(objects: 20, perObject: 50), Scenario(objects: 100, perObject: 10)]
            var delay = 100
            var inFlight = DeliveryConfiguration().maxInFlightPerLane
            var rest = arguments[...]
            func number(_ option: String) throws -> Int {
                guard let text = rest.popFirst(), let n = Int(text), (1...100_000).contains(n) else {
                    throw DeliveryBenchError("\(option) needs a positive number")
                }
                return n
            }
            var objects: Int?
            var perObject: Int?
            while let option = rest.popFirst() {
                switch option {
                case "--objects": objects = try number(option)
                case "--per-object": perObject = try number(option)
                case "--delay-ms": delay = try number(option)
                case "--in-flight": inFlight = try number(option)
                default:
                    throw DeliveryBenchError(
                        "unknown option \(option) (lane takes --objects N --per-object N --delay-ms MS --in-flight N)")
                }
            }
            if objects != nil || perObject != nil {
                scenarios = [Scenario(objects: objects ?? 20, perObject: perObject ?? 50)]
            }
            print("lane: one destination answering each request after \(delay) ms, up to \(inFlight) requests in flight")
            for scenario in scenarios {
                try await measure(scenario, delay: delay, inFlight: inFlight)
            }
        } catch {
            DeliveryBenchError.exit(with: error)
        }
    }

    private static func measure(_ scenario: Scenario, delay: Int, inFlight: Int) async throws {
        let total = scenario.objects * scenario.perObject
        let environment = try DeliveryBenchEnvironment(maxIdlePerHost: inFlight)
        defer { environment.remove() }
        let arrivals = Mutex<[String]>([])
        let server = try FanoutBench.startServer { request in
            // Recorded on arrival: the order the destination would process them in.
            arrivals.withLock { $0.append(request.headers["X-Bench-Activity"] ?? "") }
            try? await Task.sleep(for: .milliseconds(delay))
            return HTTPResponse(status: .accepted)
        }
        var configuration = DeliveryConfiguration()
        configuration.maxInFlightPerLane = inFlight
        let service = DeliveryService(
            database: environment.database, client: environment.client,
            signer: TaggingSigner(inner: environment.signer), configuration: configuration, mayDeliver: { _ in true },
            log: { print("  log: \($0)") })
        try service.start()

        let inbox = "http://127.0.0.1:\(server.port)/inbox"
        let start = ContinuousClock.now
        try await environment.database.write { db in
            for index in 0..<scenario.perObject {
                for object in 0..<scenario.objects {
                    let id = "o\(object)-\(index)"
                    try DeliveryQueue.enqueue(
                        OutgoingActivity(
                            activityID: id, orderingKey: "https://bench.example/notes/\(object)",
                            body: FanoutBench.activityBody(object), signer: id),
                        to: [inbox], db: db)
                }
            }
        }
        service.wake()
        let idle = await service.waitUntilIdle(timeout: .seconds(Double(total) * Double(delay) / 1000 + 30))
        let elapsed = (ContinuousClock.now - start).benchSeconds
        await service.stop()
        await server.shutdown(gracePeriod: .seconds(1))
        guard idle else { throw DeliveryBenchError("the deliveries did not finish in time") }

        let received = arrivals.withLock { $0 }
        var sequences: [Int: [Int]] = [:]
        for tag in received {
            let parts = tag.dropFirst().split(separator: "-")
            guard parts.count == 2, let object = Int(parts[0]), let index = Int(parts[1]) else {
                throw DeliveryBenchError("unexpected activity tag '\(tag)'")
            }
            sequences[object, default: []].append(index)
        }
        let inOrder = (0..<scenario.objects).allSatisfy { sequences[$0] == Array(0..<scenario.perObject) }
        let rate = Double(total) / elapsed
        let ceiling = min(Double(scenario.objects), Double(inFlight)) * 1000 / Double(delay)
        let stats = try service.stats()
        print(
            "lane (\(scenario.objects) objects × \(scenario.perObject)): \(total) activities in "
                + String(format: "%.2f s = %.0f activities/s", elapsed, rate)
                + String(format: " (ceiling %.0f/s)", ceiling)
                + "   target ≥ \(Int(target))/s  \(rate >= target ? "OK" : "MISSED")"
                + "   per-object order: \(inOrder ? "held" : "VIOLATED")")
        guard inOrder, received.count == total, stats.failed == 0 else {
            throw DeliveryBenchError(
                "received \(received.count) of \(total), \(stats.failed) failed, order \(inOrder ? "held" : "violated")")
        }
    }

    /// The bench signer, plus a header naming the activity so the server can check order
    /// without parsing bodies (the activity's "signer" carries its tag).
    struct TaggingSigner: DeliverySigner {
        let inner: DeliveryBenchSigner

        func sign(_ request: inout HTTPClientRequest, as signer: String) throws {
            request.headers.replaceOrAdd(name: "X-Bench-Activity", value: signer)
            try inner.sign(&request, as: "alice")
        }
    }
}
