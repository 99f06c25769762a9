import Dispatch
import Foundation
import Synchronization

/// Threads of the delivery service's own on which its attempt tasks run (as their preferred task
/// executor), so deliveries keep moving while Swift's cooperative pool is busy.
///
/// An attempt hops between executors several times (start, signing, the client's answer, the
/// timeout race). On the global pool each hop waits behind everything else queued there: CPU-bound
/// work such as key generation or a burst of requests could hold a finished delivery for seconds
/// on a two-core machine. Here the only competition is the operating system's scheduling.
/// Signing (RSA) runs here too, off the pool.
final class DeliveryExecutor: TaskExecutor, Sendable {
    private struct State {
        var jobs: [UnownedJob] = []
        var threads = 0
        var closed = false
    }

    private let state = Mutex(State())
    /// Signalled once per queued job, and once per thread at shutdown.
    private let available = DispatchSemaphore(value: 0)
    private let name: String

    init(name: String) {
        self.name = name
    }

    /// Starts `count` threads (at least 1). Called once, when the service starts.
    func start(threads count: Int) {
        let count = max(1, count)
        state.withLock { $0.threads += count }
        for index in 0..<count {
            let thread = Thread { [self] in run() }
            thread.name = "\(name).\(index)"
            thread.start()
        }
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let accepted = state.withLock { state -> Bool in
            guard !state.closed, state.threads > 0 else { return false }
            state.jobs.append(job)
            return true
        }
        if accepted {
            available.signal()
        } else {
            // Stopped (or never started): a task abandoned at stop still gets to finish.
            globalConcurrentExecutor.enqueue(ExecutorJob(job))
        }
    }

    /// Lets the threads end once the jobs already queued have run; later jobs go to the global
    /// executor. Idempotent.
    func shutdown() {
        let threads = state.withLock { state -> Int in
            if state.closed { return 0 }
            state.closed = true
            return state.threads
        }
        for _ in 0..<threads { available.signal() }
    }

    private func run() {
        let executor = asUnownedTaskExecutor()
        while true {
            available.wait()
            // Signals match jobs plus one per thread after shutdown, so an empty queue is seen
            // only after shutdown, once per thread.
            guard let job = state.withLock({ $0.jobs.isEmpty ? nil : $0.jobs.removeFirst() }) else { return }
            job.runSynchronously(on: executor)
        }
    }
}
