import PraxisSQLite

extension Schema {
    /// Version 9: what a community is about (theme kind) and the languages it works in.
    static let communityProfile = Migration(version: 9, name: "community theme kind and languages", sql: """
        ALTER TABLE communities ADD COLUMN theme TEXT NOT NULL DEFAULT 'topic'
            CHECK (theme IN ('sector', 'purchasingNetwork', 'project', 'topic'));
        ALTER TABLE communities ADD COLUMN languages TEXT NOT NULL DEFAULT '[]';
        """)
}
