import PraxisSQLite

extension Schema {
    /// Version 13: the document library. Metadata of every document a node knows (its own and those
    /// relayed by communities), one row per version; the `Document` object itself stays in
    /// `objects`, so audience, thread and search logic see documents like any other content.
    static let documents = Migration(version: 13, name: "document library", sql: """
        CREATE TABLE documents (
            id TEXT PRIMARY KEY,
            community TEXT NOT NULL,
            uploader TEXT NOT NULL,
            title TEXT NOT NULL,
            description TEXT NOT NULL DEFAULT '',
            tags TEXT NOT NULL DEFAULT '[]',
            language TEXT,
            media_type TEXT NOT NULL,
            filename TEXT NOT NULL,
            size INTEGER NOT NULL CHECK (size >= 0),
            sha256 BLOB NOT NULL CHECK (length(sha256) = 32),
            url TEXT NOT NULL,
            previous_version TEXT,
            created INTEGER NOT NULL,
            deleted_at INTEGER,
            origin TEXT NOT NULL
        ) WITHOUT ROWID;
        CREATE INDEX documents_community ON documents (community, created) WHERE deleted_at IS NULL;
        CREATE INDEX documents_sha256 ON documents (sha256);
        CREATE INDEX documents_previous ON documents (previous_version) WHERE previous_version IS NOT NULL;
        """)
}
