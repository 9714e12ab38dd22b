import CourierSession
import CourierWire
import Testing

@Suite("Credit flow control (§16.3)")
struct FlowControlTests {
    static func update(_ messages: UInt32, _ bytes: UInt32, channel: UInt32 = 0) -> WindowUpdate {
        WindowUpdate(channel: channel, messages: messages, bytes: bytes)
    }

    static let small = ReceiveWindow.Limits(
        initialMessages: 8, initialBytes: 800, minMessages: 4, minBytes: 400, maxMessages: 32, maxBytes: 3_200
    )

    // MARK: SendCredit

    @Test func aSenderNeverExceedsItsCredit() {
        var credit = SendCredit(messages: 3, bytes: 100)
        var sent: [Int] = []
        for size in [40, 40, 30, 10, 0] where credit.allows(bytes: size) {
            credit.spend(bytes: size)
            sent.append(size)
        }
        #expect(sent == [40, 40, 10], "30 bytes do not fit in the 20 left; the third message uses the last message credit")
        #expect(credit.messages == 0 && credit.bytes == 10)
        #expect(!credit.allows(bytes: 0), "no message credit left, even for an empty payload")
    }

    @Test func aMessageNeedsOneMessageAndItsPayloadInBytes() {
        let credit = SendCredit(messages: 1, bytes: 10)
        #expect(credit.allows(bytes: 10))
        #expect(!credit.allows(bytes: 11))
        #expect(!SendCredit(messages: 0, bytes: 1_000).allows(bytes: 1))
        #expect(SendCredit(messages: -5, bytes: -5) == SendCredit(messages: 0, bytes: 0), "negative starts count as none")
    }

    @Test func grantsAddBothFieldsAndIgnoreOtherChannels() {
        var credit = SendCredit(messages: 1, bytes: 10)
        credit.grant(Self.update(2, 500))
        #expect(credit.messages == 3 && credit.bytes == 510)
        credit.grant(Self.update(0, 0))
        #expect(credit.messages == 3 && credit.bytes == 510, "0 adds nothing")
        credit.grant(Self.update(100, 100, channel: 7))
        #expect(credit.messages == 3 && credit.bytes == 510, "a non-zero channel is reserved: ignored")
    }

    @Test func theFirstGrantTurnsAnUnlimitedCreditLimited() {
        var credit = SendCredit.unlimited
        #expect(credit.isUnlimited && credit.allows(bytes: Int.max))
        credit.spend(bytes: 1 << 30)
        #expect(credit.isUnlimited, "spending unlimited credit costs nothing")
        credit.grant(Self.update(5, 7, channel: 3))
        #expect(credit.isUnlimited, "an ignored grant does not turn flow control on")
        credit.grant(Self.update(2, 100))
        #expect(!credit.isUnlimited)
        #expect(credit.messages == 2 && credit.bytes == 100, "starts from zero plus the update")
        #expect(!credit.allows(bytes: 101))
        credit.spend(bytes: 60)
        credit.spend(bytes: 40)
        #expect(!credit.allows(bytes: 0))
    }

    @Test func grantsSaturateInsteadOfOverflowing() {
        var credit = SendCredit(messages: 0, bytes: 0)
        for _ in 0..<10_000 { credit.grant(Self.update(.max, .max)) }
        #expect(credit.messages == 10_000 * Int64(UInt32.max))
        var huge = SendCredit(messages: .max - 1, bytes: .max)
        huge.grant(Self.update(.max, .max))
        #expect(huge.messages == .max && huge.bytes == .max)
        #expect(huge.allows(bytes: .max))
    }

    // MARK: ReceiveWindow

    @Test func theDefaultLimitsAreThoseOfTheSpec() {
        let limits = ReceiveWindow.Limits()
        #expect(limits.initialMessages == 4_096 && limits.initialBytes == 8 << 20)
        #expect(limits.minMessages == 256 && limits.minBytes == 1 << 20)
        #expect(limits.maxMessages == 65_536 && limits.maxBytes == 64 << 20)
        let window = ReceiveWindow()
        #expect(window.initialGrant == Self.update(4_096, 8 << 20))
        #expect(window.window == (4_096, 8 << 20))
        #expect(window.outstanding == (4_096, 8 << 20), "the initial grant counts as granted")
    }

    @Test func limitsAccommodateTheLargestMessage() {
        let raised = Self.small.accommodating(messageBytes: 1_000)
        #expect(raised.minBytes == 1_000 && raised.initialBytes == 1_000 && raised.maxBytes == 3_200)
        let beyond = Self.small.accommodating(messageBytes: 5_000)
        #expect(beyond.minBytes == 5_000 && beyond.initialBytes == 5_000 && beyond.maxBytes == 5_000)
        #expect(beyond.isValid)
        #expect(Self.small.accommodating(messageBytes: 10) == Self.small, "already large enough")
        let capped = Self.small.accommodating(messageBytes: .max)
        #expect(capped.maxBytes == Int(UInt32.max) && capped.isValid)
        var invalid = Self.small
        invalid.minMessages = 9
        #expect(!invalid.isValid, "min above initial")
        invalid = Self.small
        invalid.maxBytes = Int(UInt32.max) + 1
        #expect(!invalid.isValid, "a window a WindowUpdate cannot carry")
    }

    @Test func exceedingTheCreditIsDetectedAndNeverGoesNegative() {
        var window = ReceiveWindow(limits: Self.small)
        for _ in 0..<7 { #expect(window.received(bytes: 100) == .accepted) }
        #expect(window.outstanding == (1, 100))
        #expect(window.received(bytes: 101) == .exceeded, "one message left but not 101 bytes")
        #expect(window.outstanding == (0, 0))
        #expect(window.received(bytes: 0) == .exceeded, "no message credit left")
        #expect(window.outstanding == (0, 0))
        #expect(window.buffered == (9, 801), "exceeding messages are still buffered")
    }

    @Test func creditIsReturnedOnlyForConsumedMessages() {
        var window = ReceiveWindow(limits: Self.small)
        #expect(window.takeUpdate() == nil, "the peer holds the whole window")
        for _ in 0..<8 { _ = window.received(bytes: 100) }
        #expect(window.takeUpdate() == nil, "nothing consumed: no credit, however low the peer's")
        window.consumed(messages: 1, bytes: 100)
        #expect(window.takeUpdate() == nil, "7 of 8 still used: not worth an update")
        window.consumed(messages: 1, bytes: 100)
        #expect(window.takeUpdate() == Self.update(2, 200), "6 of 8 used (¾): return what was consumed")
        #expect(window.outstanding == (2, 200))
        #expect(window.takeUpdate() == nil, "nothing more to return")
        window.consumed(messages: 6, bytes: 600)
        #expect(window.takeUpdate() == Self.update(6, 600))
        #expect(window.outstanding == (8, 800), "back to W, never above")
        #expect(window.takeUpdate() == nil)
    }

    @Test func anUpdateIsDueWhenEitherMessagesOrBytesFallToThreeQuarters() {
        var window = ReceiveWindow(limits: Self.small)
        // One big message: 1 of 8 messages used, but 300 of 800 bytes.
        _ = window.received(bytes: 300)
        window.consumed(messages: 1, bytes: 300)
        #expect(window.takeUpdate() == Self.update(1, 300), "7 of 8 messages used is above ¾, but bytes are at 5/8")
        // Many empty messages: bytes untouched, messages run out.
        for _ in 0..<2 { _ = window.received(bytes: 0) }
        window.consumed(messages: 2, bytes: 0)
        #expect(window.takeUpdate() == Self.update(2, 0), "6 of 8 messages used: message credit alone")
    }

    @Test func consumingMoreThanWasReceivedCannotInflateCredit() {
        var window = ReceiveWindow(limits: Self.small)
        for _ in 0..<4 { _ = window.received(bytes: 100) }
        window.consumed(messages: 1_000, bytes: .max)
        #expect(window.buffered == (0, 0))
        #expect(window.takeUpdate() == Self.update(4, 400))
        #expect(window.outstanding == (8, 800))
        window.consumed(messages: -3, bytes: -3)
        #expect(window.buffered == (0, 0), "negative counts are ignored")
    }

    @Test func aLimitedPeerOnAFastPathGetsADoubledWindow() {
        var window = ReceiveWindow(limits: Self.small)
        window.roundTrip(.milliseconds(10))
        #expect(window.window == (8, 800), "not limited yet: no growth")
        for _ in 0..<6 {
            _ = window.received(bytes: 100)
            window.consumed(messages: 1, bytes: 100)  // a consumer that keeps up
        }
        #expect(window.peerWasLimited, "2 of 8 left: a quarter, with nothing waiting")
        window.roundTrip(.milliseconds(12))
        #expect(window.window == (16, 1_600), "RTT within 1.25× the smallest")
        #expect(!window.peerWasLimited, "the flag is reset by every sample")
        #expect(window.takeUpdate() == Self.update(14, 1_400), "the larger window is granted at once")
        #expect(window.outstanding == (16, 1_600))
    }

    @Test func aSlowConsumerDoesNotGrowTheWindow() {
        var window = ReceiveWindow(limits: Self.small)
        window.roundTrip(.milliseconds(10))
        for _ in 0..<6 { _ = window.received(bytes: 100) }  // nothing consumed: the consumer is the bottleneck
        #expect(!window.peerWasLimited)
        window.roundTrip(.milliseconds(10))
        #expect(window.window == (8, 800), "growing would only buffer more on this side")
    }

    @Test func aSlowerPathDoesNotGrowTheWindowEvenWhenLimited() {
        var window = ReceiveWindow(limits: Self.small)
        window.roundTrip(.milliseconds(10))
        for _ in 0..<7 { _ = window.received(bytes: 100) }
        window.roundTrip(.milliseconds(15))
        #expect(window.window == (8, 800), "1.5× the smallest: neither grow nor shrink")
    }

    @Test func buildingQueuesShrinkTheWindowWithoutTakingCreditBack() {
        var window = ReceiveWindow(limits: Self.small)
        window.roundTrip(.milliseconds(10))
        window.roundTrip(.milliseconds(21))
        #expect(window.window == (6, 600), "RTT above 2× the smallest: ¾")
        #expect(window.outstanding == (8, 800), "credit already granted is never taken back")
        for _ in 0..<4 { _ = window.received(bytes: 100) }
        window.consumed(messages: 4, bytes: 400)
        #expect(window.takeUpdate() == Self.update(2, 200), "grants only up to the new W")
        #expect(window.outstanding == (6, 600))
    }

    @Test func theWindowStaysWithinItsBounds() {
        var window = ReceiveWindow(limits: Self.small)
        window.roundTrip(.milliseconds(10))
        for _ in 0..<10 {
            window.roundTrip(.milliseconds(100))
        }
        #expect(window.window == (4, 400), "not below the minimum")
        for _ in 0..<10 {
            // The peer uses all its message credit, the application keeps up.
            let credit = window.outstanding.messages
            for _ in 0..<credit {
                _ = window.received(bytes: 0)
                window.consumed(messages: 1, bytes: 0)
            }
            window.roundTrip(.milliseconds(10))
            _ = window.takeUpdate()
        }
        #expect(window.window == (32, 3_200), "not above the maximum")
        #expect(window.smallestRoundTrip == .milliseconds(10))
    }

    @Test func subMillisecondJitterIsNotMistakenForQueueing() {
        var window = ReceiveWindow(limits: Self.small)
        window.roundTrip(.microseconds(40))
        window.roundTrip(.microseconds(900))
        #expect(window.window == (8, 800), "both within the 1 ms resolution")
        window.roundTrip(.microseconds(2_100))
        #expect(window.window == (6, 600), "above 2 ms is above twice the resolution")
        window.roundTrip(.seconds(-1))
        #expect(window.smallestRoundTrip == .microseconds(40), "a negative sample is ignored")
    }

    @Test func hostilePeerInputNeverTraps() {
        let limits = ReceiveWindow.Limits(
            initialMessages: Int(UInt32.max), initialBytes: Int(UInt32.max),
            minMessages: 1, minBytes: 1, maxMessages: Int(UInt32.max), maxBytes: Int(UInt32.max)
        )
        var window = ReceiveWindow(limits: limits)
        #expect(window.initialGrant == Self.update(.max, .max))
        for _ in 0..<1_000 { _ = window.received(bytes: .max) }
        #expect(window.outstanding == (Int(UInt32.max) - 1_000, 0), "bytes ran out at the first message")
        #expect(window.buffered.bytes == Int.max, "saturates")
        window.roundTrip(.milliseconds(1))
        window.roundTrip(.milliseconds(1))
        #expect(window.window == (Int(UInt32.max), Int(UInt32.max)), "doubling stops at the maximum")
        window.consumed(messages: .max, bytes: .max)
        #expect(window.takeUpdate() == Self.update(1_000, .max), "back to W, which fits a WindowUpdate")
        #expect(window.outstanding == (Int(UInt32.max), Int(UInt32.max)))
        #expect(window.takeUpdate() == nil)

        var credit = SendCredit(messages: 0, bytes: 0)
        for _ in 0..<100_000 { credit.grant(Self.update(.max, .max)) }
        #expect(credit.bytes == 100_000 * Int64(UInt32.max))
    }
}
