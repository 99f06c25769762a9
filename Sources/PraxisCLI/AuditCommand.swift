import Foundation
import PraxisCommunity
import PraxisStorage

/// `praxis audit`: the operators' audit log. Every operator command that changes who may do what
/// (trust list, accounts approved, refused or suspended, roles) records an entry.
enum AuditCommand {
    static let help = """
        Usage: praxis audit list --data DIR [--action ACTION] [--actor NAME] [--since TIME]
                                 [--until TIME] [--limit N] [--json]

        Lists what operators did to the node, newest first: trust list changes, accounts added,
        approved, refused, suspended or reinstated, community roles granted or removed, from this
        command line or by admins through the API. The operator is the PRAXIS_OPERATOR
        environment variable, else the system user running the command.

          --action ACTION   an action (trust.set) or a family (trust: every trust.* action)
          --actor NAME      only what this operator did
          --since, --until  RFC 3339 times (2026-12-07T16:00:00Z), both inclusive
          --limit N         at most N entries (1 to 10000, default 100)
        """

    struct Listed: Encodable {
        var id: Int64
        var time: Date
        var operatorName: String
        var action: String
        var target: String
        var detail: String

        enum CodingKeys: String, CodingKey {
            case id, time, action, target, detail
            case operatorName = "operator"
        }
    }

    static func run(_ words: [String], console: Console) throws {
        guard let sub = words.first, !["--help", "-h"].contains(sub) else { return console.out(help) }
        let rest = Array(words.dropFirst())
        if PraxisCLI.wantsHelp(rest) { return console.out(help) }
        guard sub == "list" else { throw CLIError.usage("unknown subcommand `audit \(sub)`; use list") }
        let args = try Arguments(rest, options: ["data", "limit", "action", "actor", "since", "until"], flags: ["json"],
                                 command: "audit list")
        try args.expectPositionals(0, "")
        let query: AuditLogService.Query
        do {
            query = try AuditLogService.query(
                action: args.value("action"), actor: args.value("actor"), since: args.value("since"),
                until: args.value("until"), limit: args.value("limit"), limits: .cli)
        } catch {
            throw CLIError.usage(error.message.replacingOccurrences(of: "\"\(error.field)\"", with: "--\(error.field)"))
        }
        let store = try PraxisCLI.openStore(args)
        let entries = try AuditLogService(store: store).page(query).entries
        if args.flag("json") {
            console.out(try jsonLines(entries.map {
                Listed(id: $0.id, time: $0.createdAt, operatorName: $0.operatorName, action: $0.action, target: $0.target,
                       detail: $0.detail)
            }))
        } else if entries.isEmpty {
            console.out("The audit log is empty.")
        } else {
            let formatter = ISO8601DateFormatter()
            console.out(table([["TIME", "OPERATOR", "ACTION", "TARGET", "DETAIL"]] + entries.map {
                [formatter.string(from: $0.createdAt), $0.operatorName, $0.action, $0.target, $0.detail]
            }))
        }
    }

    /// Who runs the command, for the audit log.
    static func operatorName(_ console: Console) -> String {
        let name = console.environment["PRAXIS_OPERATOR"] ?? console.environment["USER"] ?? console.environment["LOGNAME"]
        guard let name, !name.isEmpty else { return "operator" }
        return String(name.prefix(100))
    }
}
