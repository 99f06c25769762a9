import Dispatch

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// Bridges SIGINT and SIGTERM to async code, for a clean `praxis serve` shutdown.
///
/// The signals' default action (terminating the process) is turned off first, then a
/// `DispatchSource` per signal resumes the waiting task.
public enum ShutdownSignal {
    /// Waits for SIGINT or SIGTERM.
    /// - Returns: the number of the signal that arrived.
    public static func wait() async -> Int32 {
        await wait(for: [SIGINT, SIGTERM], ready: {})
    }

    /// Waits for one of `signals` (sent to the process); `ready` runs once the handlers are
    /// installed.
    static func wait(for signals: [Int32], ready: @Sendable () -> Void) async -> Int32 {
        let queue = DispatchQueue(label: "praxis.shutdown-signal")
        let (arrivals, continuation) = AsyncStream<Int32>.makeStream()
        var sources: [any DispatchSourceSignal] = []
        // Registration is asynchronous; a signal arriving before it would be ignored, so
        // `ready` waits for every source to be registered.
        let registered = DispatchGroup()
        for number in signals {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            source.setEventHandler { continuation.yield(number) }
            registered.enter()
            source.setRegistrationHandler { registered.leave() }
            source.resume()
            sources.append(source)
        }
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            registered.notify(queue: queue) { done.resume() }
        }
        ready()
        var received: Int32 = 0
        for await number in arrivals {
            received = number
            break
        }
        for source in sources { source.cancel() }
        continuation.finish()
        return received
    }
}
