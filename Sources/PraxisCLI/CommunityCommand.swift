import Foundation
import PraxisCommunity
import PraxisStorage

enum CommunityCommand {
    static let help = """
        Usage: praxis community create --data DIR NAME [--title TEXT] [--description TEXT]
                                       [--visibility public|members] [--join open|approval|invite]
                                       [--owner USER] [--parent NAME]
                                       [--theme sector|purchasingNetwork|project|topic] [--languages fr,nl]
               praxis community list --data DIR [--json]
               praxis community role --data DIR NAME MEMBER --role manager|moderator|none

        create  creates a community (visibility public by default, joining by approval)
        list    lists the node's communities
        role    makes a member of the community its manager (decides joins, invites) or moderator
                (listed as moderator to other nodes), or removes the role
        """

    struct Listed: Encodable {
        var name: String
        var title: String
        var visibility: String
        var join: String
        var owner: String?
        var parent: String?
        var theme: String
        var languages: [String]
        var url: String
    }

    static func run(_ words: [String], console: Console) throws {
        guard let sub = words.first, !["--help", "-h"].contains(sub) else { return console.out(help) }
        let rest = Array(words.dropFirst())
        if PraxisCLI.wantsHelp(rest) { return console.out(help) }
        switch sub {
        case "create":
            let args = try Arguments(
                rest, options: ["data", "title", "description", "visibility", "join", "owner", "parent", "theme", "languages"],
                flags: [],
                command: "community create")
            try args.expectPositionals(1, "NAME of the community")
            let visibility = try args.choice("visibility", default: CommunityVisibility.public)
            let join = try args.choice("join", default: JoinPolicy.approval)
            let theme = try args.choice("theme", default: ThemeKind.topic)
            let languages = args.value("languages").map { $0.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) } } ?? []
            let store = try PraxisCLI.openStore(args)
            let community = try CommunityService(store: store).create(
                .init(name: args.positionals[0], title: args.value("title"), summary: args.value("description") ?? "",
                      visibility: visibility, joinPolicy: join, owner: args.value("owner"), parent: args.value("parent"),
                      theme: theme, languages: languages))
            console.out("Created community !\(community.actor.username)@\(store.configuration.domain): \(store.configuration.baseURL)/communities/\(community.actor.username)")
        case "list":
            let args = try Arguments(rest, options: ["data"], flags: ["json"], command: "community list")
            try args.expectPositionals(0, "")
            let store = try PraxisCLI.openStore(args)
            let communities = try CommunityService(store: store).list()
            let base = store.configuration.baseURL
            if args.flag("json") {
                console.out(try jsonLines(communities.map {
                    Listed(name: $0.actor.username, title: $0.title, visibility: $0.visibility.rawValue,
                           join: $0.joinPolicy.rawValue, owner: $0.ownerUsername, parent: $0.parentUsername,
                           theme: $0.theme.rawValue, languages: $0.languages, url: base + "/communities/" + $0.actor.username)
                }))
            } else if communities.isEmpty {
                console.out("No communities yet; create one with `praxis community create --data DIR NAME`.")
            } else {
                console.out(table([["NAME", "VISIBILITY", "JOIN", "OWNER", "PARENT", "TITLE"]] + communities.map {
                    [$0.actor.username, $0.visibility.rawValue, $0.joinPolicy.rawValue, $0.ownerUsername ?? "-",
                     $0.parentUsername ?? "-", $0.title]
                }))
            }
        case "role":
            let args = try Arguments(rest, options: ["data", "role"], flags: [], command: "community role")
            try args.expectPositionals(2, "NAME of the community and MEMBER")
            guard let roleName = args.value("role") else { throw CLIError.usage("--role manager|moderator|none is required") }
            let role: CommunityRole?
            if roleName == "none" {
                role = nil
            } else {
                guard let parsed = CommunityRole(rawValue: roleName) else {
                    throw CLIError.usage("--role must be one of: manager, moderator, none (got \"\(roleName)\")")
                }
                role = parsed
            }
            let store = try PraxisCLI.openStore(args)
            let (name, member) = (args.positionals[0], args.positionals[1])
            let base = store.configuration.baseURL
            let operatorName = AuditCommand.operatorName(console)
            try store.database.write { db in
                guard let community = try CommunityRepository(db).find(username: name) else {
                    throw CLIError("no community named \"\(name)\" on this node")
                }
                guard let account = try AccountRepository(db).find(username: member), account.affiliation != .supplier else {
                    throw CLIError("no member named \"\(member)\" on this node who can hold a role")
                }
                let actorID = base + "/users/" + account.actor.username
                if role != nil,
                    try FollowRepository(db).find(follower: actorID, followed: base + "/communities/" + name)?.state != .accepted
                {
                    throw CLIError("\(member) must be a member of \(name) first")
                }
                try CommunityRoleRepository(db).set(role, actor: actorID, communityID: community.actor.id)
                try AuditRepository(db).record(
                    operator: operatorName, action: "community.role", target: "\(account.actor.username) in \(community.actor.username)",
                    detail: role?.rawValue ?? "none")
            }
            console.out(role.map { "\(member) is now \($0.rawValue) of \(name)" } ?? "\(member) has no role in \(name) any more")
        default:
            throw CLIError.usage("unknown subcommand `community \(sub)`; use create, list or role")
        }
    }
}
