import Foundation
import PraxisActivityStreams
import PraxisCommunity
import PraxisFederation
import PraxisJSON
import PraxisSQLite
import PraxisStorage
import PraxisText

/// The data of `praxis-bench read`: communities, members and posts written straight into a fresh
/// node's database, deterministic for a given size.
///
/// A fifth of the posts start threads (questions, discussions, announcements, case studies, with
/// titles and tags); the rest reply, mostly to recent threads, sometimes to old ones (which brings
/// them back to the top of "latest"), a fifth of them to another reply. Each community has a main
/// language (English, French, Spanish, Dutch or Chinese) and some posts in others. Every tenth
/// community is members-only; the reading member belongs to all of them. Documents carry the
/// fields a post written on a node has (source, addressing, tags, contentMap, a proof-shaped block
/// of the same size), without a valid signature: the read paths never verify stored proofs.
struct ReadSeed {
    static let reader = "reader"
    static let configuration = NodeConfiguration(domain: ReadBench.domain, name: "Read bench", development: true)
    /// Posts are dated over two years ending here (fixed, so the data does not depend on the day).
    static let end: Int64 = 1_790_000_000
    static let span: Int64 = 2 * 365 * 86_400
    static let authors = 40

    let directory: DataDirectory
    let posts: Int
    let communities: Int

    static func objectID(_ index: Int) -> String { configuration.baseURL + "/objects/bench-\(index)" }

    static func communityName(_ index: Int) -> String { "practice-\(index)" }

    func seed() throws {
        let started = ContinuousClock.now
        func elapsed() -> String { String(format: "%.0f s", (ContinuousClock.now - started).benchSeconds) }
        print("read: seeding \(posts) posts in \(communities) communities (once; kept for later runs)")
        let store = try NodeSetup.initialise(directory: directory, configuration: Self.configuration)
        let urls = NodeURLs(configuration: Self.configuration)
        let accounts = AccountService(store: store, passwordCost: .testing)
        _ = try accounts.add(.init(username: Self.reader, password: ReadBench.password))
        for index in 0..<Self.authors {
            _ = try accounts.add(.init(username: "author\(index)", password: ReadBench.password))
        }
        let communityService = CommunityService(store: store)
        var random = SplitMix64(seed: 42)
        var mainLanguage: [Int] = []
        for index in 0..<communities {
            let membersOnly = index % 10 == 9
            let language = random.weighted(Self.languageWeights)
            mainLanguage.append(language)
            _ = try communityService.create(.init(
                name: Self.communityName(index), title: "Practice \(index)", visibility: membersOnly ? .members : .public,
                joinPolicy: membersOnly ? .approval : .open, languages: [Self.languages[language].code]))
        }
        let readerURL = urls.person(Self.reader)
        try store.database.write { db in
            for index in 0..<communities {
                for member in [Self.reader] + (0..<Self.authors).map({ "author\($0)" }) {
                    try FollowRepository(db).upsert(Follow(
                        follower: urls.person(member), followed: urls.community(Self.communityName(index)), followerInbox: nil,
                        followerDomain: ReadBench.domain, followedDomain: ReadBench.domain, state: .accepted,
                        activityID: urls.base + "/activities/bench-join-\(index)-\(member)"))
                }
            }
        }
        print("  \(Self.authors + 1) members, \(communities) communities (\(elapsed())); \(readerURL) reads them all")

        // Threads so far: the post index of each root, its community and its latest reply.
        var roots: [(post: Int, community: Int, lastReply: Int)] = []
        roots.reserveCapacity(posts / 4)
        let batch = 20_000
        var index = 0
        while index < posts {
            let upper = min(index + batch, posts)
            try store.database.write { db in
                for post in index..<upper {
                    let row = makePost(post, roots: &roots, mainLanguage: mainLanguage, urls: urls, random: &random)
                    try db.run(
                        """
                        INSERT INTO objects (id, type, attributed_to, audience, in_reply_to, name, content, published,
                                             document, origin_domain, received_at, kind, language, tags)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                        """,
                        arguments: row)
                }
            }
            index = upper
            if index % 200_000 == 0 || index == posts { print("  \(index) posts stored (\(elapsed()))") }
        }
        // Half the questions that have replies accepted their first answer.
        try store.database.write { db in
            try db.run(
                """
                UPDATE objects SET accepted_answer = (SELECT r.id FROM objects r WHERE r.thread_root = objects.id
                        ORDER BY coalesce(r.published, 0), r.id LIMIT 1)
                WHERE in_reply_to IS NULL AND kind = 'question' AND reply_count > 0 AND CAST(substr(id, -1) AS INTEGER) % 2 = 0
                """)
        }
        var indexed = 0
        while true {
            let handled = try store.database.write { db in
                try SearchIndex(db).refresh(limit: 5_000, plainText: PlainText.fromHTML)
            }
            if handled == 0 { break }
            indexed += handled
            if indexed % 200_000 < 5_000 { print("  \(indexed) posts indexed for search (\(elapsed()))") }
        }
        try store.database.checkpoint()
        print("  search index complete (\(elapsed()))")
    }

    /// The column values of post `index`, in the order of the INSERT above.
    func makePost(_ index: Int, roots: inout [(post: Int, community: Int, lastReply: Int)], mainLanguage: [Int],
                  urls: NodeURLs, random: inout SplitMix64) -> [any SQLBindable] {
        let published = Self.end - Self.span + Int64(index) * Self.span / Int64(max(posts, 1))
        let isThread = roots.isEmpty || random.below(5) == 0
        let community: Int
        var inReplyTo: String?
        if isThread {
            community = random.skewed(communities, exponent: 1.5)
            roots.append((index, community, -1))
        } else {
            // Mostly recent threads; now and then an old one comes back.
            let thread = roots.count - 1 - random.skewed(roots.count, exponent: 4)
            community = roots[thread].community
            let target = roots[thread].lastReply >= 0 && random.below(5) == 0 ? roots[thread].lastReply : roots[thread].post
            inReplyTo = Self.objectID(target)
            roots[thread].lastReply = index
        }
        let language = random.below(5) == 0 ? random.weighted(Self.languageWeights) : mainLanguage[community]
        let words = Self.languages[language]
        let paragraphs = (0..<(isThread ? 1 + random.below(3) : 1 + random.below(2))).map { _ in
            words.paragraph(sentences: 1 + random.below(4), random: &random)
        }
        let source = paragraphs.joined(separator: "\n\n")
        let html = paragraphs.map { "<p>" + HTMLEscape.text($0) + "</p>" }.joined(separator: "\n")
        let id = Self.objectID(index)
        let author = urls.person("author\(random.below(Self.authors))")
        let audience = urls.community(Self.communityName(community))
        let membersOnly = community % 10 == 9
        let date = ISO8601.string(Date(timeIntervalSince1970: TimeInterval(published)))
        var document: JSONObject = [
            "@context": ActivityStreams.contentContext,
            "id": .string(id),
            "type": isThread ? "Page" : "Note",
            "attributedTo": .string(author),
            "content": .string(html),
            "source": ["content": .string(source), "mediaType": "text/markdown"],
            "to": .array([.string(membersOnly ? audience : ActivityStreams.publicCollection)]),
            "cc": .array(membersOnly ? [] : [.string(audience)]),
            "audience": .string(audience),
            "published": .string(date),
            "contentMap": [words.code: .string(html)],
            "proof": [
                "type": "DataIntegrityProof", "cryptosuite": "eddsa-jcs-2022", "proofPurpose": "assertionMethod",
                "verificationMethod": .string(author + "#ed25519-key"), "created": .string(date),
                "proofValue": .string("z" + String(repeating: "5", count: 87)),
            ],
        ]
        var name: String?
        var kind: String?
        var tags: [String] = []
        if isThread {
            name = words.title(random: &random)
            kind = Self.kinds[random.weighted(Self.kindWeights)]
            tags = (0..<random.below(4)).map { _ in Self.tags[random.skewed(Self.tags.count, exponent: 2)] }
            tags = Array(Set(tags)).sorted()
            document["name"] = name.map(JSON.string)
            document["kind"] = kind.map(JSON.string)
            if !tags.isEmpty { document["tag"] = .array(tags.map { ["type": "Hashtag", "name": .string("#" + $0)] }) }
        } else {
            document["inReplyTo"] = inReplyTo.map(JSON.string)
        }
        let tagsJSON = JSON.array(tags.map(JSON.string)).serialized()
        return [
            id, isThread ? "Page" : "Note", author, audience, inReplyTo, name, html, published,
            JSON.object(document).serializedBytes(), ReadBench.domain, published, kind, words.code, tagsJSON,
        ]
    }

    static let kinds = ["question", "discussion", "announcement", "caseStudy"]
    static let kindWeights = [45, 35, 10, 10]
    static let tags = [
        "framework-agreements", "green-procurement", "eu-directives", "ted", "dps", "e-invoicing", "espd", "lots",
        "award-criteria", "mepa", "innovation", "pre-commercial", "social-clauses", "sme-access", "ict", "health",
        "construction", "energy", "vehicles", "catering", "consultancy", "legal", "remedies", "thresholds",
        "market-consultation", "joint-procurement", "central-purchasing", "e-procurement", "contract-management",
        "price-revision", "subcontracting", "abnormally-low-tenders", "exclusion-grounds", "qualification",
        "negotiated-procedure", "competitive-dialogue", "open-data", "ai", "cloud", "security",
    ]

    static let languageWeights = [40, 20, 15, 15, 10]
    static let languages: [SeedLanguage] = [
        SeedLanguage(code: "en", seed: 1, head: """
            the of and to a in for is that on with tender contract procurement authority supplier award criteria \
            framework agreement lot price quality offer bid evaluation procedure public buyer market notice deadline \
            requirement specification value threshold directive documents question answer experience practice \
            selection exclusion ground budget service works supply delivery invoice payment risk sustainable green \
            innovation consultation negotiation dialogue competitive central purchasing body member state municipality
            """),
        SeedLanguage(code: "fr", seed: 2, head: """
            le la les de des et un une du en pour est que sur avec marché public acheteur pouvoir adjudicateur \
            fournisseur attribution critères accord cadre lot prix qualité offre candidature évaluation procédure \
            avis délai exigence cahier des charges valeur seuil directive document question réponse expérience \
            sélection exclusion budget service travaux fourniture livraison facture paiement risque durable \
            innovation consultation négociation dialogue compétitif centrale d'achat collectivité
            """),
        SeedLanguage(code: "es", seed: 3, head: """
            el la los las de del y en para es que con por una un contrato contratación pública licitación \
            adjudicación órgano de contratación proveedor criterios acuerdo marco lote precio calidad oferta \
            evaluación procedimiento anuncio plazo requisito pliego valor umbral directiva documento pregunta \
            respuesta experiencia selección exclusión presupuesto servicio obras suministro entrega factura pago \
            riesgo sostenible innovación consulta negociación diálogo competitivo central de compras ayuntamiento
            """),
        SeedLanguage(code: "nl", seed: 4, head: """
            de het een van en in voor is dat op met aanbesteding opdracht inkoop aanbestedende dienst leverancier \
            gunning criteria raamovereenkomst perceel prijs kwaliteit inschrijving offerte beoordeling procedure \
            aankondiging termijn eis bestek waarde drempel richtlijn document vraag antwoord ervaring selectie \
            uitsluiting budget dienst werken levering factuur betaling risico duurzaam innovatie marktconsultatie \
            onderhandeling dialoog concurrentiegerichte inkooporganisatie gemeente
            """),
        SeedLanguage(code: "zh", seed: 5, head: """
            政府采购 招标 投标 合同 供应商 采购人 评标 标准 框架协议 分包 价格 质量 报价 评审 程序 公告 期限 \
            要求 规格 金额 门槛 指令 文件 问题 回答 经验 实践 资格 排除 预算 服务 工程 货物 交付 发票 付款 风险 \
            绿色 创新 咨询 谈判 竞争性 集中采购 地方政府 电子采购 履约 验收 中小企业 公开 透明 监督 投诉 质疑 \
            单一来源 询价 磋商 代理机构 专家 评分 中标 废标 保证金 信用 承诺 绩效 数字化 平台 目录 协议供货
            """),
    ]
}

/// The words of one language and how its sentences are put together.
struct SeedLanguage {
    let code: String
    let words: [String]

    var isCJK: Bool { code == "zh" }

    /// `head`: real words, most common first; a long tail of made-up words (from syllables) follows,
    /// so the vocabulary has the size and skew of real text.
    init(code: String, seed: UInt64, head: String) {
        self.code = code
        var words = head.split(whereSeparator: \.isWhitespace).map(String.init)
        var random = SplitMix64(seed: seed)
        if code == "zh" {
            let characters = Array("采购招标合同供应商评审价格质量服务工程货物交付资格预算风险创新咨询谈判集中地方电子履约验收企业公开透明监督投诉")
            while words.count < 1_500 {
                words.append(String((0..<(2 + random.below(2))).map { _ in characters[random.below(characters.count)] }))
            }
        } else {
            let syllables = ["pro", "cu", "re", "ten", "der", "con", "tra", "ment", "ad", "ju", "di", "ca", "ti", "on",
                             "ver", "ga", "be", "lis", "ta", "mer", "ka", "to", "ri", "an", "el", "ve", "no", "sa", "lu", "dor"]
            while words.count < 3_000 {
                words.append((0..<(2 + random.below(3))).map { _ in syllables[random.below(syllables.count)] }.joined())
            }
        }
        self.words = words
    }

    /// A word as it appears in text: common ones far more often (search queries use a milder skew).
    func word(_ random: inout SplitMix64, exponent: Double = 2) -> String { words[random.skewed(words.count, exponent: exponent)] }

    func sentence(random: inout SplitMix64) -> String {
        let count = 6 + random.below(12)
        let chosen = (0..<count).map { _ in word(&random, exponent: 3) }
        if isCJK { return chosen.joined() + (random.below(3) == 0 ? "？" : "。") }
        let text = chosen.joined(separator: " ")
        return text.prefix(1).uppercased() + text.dropFirst() + (random.below(4) == 0 ? "?" : ".")
    }

    func paragraph(sentences: Int, random: inout SplitMix64) -> String {
        (0..<sentences).map { _ in sentence(random: &random) }.joined(separator: isCJK ? "" : " ")
    }

    func title(random: inout SplitMix64) -> String {
        let chosen = (0..<(3 + random.below(6))).map { _ in word(&random, exponent: 2) }
        if isCJK { return chosen.joined() }
        let text = chosen.joined(separator: " ")
        return text.prefix(1).uppercased() + text.dropFirst()
    }
}
