@testable import CourierServer
import CourierAuth
import CourierSession
import NIOCore
import NIOEmbedded
import Testing

/// A client that comes back while its previous connection is still handing the session
/// to the registry (a reset, a killed socket: the old connection's last step is queued
/// on its event loop) is told to wait for that step, not that the session is unknown.
@Suite("Session hand-over between connections")
struct SessionHandOverTests {
    static func mailbox(_ id: UInt64, _ loop: any EventLoop) -> ConnectionMailbox {
        ConnectionMailbox(
            connectionID: id, eventLoop: loop, deliver: { _ in }, endOfDeliveries: {},
            handOver: { _ in loop.makeSucceededVoidFuture() }
        )
    }

    @Test func aResumeDuringTheOldConnectionsDetachWaitsForItThenResumes() throws {
        let loop = EmbeddedEventLoop()
        let registry = SessionRegistry(resumeWindow: .seconds(120), replayLimits: .init())
        let principal = Principal(userID: "u")
        let old = Self.mailbox(1, loop)
        let id = registry.create(principal: principal, mailbox: old)

        // The old connection saw its socket die: first step done, the second still queued.
        registry.beginDetach(sessionID: id, connectionID: 1)
        guard case .detaching(let waitOn) = registry.resume(sessionID: id, principal: principal, mailbox: Self.mailbox(2, loop)) else {
            Issue.record("a resume during the detach did not wait for it")
            return
        }
        #expect(waitOn.connectionID == 1)

        // The queued step runs: the session is in the registry, and the retry resumes it.
        registry.detach(sessionID: id, connectionID: 1, reliable: ReliableSession(), inboundAliases: [7: "room"], now: SessionInstant(nanoseconds: 0))
        guard case .resumed(_, let aliases) = registry.resume(sessionID: id, principal: principal, mailbox: Self.mailbox(2, loop)) else {
            Issue.record("the retry after the detach did not resume")
            return
        }
        #expect(aliases == [7: "room"])
    }

    @Test func aResumeWhileAttachedAsksTheOldConnectionToHandOver() {
        let loop = EmbeddedEventLoop()
        let registry = SessionRegistry(resumeWindow: .seconds(120), replayLimits: .init())
        let principal = Principal(userID: "u")
        let id = registry.create(principal: principal, mailbox: Self.mailbox(1, loop))
        guard case .handOver(let old) = registry.resume(sessionID: id, principal: principal, mailbox: Self.mailbox(2, loop)) else {
            Issue.record("a resume of an attached session did not ask for a hand-over")
            return
        }
        #expect(old.connectionID == 1)
        // A second resume racing the first waits on the same connection (one of the two fails on its retry).
        guard case .detaching(let waitOn) = registry.resume(sessionID: id, principal: principal, mailbox: Self.mailbox(3, loop)) else {
            Issue.record("a racing resume did not wait")
            return
        }
        #expect(waitOn.connectionID == 1)
    }
}
