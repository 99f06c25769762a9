import Synchronization

/// Idle keep-alive connections, per (scheme, host, port).
///
/// Connections are handed out newest first (the most likely to still be open) and checked for a
/// hang-up before reuse; those idle longer than the timeout are closed whenever the pool is
/// touched.
final class ClientConnectionPool: Sendable {
    struct Key: Hashable, Sendable {
        var scheme: HTTPClientURL.Scheme
        var host: String
        var port: Int
    }

    private let idle = Mutex<[Key: [ClientConnection]]>([:])
    private let maxPerHost: Int
    private let idleTimeout: Duration

    init(maxPerHost: Int, idleTimeout: Duration) {
        self.maxPerHost = maxPerHost
        self.idleTimeout = idleTimeout
    }

    /// An idle connection for `key` that still looks open, or nil.
    func take(_ key: Key) -> ClientConnection? {
        while true {
            let candidate: ClientConnection? = idle.withLock { pools in
                let now = ContinuousClock.now
                guard var list = pools[key] else { return nil }
                list.removeAll { now - $0.lastUsed > idleTimeout }
                let last = list.popLast()
                pools[key] = list.isEmpty ? nil : list
                return last
            }
            guard let candidate else { return nil }
            // Checked outside the lock: it is a system call, and the connection is ours now.
            if candidate.looksAlive() { return candidate }
        }
    }

    /// Returns a connection after a complete exchange; closes it when the host already has enough.
    func put(_ connection: ClientConnection, for key: Key) {
        guard maxPerHost > 0 else { return }
        connection.lastUsed = .now
        let dropped: [ClientConnection] = idle.withLock { pools in
            let now = ContinuousClock.now
            var expired: [ClientConnection] = []
            for (otherKey, list) in pools {
                let (keep, old) = (list.filter { now - $0.lastUsed <= idleTimeout }, list.filter { now - $0.lastUsed > idleTimeout })
                expired += old
                pools[otherKey] = keep.isEmpty ? nil : keep
            }
            var list = pools[key] ?? []
            list.append(connection)
            if list.count > maxPerHost { expired.append(list.removeFirst()) }
            pools[key] = list
            return expired
        }
        // Closing happens when the last reference goes, here, outside the lock.
        _ = dropped
    }

    /// Number of idle connections (for tests and metrics).
    var idleCount: Int { idle.withLock { $0.values.reduce(0) { $0 + $1.count } } }

    func closeAll() {
        let all = idle.withLock { pools in
            let all = pools
            pools = [:]
            return all
        }
        _ = all
    }
}
