import Dispatch
import Foundation
import PraxisSQLite
import Synchronization
import Testing

@Suite struct DatabaseTests {
    private static let migrations = [
        Migration(version: 1, name: "items", sql: "CREATE TABLE items (id INTEGER PRIMARY KEY, label TEXT NOT NULL)"),
    ]

    private func count(_ connection: Connection) throws -> Int {
        try connection.scalar(Int.self, "SELECT count(*) FROM items") ?? -1
    }

    @Test func createsTheFileAndRunsMigrations() throws {
        try withTemporaryDirectory { directory in
            let path = directory.path("node.sqlite")
            let db = try Database(path: path, migrations: Self.migrations)
            #expect(db.path == path)
            #expect(db.appliedMigrations == [1])
            #expect(FileManager.default.fileExists(atPath: path))
            try db.write { try $0.run("INSERT INTO items (label) VALUES (?)", "a") }
            #expect(try db.read { try count($0) } == 1)
            #expect(try db.read { try $0.scalar(String.self, "PRAGMA journal_mode") } == "wal")
            #expect(try db.write { try $0.scalar(Int.self, "PRAGMA foreign_keys") } == 1)
            let reopened = try Database(path: path, migrations: Self.migrations)
            #expect(reopened.appliedMigrations.isEmpty)
        }
    }

    @Test func rejectsInMemoryPathsAndEmptyReaderPools() {
        #expect(sqliteError { _ = try Database(path: ":memory:") }?.resultCode == SQLiteError.misuse)
        #expect(sqliteError { _ = try Database(path: "/tmp/x.sqlite", readers: 0) }?.resultCode == SQLiteError.misuse)
    }

    @Test func writeRollsBackWhenTheBodyThrows() throws {
        try withTemporaryDirectory { directory in
            let db = try Database(path: directory.path("rb.sqlite"), migrations: Self.migrations)
            struct Abort: Error {}
            #expect(throws: Abort.self) {
                try db.write { connection in
                    try connection.run("INSERT INTO items (label) VALUES ('x')")
                    throw Abort()
                }
            }
            #expect(try db.read { try count($0) } == 0)
            let inTransaction = try db.writeWithoutTransaction { $0.isInTransaction }
            #expect(!inTransaction)
            try db.writeWithoutTransaction { try $0.execute("VACUUM") }
        }
    }

    @Test func readersNeverSeeUncommittedWrites() throws {
        try withTemporaryDirectory { directory in
            let db = try Database(path: directory.path("snap.sqlite"), migrations: Self.migrations)
            try db.write { try $0.run("INSERT INTO items (label) VALUES ('committed')") }
            let inserted = DispatchSemaphore(value: 0)
            let release = DispatchSemaphore(value: 0)
            let done = DispatchSemaphore(value: 0)
            DispatchQueue.global().async {
                _ = try? db.write { connection in
                    try connection.run("INSERT INTO items (label) VALUES ('pending')")
                    inserted.signal()
                    _ = release.wait(timeout: .now() + 5)
                }
                done.signal()
            }
            #expect(inserted.wait(timeout: .now() + 5) == .success)
            // The writer holds an open transaction with a second row; every reader sees one row.
            #expect(try db.read { try count($0) } == 1)
            let concurrentCounts = try readConcurrently(db, times: 8)
            #expect(concurrentCounts == Array(repeating: 1, count: 8))
            release.signal()
            #expect(done.wait(timeout: .now() + 5) == .success)
            #expect(try db.read { try count($0) } == 2)
        }
    }

    /// Runs `times` reads at once from separate threads and returns what each counted.
    private func readConcurrently(_ db: Database, times: Int) throws -> [Int] {
        let results = LockedArray()
        DispatchQueue.concurrentPerform(iterations: times) { _ in
            results.append((try? db.read { try count($0) }) ?? -1)
        }
        return results.values
    }

    @Test func aReadKeepsItsSnapshotWhileAWriterCommits() throws {
        try withTemporaryDirectory { directory in
            let db = try Database(path: directory.path("iso.sqlite"), migrations: Self.migrations)
            let readerStarted = DispatchSemaphore(value: 0)
            let writerCommitted = DispatchSemaphore(value: 0)
            DispatchQueue.global().async {
                _ = readerStarted.wait(timeout: .now() + 5)
                _ = try? db.write { try $0.run("INSERT INTO items (label) VALUES ('new')") }
                writerCommitted.signal()
            }
            let (before, after) = try db.read { connection -> (Int, Int) in
                let before = try count(connection)
                readerStarted.signal()
                _ = writerCommitted.wait(timeout: .now() + 5)
                return (before, try count(connection))
            }
            #expect(before == 0)
            #expect(after == 0)  // same snapshot for the whole read
            #expect(try db.read { try count($0) } == 1)
        }
    }

    @Test func readerConnectionsAreQueryOnly() throws {
        try withTemporaryDirectory { directory in
            let db = try Database(path: directory.path("ro.sqlite"), migrations: Self.migrations)
            let error = sqliteError { try db.read { try $0.run("INSERT INTO items (label) VALUES ('x')") } }
            #expect(error?.resultCode == SQLiteError.readOnly)
        }
    }

    @Test func nestedCallsOnOneThread() throws {
        try withTemporaryDirectory { directory in
            let db = try Database(path: directory.path("nest.sqlite"), migrations: Self.migrations, readers: 1)
            let nestedWrite = sqliteError { try db.write { _ in try db.write { _ in } } }
            #expect(nestedWrite?.resultCode == SQLiteError.misuse)
            let writeInRead = sqliteError { try db.read { _ in try db.write { _ in } } }
            #expect(writeInRead?.resultCode == SQLiteError.misuse)
            #expect(writeInRead?.message.contains("inside a read") == true)
            // With a single reader, a nested read would deadlock if it waited for a second one.
            let nested = try db.read { _ in try db.read { try count($0) } }
            #expect(nested == 0)
            // A read inside a write sees only committed state.
            let seen = try db.write { connection -> Int in
                try connection.run("INSERT INTO items (label) VALUES ('x')")
                return try db.read { try count($0) }
            }
            #expect(seen == 0)
            #expect(try db.read { try count($0) } == 1)
        }
    }

    @Test func asyncWritesAndReadsFromManyTasks() async throws {
        try await withTemporaryDirectory { directory in
            let db = try Database(path: directory.path("async.sqlite"), migrations: Self.migrations, readers: 3)
            let tasks = 64
            let readCounts = try await withThrowingTaskGroup(of: Int?.self) { group in
                for index in 0..<tasks {
                    group.addTask {
                        try await db.write { connection in
                            try connection.run("INSERT INTO items (label) VALUES (?)", "task \(index)")
                        }
                        return nil
                    }
                    group.addTask {
                        try await db.read { try count($0) }
                    }
                }
                var counts: [Int] = []
                for try await value in group { if let value { counts.append(value) } }
                return counts
            }
            #expect(readCounts.count == tasks)
            #expect(readCounts.allSatisfy { (0...tasks).contains($0) })
            #expect(try await db.read { try count($0) } == tasks)
            let labels = try await db.read { connection in
                Set(try connection.query("SELECT label FROM items").map { try $0.get("label", as: String.self) })
            }
            #expect(labels.count == tasks)
            let viaAsyncNoTransaction = try await db.writeWithoutTransaction { $0.isInTransaction }
            #expect(!viaAsyncNoTransaction)
        }
    }

    @Test func asyncWriteErrorsPropagate() async throws {
        try await withTemporaryDirectory { directory in
            let db = try Database(path: directory.path("err.sqlite"), migrations: Self.migrations)
            await #expect(throws: SQLiteError.self) {
                try await db.write { try $0.run("INSERT INTO items (label) VALUES (NULL)") }
            }
            #expect(try await db.read { try count($0) } == 0)
        }
    }

    @Test func backupProducesAConsistentOpenableCopy() throws {
        try withTemporaryDirectory { directory in
            let db = try Database(path: directory.path("live.sqlite"), migrations: Self.migrations)
            try db.write { connection in
                for index in 0..<500 { try connection.run("INSERT INTO items (label) VALUES (?)", "item \(index)") }
            }
            let copyPath = directory.path("copy.sqlite")
            // An uncommitted write in progress must not reach the copy.
            let inserted = DispatchSemaphore(value: 0)
            let release = DispatchSemaphore(value: 0)
            let done = DispatchSemaphore(value: 0)
            DispatchQueue.global().async {
                _ = try? db.write { connection in
                    try connection.run("INSERT INTO items (label) VALUES ('uncommitted')")
                    inserted.signal()
                    _ = release.wait(timeout: .now() + 5)
                }
                done.signal()
            }
            #expect(inserted.wait(timeout: .now() + 5) == .success)
            try db.backup(to: copyPath)
            release.signal()
            #expect(done.wait(timeout: .now() + 5) == .success)

            let copy = try Database(path: copyPath, migrations: Self.migrations)
            #expect(copy.appliedMigrations.isEmpty)
            #expect(try copy.read { try count($0) } == 500)
            #expect(try copy.read { try $0.scalar(String.self, "PRAGMA integrity_check") } == "ok")
            #expect(try copy.read { try $0.scalar(String.self, "SELECT label FROM items WHERE id = 500") } == "item 499")
            let leftovers = try FileManager.default.contentsOfDirectory(atPath: directory.url.path)
                .filter { $0.contains(".partial-") }
            #expect(leftovers.isEmpty)

            // A second backup replaces the first copy.
            try db.backup(to: directory.path("copy2.sqlite"))
            try db.backup(to: directory.path("copy2.sqlite"))
            #expect(try Connection(path: directory.path("copy2.sqlite")).scalar(Int.self, "SELECT count(*) FROM items") == 501)
        }
    }

    @Test func backupRefusesItsOwnFile() throws {
        try withTemporaryDirectory { directory in
            let path = directory.path("self.sqlite")
            let db = try Database(path: path)
            #expect(sqliteError { try db.backup(to: path) }?.resultCode == SQLiteError.misuse)
            #expect(sqliteError { try db.backup(to: directory.path("missing-dir/x.sqlite")) } != nil)
            try db.checkpoint()
        }
    }
}

/// Collects values from several threads.
private final class LockedArray: Sendable {
    private let storage = Mutex<[Int]>([])
    func append(_ value: Int) { storage.withLock { $0.append(value) } }
    var values: [Int] { storage.withLock { $0 } }
}
