import CourierSession
import CourierWire
import Testing

@Suite("Sequences, acknowledgements and replay buffers")
struct ReliabilityTests {
    @Test func serialNumbersCompareAcrossWrapAround() {
        #expect(SerialNumber(1).isAfter(SerialNumber(UInt32.max)))
        #expect(!SerialNumber(UInt32.max).isAfter(SerialNumber(1)))
        #expect(SerialNumber(UInt32.max).next == SerialNumber(1), "0 is skipped")
        #expect(SerialNumber(2).distance(from: SerialNumber(UInt32.max)) == 2)
        #expect(!SerialNumber(5).isAfter(SerialNumber(5)))
    }

    @Test func theReplayBufferIsBoundedInMessagesAndBytes() {
        var outbound = OutboundReliability(limits: .init(maxMessages: 3, maxBytes: 100))
        var m = data("x")
        #expect(outbound.assign(&m, bytes: 10) == .assigned(1))
        #expect(outbound.assign(&m, bytes: 10) == .assigned(2))
        #expect(outbound.assign(&m, bytes: 10) == .assigned(3))
        #expect(outbound.assign(&m, bytes: 10) == .bufferFull)
        #expect(outbound.acknowledge(2) == .accepted(released: 2))
        #expect(outbound.assign(&m, bytes: 95) == .bufferFull, "byte limit")
        #expect(outbound.assign(&m, bytes: 80) == .assigned(4))
        #expect(outbound.bufferedBytes == 90)
    }

    @Test func acknowledgementsAreCumulativeAndStaleOnesAreHarmless() {
        var outbound = OutboundReliability()
        var m = data("x")
        for _ in 1...10 { _ = outbound.assign(&m, bytes: 1) }
        #expect(outbound.acknowledge(7) == .accepted(released: 7))
        #expect(outbound.acknowledge(3) == .accepted(released: 0))
        #expect(outbound.acknowledge(11) == .invalid)
        #expect(outbound.entries.map(\.sequence) == [8, 9, 10])
    }

    @Test func numberingContinuesAcrossTheWrap() {
        var inbound = InboundReliability(lastReceived: UInt32.max - 2)
        var sequences: [UInt32] = []
        for sequence in [UInt32.max - 1, UInt32.max, 1, 2] {
            #expect(inbound.receive(sequence) == .deliver)
            sequences.append(sequence)
        }
        #expect(inbound.receive(UInt32.max) == .duplicate)
        #expect(inbound.lastReceived == 2)
        #expect(sequences.count == 4)
    }

    @Test func duplicatesAreAcknowledgedAgain() {
        var inbound = InboundReliability()
        #expect(inbound.receive(1) == .deliver)
        #expect(inbound.takeAcknowledgement() == 1)
        #expect(inbound.receive(1) == .duplicate)
        #expect(inbound.takeAcknowledgement() == 1, "a replayed duplicate means our ack was lost: send it again")
        #expect(inbound.receive(3) == .gap(expected: 2, got: 3))
    }

    @Test func anAcknowledgementIsDueEvery32Messages() {
        var inbound = InboundReliability()
        for sequence in UInt32(1)...31 { _ = inbound.receive(sequence) }
        #expect(!inbound.acknowledgementDueNow)
        _ = inbound.receive(32)
        #expect(inbound.acknowledgementDueNow)
    }
}
