@testable import CourierClient
import CourierWire
import NIOCore
import Testing

@Suite("Destinations (§7.8)")
struct DestinationTests {
    @Test func eachDestinationMapsToItsRoute() throws {
        #expect(try Destination.topic("chat.lobby").route() == .topic("chat.lobby"))
        #expect(try Destination.session(42).route() == .session(42))
        #expect(try Destination.user("alice").route() == .user("alice"))
    }

    @Test func limitsOfTheProtocolAreCheckedBeforeSending() {
        #expect(throws: CourierClientError.invalidDestination("topic of 257 bytes exceeds 256")) {
            try Destination.topic(String(repeating: "t", count: 257)).route()
        }
        #expect(throws: CourierClientError.invalidDestination("user id of 129 bytes exceeds 128")) {
            try Destination.user(String(repeating: "u", count: 129)).route()
        }
        #expect(throws: CourierClientError.invalidDestination("session id 0 is reserved")) { try Destination.session(0).route() }
        #expect(throws: CourierClientError.invalidDestination("the topic is empty")) { try Destination.topic("").route() }
        #expect(throws: Never.self) { try Destination.topic(String(repeating: "é", count: 128)).route() }
    }

    @Test func routeSizeBoundCoversTheEncodedRoute() throws {
        for route: Route in [.topic(String(repeating: "t", count: 256)), .user("bob"), .session(.max)] {
            for version in ProtocolVersion.allCases {
                var buffer = ByteBuffer()
                try route.encode(into: &buffer, version)
                #expect(buffer.readableBytes <= CourierClient.routeBytes(route))
            }
        }
    }
}
