#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs blocking work (sockets, `getaddrinfo`) on a fresh detached thread.
///
/// Not Dispatch: custom concurrent queues and the global queues are capped at about one thread
/// per core, so a few requests waiting on slow servers would hold up every other request (and,
/// in tests, the timeouts themselves). Not the Swift concurrency pool either, which must never
/// block. A thread per exchange costs tens of microseconds, small beside a TCP or TLS handshake;
/// callers such as the delivery queue bound how many run at once.
enum ClientThread {
    private final class Job {
        let body: @Sendable () -> Void
        init(_ body: @escaping @Sendable () -> Void) { self.body = body }
    }

    /// Starts `body` on a new thread; if the system refuses a thread, runs `onFailure` instead
    /// (on the calling thread) so the caller can report the error.
    static func spawn(_ body: @escaping @Sendable () -> Void, onFailure: () -> Void) {
        let job = Unmanaged.passRetained(Job(body)).toOpaque()
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        defer { pthread_attr_destroy(&attributes) }
        pthread_attr_setdetachstate(&attributes, Int32(PTHREAD_CREATE_DETACHED))
        // Plenty for the client's call depth, and well below the 8 MiB default reservation.
        pthread_attr_setstacksize(&attributes, 1024 * 1024)
        #if canImport(Glibc)
        var thread = pthread_t()
        #else
        var thread: pthread_t?
        #endif
        let result = pthread_create(&thread, &attributes, { context in
            #if canImport(Glibc)
            let job = Unmanaged<Job>.fromOpaque(context!).takeRetainedValue()
            #else
            let job = Unmanaged<Job>.fromOpaque(context).takeRetainedValue()
            #endif
            job.body()
            return nil
        }, job)
        if result != 0 {
            Unmanaged<Job>.fromOpaque(job).release()
            onFailure()
        }
    }
}
