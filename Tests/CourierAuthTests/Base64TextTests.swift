@testable import CourierAuth
import Testing

@Suite("Base64 decoding")
struct Base64TextTests {
    @Test func urlUnpaddedDecodesRFC4648Vectors() {
        #expect(Base64Text.decode("", .urlUnpadded) == [])
        #expect(Base64Text.decode("Zg", .urlUnpadded) == Array("f".utf8))
        #expect(Base64Text.decode("Zm8", .urlUnpadded) == Array("fo".utf8))
        #expect(Base64Text.decode("Zm9v", .urlUnpadded) == Array("foo".utf8))
        #expect(Base64Text.decode("Zm9vYmFy", .urlUnpadded) == Array("foobar".utf8))
        #expect(Base64Text.decode("-_8", .urlUnpadded) == [0xFB, 0xFF])
    }

    @Test func urlUnpaddedIsStrict() {
        #expect(Base64Text.decode("Zg==", .urlUnpadded) == nil)  // padding
        #expect(Base64Text.decode("+/8", .urlUnpadded) == nil)  // standard alphabet
        #expect(Base64Text.decode("Zh", .urlUnpadded) == nil)  // non-zero trailing bits
        #expect(Base64Text.decode("Z", .urlUnpadded) == nil)  // impossible length
        #expect(Base64Text.decode("Zm 9v", .urlUnpadded) == nil)
    }

    @Test func lenientAcceptsPaddingAndEitherAlphabetButNotBoth() {
        #expect(Base64Text.decode("Zg==", .lenient) == Array("f".utf8))
        #expect(Base64Text.decode("Zm8=", .lenient) == Array("fo".utf8))
        #expect(Base64Text.decode("+/8", .lenient) == [0xFB, 0xFF])
        #expect(Base64Text.decode("-/8", .lenient) == nil)
        #expect(Base64Text.decode("Zg=", .lenient) == nil)
        #expect(Base64Text.decode("Zm9v=", .lenient) == nil)
    }
}
