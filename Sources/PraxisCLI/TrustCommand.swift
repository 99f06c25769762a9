import Foundation
import PraxisFederation
import PraxisJSON
import PraxisServer
import PraxisStorage

enum TrustCommand {
    static let help = """
        Usage: praxis trust add --data DIR DOMAIN --level trusted|limited|blocked [--note TEXT]
               praxis trust remove --data DIR DOMAIN
               praxis trust list --data DIR [--json] [--community NAME]
               praxis trust exclude --data DIR --community NAME DOMAIN [--note TEXT]
               praxis trust include --data DIR --community NAME DOMAIN
               praxis trust export --data DIR [--out FILE]
               praxis trust import --data DIR FILE [--apply]
               praxis trust subscribe --data DIR URL
               praxis trust review --data DIR [--accept DOMAIN|all]

        The trust list says how far this node federates with each other node (named by its
        authority, HOST or HOST:PORT):
          trusted  everything it is entitled to, including members-only content of communities
                   where it hosts an approved member
          limited  public content only
          blocked  nothing either way: its inbox deliveries are refused (403), nothing is sent to it
                   and nothing is fetched from it
        Nodes not on the list are blocked in allowlist mode (the default) and limited in open mode.
        Changes apply at once, also to a running node and to deliveries already queued, and
        stored content of a node that becomes blocked stops being shown.

        exclude/include  a community narrows the list for itself: an excluded node's members
                         cannot join, post or receive its relays (it can never admit a node the
                         node blocks)
        export     prints (or writes to FILE) the list as a praxis:TrustList JSON document signed
                   by the node key (eddsa-jcs-2022); the same document is served at /trust-list
        import     shows what FILE would change (+ added, - removed, ~ level changed); a signed
                   list must verify (the issuer's key is fetched unless the issuer is this
                   node); changes are written only with --apply
        subscribe  follows a partner node's published list (https://HOST/trust-list)
        review     fetches each subscribed list (signed), verifies it against the partner node's
                   key and shows what changed since the last review; --accept DOMAIN (or all)
                   applies those changes to this node's list. Nothing is applied otherwise.
        """

    struct Listed: Encodable {
        var domain: String
        var level: String
        var note: String
        var updated: Date
    }

    static func run(_ words: [String], console: Console) async throws {
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
            let note = try note(args)
            let operatorName = AuditCommand.operatorName(console)
            try await store.database.write { db in
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
            let removed = try await store.database.write { db -> Bool in
                guard try TrustRepository(db).remove(domain: domain) else { return false }
                try AuditRepository(db).record(operator: operatorName, action: "trust.remove", target: domain)
                return true
            }
            guard removed else { throw CLIError("\(domain) is not on the trust list") }
            let policy = TrustPolicy(mode: store.configuration.federation, localDomain: store.configuration.domain)
            console.out("Removed \(domain); it is now \(policy.level(of: domain, entry: nil).rawValue) (\(store.configuration.federation.rawValue) mode)")
        case "list":
            let args = try Arguments(rest, options: ["data", "community"], flags: ["json"], command: "trust list")
            try args.expectPositionals(0, "")
            let store = try PraxisCLI.openStore(args)
            if let community = args.value("community") {
                return try await listExclusions(community.lowercased(), json: args.flag("json"), store: store, console: console)
            }
            let entries = try await store.database.read { db in try TrustRepository(db).all() }
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
        case "exclude", "include":
            let args = try Arguments(rest, options: ["data", "community", "note"], flags: [], command: "trust \(sub)")
            try args.expectPositionals(1, "DOMAIN of the node (HOST or HOST:PORT)")
            let community = try args.required("community", "NAME of the local community").lowercased()
            let domain = args.positionals[0].lowercased()
            try Domain.validate(domain)
            let store = try PraxisCLI.openStore(args)
            guard domain != store.configuration.domain else {
                throw CLIError.usage("\(domain) is this node itself; a community cannot exclude its own node")
            }
            let note = try note(args)
            let operatorName = AuditCommand.operatorName(console)
            let exclude = sub == "exclude"
            let changed = try await store.database.write { db -> Bool in
                let repository = CommunityTrustRepository(db)
                let changed = exclude
                    ? try repository.exclude(CommunityExclusion(community: community, domain: domain, note: note,
                                                                createdBy: operatorName))
                    : try repository.include(community: community, domain: domain)
                if changed {
                    try AuditRepository(db).record(operator: operatorName, action: "community.\(sub)-node", target: community,
                                                   detail: domain)
                }
                return changed
            }
            switch (exclude, changed) {
            case (true, true): console.out("\(domain) is now excluded from \(community)")
            case (true, false): console.out("\(domain) was already excluded from \(community)")
            case (false, true): console.out("\(domain) is no longer excluded from \(community)")
            case (false, false): throw CLIError("\(domain) is not excluded from \(community)")
            }
        case "export":
            let args = try Arguments(rest, options: ["data", "out"], flags: [], command: "trust export")
            try args.expectPositionals(0, "")
            let store = try PraxisCLI.openStore(args)
            let text = try TrustListService(store: store).export().serialized(pretty: true)
            if let out = args.value("out") {
                do {
                    try Data((text + "\n").utf8).write(to: URL(fileURLWithPath: out), options: .atomic)
                } catch {
                    throw CLIError("cannot write \(out): \(error.localizedDescription)")
                }
                console.out("Wrote the signed trust list to \(out)")
            } else {
                console.out(text)
            }
        case "import":
            let args = try Arguments(rest, options: ["data"], flags: ["apply"], command: "trust import")
            try args.expectPositionals(1, "FILE holding a praxis:TrustList document")
            let store = try PraxisCLI.openStore(args)
            try await importList(args.positionals[0], apply: args.flag("apply"), store: store, console: console)
        case "subscribe":
            let args = try Arguments(rest, options: ["data"], flags: [], command: "trust subscribe")
            try args.expectPositionals(1, "URL of the partner's list (https://HOST/trust-list)")
            let store = try PraxisCLI.openStore(args)
            do {
                let subscription = try TrustListService(store: store).subscribe(url: args.positionals[0])
                console.out("Subscribed to \(subscription.url) (issuer \(subscription.issuer)); run `praxis trust review` to see it")
            } catch let error as TrustListError {
                throw CLIError(error.message)
            }
        case "review":
            let args = try Arguments(rest, options: ["data", "accept"], flags: [], command: "trust review")
            try args.expectPositionals(0, "")
            let store = try PraxisCLI.openStore(args)
            try await review(accept: args.value("accept"), store: store, console: console)
        default:
            throw CLIError.usage(
                "unknown subcommand `trust \(sub)`; use add, remove, list, exclude, include, export, import, subscribe or review")
        }
    }

    /// The `--note` of an entry: free text, at most 500 characters.
    static func note(_ args: Arguments) throws -> String {
        let note = args.value("note") ?? ""
        guard note.count <= 500 else { throw CLIError.usage("--note must be at most 500 characters") }
        return note
    }

    static func listExclusions(_ community: String, json: Bool, store: NodeStore, console: Console) async throws {
        let exclusions = try await store.database.read { db -> [CommunityExclusion] in
            _ = try CommunityTrustRepository(db).communityID(community)
            return try CommunityTrustRepository(db).all(community: community)
        }
        if json {
            console.out(try jsonLines(exclusions.map {
                Listed(domain: $0.domain, level: "excluded", note: $0.note, updated: $0.createdAt)
            }))
        } else if exclusions.isEmpty {
            console.out("\(community) excludes no node; it follows the node's trust list")
        } else {
            console.out(table([["DOMAIN", "BY", "NOTE"]] + exclusions.map { [$0.domain, $0.createdBy, $0.note] }))
        }
    }

    /// Runs `body` with the node's remote directory (signed fetches), shutting its client down after.
    static func withDirectory<T>(_ store: NodeStore, _ body: (RemoteDirectory) async throws -> T) async throws -> T {
        let federation = try NodeFederation(store: store, delivery: DeliveryConfiguration(), log: { _ in })
        defer { federation.client.shutdown() }
        return try await body(federation.directory)
    }

    static func importList(_ path: String, apply: Bool, store: NodeStore, console: Console) async throws {
        let bytes: [UInt8]
        do {
            bytes = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
        } catch {
            throw CLIError("cannot read \(path): \(error.localizedDescription)")
        }
        let service = TrustListService(store: store)
        let list: TrustListDocument
        let diff: TrustListDiff
        do {
            let document = try JSON.parse(bytes)
            list = try TrustListDocument(parsing: document)
            if document["proof"] == nil {
                console.err("warning: \(path) carries no proof; who published it cannot be checked")
            } else if list.issuer == service.urls.nodeActor {
                try await service.verify(document, issuer: list.issuer, directory: nil)
                console.out("Proof verified: issued by this node (\(list.issuer))")
            } else {
                try await withDirectory(store) { directory in
                    try await service.verify(document, issuer: list.issuer, directory: directory)
                }
                console.out("Proof verified: issued by \(list.issuer)")
            }
            diff = try service.preview(list)
        } catch let error as TrustListError {
            throw CLIError("\(path): \(error.message)")
        } catch let error as JSONError {
            throw CLIError("\(path) is not valid JSON: \(error)")
        } catch let error as DereferenceError {
            throw CLIError("cannot check the proof of \(path): \(error)")
        }
        guard !diff.isEmpty else { return console.out("Nothing to change: the trust list already matches \(path)") }
        console.out(diff.lines.joined(separator: "\n"))
        guard apply else {
            return console.out("\(diff.lines.count) change(s) not applied; run again with --apply to write them")
        }
        try service.apply(diff, operatorName: AuditCommand.operatorName(console), source: path)
        console.out("Applied \(diff.lines.count) change(s)")
    }

    static func review(accept: String?, store: NodeStore, console: Console) async throws {
        let service = TrustListService(store: store)
        if let accept {
            let domains: Set<String>? = accept == "all" ? nil : [accept.lowercased()]
            let applied = try service.accept(domains: domains, operatorName: AuditCommand.operatorName(console))
            guard !applied.isEmpty else {
                throw CLIError("nothing reviewed to accept\(domains == nil ? "" : " for \(accept)"); run `praxis trust review` first")
            }
            for diff in applied { console.out(diff.lines.joined(separator: "\n")) }
            return console.out("Accepted; the node's trust list is updated")
        }
        let reviews = try await withDirectory(store) { directory in try await service.review(directory: directory) }
        guard !reviews.isEmpty else {
            return console.out("No subscriptions; add one with `praxis trust subscribe --data DIR https://HOST/trust-list`")
        }
        for review in reviews {
            console.out("\(review.url) (issuer \(review.issuer))")
            if let failure = review.failure { console.out("  not updated: \(failure)") }
            if review.diff.isEmpty {
                console.out("  no changes since the last review")
            } else {
                for line in review.diff.lines { console.out("  " + line) }
            }
        }
        if reviews.contains(where: { !$0.diff.isEmpty }) {
            console.out("Nothing was applied; accept with `praxis trust review --data DIR --accept DOMAIN` (or `--accept all`)")
        }
    }
}
