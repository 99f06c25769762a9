import PraxisSQLite

extension Schema {
    /// Version 6: threads and answers on top of content objects — kind, language, tags and the
    /// accepted answer of a question; the edit history; "helpful" marks.
    static let threads = Migration(version: 6, name: "thread kinds, tags, accepted answers, edit history, helpful marks", sql: """
        ALTER TABLE objects ADD COLUMN kind TEXT;
        ALTER TABLE objects ADD COLUMN language TEXT;
        ALTER TABLE objects ADD COLUMN tags TEXT NOT NULL DEFAULT '[]';
        ALTER TABLE objects ADD COLUMN accepted_answer TEXT;
        CREATE INDEX objects_replies ON objects (in_reply_to, published) WHERE in_reply_to IS NOT NULL;
        -- Earlier versions of edited objects, oldest first.
        CREATE TABLE object_revisions (
            id INTEGER PRIMARY KEY,
            object_id TEXT NOT NULL REFERENCES objects(id) ON DELETE CASCADE,
            name TEXT,
            content TEXT NOT NULL,
            updated INTEGER,
            recorded_at INTEGER NOT NULL
        );
        CREATE INDEX object_revisions_object ON object_revisions (object_id, id);
        -- "Helpful" marks (Like), one per actor and object.
        CREATE TABLE likes (
            object_id TEXT NOT NULL,
            actor TEXT NOT NULL,
            activity_id TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            PRIMARY KEY (object_id, actor)
        ) WITHOUT ROWID;
        """)
}
