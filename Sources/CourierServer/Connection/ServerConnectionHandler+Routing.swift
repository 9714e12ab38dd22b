import Logging
import CourierAuth
import CourierSession
import CourierWire
import NIOCore

/// What the server does with a client's application messages: publish to a topic,
/// direct messages, subscriptions. Denials are channel-level errors (§9.2 3xx): the
/// connection stays open.
extension ServerConnectionHandler {
    func route(_ message: CourierMessage) {
        guard let sessionID, let principal else { return }
        if let route = message.dataRoute {
            return publish(message, route: route, from: sessionID, principal: principal)
        }
        switch message.body {
        case .subscribe(let request):
            subscribe(request, sessionID: sessionID, principal: principal)
        case .unsubscribe(let request):
            if !server.registry.unsubscribe(sessionID: sessionID, alias: request.channel) {
                channelError(.unknownChannel, .request(request.requestID), "no subscription on channel \(request.channel)")
            }
        case .windowUpdate:
            break  // credit-based flow control arrives with the routing issue
        default:
            break
        }
    }

    func publish(_ message: CourierMessage, route: Route, from sessionID: UInt64, principal: Principal) {
        let reference: ErrorMessage.Reference = message.header.sequence.map { .sequence($0) } ?? .none
        let topic: String
        switch route {
        case .topic(let name):
            topic = name
        case .bind(let alias, let name):
            inboundAliases[alias] = name
            topic = name
        case .channel(let alias):
            guard let name = inboundAliases[alias] else {
                return channelError(.unknownChannel, .channel(alias), "channel \(alias) was never bound to a topic")
            }
            topic = name
        case .session(let target):
            flushPublishes()  // keep this sender's order
            let forwarded = outgoing(message, route: .session(sessionID))
            if server.registry.deliver(to: target, forwarded, reliable: message.header.isReliable, bytes: payloadBytes(message)) == .unknownSession {
                channelError(.unknownRecipient, reference, "no session \(target)")
            }
            return
        case .user(let user):
            flushPublishes()
            let targets = server.registry.sessions(ofUser: user)
            guard !targets.isEmpty else { return channelError(.unknownRecipient, reference, "user \(user) has no session") }
            let forwarded = outgoing(message, route: .user(principal.userID))
            for target in targets {
                server.registry.deliver(to: target, forwarded, reliable: message.header.isReliable, bytes: payloadBytes(message))
            }
            return
        }
        do {
            try TopicPattern.validateTopic(topic)
        } catch {
            return channelError(.invalidTopic, reference, "topic \(topic): \(error)")
        }
        guard principal.publish.contains(where: { (try? TopicPattern($0))?.matches(topic) == true }) else {
            server.metrics.rejected("publish_denied")
            return channelError(.publishDenied, reference, "user \(principal.userID) may not publish to \(topic)")
        }
        // Publishes are handed to the registry once per read batch (one lock, one hop per event loop).
        pendingPublishes.append(SessionRegistry.Publication(
            topic: topic, message: outgoing(message, route: .topic(topic)), reliable: message.header.isReliable, bytes: payloadBytes(message)
        ))
        if !inRead { flushPublishes() }
    }

    /// Hands this read batch's publishes to the registry.
    func flushPublishes() {
        guard !pendingPublishes.isEmpty else { return }
        server.registry.publish(pendingPublishes, now: now)
        pendingPublishes.removeAll(keepingCapacity: true)
    }

    func subscribe(_ request: Subscribe, sessionID: UInt64, principal: Principal) {
        flushPublishes()
        let pattern: TopicPattern
        do {
            pattern = try TopicPattern(request.pattern)
        } catch {
            return channelError(.invalidTopic, .request(request.requestID), "pattern \(request.pattern): \(error)")
        }
        guard principal.subscribe.contains(where: { (try? TopicPattern($0)).map { pattern.isCovered(by: $0) } == true }) else {
            server.metrics.rejected("subscribe_denied")
            return channelError(.subscribeDenied, .request(request.requestID), "user \(principal.userID) may not subscribe to \(request.pattern)")
        }
        guard let outcome = server.registry.subscribe(
            sessionID: sessionID, pattern: pattern, maxSubscriptions: server.configuration.maxSubscriptionsPerConnection,
            recover: request.recover, now: now
        ) else {
            return channelError(.tooManySubscriptions, .request(request.requestID), "limit of \(server.configuration.maxSubscriptionsPerConnection) subscriptions reached")
        }
        enqueue(CourierMessage(body: .subscribeResult(SubscribeResult(
            requestID: request.requestID, channel: outcome.alias, epoch: outcome.epoch, offset: outcome.offset, recovery: outcome.recovery
        ))))
        // What the client missed goes first; live messages reach this loop only after this returns.
        for missed in outcome.missed {
            deliverFromRouter(missed.replacingRoute(.channel(outcome.alias)), reliable: true, bytes: payloadBytes(missed))
        }
    }

    /// The copy of a client's message that goes to recipients: same payload (shared
    /// storage, no copy), the recipient-side route, numbered per recipient.
    func outgoing(_ message: CourierMessage, route: Route) -> CourierMessage {
        var header = MessageHeader(flags: message.header.flags, timestamp: message.header.timestamp)
        header.flags.remove(.ackRequested)
        return CourierMessage(header: header, body: message.body).replacingRoute(route)
    }

    func payloadBytes(_ message: CourierMessage) -> Int {
        message.dataPayload?.readableBytes ?? 0
    }

    func channelError(_ code: ErrorCode, _ reference: ErrorMessage.Reference, _ text: String) {
        logger.info("request refused", metadata: ["code": "\(code)", "detail": "\(text)"])
        enqueue(CourierMessage(body: .error(ErrorMessage(code: code, reference: reference, message: Violation.truncate(text, FieldLimits.errorMessage)))))
    }
}
