import Foundation
import PraxisFederation
import PraxisStorage

enum TrustCommand {
    static let help = """
        Usage: praxis trust add --data DIR DOMAIN --level trusted|limited|blocked [--note TEXT]
               praxis trust remove --data DIR DOMAIN
               praxis trust list --data DIR [--json]

        The trust list says how far this node federates with each other node (named by its
        authority, HOST or HOST:PORT):
          trusted  everything it is entitled to, including members-only content of communities
                   where it hosts an approved member
          limited  public content only
          blocked  nothing either way: its inbox deliveries are refused (403), nothing is sent to it
                   and nothing is fetched from it
        Nodes not on the list are blocked in allowlist mode (the default) and limited in open mode.
        Changes apply at once, also to a running node and to deliveries already queued.
        """

    struct Listed: Encodable {
        var domain: String
        var level: String
        var note: String
        var updated: Date
    }

    static func run(_ words: [String], console: Console) throws {
        guard let sub = words.first, !["--help", "-h"].contains(sub) else { return console.out(help) }
        let rest = Array(words.dropFirst())
        if PraxisCLI.wantsHelp(rest) { return console.out(help) }
        switch sub {
        case "add":
            let args = try Arguments(rest, options: ["data", "level", "note"], flags: [], command: "trust add")
            try args.expectPositionals(1, "DOMAIN of the node (HOST or HOST:PORT)")
            let domain = args.positionals[0].lowercased()
            try Domain.validate(domain)
            guard args.value("level") != nil else { throw CLIError.usage("--level trusted|limited|blocked is required") }
            let level = try args.choice("level", default: TrustLevel.blocked)
            let store = try PraxisCLI.openStore(args)
            guard domain != store.configuration.domain else {
                throw CLIError.usage("\(domain) is this node itself; it always trusts itself")
            }
            let note = args.value("note") ?? ""
            guard note.count <= 500 else { throw CLIError.usage("--note must be at most 500 characters") }
            let operatorName = AuditCommand.operatorName(console)
            try store.database.write { db in
                try TrustRepository(db).set(TrustEntry(domain: domain, level: level, note: note))
                try AuditRepository(db).record(operator: operatorName, action: "trust.set", target: domain,
                                               detail: level.rawValue + (note.isEmpty ? "" : ": " + note))
            }
            console.out("\(domain) is now \(level.rawValue)")
        case "remove":
            let args = try Arguments(rest, options: ["data"], flags: [], command: "trust remove")
            try args.expectPositionals(1, "DOMAIN to remove from the trust list")
            let store = try PraxisCLI.openStore(args)
            let domain = args.positionals[0].lowercased()
            let operatorName = AuditCommand.operatorName(console)
            let removed = try store.database.write { db -> Bool in
                guard try TrustRepository(db).remove(domain: domain) else { return false }
                try AuditRepository(db).record(operator: operatorName, action: "trust.remove", target: domain)
                return true
            }
            guard removed else { throw CLIError("\(domain) is not on the trust list") }
            let policy = TrustPolicy(mode: store.configuration.federation, localDomain: store.configuration.domain)
            console.out("Removed \(domain); it is now \(policy.level(of: domain, entry: nil).rawValue) (\(store.configuration.federation.rawValue) mode)")
        case "list":
            let args = try Arguments(rest, options: ["data"], flags: ["json"], command: "trust list")
            try args.expectPositionals(0, "")
            let store = try PraxisCLI.openStore(args)
            let entries = try store.database.read { db in try TrustRepository(db).all() }
            if args.flag("json") {
                console.out(try jsonLines(entries.map {
                    Listed(domain: $0.domain, level: $0.level.rawValue, note: $0.note, updated: $0.updatedAt)
                }))
            } else {
                let mode = store.configuration.federation
                console.out("Federation mode: \(mode.rawValue) (nodes not listed are \(mode == .open ? "limited" : "blocked"))")
                if entries.isEmpty {
                    console.out("The trust list is empty; add a partner with `praxis trust add --data DIR DOMAIN --level trusted`.")
                } else {
                    console.out(table([["DOMAIN", "LEVEL", "NOTE"]] + entries.map { [$0.domain, $0.level.rawValue, $0.note] }))
                }
            }
        default:
            throw CLIError.usage("unknown subcommand `trust \(sub)`; use add, remove or list")
        }
    }
}
