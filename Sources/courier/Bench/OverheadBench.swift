import ArgumentParser
import Foundation
import CourierInspect
import CourierWire
import NIOCore

/// `courier bench overhead`: bytes on the wire per payload size, v1 and v2, both
/// directions, WebSocket framing included. Computed by encoding real messages.
struct OverheadBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "overhead",
        abstract: "Protocol bytes per message (WebSocket framing included) by payload size, version and direction."
    )

    @Option(help: "Payload sizes in bytes.") var payload: [Int] = [16, 64, 256, 1_024]
    @Option(help: "Messages per WebSocket message for the batched rows.") var batch = 10
    @Flag(help: "Print one JSON object.") var json = false

    struct Row {
        var version: ProtocolVersion
        var direction: String
        var batched: Bool
        var payload: Int
        var wireBytesPerMessage: Double
        var overheadPercent: Double { (wireBytesPerMessage - Double(payload)) / Double(payload) * 100 }
    }

    func run() throws {
        var rows: [Row] = []
        for version in ProtocolVersion.allCases {
            for size in payload {
                // Server → client: a delivery on an established channel (unmasked frames).
                // Client → server: a reliable publish on a channel alias it bound earlier (masked frames).
                for (direction, masked) in [("server_to_client", false), ("client_to_server", true)] {
                    for batched in [false, true] {
                        let count = batched ? batch : 1
                        let bytes = try Self.frameBytes(version: version, payload: size, count: count, masked: masked)
                        rows.append(Row(version: version, direction: direction, batched: batched, payload: size, wireBytesPerMessage: Double(bytes) / Double(count)))
                    }
                }
            }
        }
        json ? printJSON(rows) : printTable(rows)
    }

    /// Bytes of one WebSocket message carrying `count` reliable data messages on channel 5.
    static func frameBytes(version: ProtocolVersion, payload: Int, count: Int, masked: Bool) throws -> Int {
        let encoder = MessageEncoder(version: version)
        var compressor = SequenceCompressor()
        var buffer = ByteBuffer()
        for index in 0..<count {
            // Sequence 1000+index: past the first message of the connection, so v2 may leave it implicit.
            var header = MessageHeader(flags: .ackRequested, sessionID: version == .v1 ? 0x0123_4567_89AB_CDEF : nil, sequence: UInt32(1_000 + index),
                                       timestamp: version == .v1 ? 1_700_000_000_000_000 : nil)
            if index == 0 { compressor = SequenceCompressor(previous: 999) }
            compressor.compress(&header, version: version)
            let message = CourierMessage(header: header, body: .binaryData(DataMessage(route: .channel(5), payload: ByteBuffer(repeating: 0x61, count: payload))))
            try encoder.encode(message, into: &buffer, includeLength: index < count - 1)
        }
        return buffer.readableBytes + WebSocketFraming.headerSize(payloadLength: buffer.readableBytes, masked: masked)
    }

    func printTable(_ rows: [Row]) {
        print("Bytes on the wire per message (WebSocket frame header included), reliable data on an established channel")
        print("version  direction         batch  payload  bytes/msg  overhead")
        for row in rows {
            let batch = row.batched ? "\(self.batch)" : "1"
            print(
                row.version.description.padding(9) + row.direction.padding(18) + batch.padding(7) + "\(row.payload)".padding(9)
                    + String(format: "%.1f", row.wireBytesPerMessage).padding(11) + String(format: "%.1f%%", row.overheadPercent)
            )
        }
    }

    func printJSON(_ rows: [Row]) {
        var byVersion: [(String, JSONValue)] = []
        for version in ProtocolVersion.allCases {
            var directions: [(String, JSONValue)] = []
            for direction in ["server_to_client", "client_to_server"] {
                for batched in [false, true] {
                    let key = direction + (batched ? "_batch\(batch)" : "")
                    let values = rows.filter { $0.version == version && $0.direction == direction && $0.batched == batched }
                        .map { (String($0.payload), JSONValue.decimal(String(format: "%.2f", $0.overheadPercent))) }
                    directions.append((key, .object(values)))
                }
            }
            byVersion.append((version.description, .object(directions)))
        }
        let object = JSONValue.object([
            ("scenario", .string("overhead")), ("build", .string(BuildInfo.mode)), ("cores", .number(Int64(BuildInfo.cores))),
            ("payload_bytes", .array(payload.map { .number(Int64($0)) })), ("batch", .number(Int64(batch))),
            ("overhead_percent", .object(byVersion)),
        ])
        print(object.pretty)
    }
}

extension String {
    func padding(_ width: Int) -> String { count >= width ? self + " " : self + String(repeating: " ", count: width - count) }
}
