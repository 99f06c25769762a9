import Foundation
import PraxisSQLite
import PraxisStorage
import PraxisTestSupport
import Testing

/// Thread lists: counters kept by triggers, the three orders, cursors, and index-only plans.
@Suite struct ThreadRepositoryTests {
    static let cloud = "https://praxis.test/communities/cloud"
    let temp = TemporaryDirectory()
    let store: NodeStore

    init() throws {
        store = try NodeStore.create(
            directory: DataDirectory(path: temp.appending("node")),
            configuration: NodeConfiguration(domain: "praxis.test", name: "Test"))
    }

    func put(_ id: String, inReplyTo: String? = nil, kind: String? = "discussion", published: Int64, received: Int64? = nil,
             tags: [String] = [], language: String? = nil, accepted: String? = nil, type: String = "Page") throws {
        try store.database.write { db in
            try ObjectRepository(db).upsert(
                StoredObject(
                    id: id, type: type, attributedTo: "https://praxis.test/users/ana", audience: Self.cloud,
                    inReplyTo: inReplyTo, name: nil, content: "<p>\(id)</p>",
                    published: Date(timeIntervalSince1970: TimeInterval(published)), updated: nil, document: Array("{}".utf8),
                    originDomain: "praxis.test", kind: inReplyTo == nil ? kind : nil, language: language, tags: tags,
                    acceptedAnswer: accepted),
                now: Date(timeIntervalSince1970: TimeInterval(received ?? published)))
        }
    }

    func ids(_ sort: ThreadSort, _ filter: ThreadFilter = ThreadFilter()) throws -> [String] {
        try store.database.read { db in
            try ThreadRepository(db).page(audience: Self.cloud, sort: sort, filter: filter, limit: 50, after: nil).map(\.object.id)
        }
    }

    func entry(_ id: String) throws -> ThreadEntry {
        try #require(try store.database.read { db in try ThreadRepository(db).entry(id: id) })
    }

    @Test func repliesEditsAndMarksMoveAThreadUpAndAreCounted() throws {
        try put("a", kind: "question", published: 1000)
        try put("b", published: 2000, tags: ["cloud"], language: "es-ES")
        try put("c", kind: "question", published: 3000, accepted: nil)
        try put("doc", kind: nil, published: 4000, type: "Document")
        #expect(try ids(.latest) == ["c", "b", "a"])
        #expect(try ids(.newest) == ["c", "b", "a"])

        // A reply to a reply still counts for the root; the future date is clamped to arrival.
        try put("a1", inReplyTo: "a", published: 5000)
        try put("a2", inReplyTo: "a1", published: 99_999, received: 6000)
        #expect(try entry("a").replyCount == 2)
        #expect(try entry("a").lastActivity == Date(timeIntervalSince1970: 6000))
        #expect(try ids(.latest) == ["a", "c", "b"])
        #expect(try ids(.newest) == ["c", "b", "a"])

        // A helpful mark on b's root moves b up; unmarking keeps the activity but drops the count.
        try store.database.write { db in
            try ObjectRepository(db).like(objectID: "b", actor: "x", activityID: "l1", now: Date(timeIntervalSince1970: 7000))
        }
        #expect(try entry("b").helpfulCount == 1)
        #expect(try ids(.latest) == ["b", "a", "c"])
        try store.database.write { db in _ = try ObjectRepository(db).unlike(objectID: "b", actor: "x") }
        #expect(try entry("b").helpfulCount == 0)

        // Deleting a reply drops the count.
        try store.database.write { db in try ObjectRepository(db).markDeleted(id: "a2") }
        #expect(try entry("a").replyCount == 1)

        // Unanswered: questions without an accepted answer.
        #expect(try ids(.unanswered) == ["c", "a"])
        try store.database.write { db in try db.run("UPDATE objects SET accepted_answer = 'a1' WHERE id = 'a'") }
        #expect(try ids(.unanswered) == ["c"])

        #expect(try ids(.latest, ThreadFilter(kind: "question")) == ["a", "c"])
        #expect(try ids(.latest, ThreadFilter(tag: "cloud")) == ["b"])
        #expect(try ids(.latest, ThreadFilter(language: "es")) == ["b"])
        #expect(try ids(.latest, ThreadFilter(language: "e")).isEmpty)

        let replies = try store.database.read { db in try ThreadRepository(db).replies(root: "a", limit: 10, after: nil) }
        #expect(replies.map(\.object.id) == ["a1"])
    }

    @Test func aRootArrivingAfterItsRepliesCountsThem() throws {
        try put("r1", inReplyTo: "late", published: 100)
        try put("r2", inReplyTo: "late", published: 200)
        try put("late", published: 50, received: 300)
        #expect(try entry("late").replyCount == 2)
        #expect(try entry("r2").object.inReplyTo == "late")
    }

    @Test func cursorsWalkEveryThreadOnceWhenKeysTie() throws {
        for i in 0..<7 { try put("t\(i)", published: 1000) }
        for sort in [ThreadSort.latest, .newest] {
            var seen: [String] = []
            var cursor: ThreadCursor?
            for _ in 0..<10 {
                let page = try store.database.read { db in
                    try ThreadRepository(db).page(audience: Self.cloud, sort: sort, limit: 3, after: cursor)
                }
                seen += page.map(\.object.id)
                guard page.count == 3, let last = page.last else { break }
                cursor = last.cursor(sort)
                // A thread added while paging lands before the cursor and is not repeated.
                try put("new-\(sort)-\(seen.count)", published: 5000, received: 5000)
            }
            // Threads added by the previous order's walk sort first here; none is repeated.
            #expect(seen.filter { $0.hasPrefix("t") } == (0..<7).map { "t\($0)" }.reversed())
            #expect(!seen.contains { $0.hasPrefix("new-\(sort)") })
            #expect(Set(seen).count == seen.count)
        }
    }

    @Test func migrationNineteenFillsInThreadsThatExistedBefore() throws {
        let path = temp.appending("older.sqlite")
        let before = Array(Schema.migrations.prefix { $0.version < 19 })
        do {
            let older = try Database(path: path, migrations: before, readers: 1)
            try older.write { db in
                let objects = ObjectRepository(db)
                for (id, parent, published) in [("root", nil, 100), ("r1", "root", 200), ("r2", "r1", 300), ("gone", "root", 250)]
                    as [(String, String?, Int64)]
                {
                    try objects.upsert(
                        StoredObject(
                            id: id, type: "Page", attributedTo: "https://praxis.test/users/ana", audience: Self.cloud,
                            inReplyTo: parent, name: nil, content: id, published: Date(timeIntervalSince1970: TimeInterval(published)),
                            updated: nil, document: Array("{}".utf8), originDomain: "praxis.test"),
                        now: Date(timeIntervalSince1970: TimeInterval(published)))
                }
                try objects.markDeleted(id: "gone")
                try objects.like(objectID: "r1", actor: "x", activityID: "l", now: Date(timeIntervalSince1970: 400))
            }
        }
        let migrated = try Database(path: path, migrations: Schema.migrations, readers: 1)
        let (root, r2, r1) = try migrated.read { db in
            let threads = ThreadRepository(db)
            return (try threads.entry(id: "root"), try threads.entry(id: "r2"), try threads.entry(id: "r1"))
        }
        #expect(root?.replyCount == 2, "the deleted reply does not count")
        #expect(root?.lastActivity == Date(timeIntervalSince1970: 400), "the helpful mark on r1 is the last activity")
        #expect(r1?.helpfulCount == 1)
        let replies = try migrated.read { db in try ThreadRepository(db).replies(root: "root", limit: 10, after: nil) }
        #expect(replies.map(\.object.id) == ["r1", "r2"], "the nested reply is filed under the root")
        #expect(r2?.replyCount == 0)
    }

    @Test func listAndReplyQueriesAreIndexRangeScans() throws {
        try put("a", published: 1000)
        let cursor = ThreadCursor(sort: .latest, key: 10, id: "x")
        let filters = [ThreadFilter(), ThreadFilter(kind: "question", tag: "t", language: "fr")]
        try store.database.read { db in
            let threads = ThreadRepository(db)
            for sort in ThreadSort.allCases {
                for filter in filters {
                    for after in [nil, ThreadCursor(sort: sort, key: cursor.key, id: cursor.id)] {
                        let plan = try threads.listPlan(audience: Self.cloud, sort: sort, filter: filter, limit: 20, after: after)
                        let main = plan.first ?? ""
                        #expect(main.hasPrefix("SEARCH objects USING INDEX threads_"), "\(sort) \(filter): \(plan)")
                        // With a cursor the scan starts at it: a range on the sort key, not only audience=?.
                        if after != nil {
                            #expect(main.contains("audience=? AND "), "\(sort) scans from the top: \(plan)")
                        }
                        #expect(!plan.contains { $0.contains("TEMP B-TREE") }, "\(sort) sorts in memory: \(plan)")
                    }
                }
            }
            let replies = try threads.repliesPlan(root: "a", limit: 20, after: PostCursor(published: 1, id: "b"))
            #expect(replies.first?.hasPrefix("SEARCH objects USING INDEX objects_thread (thread_root=? AND ") == true, "\(replies)")
            #expect(!replies.contains { $0.contains("TEMP B-TREE") })
        }
    }

    @Test func revisionCountsAndHelpfulMarksForAPageAreReadTogether() throws {
        try put("a", published: 1000)
        try put("a1", inReplyTo: "a", published: 2000)
        try put("a2", inReplyTo: "a", published: 3000)
        try store.database.write { db in
            var edited = try #require(try ObjectRepository(db).find(id: "a1"))
            for text in ["<p>second</p>", "<p>third</p>"] {
                edited.content = text
                try ObjectRepository(db).upsert(edited)
            }
            try ObjectRepository(db).like(objectID: "a", actor: "me", activityID: "l1", now: Date(timeIntervalSince1970: 4000))
            try ObjectRepository(db).like(objectID: "a2", actor: "someone-else", activityID: "l2", now: Date(timeIntervalSince1970: 4000))
        }
        let ids = ["a", "a1", "a2", "missing"]
        let (counts, oneByOne, mine, theirs, none, noCounts) = try store.database.read { db in
            let threads = ThreadRepository(db)
            var oneByOne: [String: Int] = [:]
            for id in ids {
                let count = try threads.revisionCount(of: id)
                if count > 0 { oneByOne[id] = count }
            }
            return (try threads.revisionCounts(of: ids), oneByOne, try threads.marked(by: "me", among: ids),
                    try threads.marked(by: "someone-else", among: ["a1", "a2"]), try threads.marked(by: "me", among: []),
                    try threads.revisionCounts(of: []))
        }
        #expect(counts == ["a1": 2])
        #expect(counts == oneByOne)
        #expect(mine == ["a"])
        #expect(theirs == ["a2"])
        #expect(none.isEmpty)
        #expect(noCounts.isEmpty)
    }
}
