import NIOCore

/// The typed body of a Courier message; the case fixes the message type.
public enum MessageBody: Hashable, Sendable {
    case handshake(Handshake)
    case handshakeResponse(HandshakeResponse)
    case heartbeat(Heartbeat)
    case close(Close)
    case challenge(Challenge)
    case error(ErrorMessage)
    case windowUpdate(WindowUpdate)
    case textData(DataMessage)
    case binaryData(DataMessage)
    case deltaUpdate(DeltaUpdate)
    case subscribe(Subscribe)
    case unsubscribe(Unsubscribe)
    case acknowledge(Acknowledge)
    case subscribeResult(SubscribeResult)
    case snapshotRequest(SnapshotRequest)

    public var type: MessageType {
        switch self {
        case .handshake: return .handshake
        case .handshakeResponse: return .handshakeResponse
        case .heartbeat: return .heartbeat
        case .close: return .close
        case .challenge: return .challenge
        case .error: return .error
        case .windowUpdate: return .windowUpdate
        case .textData: return .textData
        case .binaryData: return .binaryData
        case .deltaUpdate: return .deltaUpdate
        case .subscribe: return .subscribe
        case .unsubscribe: return .unsubscribe
        case .acknowledge: return .acknowledge
        case .subscribeResult: return .subscribeResult
        case .snapshotRequest: return .snapshotRequest
        }
    }

    /// Decodes a body of a known `type` (the header decoder has checked the type and
    /// its flags) and requires that every byte is used.
    static func decode(type: MessageType, flags: MessageFlags, from reader: inout BodyReader) throws(WireError) -> MessageBody {
        switch type {
        case .textData:
            let checkUTF8 = flags.isDisjoint(with: [.compressed, .encrypted])
            return .textData(try DataMessage.decode(from: &reader, checkUTF8: checkUTF8))
        case .binaryData:
            return .binaryData(try DataMessage.decode(from: &reader, checkUTF8: false))
        case .deltaUpdate:
            return .deltaUpdate(try DeltaUpdate.decode(from: &reader, isDelta: flags.contains(.delta)))
        case .acknowledge: return .acknowledge(try Acknowledge.decode(from: &reader))
        case .heartbeat: return .heartbeat(try Heartbeat.decode(from: &reader))
        case .windowUpdate: return .windowUpdate(try WindowUpdate.decode(from: &reader))
        case .handshake: return .handshake(try Handshake.decode(from: &reader))
        case .handshakeResponse: return .handshakeResponse(try HandshakeResponse.decode(from: &reader))
        case .close: return .close(try Close.decode(from: &reader))
        case .challenge: return .challenge(try Challenge.decode(from: &reader))
        case .error: return .error(try ErrorMessage.decode(from: &reader))
        case .subscribe: return .subscribe(try Subscribe.decode(from: &reader))
        case .unsubscribe: return .unsubscribe(try Unsubscribe.decode(from: &reader))
        case .subscribeResult: return .subscribeResult(try SubscribeResult.decode(from: &reader))
        case .snapshotRequest: return .snapshotRequest(try SnapshotRequest.decode(from: &reader))
        default:
            throw WireError(.unknownMessageType, at: reader.offset, "type 0x\(hex4(type.rawValue)) has no body decoder")
        }
    }

    /// Appends the body's bytes.
    func encode(into buffer: inout ByteBuffer, _ version: ProtocolVersion) throws(WireError) {
        switch self {
        case .textData(let m), .binaryData(let m): try m.encode(into: &buffer, version)
        case .deltaUpdate(let m): try m.encode(into: &buffer, version)
        case .acknowledge(let m): m.encode(into: &buffer, version)
        case .heartbeat(let m): m.encode(into: &buffer, version)
        case .windowUpdate(let m): m.encode(into: &buffer, version)
        case .handshake(let m): try m.encode(into: &buffer, version)
        case .handshakeResponse(let m): try m.encode(into: &buffer, version)
        case .close(let m): try m.encode(into: &buffer, version)
        case .challenge(let m): try m.encode(into: &buffer, version)
        case .error(let m): try m.encode(into: &buffer, version)
        case .subscribe(let m): try m.encode(into: &buffer, version)
        case .unsubscribe(let m): try m.encode(into: &buffer, version)
        case .subscribeResult(let m): try m.encode(into: &buffer, version)
        case .snapshotRequest(let m): try m.encode(into: &buffer, version)
        }
    }
}
