import Foundation
import PraxisFederation
import PraxisStorage

/// `praxis keys rotate|list`: the signing keys of the node, a member or a community.
enum KeysCommand {
    static let help = """
        Usage: praxis keys rotate --data DIR (--node | --user NAME | --community NAME) [--json]
               praxis keys list   --data DIR (--node | --user NAME | --community NAME) [--json]

        rotate  replaces the actor's RSA key (HTTP signatures towards other fediverse software) and
                Ed25519 key (HTTP signatures between Praxis nodes, author proofs on posts) with new
                keys under new key ids, and sends an Update of the actor to every node that knows it.
                The old Ed25519 key stays listed with the time it was retired: posts signed before
                the rotation still verify; anything signed with it afterwards is refused. The old
                private keys are erased. Works whether or not `praxis serve` runs on DIR; a running
                node uses the new keys within a second and delivers the Update at once.
        list    lists every key the actor has had: key id, algorithm, created, retired
        """

    struct Listed: Encodable {
        var keyID: String
        var algorithm: String
        var created: Date
        var retired: Date?
    }

    struct Rotated: Encodable {
        var actor: String
        var retired: [String]
        var current: [String]
        var update: String
        var inboxes: [String]
    }

    static func run(_ words: [String], console: Console) throws {
        guard let sub = words.first, !["--help", "-h"].contains(sub) else { return console.out(help) }
        let rest = Array(words.dropFirst())
        if PraxisCLI.wantsHelp(rest) { return console.out(help) }
        guard sub == "rotate" || sub == "list" else {
            throw CLIError.usage("unknown subcommand `keys \(sub)`; use rotate or list")
        }
        let args = try Arguments(rest, options: ["data", "user", "community"], flags: ["node", "json"], command: "keys \(sub)")
        try args.expectPositionals(0, "")
        let target = try target(args)
        let store = try PraxisCLI.openStore(args)
        let rotation = KeyRotation(store: store)
        do {
            if sub == "rotate" {
                let outcome = try rotation.rotate(target)
                if args.flag("json") {
                    console.out(try jsonLines(Rotated(
                        actor: outcome.actorID, retired: outcome.retiredKeyIDs, current: outcome.currentKeyIDs,
                        update: outcome.updateID, inboxes: outcome.inboxes)))
                } else {
                    console.out("Rotated the keys of \(target) (\(outcome.actorID))")
                    for key in outcome.currentKeyIDs { console.out("  new      \(key)") }
                    for key in outcome.retiredKeyIDs { console.out("  retired  \(key)") }
                    console.out(outcome.inboxes.isEmpty
                        ? "No other node knows this actor yet; nothing to send."
                        : "Update queued for \(outcome.inboxes.count) inbox(es); a running node delivers it now, otherwise at the next `praxis serve`.")
                }
            } else {
                let (actorID, keys) = try rotation.keys(of: target)
                if args.flag("json") {
                    console.out(try jsonLines(keys.map {
                        Listed(keyID: $0.keyID, algorithm: $0.algorithm.rawValue, created: $0.created, retired: $0.retired)
                    }))
                } else {
                    console.out("Keys of \(target) (\(actorID)):")
                    console.out(table([["KEY ID", "ALGORITHM", "CREATED", "RETIRED"]] + keys.map {
                        [$0.keyID, $0.algorithm.rawValue, stamp($0.created), $0.retired.map(stamp) ?? "current"]
                    }))
                }
            }
        } catch let failure as KeyRotation.Failure {
            throw CLIError(failure.message)
        }
    }

    /// Exactly one of --node, --user NAME, --community NAME.
    static func target(_ args: Arguments) throws -> KeyRotation.Target {
        var targets: [KeyRotation.Target] = []
        if args.flag("node") { targets.append(.node) }
        if let user = args.value("user") { targets.append(.user(user.lowercased())) }
        if let community = args.value("community") { targets.append(.community(community.lowercased())) }
        guard targets.count == 1, let target = targets.first else {
            throw CLIError.usage("name exactly one actor: --node, --user NAME or --community NAME; see `praxis keys --help`")
        }
        return target
    }

    static func stamp(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: date)
    }
}
