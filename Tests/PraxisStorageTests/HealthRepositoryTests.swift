import Foundation
import PraxisSQLite
import PraxisStorage
import PraxisTestSupport
import Testing

/// Health figures on a seeded community with a fixed clock: every expected number below is
/// derived by hand from the data set described in `Fixture`.
@Suite struct HealthRepositoryTests {
    static let now: Int64 = 1_800_000_000
    static let day: Int64 = 86_400
    static let cloud = "https://praxis.test/communities/cloud"
    static let other = "https://praxis.test/communities/other"
    static func local(_ name: String) -> String { "https://praxis.test/users/\(name)" }
    static let rita = "https://other.test/users/rita"
    static let zed = "https://third.test/users/zed"
    static func object(_ name: String) -> String { "https://praxis.test/objects/\(name)" }

    /// The community `cloud`:
    ///
    /// | id | what | by | when (before now) | notes |
    /// |---|---|---|---|---|
    /// | t1 | question | ana | 2 d | tags tenders, cloud; accepted answer r1 |
    /// | r1b | reply to t1 | ana | 2 d − 10 min | the asker herself: not an answer |
    /// | r1 | reply to t1 | bob | 2 d − 1 h | first answer after 3,600 s |
    /// | t3 | discussion | rita (other.test) | 3 d | tag cloud |
    /// | r2, r3 | replies to t3 | ana, cleo | 2 d, 1 d | |
    /// | doc1 | Document | cleo | 5 d | |
    /// | t8 | discussion | bob | exactly 7 d | tag tenders; outside "last 7 days" |
    /// | t2 | question | bob | 10 d | tag tenders; never answered |
    /// | t5 | discussion | dan | 20 d | tag legal |
    /// | t7 | question | rita (other.test) | 25 d | answered by bob (r7) after 18,000 s |
    /// | t4 | question | cleo | 40 d | answered by ana (r4) after 7,200 s |
    /// | doc2 | Document | bob | 45 d | |
    /// | t6 | discussion | bob | 60 d | beyond the 8 weeks |
    /// | td | discussion | ghost | 1 d | deleted: counts nowhere |
    ///
    /// Likes: zed on t3 (1 d), bob on t3 (1 d), cleo on r1 (1 d), ana on r7 (24 d). Community
    /// `other` has one thread o1 by outsider (1 d, tag cloud) with outsider's like; a remote
    /// community's post by remo (1 d) belongs to no local community.
    struct Fixture {
        let base: TestStore
        var store: NodeStore { base.store }

        init() throws {
            base = try TestStore()
            let ago = { (seconds: Int64) in HealthRepositoryTests.now - seconds }
            let day = HealthRepositoryTests.day
            typealias T = HealthRepositoryTests
            try put("t1", by: T.local("ana"), at: ago(2 * day), kind: "question", tags: ["tenders", "cloud"],
                    accepted: T.object("r1"))
            try put("r1b", by: T.local("ana"), at: ago(2 * day) + 600, replyTo: "t1")
            try put("r1", by: T.local("bob"), at: ago(2 * day) + 3_600, replyTo: "t1")
            try put("t3", by: T.rita, at: ago(3 * day), tags: ["cloud"], origin: "other.test")
            try put("r2", by: T.local("ana"), at: ago(2 * day), replyTo: "t3")
            try put("r3", by: T.local("cleo"), at: ago(1 * day), replyTo: "t3")
            try put("doc1", by: T.local("cleo"), at: ago(5 * day), type: "Document", kind: nil)
            try put("t8", by: T.local("bob"), at: ago(7 * day), tags: ["tenders"])
            try put("t2", by: T.local("bob"), at: ago(10 * day), kind: "question", tags: ["tenders"])
            try put("t5", by: T.local("dan"), at: ago(20 * day), tags: ["legal"])
            try put("t7", by: T.rita, at: ago(25 * day), kind: "question", origin: "other.test")
            try put("r7", by: T.local("bob"), at: ago(25 * day) + 18_000, replyTo: "t7")
            try put("t4", by: T.local("cleo"), at: ago(40 * day), kind: "question")
            try put("r4", by: T.local("ana"), at: ago(40 * day) + 7_200, replyTo: "t4")
            try put("doc2", by: T.local("bob"), at: ago(45 * day), type: "Document", kind: nil)
            try put("t6", by: T.local("bob"), at: ago(60 * day))
            try put("td", by: T.local("ghost"), at: ago(1 * day), deleted: true)
            try put("o1", by: T.local("outsider"), at: ago(1 * day), tags: ["cloud"], community: T.other)
            try put("x1", by: "https://other.test/users/remo", at: ago(1 * day), community: "https://other.test/communities/x",
                    origin: "other.test")
            try like("t3", by: T.zed, at: ago(1 * day))
            try like("t3", by: T.local("bob"), at: ago(1 * day))
            try like("r1", by: T.local("cleo"), at: ago(1 * day))
            try like("r7", by: T.local("ana"), at: ago(24 * day))
            try like("o1", by: T.local("outsider"), at: ago(1 * day))
        }

        func put(_ name: String, by author: String, at published: Int64, replyTo: String? = nil, type: String = "Note",
                 kind: String? = "discussion", tags: [String] = [], accepted: String? = nil,
                 community: String = HealthRepositoryTests.cloud, origin: String = "praxis.test", deleted: Bool = false)
            throws
        {
            let id = HealthRepositoryTests.object(name)
            try store.database.write { db in
                try ObjectRepository(db).upsert(StoredObject(
                    id: id, type: type, attributedTo: author, audience: community,
                    inReplyTo: replyTo.map(HealthRepositoryTests.object), name: replyTo == nil ? "Title \(name)" : nil,
                    content: "<p>\(name)</p>", published: Date(timeIntervalSince1970: TimeInterval(published)), updated: nil,
                    document: Array("{}".utf8), originDomain: origin, kind: replyTo == nil ? kind : nil, tags: tags,
                    acceptedAnswer: accepted))
                if deleted { try ObjectRepository(db).markDeleted(id: id) }
            }
        }

        func like(_ name: String, by actor: String, at time: Int64) throws {
            try store.database.write { db in
                try ObjectRepository(db).like(
                    objectID: HealthRepositoryTests.object(name), actor: actor, activityID: "\(actor)#like-\(name)",
                    now: Date(timeIntervalSince1970: TimeInterval(time)))
            }
        }

        func figures(_ communities: [String]) throws -> HealthFigures {
            try store.database.read { db in
                try HealthRepository(db).figures(
                    communities: communities, localDomain: "praxis.test",
                    now: Date(timeIntervalSince1970: TimeInterval(HealthRepositoryTests.now)))
            }
        }
    }

    @Test func activeMembersCountAuthorsAndLikersInEachWindow() throws {
        let figures = try Fixture().figures([Self.cloud])
        // 7 days: ana, bob, cleo, rita (posts) and zed (a like only); ghost's post is deleted.
        #expect(figures.activeMembers7d == 5)
        // 30 days: dan as well (t5, 20 days ago).
        #expect(figures.activeMembers30d == 6)
    }

    @Test func newThreadsPerWeekOldestFirstWithExactBoundaries() throws {
        let figures = try Fixture().figures([Self.cloud])
        #expect(figures.newThreadsPerWeek.map(\.count) == [0, 0, 1, 0, 1, 1, 2, 2])
        #expect(figures.newThreadsPerWeek.last?.start == Date(timeIntervalSince1970: TimeInterval(Self.now - 7 * Self.day)))
        #expect(figures.newThreadsPerWeek.first?.start == Date(timeIntervalSince1970: TimeInterval(Self.now - 56 * Self.day)))
    }

    @Test func questionsAnsweredShareAndMedianTimeToFirstAnswer() throws {
        let figures = try Fixture().figures([Self.cloud])
        #expect(figures.questions30d == HealthFigures.QuestionFigures(
            asked: 3, answered: 2, accepted: 1, medianTimeToFirstAnswer: 10_800))
        #expect(figures.questions30d.answeredShare == 2.0 / 3.0)
        #expect(figures.questions90d == HealthFigures.QuestionFigures(
            asked: 4, answered: 3, accepted: 1, medianTimeToFirstAnswer: 7_200))
    }

    @Test func documentsAndParticipationFromOtherNodes() throws {
        let figures = try Fixture().figures([Self.cloud])
        #expect(figures.documents30d == 1)
        #expect(figures.documentsTotal == 2)
        // t1 r1b r1 t3 r2 r3 t8 t2 t5 t7 r7; t3 and t7 come from other.test.
        #expect(figures.posts30d == 11)
        #expect(figures.remotePosts30d == 2)
        #expect(figures.remoteShare30d == 2.0 / 11.0)
    }

    @Test func trendingTagsCompareTheLastTwoWeeks() throws {
        let figures = try Fixture().figures([Self.cloud])
        #expect(figures.trendingTags == [
            HealthFigures.TrendingTag(tag: "cloud", count: 2, previous: 0),
            HealthFigures.TrendingTag(tag: "tenders", count: 1, previous: 2),
        ])
    }

    @Test func trendingThreadsCountRepliesAndLikesOnTheThreadAndItsReplies() throws {
        let figures = try Fixture().figures([Self.cloud])
        #expect(figures.trendingThreads.map(\.id) == [Self.object("t3"), Self.object("t1")])
        #expect(figures.trendingThreads.first?.replies == 2)
        #expect(figures.trendingThreads.first?.likes == 2)
        #expect(figures.trendingThreads.last?.replies == 2)
        #expect(figures.trendingThreads.last?.likes == 1)
        #expect(figures.trendingThreads.first?.title == "Title t3")
    }

    @Test func nodeScopeAddsEveryLocalCommunityAndNothingElse() throws {
        let figures = try Fixture().figures([Self.cloud, Self.other])
        #expect(figures.activeMembers7d == 6)
        #expect(figures.newThreadsPerWeek.last?.count == 3)
        #expect(figures.trendingTags.first == HealthFigures.TrendingTag(tag: "cloud", count: 3, previous: 0))
        let empty = try Fixture().figures([])
        #expect(empty.activeMembers30d == 0)
        #expect(empty.questions30d.answeredShare == nil)
        #expect(empty.questions30d.medianTimeToFirstAnswer == nil)
        #expect(empty.remoteShare30d == nil)
    }

    @Test func localPostCountsAndDatabaseSize() throws {
        let fixture = try Fixture()
        let (counts, bytes) = try fixture.store.database.read { db in
            (try HealthRepository(db).localPostCounts(localDomain: "praxis.test"), try HealthRepository(db).databaseBytes())
        }
        // Local threads: t1 t8 t2 t5 t4 t6 o1 (td deleted, documents excluded); local replies: r1b r1 r2 r3 r7 r4.
        #expect(counts.posts == 7)
        #expect(counts.comments == 6)
        #expect(bytes > 0)
    }
}
