import Foundation
import PraxisFederation
import PraxisStorage

/// What the operator sees of the federation: delivery lanes, the inbox queue, dead letters and
/// given-up deliveries.
enum FederationCommand {
    static let help = """
        Usage: praxis federation status --data DIR [--json]
               praxis federation dead-letters --data DIR [--json] [--limit N]
               praxis federation failures --data DIR [--json] [--limit N]

        status        inbox activities waiting to be processed, and per destination node: deliveries
                      pending and in flight, age of the oldest, failures in a row, circuit breaker
        dead-letters  received activities that could not be processed, with the reason
        failures      outgoing deliveries given up (4xx answers, blocked nodes, 7-day horizon)
        """

    struct Status: Encodable {
        struct Lane: Encodable {
            var destination: String
            var pending: Int
            var inFlight: Int
            var oldestPendingSeconds: Double?
            var consecutiveFailures: Int
            var parked: Bool
            var lastError: String?
        }
        var inboxPending: Int
        var deadLetters: Int
        var lanes: [Lane]
    }

    struct Failure: Encodable {
        var activity: String
        var inbox: String
        var attempts: Int
        var status: Int?
        var reason: String
        var failed: Date
    }

    static func run(_ words: [String], console: Console) throws {
        guard let sub = words.first, !["--help", "-h"].contains(sub) else { return console.out(help) }
        let rest = Array(words.dropFirst())
        if PraxisCLI.wantsHelp(rest) { return console.out(help) }
        let args = try Arguments(rest, options: ["data", "limit"], flags: ["json"], command: "federation \(sub)")
        try args.expectPositionals(0, "")
        let limit = try args.integer("limit", default: 100, range: 1...10_000)
        let store = try PraxisCLI.openStore(args)
        switch sub {
        case "status":
            let status = try store.database.read { db -> Status in
                let stats = try DeliveryQueue.stats(db: db)
                return Status(
                    inboxPending: try InboxRepository(db).pendingCount(),
                    deadLetters: try db.scalar(Int.self, "SELECT count(*) FROM dead_letters") ?? 0,
                    lanes: stats.lanes.map {
                        Status.Lane(destination: $0.lane, pending: $0.pending, inFlight: $0.inFlight,
                                    oldestPendingSeconds: $0.oldestPendingAge, consecutiveFailures: $0.consecutiveFailures,
                                    parked: $0.isParked, lastError: $0.lastError)
                    })
            }
            if args.flag("json") { return console.out(try jsonLines(status)) }
            console.out("Inbox: \(status.inboxPending) waiting, \(status.deadLetters) dead letters")
            if status.lanes.isEmpty { return console.out("Delivery: nothing queued") }
            console.out(table([["DESTINATION", "PENDING", "IN FLIGHT", "OLDEST", "FAILURES", "STATE"]] + status.lanes.map {
                [$0.destination, String($0.pending), String($0.inFlight),
                 $0.oldestPendingSeconds.map { "\(Int($0))s" } ?? "-", String($0.consecutiveFailures),
                 $0.parked ? "parked" : "open"]
            }))
        case "dead-letters":
            let letters = try store.database.read { db in try InboxRepository(db).deadLetters(limit: limit) }
            if args.flag("json") { return console.out(try jsonLines(letters)) }
            if letters.isEmpty { return console.out("No dead letters.") }
            for letter in letters {
                console.out("\(ISO8601DateFormatter().string(from: letter.failedAt))  \(letter.originDomain)  \(letter.activityID)")
                console.out("    \(letter.reason)")
            }
        case "failures":
            let failures = try store.database.read { db in try DeliveryQueue.failures(db: db, limit: limit) }
            let listed = failures.map {
                Failure(activity: $0.activityID, inbox: $0.inbox, attempts: $0.attempts, status: $0.lastStatus,
                        reason: $0.reason, failed: $0.failedAt)
            }
            if args.flag("json") { return console.out(try jsonLines(listed)) }
            if listed.isEmpty { return console.out("No failed deliveries.") }
            for failure in listed {
                console.out("\(ISO8601DateFormatter().string(from: failure.failed))  \(failure.inbox)  \(failure.activity)")
                console.out("    after \(failure.attempts) attempt(s): \(failure.reason)")
            }
        default:
            throw CLIError.usage("unknown subcommand `federation \(sub)`; use status, dead-letters or failures")
        }
    }
}
