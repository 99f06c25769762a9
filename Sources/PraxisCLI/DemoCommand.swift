import Foundation
import PraxisCommunity
import PraxisCrypto
import PraxisFederation
import PraxisHTTP
import PraxisServer
import PraxisStorage

/// `praxis demo`: several development-mode nodes on loopback, seeded with members and communities,
/// federating with each other. The seed grows with every capability Praxis gains.
enum DemoCommand {
    static let help = """
        Usage: praxis demo [--nodes N] [--base-port PORT] [--keep] [--quiet]

        Starts N local nodes (default 3) on 127.0.0.1:PORT, PORT+1, ... (default 8001), each in
        development mode in a temporary folder, seeded with members and communities; prints their
        URLs and runs until Ctrl-C, then stops them all and removes the folders.

          --nodes N         number of nodes, 1 to 9
          --base-port PORT  port of the first node
          --keep            keep the data folders (their paths are printed)
          --quiet           no access log
        """

    /// The members every demo node gets; they sign in with `DemoSeed.password`.
    struct Member {
        var name: String
        var displayName: String
        var role: AccountRole
        var affiliation: Affiliation
    }

    struct CommunitySeed {
        var name: String
        var title: String
        var summary: String
        var visibility: CommunityVisibility
        var join: JoinPolicy
        var owner: String
        var parent: String?
        var theme: ThemeKind = .topic
        var languages: [String] = []
    }

    struct NodeSeed {
        var name: String
        var members: [Member]
        var communities: [CommunitySeed]
    }

    static let password = "praxis-demo-2026"

    /// A question asked by a member of one node in a community of another node, answered there.
    struct Conversation {
        var asker: String
        var askerNode: Int
        var community: String
        var communityNode: Int
        var title: String
        var tags: [String]
        var language: String
        var answerLanguage: String
        var question: String
        var answerer: String
        var answer: String
        /// A CSV template the answerer shares in the community's document library.
        var templateName: String
        var templateTitle: String
        var template: String
    }

    static let conversations: [Conversation] = [
        Conversation(
            asker: "amelie", askerNode: 0, community: "europese-drempels", communityNode: 1,
            title: "Seuils européens et accords-cadres à lots", tags: ["seuils", "accord-cadre"], language: "fr",
            answerLanguage: "nl",
            question: "Bonjour ! Comment calculez-vous le seuil européen pour un accord-cadre en plusieurs lots ?",
            answerer: "daan",
            answer: "Hallo Amélie, wij tellen de geraamde waarde van alle percelen samen (art. 5, lid 9, Richtlijn 2014/24/EU).",
            templateName: "raming-percelen.csv", templateTitle: "Rekenblad: geraamde waarde per perceel",
            template: "perceel,omschrijving,geraamde waarde (EUR)\n1,Noord,180000\n2,Midden,150000\n3,Zuid,120000\ntotaal,,450000\n"),
        Conversation(
            asker: "lucia", askerNode: 2, community: "marches-numeriques", communityNode: 0,
            title: "Reversibilidad en contratos de nube", tags: ["cloud", "reversibilidad"], language: "es",
            answerLanguage: "fr",
            question: "¿Cómo evaluáis la reversibilidad en los contratos de servicios en la nube?",
            answerer: "amelie",
            answer: "Nous demandons un plan de réversibilité chiffré dans l'offre, noté dans le critère technique.",
            templateName: "grille-reversibilite.csv", templateTitle: "Grille de notation de la réversibilité",
            template: "critère,poids,preuve attendue\nplan de réversibilité chiffré,40,annexe financière\nformats ouverts,30,liste des formats\nassistance à la migration,30,jours-homme inclus\n"),
    ]

    static let seeds: [NodeSeed] = [
        NodeSeed(
            name: "Centre national des achats publics (FR, démo)",
            members: [
                Member(name: "amelie", displayName: "Amélie Laurent", role: .admin, affiliation: .buyer),
                Member(name: "bruno", displayName: "Bruno Marchand", role: .member, affiliation: .buyer),
                Member(name: "claire", displayName: "Claire Dubois (avocate)", role: .member, affiliation: .expert),
            ],
            communities: [
                CommunitySeed(name: "marches-numeriques", title: "Marchés publics du numérique",
                              summary: "Achats de logiciels, de cloud et de services numériques.",
                              visibility: .public, join: .open, owner: "amelie", theme: .sector, languages: ["fr", "en"]),
                CommunitySeed(name: "clauses-sociales", title: "Clauses sociales et environnementales",
                              summary: "Insertion, critères environnementaux, coût du cycle de vie.",
                              visibility: .members, join: .approval, owner: "bruno", theme: .topic, languages: ["fr"]),
            ]),
        NodeSeed(
            name: "Expertisecentrum Aanbesteden (NL, demo)",
            members: [
                Member(name: "daan", displayName: "Daan de Vries", role: .admin, affiliation: .buyer),
                Member(name: "eva", displayName: "Eva Jansen", role: .moderator, affiliation: .buyer),
            ],
            communities: [
                CommunitySeed(name: "aanbesteden-bouw", title: "Aanbesteden in de bouw",
                              summary: "Bouwopdrachten, EMVI en gunningscriteria.",
                              visibility: .public, join: .approval, owner: "eva", theme: .sector, languages: ["nl"]),
                CommunitySeed(name: "europese-drempels", title: "Europese drempelwaarden",
                              summary: "Wanneer geldt de Europese aanbestedingsplicht?",
                              visibility: .public, join: .open, owner: "daan", theme: .topic, languages: ["nl", "en", "fr"]),
            ]),
        NodeSeed(
            name: "Centro de Contratación Pública (ES, demo)",
            members: [
                Member(name: "lucia", displayName: "Lucía García", role: .admin, affiliation: .buyer),
                Member(name: "mateo", displayName: "Mateo López", role: .member, affiliation: .buyer),
            ],
            communities: [
                CommunitySeed(name: "contratacion-sanitaria", title: "Contratación sanitaria",
                              summary: "Compras de hospitales y servicios de salud.",
                              visibility: .public, join: .approval, owner: "lucia", theme: .purchasingNetwork, languages: ["es"]),
                CommunitySeed(name: "equipos-medicos", title: "Equipos médicos",
                              summary: "Subcomunidad: especificaciones técnicas de equipos médicos.",
                              visibility: .members, join: .invite, owner: "mateo", parent: "contratacion-sanitaria",
                              theme: .project, languages: ["es"]),
            ]),
    ]

    /// The seed of node `index`; nodes beyond the named ones get a generic procurement centre.
    static func seed(_ index: Int) -> NodeSeed {
        if index < seeds.count { return seeds[index] }
        let n = index + 1
        return NodeSeed(
            name: "Procurement centre \(n) (demo)",
            members: [Member(name: "admin\(n)", displayName: "Administrator \(n)", role: .admin, affiliation: .buyer)],
            communities: [
                CommunitySeed(name: "practice-\(n)", title: "Procurement practice \(n)", summary: "A demo community.",
                              visibility: .public, join: .open, owner: "admin\(n)")
            ])
    }

    static func run(_ words: [String], console: Console) async throws {
        if PraxisCLI.wantsHelp(words) { return console.out(help) }
        let args = try Arguments(words, options: ["nodes", "base-port"], flags: ["keep", "quiet"], command: "demo")
        try args.expectPositionals(0, "")
        let count = try args.integer("nodes", default: 3, range: 1...9)
        let basePort = try args.integer("base-port", default: 8001, range: 1024...(65535 - 8))

        let root = FileManager.default.temporaryDirectory.appendingPathComponent("praxis-demo-\(UUID().uuidString.prefix(8))")
        defer {
            if !args.flag("keep") { try? FileManager.default.removeItem(at: root) }
        }
        console.out("Seeding \(count) demo nodes in \(root.path) ...")
        var nodes: [PraxisNode] = []
        let out = console.out
        let quiet = args.flag("quiet")
        for index in 0..<count {
            let port = basePort + index
            let directory = DataDirectory(path: root.appendingPathComponent("node\(index + 1)").path)
            let seed = seed(index)
            let store = try NodeSetup.initialise(
                directory: directory,
                configuration: NodeConfiguration(domain: "127.0.0.1:\(port)", name: seed.name, federation: .allowlist,
                                                 development: true))
            try populate(store, with: seed)
            // The demo nodes form one federation: each trusts all the others.
            try await store.database.write { db in
                for other in 0..<count where other != index {
                    try TrustRepository(db).set(TrustEntry(domain: "127.0.0.1:\(basePort + other)", level: .trusted,
                                                           note: "demo federation"))
                }
            }
            let tag = "[node\(index + 1)] "
            var accessLog: (@Sendable (String) -> Void)?
            if !quiet { accessLog = { @Sendable line in out(tag + line) } }
            let node = try PraxisNode(directory: directory, accessLog: accessLog)
            do {
                try node.start()
            } catch {
                for started in nodes { await started.shutdown(gracePeriod: .seconds(1)) }
                throw CLIError("cannot start node \(index + 1) on 127.0.0.1:\(port): \(error); try --base-port with free ports")
            }
            nodes.append(node)
        }
        await federate(nodes, console: console)
        console.out("")
        console.out("Praxis demo: \(count) nodes running (development mode, plain HTTP on loopback)")
        for (index, node) in nodes.enumerated() {
            let seed = seed(index)
            let domain = node.store.configuration.domain
            console.out("  \(node.baseURL)  \(seed.name)")
            let first = seed.members[0].name
            console.out("      member:    \(node.baseURL)/users/\(first)   (acct:\(first)@\(domain))")
            console.out("      community: \(node.baseURL)/communities/\(seed.communities[0].name)")
            console.out("      webfinger: \(node.baseURL)/.well-known/webfinger?resource=acct:\(first)@\(domain)")
            console.out("      nodeinfo:  \(node.baseURL)/nodeinfo/2.1")
        }
        for conversation in conversations where conversation.askerNode < count && conversation.communityNode < count {
            let base = nodes[conversation.communityNode].baseURL
            console.out("  conversation across nodes: \(base)/communities/\(conversation.community)")
            console.out("      shared document \"\(conversation.templateTitle)\": \(base)/api/v1/communities/\(conversation.community)/documents")
        }
        console.out("All demo members have the password \"\(password)\".")
        if args.flag("keep") { console.out("Data folders are kept under \(root.path).") }
        console.out("Press Ctrl-C to stop.")
        let signal = await ShutdownSignal.wait()
        console.out("Received signal \(signal); stopping \(count) nodes")
        for node in nodes { await node.shutdown(gracePeriod: .seconds(5)) }
        console.out("Stopped")
    }

    /// Members join communities on other nodes and ask questions there, which their peers answer:
    /// every step goes over the federation (signed follows, accepts, creates and announces).
    static func federate(_ nodes: [PraxisNode], console: Console) async {
        for conversation in conversations
        where conversation.askerNode < nodes.count && conversation.communityNode < nodes.count {
            let home = nodes[conversation.communityNode]
            let asker = nodes[conversation.askerNode]
            let community = home.baseURL + "/communities/" + conversation.community
            do {
                try await home.federation.social.follow(member: conversation.answerer, target: community)
                try await asker.federation.social.follow(member: conversation.asker, target: community)
                let askerID = asker.baseURL + "/users/" + conversation.asker
                guard await waitUntilAccepted(asker, follower: askerID, community: community) else {
                    console.err("demo: \(conversation.asker) could not join \(community) in time; skipping the conversation")
                    continue
                }
                let question = try await asker.federation.social.post(
                    member: conversation.asker, community: community, content: conversation.question,
                    name: conversation.title, kind: .question, tags: conversation.tags, language: conversation.language)
                // The answer is a reply on the community's node, which must have the question first.
                guard await waitUntilStored(home, question.id) else {
                    console.err("demo: the question did not reach \(community) in time; skipping the answer")
                    continue
                }
                let answer = try await home.federation.social.post(
                    member: conversation.answerer, community: community, content: conversation.answer,
                    inReplyTo: question.id, language: conversation.answerLanguage)
                guard await waitUntilStored(asker, answer.id) else { continue }
                try await asker.federation.social.acceptAnswer(member: conversation.asker, question: question.id,
                                                               answer: answer.id)
                try await shareDocument(conversation, from: home, to: asker, community: community, console: console)
            } catch {
                console.err("demo: the conversation in \(community) could not be seeded: \(error)")
            }
        }
    }

    /// The answerer shares a template in the community's library; the asker's node receives the
    /// signed `Document`, fetches its bytes from the community's node and checks their digest.
    static func shareDocument(
        _ conversation: Conversation, from home: PraxisNode, to asker: PraxisNode, community: String, console: Console
    ) async throws {
        let bytes = Array(conversation.template.utf8)
        let spool = home.store.directory.uploadSpoolDirectory
        try FileManager.default.createDirectory(at: spool, withIntermediateDirectories: true)
        let path = spool.appendingPathComponent("demo-\(UUID().uuidString).csv").path
        guard FileManager.default.createFile(atPath: path, contents: Data(bytes)) else {
            throw CLIError("cannot write the demo template to \(path)")
        }
        defer { try? FileManager.default.removeItem(atPath: path) }
        let document = try await home.federation.documents.upload(
            member: conversation.answerer, community: community,
            .init(path: path, size: bytes.count, sha256: SHA256.hash(bytes), filename: conversation.templateName,
                  title: conversation.templateTitle, description: "", tags: conversation.tags,
                  language: conversation.answerLanguage))
        guard await waitUntil({
            try await asker.store.database.read { db in try DocumentStore(db).find(id: document.id) } != nil
        }) else {
            console.err("demo: the shared document did not reach \(asker.baseURL) in time")
            return
        }
        _ = try await asker.federation.documents.content(id: document.id, for: conversation.asker)
    }

    static func waitUntilStored(_ node: PraxisNode, _ objectID: String) async -> Bool {
        await waitUntil { try await node.store.database.read { db in try ObjectRepository(db).find(id: objectID) } != nil }
    }

    static func waitUntilAccepted(_ node: PraxisNode, follower: String, community: String) async -> Bool {
        await waitUntil {
            try await node.store.database.read { db in
                try FollowRepository(db).find(follower: follower, followed: community)?.state == .accepted
            }
        }
    }

    /// Polls `condition` every 100 ms for up to 10 s.
    static func waitUntil(_ condition: @Sendable () async throws -> Bool) async -> Bool {
        for _ in 0..<100 {
            if (try? await condition()) == true { return true }
            try? await Task.sleep(for: .milliseconds(100))
        }
        return false
    }

    /// Adds the seed's members and communities to a freshly initialised node.
    static func populate(_ store: NodeStore, with seed: NodeSeed) throws {
        let accounts = AccountService(store: store)
        for member in seed.members {
            try accounts.add(.init(username: member.name, password: password, displayName: member.displayName,
                                   role: member.role, affiliation: member.affiliation))
        }
        let communities = CommunityService(store: store)
        for community in seed.communities {
            try communities.create(.init(name: community.name, title: community.title, summary: community.summary,
                                         visibility: community.visibility, joinPolicy: community.join,
                                         owner: community.owner, parent: community.parent, theme: community.theme,
                                         languages: community.languages))
        }
    }
}
