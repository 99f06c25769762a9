import PraxisCommunity
import PraxisStorage
import PraxisTestSupport
import Testing

@Suite struct AccountServiceTests {
    @Test func addCreatesAnActiveAccountWithKeysAndAHashedPassword() throws {
        let node = try TestNode()
        let account = try node.accounts.add(.init(username: "ana", password: "a long passphrase", displayName: "Ana",
                                                  role: .admin, affiliation: .buyer, email: "ana@achats.gouv.fr"))
        #expect(account.status == .active)
        #expect(account.role == .admin)
        let (hash, keys) = try node.store.database.read { db in
            (try AccountRepository(db).passwordHash(username: "ana"), try ActorRepository(db).keys(of: account.actor.id))
        }
        #expect(hash?.hasPrefix("$scrypt$") == true)
        #expect(hash?.contains("a long passphrase") == false)
        #expect(Set(keys.map(\.algorithm)) == [.rsa, .ed25519])
        #expect(try node.accounts.verifyPassword(username: "ana", password: "a long passphrase"))
        #expect(try !node.accounts.verifyPassword(username: "ana", password: "a long passphrasE"))
        #expect(try !node.accounts.verifyPassword(username: "nobody", password: "a long passphrase"))
        try node.accounts.setStatus(.suspended, username: "ana")
        #expect(try !node.accounts.verifyPassword(username: "ana", password: "a long passphrase"))
    }

    @Test(arguments: [
        ("Ana", "lowercase"), ("ana smith", "lowercase"), ("", "1 to 64"), ("-ana", "lowercase"), ("ana.", "lowercase"),
        ("node", "reserved"), ("inbox", "reserved"), (String(repeating: "a", count: 65), "1 to 64"), ("ána", "lowercase"),
    ])
    func rejectsBadNames(_ name: String, _ hint: String) throws {
        let node = try TestNode()
        #expect {
            try node.accounts.add(.init(username: name, password: "a long passphrase"))
        } throws: { error in
            guard let error = error as? CommunityError else { return false }
            return error.kind == .invalid && error.message.contains(hint)
        }
    }

    @Test func rejectsWeakPasswordsBadEmailsAndDuplicates() throws {
        let node = try TestNode()
        #expect(throws: CommunityError(.invalid, "the password must be at least 10 characters long")) {
            try node.accounts.add(.init(username: "ana", password: "short"))
        }
        #expect(throws: CommunityError.self) {
            try node.accounts.add(.init(username: "ana", password: "a long passphrase", email: "not-an-address"))
        }
        try node.addMember("ana")
        #expect(throws: CommunityError(.conflict, "the name \"ana\" is already taken on this node")) {
            try node.addMember("ana")
        }
        #expect(try node.accounts.list().count == 1)
    }

    @Test func statusChangesOfUnknownAccountsAreNotFound() throws {
        let node = try TestNode()
        #expect(throws: CommunityError.self) { try node.accounts.setStatus(.active, username: "ghost") }
    }
}

@Suite struct CommunityServiceTests {
    @Test func createsTreesOfCommunities() throws {
        let node = try TestNode()
        try node.addMember("ana")
        try node.communities.create(.init(name: "health", title: "Health procurement", owner: "ana"))
        let child = try node.communities.create(.init(name: "devices", title: "Medical devices", visibility: .members,
                                                       joinPolicy: .invite, parent: "health"))
        #expect(child.parentUsername == "health")
        let all = try node.communities.list()
        #expect(all.map(\.actor.username) == ["devices", "health"])
        #expect(all.last?.ownerUsername == "ana")
    }

    @Test func refusesUnknownOwnersParentsSuppliersAndDuplicates() throws {
        let node = try TestNode()
        try node.addMember("vendor", affiliation: .supplier)
        #expect(throws: CommunityError.self) { try node.communities.create(.init(name: "a", owner: "ghost")) }
        #expect(throws: CommunityError.self) { try node.communities.create(.init(name: "a", parent: "ghost")) }
        #expect(throws: CommunityError(.invalid, "suppliers cannot own practitioner communities")) {
            try node.communities.create(.init(name: "a", owner: "vendor"))
        }
        #expect(throws: CommunityError.self) { try node.communities.create(.init(name: "vendor")) }
        #expect(throws: CommunityError.self) { try node.communities.create(.init(name: "ok", title: "bad\u{0007}title")) }
        #expect(try node.communities.list().isEmpty)
    }
}
