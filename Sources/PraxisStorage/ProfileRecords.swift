import Foundation
import PraxisSQLite

/// What a member says about themselves beyond the actor's display name and summary.
public struct MemberProfile: Sendable, Equatable {
    public var organisation: String
    /// ISO 3166-1 alpha-2 code, upper case.
    public var country: String?
    /// BCP 47 tags of the languages the member works in.
    public var languages: [String]
    /// The member's settings, a JSON object of known keys (validated by the community layer).
    public var settings: String
    public var updatedAt: Date?

    public init(organisation: String = "", country: String? = nil, languages: [String] = [], settings: String = "{}",
                updatedAt: Date? = nil) {
        self.organisation = organisation
        self.country = country
        self.languages = languages
        self.settings = settings
        self.updatedAt = updatedAt
    }
}

/// The `member_profiles` table, and the name and summary kept on the member's actor.
public struct MemberProfileRepository {
    let db: Connection
    public init(_ db: Connection) { self.db = db }

    /// The stored profile, or an empty one for a member who never saved one.
    public func find(accountID: Int64) throws -> MemberProfile {
        guard let row = try db.queryOne("SELECT * FROM member_profiles WHERE account_id = ?", accountID) else {
            return MemberProfile()
        }
        let languages: String = try row.get("languages")
        let updated: Int64 = try row.get("updated_at")
        return MemberProfile(
            organisation: try row.get("organisation"), country: try row.optional("country"),
            languages: (try? JSONDecoder().decode([String].self, from: Data(languages.utf8))) ?? [],
            settings: try row.get("settings"), updatedAt: Date(unixSeconds: updated))
    }

    public func save(_ profile: MemberProfile, accountID: Int64, now: Date = Date()) throws {
        let languages = String(decoding: (try? JSONEncoder().encode(profile.languages)) ?? Data("[]".utf8), as: UTF8.self)
        try db.run(
            """
            INSERT INTO member_profiles (account_id, organisation, country, languages, settings, updated_at)
            VALUES (?, ?, ?, ?, ?, ?)
            ON CONFLICT (account_id) DO UPDATE SET organisation = excluded.organisation, country = excluded.country,
                languages = excluded.languages, settings = excluded.settings, updated_at = excluded.updated_at
            """, accountID, profile.organisation, profile.country, languages, profile.settings, now.unixSeconds)
    }

    /// Changes the display name and summary of a local actor.
    public func setActorText(actorID: Int64, displayName: String, summary: String) throws {
        try db.run("UPDATE actors SET display_name = ?, summary = ? WHERE id = ?", displayName, summary, actorID)
    }
}
