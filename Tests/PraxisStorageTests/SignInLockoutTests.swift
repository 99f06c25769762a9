import Foundation
import PraxisStorage
import PraxisTestSupport
import Testing

/// The failed sign-in counter and its lock-outs, and the configuration of the limits.
struct SignInLockoutTests {
    let policy = SignInLockoutRepository.Policy(failures: 3, window: 600, lockout: 60, maxLockout: 200)

    @Test func failuresWithinTheWindowLockOutForDoublingCappedPeriodsAndSuccessClears() throws {
        let node = try TestStore()
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        try node.store.database.write { db in
            let repo = SignInLockoutRepository(db)
            func fail(_ at: Date) throws -> Date? { try repo.recordFailure("ana", policy: policy, now: at) }
            #expect(try fail(start) == nil)
            #expect(try fail(start.addingTimeInterval(1)) == nil)
            #expect(try repo.lockedUntil("ana", now: start.addingTimeInterval(2)) == nil)
            let first = try #require(try fail(start.addingTimeInterval(2)))
            #expect(first == start.addingTimeInterval(62))
            #expect(try repo.lockedUntil("ana", now: start.addingTimeInterval(61)) == first)
            #expect(try repo.lockedUntil("ana", now: start.addingTimeInterval(62)) == nil)
            // The second lock-out lasts twice as long, the third is capped.
            var t = start.addingTimeInterval(100)
            for _ in 0..<2 { #expect(try fail(t) == nil) }
            #expect(try fail(t) == t.addingTimeInterval(120))
            t = t.addingTimeInterval(200)
            for _ in 0..<2 { #expect(try fail(t) == nil) }
            #expect(try fail(t) == t.addingTimeInterval(200))
            // A success forgets everything.
            try repo.recordSuccess("ana")
            #expect(try repo.lockedUntil("ana", now: t) == nil)
            for _ in 0..<2 { #expect(try fail(t) == nil) }
        }
    }

    @Test func failuresOutsideTheWindowDoNotAddUpAndOldRowsArePruned() throws {
        let node = try TestStore()
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        try node.store.database.write { db in
            let repo = SignInLockoutRepository(db)
            for minute in 0..<6 {
                #expect(try repo.recordFailure("bob", policy: policy, now: start.addingTimeInterval(Double(minute) * 400)) == nil)
            }
            try repo.prune(now: start.addingTimeInterval(3 * 86_400))
            #expect(try db.scalar(Int.self, "SELECT count(*) FROM sign_in_failures") == 0)
        }
    }

    @Test func limitsInTheConfigurationTakeDefaultsForWhatIsLeftOutAndRefuseImpossibleValues() throws {
        let decoder = JSONDecoder()
        let partial = try decoder.decode(AbuseLimits.self, from: Data(#"{"maxRecipients": 10, "inboxPerNode": {"perSecond": 5, "burst": 7}}"#.utf8))
        #expect(partial.maxRecipients == 10)
        #expect(partial.inboxPerNode == AbuseLimits.Rate(perSecond: 5, burst: 7))
        #expect(partial.maxTags == AbuseLimits().maxTags)
        #expect(partial.apiPerAddress == AbuseLimits().apiPerAddress)
        var bad = AbuseLimits()
        bad.apiPerAddress.perSecond = 0
        #expect(throws: StorageError.self) { try bad.validate() }
        #expect(throws: Never.self) { try AbuseLimits().validate() }
    }
}
