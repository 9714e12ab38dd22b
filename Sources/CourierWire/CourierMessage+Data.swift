import NIOCore

/// The route and payload that every data message (TextData, BinaryData, DeltaUpdate)
/// has, without switching over the three bodies at each use.
extension CourierMessage {
    /// The route of a data message; nil for other types.
    public var dataRoute: Route? {
        switch body {
        case .textData(let data), .binaryData(let data): return data.route
        case .deltaUpdate(let update): return update.route
        default: return nil
        }
    }

    /// The application payload of a data message; nil for other types.
    public var dataPayload: ByteBuffer? {
        switch body {
        case .textData(let data), .binaryData(let data): return data.payload
        case .deltaUpdate(let update): return update.payload
        default: return nil
        }
    }

    /// A copy with the data message's route replaced (the payload is shared, not copied).
    /// Other types are returned unchanged.
    public func replacingRoute(_ route: Route) -> CourierMessage {
        var copy = self
        switch copy.body {
        case .textData(var data): data.route = route; copy.body = .textData(data)
        case .binaryData(var data): data.route = route; copy.body = .binaryData(data)
        case .deltaUpdate(var update): update.route = route; copy.body = .deltaUpdate(update)
        default: break
        }
        return copy
    }

    /// A copy with the data message's payload replaced. Other types are returned unchanged.
    public func replacingPayload(_ payload: ByteBuffer) -> CourierMessage {
        var copy = self
        switch copy.body {
        case .textData(var data): data.payload = payload; copy.body = .textData(data)
        case .binaryData(var data): data.payload = payload; copy.body = .binaryData(data)
        case .deltaUpdate(var update): update.payload = payload; copy.body = .deltaUpdate(update)
        default: break
        }
        return copy
    }
}
