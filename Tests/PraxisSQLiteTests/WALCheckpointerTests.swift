import Foundation
import Testing

@testable import PraxisSQLite

/// Commits leave checkpoints to a background connection, and the WAL stays bounded.
@Suite struct WALCheckpointerTests {
    private static let migrations = [
        Migration(version: 1, name: "blobs", sql: "CREATE TABLE blobs (id INTEGER PRIMARY KEY, data BLOB NOT NULL)"),
    ]

    @Test func commitsLeaveCheckpointsToTheBackgroundAndTheWALStaysBounded() throws {
        try withTemporaryDirectory { directory in
            let path = directory.path("node.sqlite")
            let pages = 50
            do {
                let db = try Database(path: path, migrations: Self.migrations, checkpointPages: pages)
                // The writer no longer checkpoints as it commits.
                #expect(try db.writeWithoutTransaction { try $0.scalar(Int.self, "PRAGMA wal_autocheckpoint") } == 0)
                // About one page per commit: twelve times the threshold in all.
                for index in 0..<600 {
                    try db.write {
                        try $0.run("INSERT INTO blobs (data) VALUES (?)", [UInt8](repeating: UInt8(index % 251), count: 3_000))
                    }
                }
                let deadline = Date().addingTimeInterval(10)
                while db.checkpointer.statistics.background == 0 && Date() < deadline { usleep(10_000) }
                let statistics = db.checkpointer.statistics
                #expect(statistics.background > 0)
                // Never more than the hard limit plus the frames of the commit that crossed it.
                #expect(statistics.largestWAL > pages && statistics.largestWAL <= db.checkpointer.hardLimitPages + 4)
                #expect(try db.read { try $0.scalar(Int.self, "SELECT count(*) FROM blobs") } == 600)
            }
            // Everything is in the file after the last connection closed.
            let reopened = try Connection(path: path, readOnly: true)
            #expect(try reopened.scalar(Int.self, "SELECT count(*) FROM blobs") == 600)
            #expect(try reopened.scalar(String.self, "PRAGMA integrity_check") == "ok")
        }
    }

    @Test func whenCommitsLeaveTimeTheWALStartsOverNearTheThreshold() throws {
        try withTemporaryDirectory { directory in
            let pages = 320
            let db = try Database(path: directory.path("node.sqlite"), migrations: Self.migrations, checkpointPages: pages)
            // Paced commits (a commit every 300 µs or so): a background checkpoint leaves the few
            // frames committed while it ran, the committing connection copies them, and the WAL
            // starts over instead of growing to the hard limit.
            for index in 0..<1_600 {
                try db.write {
                    try $0.run("INSERT INTO blobs (data) VALUES (?)", [UInt8](repeating: UInt8(index % 251), count: 3_000))
                }
                usleep(300)
            }
            let statistics = db.checkpointer.statistics
            #expect(statistics.residues > 0)
            #expect(statistics.largestWAL <= db.checkpointer.hardLimitPages + 4)
            #expect(try db.read { try $0.scalar(Int.self, "SELECT count(*) FROM blobs") } == 1_600)
        }
    }
}
