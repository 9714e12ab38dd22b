import NIOCore

/// Acknowledge (0x0203): cumulative — every reliable message up to and including
/// `sequence` was received (`docs/PROTOCOL.md` §7.13).
public struct Acknowledge: Hashable, Sendable {
    public var sequence: UInt32

    public init(sequence: UInt32) { self.sequence = sequence }

    public static func decode(from reader: inout BodyReader) throws(WireError) -> Acknowledge {
        let sequence = try reader.int32("sequence")
        try reader.finish("Acknowledge")
        return Acknowledge(sequence: sequence)
    }

    public func encode(into buffer: inout ByteBuffer, _ version: ProtocolVersion) {
        buffer.writeInt32Field(sequence, version)
    }
}
