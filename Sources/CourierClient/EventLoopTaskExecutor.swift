import NIOCore

/// Runs a task's nonisolated async code on one NIO event loop (a `TaskExecutor`,
/// SE-0417).
///
/// `CourierClient.taskExecutor` is the one for the client's loop. Code run under
/// `withTaskExecutorPreference(client.taskExecutor) { … }` awaits the client without
/// leaving the loop's thread: each call's answer resumes it there, with no hop to the
/// global executor and back (two thread wake-ups per call otherwise). For loops whose
/// latency matters (request/acknowledge, ping-pong). What runs there runs on the event
/// loop: it must not block, or every connection of that loop waits.
public final class EventLoopTaskExecutor: TaskExecutor, Sendable {
    public let eventLoop: any EventLoop

    public init(eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        eventLoop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}
