import PraxisSQLite

extension Schema {
    /// Version 19: what thread lists sort and show, kept up to date by triggers so a list is one
    /// index range scan: each object's thread (`thread_root`, NULL for a thread's root), the time
    /// of its last activity, and on roots the number of live replies; on every object the number
    /// of "helpful" marks.
    ///
    /// Activity is a reply arriving, an edit, or a "helpful" mark, anywhere in the thread. Its
    /// time is when this node learnt of it, or the object's own date if that is earlier: a remote
    /// node that dates its posts in the future cannot pin its threads to the top of a list.
    ///
    /// Replies that arrive before their parent are filed under the parent they name (usually the
    /// root); when the root then arrives it counts the replies already filed under it.
    ///
    /// It also adds members' profiles beyond the actor's name and summary, and their settings.
    static let threadActivity = Migration(
        version: 19, name: "thread roots, last activity, reply and helpful counts; member profiles and settings", sql: """
        ALTER TABLE objects ADD COLUMN thread_root TEXT;
        ALTER TABLE objects ADD COLUMN last_activity INTEGER;
        ALTER TABLE objects ADD COLUMN reply_count INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE objects ADD COLUMN helpful_count INTEGER NOT NULL DEFAULT 0;

        -- Backfill: the root of every reply chain, then the counters and activity times.
        CREATE TEMP TABLE thread_roots AS
            WITH RECURSIVE chain(id, root) AS (
                SELECT id, id FROM objects WHERE in_reply_to IS NULL
                UNION
                SELECT o.id, chain.root FROM objects o JOIN chain ON o.in_reply_to = chain.id
            )
            SELECT id, root FROM chain;
        CREATE INDEX temp.thread_roots_id ON thread_roots (id);
        UPDATE objects SET thread_root = (SELECT root FROM thread_roots t WHERE t.id = objects.id)
        WHERE in_reply_to IS NOT NULL;
        DROP TABLE temp.thread_roots;
        UPDATE objects SET thread_root = in_reply_to WHERE in_reply_to IS NOT NULL AND thread_root IS NULL;
        UPDATE objects SET
            helpful_count = (SELECT count(*) FROM likes WHERE likes.object_id = objects.id),
            last_activity = max(min(coalesce(published, received_at), received_at),
                                min(coalesce(updated, 0), received_at),
                                coalesce((SELECT max(created_at) FROM likes WHERE likes.object_id = objects.id), 0));

        CREATE INDEX objects_thread ON objects (thread_root, coalesce(published, 0), id) WHERE thread_root IS NOT NULL;
        UPDATE objects SET
            reply_count = (SELECT count(*) FROM objects r WHERE r.thread_root = objects.id AND r.deleted_at IS NULL),
            last_activity = max(last_activity,
                                coalesce((SELECT max(r.last_activity) FROM objects r WHERE r.thread_root = objects.id), 0))
        WHERE in_reply_to IS NULL;

        -- Thread lists: live top-level posts (documents have their own library) of one community.
        CREATE INDEX threads_latest ON objects (audience, last_activity, id)
            WHERE in_reply_to IS NULL AND deleted_at IS NULL AND type <> 'Document';
        CREATE INDEX threads_newest ON objects (audience, coalesce(published, 0), id)
            WHERE in_reply_to IS NULL AND deleted_at IS NULL AND type <> 'Document';
        CREATE INDEX threads_unanswered ON objects (audience, coalesce(published, 0), id)
            WHERE in_reply_to IS NULL AND deleted_at IS NULL AND type <> 'Document'
                AND kind = 'question' AND accepted_answer IS NULL;
        -- What a member wrote (data export, profile counts).
        CREATE INDEX objects_author ON objects (attributed_to, coalesce(published, 0), id);

        CREATE TRIGGER objects_thread_insert AFTER INSERT ON objects BEGIN
            UPDATE objects SET
                thread_root = CASE WHEN NEW.in_reply_to IS NULL THEN NULL ELSE
                    coalesce((SELECT p.thread_root FROM objects p WHERE p.id = NEW.in_reply_to), NEW.in_reply_to) END,
                last_activity = min(coalesce(NEW.published, NEW.received_at), NEW.received_at),
                reply_count = CASE WHEN NEW.in_reply_to IS NOT NULL THEN 0 ELSE
                    (SELECT count(*) FROM objects r WHERE r.thread_root = NEW.id AND r.deleted_at IS NULL) END
            WHERE id = NEW.id;
            UPDATE objects SET
                reply_count = reply_count + (NEW.deleted_at IS NULL),
                last_activity = max(coalesce(last_activity, 0), min(coalesce(NEW.published, NEW.received_at), NEW.received_at))
            WHERE NEW.in_reply_to IS NOT NULL AND id = (SELECT thread_root FROM objects WHERE id = NEW.id);
        END;
        CREATE TRIGGER objects_thread_edit AFTER UPDATE OF updated ON objects
        WHEN NEW.deleted_at IS NULL AND NEW.updated IS NOT OLD.updated BEGIN
            UPDATE objects SET last_activity = max(coalesce(last_activity, 0),
                min(coalesce(NEW.updated, CAST(strftime('%s', 'now') AS INTEGER)), CAST(strftime('%s', 'now') AS INTEGER)))
            WHERE id = NEW.id OR id = NEW.thread_root;
        END;
        CREATE TRIGGER objects_thread_tombstone AFTER UPDATE OF deleted_at ON objects
        WHEN OLD.deleted_at IS NULL AND NEW.deleted_at IS NOT NULL AND NEW.thread_root IS NOT NULL BEGIN
            UPDATE objects SET reply_count = max(reply_count - 1, 0) WHERE id = NEW.thread_root;
        END;
        CREATE TRIGGER objects_thread_delete AFTER DELETE ON objects
        WHEN OLD.deleted_at IS NULL AND OLD.thread_root IS NOT NULL BEGIN
            UPDATE objects SET reply_count = max(reply_count - 1, 0) WHERE id = OLD.thread_root;
        END;
        CREATE TRIGGER likes_thread_insert AFTER INSERT ON likes BEGIN
            UPDATE objects SET helpful_count = helpful_count + 1,
                last_activity = max(coalesce(last_activity, 0), NEW.created_at)
            WHERE id = NEW.object_id;
            UPDATE objects SET last_activity = max(coalesce(last_activity, 0), NEW.created_at)
            WHERE id = (SELECT thread_root FROM objects WHERE id = NEW.object_id);
        END;
        CREATE TRIGGER likes_thread_delete AFTER DELETE ON likes BEGIN
            UPDATE objects SET helpful_count = max(helpful_count - 1, 0) WHERE id = OLD.object_id;
        END;

        -- What a member says about themselves besides their name and summary (kept on the
        -- actor), and their preferences as a JSON object of known keys.
        CREATE TABLE member_profiles (
            account_id INTEGER PRIMARY KEY REFERENCES accounts(actor_id) ON DELETE CASCADE,
            organisation TEXT NOT NULL DEFAULT '',
            country TEXT,
            languages TEXT NOT NULL DEFAULT '[]',
            settings TEXT NOT NULL DEFAULT '{}',
            updated_at INTEGER NOT NULL
        );
        """)
}
