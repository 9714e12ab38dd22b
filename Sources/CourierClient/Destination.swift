import CourierWire

/// Where an outgoing data message goes (`docs/PROTOCOL.md` §7.8).
public enum Destination: Hashable, Sendable, CustomStringConvertible {
    /// Everyone subscribed to a topic.
    case topic(String)
    /// One session (a direct message).
    case session(UInt64)
    /// Every session of a user (a direct message).
    case user(String)

    /// The route that carries this destination, after checking the protocol's limits.
    public func route() throws(CourierClientError) -> Route {
        switch self {
        case .topic(let topic):
            guard !topic.isEmpty else { throw .invalidDestination("the topic is empty") }
            guard topic.utf8.count <= FieldLimits.topic else {
                throw .invalidDestination("topic of \(topic.utf8.count) bytes exceeds \(FieldLimits.topic)")
            }
            return .topic(topic)
        case .session(let id):
            guard id != 0 else { throw .invalidDestination("session id 0 is reserved") }
            return .session(id)
        case .user(let user):
            guard !user.isEmpty else { throw .invalidDestination("the user id is empty") }
            guard user.utf8.count <= FieldLimits.userID else {
                throw .invalidDestination("user id of \(user.utf8.count) bytes exceeds \(FieldLimits.userID)")
            }
            return .user(user)
        }
    }

    public var description: String {
        switch self {
        case .topic(let topic): return "topic \(topic)"
        case .session(let id): return "session \(id)"
        case .user(let user): return "user \(user)"
        }
    }
}
