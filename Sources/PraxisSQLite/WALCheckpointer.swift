import CSQLite
import Dispatch
import Synchronization

/// Checkpoints a database's WAL on its own thread, so that commits do not wait for it.
///
/// SQLite's automatic checkpoint runs inside the commit that crosses the threshold: that commit
/// copies the WAL's pages into the main file and waits for two `fsync`s. Under a stream of small
/// commits (the inbox writes one every millisecond or so) every request waiting for that commit
/// waited too: the inbox bench measured 10 to 12 such stalls of about 24 ms in 3.8 s, with the
/// event loops idle meanwhile. Here the writer connection's automatic checkpoint is off and a WAL
/// hook, called after each commit with the WAL's size, asks this object for a `PASSIVE`
/// checkpoint on a connection of its own when ``pages`` frames were added since the last one.
/// Checkpoints never block the writer (they take the checkpoint lock, not the write lock), and
/// they are as durable as before (`synchronous=NORMAL`: the WAL is synced before pages are copied,
/// the main file after).
///
/// A checkpoint running alongside commits cannot bring the WAL back to its start by itself (that
/// needs a moment in which every frame has been copied), so the committing connection copies
/// what is left when the background one finished with at most ``residuePages`` frames behind: a
/// short checkpoint between two commits, after which the next write starts the WAL over. When
/// commits outrun the background altogether, a commit that leaves more than ``hardLimitPages``
/// frames checkpoints in the committing connection, as SQLite's own automatic checkpoint would.
final class WALCheckpointer: Sendable {
    /// Frames added since the last checkpoint that start a background one.
    let pages: Int
    /// WAL size, in frames, at which the committing connection checkpoints itself.
    let hardLimitPages: Int

    private let path: String
    private let busyTimeout: Duration
    private let queue = DispatchQueue(label: "praxis.sqlite.checkpoint")

    private struct State {
        var running = false
        /// The WAL size when the last background checkpoint was started (0 after a restart).
        var startedAt = 0
        /// Frames the last background checkpoint left copied (0 when unknown or used up).
        var copied = 0
        var residues = 0
        var passes = 0
        var inline = 0
        var largestWAL = 0
    }
    /// Touched by the writer's hook after every commit: held only for a few instructions.
    private let state = Mutex(State())
    /// The background connection, opened on the first checkpoint; used only on `queue` (the lock
    /// is never contended, it makes the non-`Sendable` connection safe to keep here).
    private let background = Mutex<Connection?>(nil)

    init(path: String, busyTimeout: Duration, pages: Int = Connection.walCheckpointPages, hardLimitPages: Int? = nil) {
        self.path = path
        self.busyTimeout = busyTimeout
        self.pages = max(1, pages)
        self.hardLimitPages = max(self.pages + 1, hardLimitPages ?? 4 * pages)
    }

    /// Background checkpoint passes run so far, checkpoints the committing connection ran (WAL
    /// over the hard limit), remainders it copied, and the largest WAL a commit left, in frames
    /// (for tests).
    var statistics: (background: Int, inline: Int, residues: Int, largestWAL: Int) {
        state.withLock { ($0.passes, $0.inline, $0.residues, $0.largestWAL) }
    }

    /// Frames a background checkpoint may leave behind for the committing connection to copy:
    /// those commits added while it ran. Copied between two commits, they leave the WAL fully
    /// checkpointed, so the next write starts it over.
    var residuePages: Int { max(1, pages / 16) }

    /// Turns off `connection`'s automatic checkpoint and hands its checkpoints to this object.
    /// The hook holds `self` until ``uninstall(from:)``.
    func install(on connection: Connection) throws {
        try connection.execute("PRAGMA wal_autocheckpoint = 0")
        let context = Unmanaged.passRetained(self).toOpaque()
        _ = sqlite3_wal_hook(connection.handle, { context, db, name, frames in
            guard let context, let db else { return SQLITE_OK }
            let checkpointer = Unmanaged<WALCheckpointer>.fromOpaque(context).takeUnretainedValue()
            checkpointer.committed(frames: Int(frames), db: db, schema: name)
            return SQLITE_OK
        }, context)
    }

    /// Returns once no background checkpoint is running or queued.
    func waitForBackground() { queue.sync {} }

    /// Removes the hook (before the connection closes) and releases what ``install(on:)`` held.
    func uninstall(from connection: Connection) {
        let previous = sqlite3_wal_hook(connection.handle, nil, nil)
        if let previous { Unmanaged<WALCheckpointer>.fromOpaque(previous).release() }
    }

    /// After each commit of the writer, on its thread: `frames` is the WAL's size.
    private func committed(frames: Int, db: OpaquePointer, schema: UnsafePointer<CChar>?) {
        if frames >= hardLimitPages {
            // Commits outran the background checkpoints: copy the rest now, as SQLite would,
            // after the background one (which holds the checkpoint lock) has finished.
            if sqlite3_wal_checkpoint_v2(db, schema, SQLITE_CHECKPOINT_PASSIVE, nil, nil) == SQLITE_BUSY {
                queue.sync {}
                _ = sqlite3_wal_checkpoint_v2(db, schema, SQLITE_CHECKPOINT_PASSIVE, nil, nil)
            }
            state.withLock {
                $0.inline += 1
                $0.largestWAL = max($0.largestWAL, frames)
                $0.startedAt = 0
                $0.copied = 0
            }
            return
        }
        enum Action { case none, background, residue }
        let action = state.withLock { state -> Action in
            state.largestWAL = max(state.largestWAL, frames)
            // A smaller WAL than at the last start: it restarted from its beginning.
            if frames < state.startedAt {
                state.startedAt = 0
                state.copied = 0
            }
            guard !state.running else { return .none }
            if state.copied > 0 && frames - state.copied <= residuePages {
                state.copied = 0
                state.residues += 1
                return .residue
            }
            guard frames - state.startedAt >= pages else { return .none }
            state.running = true
            state.startedAt = frames
            return .background
        }
        switch action {
        case .none: break
        case .background: queue.async { self.checkpoint() }
        // A few frames and two syncs of little data; no commit can come in between.
        case .residue: _ = sqlite3_wal_checkpoint_v2(db, schema, SQLITE_CHECKPOINT_PASSIVE, nil, nil)
        }
    }

    /// One `PASSIVE` checkpoint on the background connection, repeated (at most three more times)
    /// while frames committed meanwhile remain, so that the WAL can restart when commits pause.
    /// (A `RESTART` checkpoint for the remainder was tried: waiting for it held the writer as long
    /// as the stalls this class removes.)
    private func checkpoint() {
        defer { state.withLock { $0.running = false } }
        background.withLock { connection in
            if connection == nil {
                connection = try? Connection(path: path, busyTimeout: busyTimeout)
                // Checkpointing reads pages from the WAL and writes them to the file: no cache needed.
                try? connection?.execute("PRAGMA cache_size = -256")
            }
            guard let connection else { return }
            for _ in 0..<4 {
                var log: Int32 = 0
                var copied: Int32 = 0
                let result = sqlite3_wal_checkpoint_v2(connection.handle, "main", SQLITE_CHECKPOINT_PASSIVE, &log, &copied)
                state.withLock {
                    $0.passes += 1
                    $0.copied = result == SQLITE_OK ? Int(copied) : 0
                }
                // Busy: another connection (or process) is checkpointing; it will do the work.
                guard result == SQLITE_OK, copied < log else { return }
            }
        }
    }
}
