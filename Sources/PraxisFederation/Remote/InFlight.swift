import Synchronization

/// Coalesces concurrent work on the same key: while one task runs for a key, later callers await
/// that task instead of starting their own. Used so a burst of activities from one unknown actor
/// costs one fetch, not one per activity.
final class InFlight<Value: Sendable>: Sendable {
    private let tasks = Mutex<[String: Task<Value, any Error>]>([:])

    /// Runs `operation` for `key`, or joins the run already in progress.
    ///
    /// The operation runs in its own task, so a caller that is cancelled does not cancel the
    /// others waiting on the same result.
    func run(_ key: String, _ operation: @escaping @Sendable () async throws -> Value) async throws -> Value {
        let (task, owner) = tasks.withLock { table -> (Task<Value, any Error>, Bool) in
            if let running = table[key] { return (running, false) }
            let task = Task { try await operation() }
            table[key] = task
            return (task, true)
        }
        if owner {
            // The entry is dropped only after the result is stored by `operation`, so a caller
            // arriving later either joins this task or finds the stored result.
            defer { tasks.withLock { if $0[key] == task { $0[key] = nil } } }
            return try await task.value
        }
        return try await task.value
    }

    /// How many keys have work in progress (for tests and metrics).
    var count: Int { tasks.withLock { $0.count } }
}
