import Foundation
import CourierServer
import CourierWire
import NIOCore
import NIOWebSocket
import Testing

/// Heartbeats on a real server with a short interval. (The exact 2.5-interval rule
/// is tested without sleeping in CourierSessionTests; this checks the wiring.)
@Suite("Heartbeats against a real server", .serialized)
struct HeartbeatIntegrationTests {
    @Test func aSilentPeerIsClosedWith4005WithinTwoAndAHalfIntervals() async throws {
        let server = try await TestServer.start(heartbeat: .milliseconds(200))
        defer { Task { await server.stop() } }
        let socket = try await RawWebSocket.connect(port: server.port, group: server.group)
        _ = try await socket.authenticateHMAC()
        let started = ContinuousClock.now
        // Read everything (pings included) but never answer.
        let transcript = try await socket.read()
        let elapsed = ContinuousClock.now - started
        #expect(transcript.closeMessage?.code == .heartbeatTimeout)
        #expect(transcript.closeFrameCode == CloseCode.heartbeatTimeout.rawValue)
        let pings = transcript.messages.filter { if case .heartbeat(let h) = $0.body { return h.kind == .ping } else { return false } }
        #expect(pings.count >= 2, "the server pinged every interval")
        #expect(elapsed >= .milliseconds(450) && elapsed < .milliseconds(1_500), "closed after \(elapsed)")
    }

    /// A server back from a stall (its clock 4 s further at once, past the 2.5 s silence
    /// limit, as for a stopped process or a starved VM) pings its peer instead of closing
    /// it, and judges it one interval later (§13): then, unanswered, 4005.
    @Test func aServerBackFromAStallPingsItsPeerAndJudgesItOneIntervalLater() async throws {
        let clock = ManualClock(wall: Date())
        let server = try await TestServer.start(heartbeat: .seconds(1), clock: clock.serverClock)
        defer { Task { await server.stop() } }
        let socket = try await RawWebSocket.connect(port: server.port, group: server.group)
        _ = try await socket.authenticateHMAC()
        func isPing(_ message: CourierMessage) -> Bool {
            if case .heartbeat(let beat) = message.body { return beat.kind == .ping }
            return false
        }
        clock.advance(by: .seconds(4))
        // The timer wheel runs on real time and reads the (jumped) clock when it fires.
        let afterStall = try await socket.read { $0.messages.contains(where: isPing) }
        #expect(afterStall.closeMessage == nil && !afterStall.closed, "closed after the stall: \(afterStall.messages)")
        #expect(afterStall.messages.filter(isPing).count == 1)
        // Never answered: one interval later (an on-time tick) the peer is dead.
        clock.advance(by: .seconds(1))
        let judged = try await socket.read()
        #expect(judged.closeMessage?.code == .heartbeatTimeout)
    }

    @Test func aPeerThatAnswersPingsStaysConnected() async throws {
        // 200 ms: a 500 ms silence limit, so a loaded machine's scheduling delays in
        // this test's own answering task do not look like a silent peer.
        let server = try await TestServer.start(heartbeat: .milliseconds(200))
        defer { Task { await server.stop() } }
        let socket = try await RawWebSocket.connect(port: server.port, group: server.group)
        _ = try await socket.authenticateHMAC()
        var pongs = 0
        let decoder = MessageDecoder(version: .v2)
        for await event in socket.events {
            guard case .frame(let frame) = event, frame.opcode == .binary else { break }
            for decoded in try FrameReader.decodeAll(frame.unmaskedData, decoder: decoder) {
                if case .heartbeat(let ping) = decoded.message.body, ping.kind == .ping {
                    try await socket.send([CourierMessage(body: .heartbeat(Heartbeat(kind: .pong, value: ping.value)))])
                    pongs += 1
                }
            }
            if pongs == 6 { break }  // 6 intervals = 2.4 times the timeout
        }
        #expect(pongs == 6)
        #expect(socket.channel.isActive)
        await socket.close()
    }

    /// RFC 6455 pings (from proxies, browsers' keep-alives) are answered at once, on a
    /// connection with nothing else to send.
    @Test func aWebSocketPingIsAnsweredAtOnce() async throws {
        let server = try await TestServer.start()
        defer { Task { await server.stop() } }
        let socket = try await RawWebSocket.connect(port: server.port, group: server.group)
        _ = try await socket.authenticateHMAC()
        try await socket.send(Array("are you there".utf8), opcode: .ping)
        // Without a flush of its own the pong would wait for the next Courier heartbeat
        // (15 s here): a third of that is the deadline, far above any real delay.
        let transcript = try await withThrowingTaskGroup(of: Transcript?.self) { group in
            group.addTask { try await socket.read { !$0.pongs.isEmpty } }
            group.addTask { try await Task.sleep(for: .seconds(5)); return nil }
            let first = try await group.next() ?? nil
            group.cancelAll()
            return first
        }
        #expect(transcript?.pongs == [Array("are you there".utf8)], "no pong within 5 s")
    }
}
