import Foundation
import PraxisCommunity
import PraxisStorage

enum UserCommand {
    static let help = """
        Usage: praxis user add --data DIR NAME [--role admin|moderator|member]
                               [--affiliation buyer|expert|supplier] [--display-name TEXT] [--email ADDRESS]
               praxis user list --data DIR [--json]
               praxis user approve --data DIR NAME
               praxis user suspend --data DIR NAME

        add      creates an active account; the password comes from the PRAXIS_PASSWORD environment
                 variable, else it is asked for on the terminal (at least 10 characters)
        list     lists the node's accounts
        approve  activates a pending (or suspended) account
        suspend  blocks an account: it can no longer sign in and its actor is no longer served
        """

    struct Listed: Encodable {
        var name: String
        var displayName: String
        var role: String
        var affiliation: String
        var status: String
        var email: String?
        var created: Date
    }

    static func run(_ words: [String], console: Console) throws {
        guard let sub = words.first, !["--help", "-h"].contains(sub) else { return console.out(help) }
        let rest = Array(words.dropFirst())
        if PraxisCLI.wantsHelp(rest) { return console.out(help) }
        switch sub {
        case "add":
            let args = try Arguments(rest, options: ["data", "role", "affiliation", "display-name", "email"], flags: [],
                                     command: "user add")
            try args.expectPositionals(1, "NAME of the member to add")
            let name = args.positionals[0]
            let role = try args.choice("role", default: AccountRole.member)
            let affiliation = try args.choice("affiliation", default: Affiliation.buyer)
            let store = try PraxisCLI.openStore(args)
            let password: String
            if let fromEnvironment = console.environment["PRAXIS_PASSWORD"] {
                password = fromEnvironment
            } else if let typed = console.readSecret("Password for \(name): ") {
                guard let again = console.readSecret("Repeat the password: "), again == typed else {
                    throw CLIError("the two passwords differ; nothing was changed")
                }
                password = typed
            } else {
                throw CLIError.usage("no password: set PRAXIS_PASSWORD or run the command in a terminal")
            }
            let account = try AccountService(store: store).add(
                .init(username: name, password: password, displayName: args.value("display-name"), role: role,
                      affiliation: affiliation, email: args.value("email")))
            let urls = store.configuration.baseURL + "/users/" + account.actor.username
            try store.database.write { db in
                try AuditRepository(db).record(
                    operator: AuditCommand.operatorName(console), action: "user.add", target: account.actor.username,
                    detail: "\(account.role.rawValue), \(account.affiliation.rawValue)")
            }
            console.out("Added \(account.role.rawValue) @\(account.actor.username)@\(store.configuration.domain) (\(account.affiliation.rawValue)): \(urls)")
        case "list":
            let args = try Arguments(rest, options: ["data"], flags: ["json"], command: "user list")
            try args.expectPositionals(0, "")
            let accounts = try AccountService(store: try PraxisCLI.openStore(args)).list()
            if args.flag("json") {
                console.out(try jsonLines(accounts.map {
                    Listed(name: $0.actor.username, displayName: $0.actor.displayName, role: $0.role.rawValue,
                           affiliation: $0.affiliation.rawValue, status: $0.status.rawValue, email: $0.email,
                           created: $0.actor.createdAt)
                }))
            } else if accounts.isEmpty {
                console.out("No accounts yet; add one with `praxis user add --data DIR NAME --role admin`.")
            } else {
                console.out(table([["NAME", "ROLE", "AFFILIATION", "STATUS", "DISPLAY NAME"]] + accounts.map {
                    [$0.actor.username, $0.role.rawValue, $0.affiliation.rawValue, $0.status.rawValue, $0.actor.displayName]
                }))
            }
        case "approve", "suspend":
            let args = try Arguments(rest, options: ["data"], flags: [], command: "user \(sub)")
            try args.expectPositionals(1, "NAME of the member")
            let store = try PraxisCLI.openStore(args)
            let name = args.positionals[0]
            let previous = try store.database.read { db in try AccountRepository(db).find(username: name)?.status }
            try AccountService(store: store).setStatus(sub == "approve" ? .active : .suspended, username: name)
            // Suspending a registration that was never approved refuses it.
            let action = sub == "approve" ? "user.approve" : previous == .pending ? "user.refuse" : "user.suspend"
            try store.database.write { db in
                try AuditRepository(db).record(
                    operator: AuditCommand.operatorName(console), action: action, target: name.lowercased(),
                    detail: "was \(previous?.rawValue ?? "unknown")")
            }
            console.out("\(sub == "approve" ? "Approved" : "Suspended") \(args.positionals[0])")
        default:
            throw CLIError.usage("unknown subcommand `user \(sub)`; use add, list, approve or suspend")
        }
    }
}
