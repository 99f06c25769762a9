import Foundation
import PraxisCommunity
import PraxisHTTP
import PraxisJSON
import PraxisStorage
import Testing

/// `GET /api/v1/audit-log`: who may read it, the filters, the pages and the refusals.
@Suite struct APIAuditLogTests {
    let api: APITestNode
    static let base = Date(timeIntervalSince1970: 1_796_000_000)  // 2026-11-30T00:53:20Z

    /// Seven entries one hour apart: three trust changes, two account changes, one role change by
    /// `ada`, one `trustworthy.check` action that shares the family's first letters but not its name.
    init() throws {
        api = try APITestNode()
        let entries: [(String, String, String)] = [
            ("jeanne", "trust.set", "a.example"), ("jeanne", "trust.remove", "a.example"), ("ada", "user.suspend", "bob"),
            ("ada", "user.reinstate", "bob"), ("jeanne", "trustworthy.check", "x"), ("ada", "community.role", "ana in cloud"),
            ("jeanne", "trust.import", "https://list.example/trust.csv"),
        ]
        try api.store.database.write { db in
            for (index, (who, action, target)) in entries.enumerated() {
                try AuditRepository(db).record(operator: who, action: action, target: target,
                                               now: Self.base.addingTimeInterval(Double(index) * 3_600))
            }
        }
    }

    func get(_ query: String, as member: String? = "ada") async throws -> HTTPResponse {
        var token: String?
        if let member { token = try await api.signIn(member) }
        return try await api.call(.get, "/audit-log" + query, token: token)
    }

    func actions(_ response: HTTPResponse) throws -> [String] {
        try json(response)["entries"]?.arrayValue?.compactMap { $0["action"]?.stringValue } ?? []
    }

    @Test func anAdminReadsTheWholeLogNewestFirst() async throws {
        let response = try await get("")
        #expect(response.status == .ok)
        #expect(try actions(response) == [
            "trust.import", "community.role", "trustworthy.check", "user.reinstate", "user.suspend", "trust.remove",
            "trust.set",
        ])
        let body = try json(response)
        #expect(body["next"] == .null)
        let first = try #require(body["entries"]?.arrayValue?.first)
        #expect(first["operator"]?.stringValue == "jeanne")
        #expect(first["target"]?.stringValue == "https://list.example/trust.csv")
        #expect(first["detail"]?.stringValue == "")
        #expect(first["created"]?.stringValue == "2026-11-30T06:53:20Z")
    }

    @Test func actionMatchesExactlyOrByFamily() async throws {
        #expect(try actions(try await get("?action=trust")) == ["trust.import", "trust.remove", "trust.set"])
        #expect(try actions(try await get("?action=trust.set")) == ["trust.set"])
        #expect(try actions(try await get("?action=user")) == ["user.reinstate", "user.suspend"])
        #expect(try actions(try await get("?action=trust.s")) == [])
        #expect(try actions(try await get("?action=trust_")) == [])
    }

    @Test func actorAndTimeFiltersCombine() async throws {
        #expect(try actions(try await get("?actor=ada")) == ["community.role", "user.reinstate", "user.suspend"])
        // The third entry is at 02:53:20Z, the fifth at 04:53:20Z; both bounds are inclusive and
        // offsets other than Z are accepted.
        #expect(try actions(try await get("?since=2026-11-30T02:53:20Z&until=2026-11-30T06:53:20%2B02:00"))
            == ["trustworthy.check", "user.reinstate", "user.suspend"])
        #expect(try actions(try await get("?actor=ada&action=user&until=2026-11-30T02:53:20Z")) == ["user.suspend"])
        #expect(try actions(try await get("?actor=nobody")) == [])
    }

    @Test func cursorPagesThroughEveryEntryOnce() async throws {
        var seen: [String] = []
        var query = "?limit=3"
        var pages = 0
        while true {
            let response = try await get(query)
            #expect(response.status == .ok)
            seen += try actions(response)
            pages += 1
            guard let next = try json(response)["next"]?.stringValue else { break }
            query = "?limit=3&cursor=" + next
        }
        #expect(pages == 3)
        #expect(seen == [
            "trust.import", "community.role", "trustworthy.check", "user.reinstate", "user.suspend", "trust.remove",
            "trust.set",
        ])
        // A page that ends exactly at the last entry says so.
        let response = try await get("?action=trust&limit=3")
        #expect(try json(response)["next"] == .null)
    }

    @Test func badFiltersAre400NamingTheFilter() async throws {
        let cases: [(String, String, String)] = [
            ("?limit=0", "limit", "from 1 to 100"), ("?limit=101", "limit", "from 1 to 100"), ("?limit=ten", "limit", "whole number"),
            ("?since=yesterday", "since", "RFC 3339"), ("?until=2026-13-01T00:00:00Z", "until", "RFC 3339"),
            ("?since=2026-12-02T00:00:00Z&until=2026-12-01T00:00:00Z", "until", "earlier"),
            ("?cursor=abc", "cursor", "\"next\""), ("?cursor=-4", "cursor", "\"next\""), ("?cursor=0", "cursor", "\"next\""),
            ("?action=Trust", "action", "trust.set"), ("?action=trust..set", "action", "trust.set"),
            ("?action=%25", "action", "trust.set"), ("?actor=" + String(repeating: "x", count: 201), "actor", "200"),
        ]
        for (query, field, words) in cases {
            let response = try await get(query)
            #expect(response.status == .badRequest, "\(query)")
            #expect(errorCode(response) == "bad_request", "\(query)")
            #expect(errorField(response) == field, "\(query)")
            #expect(errorMessage(response)?.contains(words) == true, "\(query): \(errorMessage(response) ?? "")")
        }
    }

    @Test func onlyAdminsMayRead() async throws {
        let anonymous = try await get("", as: nil)
        #expect(anonymous.status == .unauthorized)
        #expect(errorCode(anonymous) == "unauthenticated")
        for member in ["mo", "ana", "sam"] {
            let refused = try await get("", as: member)
            #expect(refused.status == .forbidden, "\(member)")
            #expect(errorMessage(refused)?.contains("admins") == true)
        }
        // Filters are checked before the caller's role, as bodies are elsewhere.
        #expect(try await get("?limit=0", as: "mo").status == .badRequest)
    }

    @Test func theAPIAndTheConsoleShareOneQuery() async throws {
        let service = AuditLogService(store: api.store)
        let query = try AuditLogService.query(action: "trust", limit: "2", limits: .cli)
        let page = try service.page(query)
        #expect(page.entries.map(\.action) == ["trust.import", "trust.remove"])
        #expect(page.next != nil)
        #expect(throws: AuditLogService.InvalidFilter.self) {
            try AuditLogService.query(limit: "10001", limits: .cli)
        }
    }
}
