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
            if server.registry.unsubscribe(sessionID: sessionID, alias: request.channel) {
                queues.removeChannel(request.channel)
                nextOffsets[request.channel] = nil
            } else {
                channelError(.unknownChannel, .request(request.requestID), "no subscription on channel \(request.channel)")
            }
        case .windowUpdate(let update):
            granted(update)
        case .snapshotRequest(let request):
            answerSnapshot(request, sessionID: sessionID)
        default:
            break
        }
    }

    func publish(_ incoming: CourierMessage, route: Route, from sessionID: UInt64, principal: Principal) {
        var message = incoming
        var compressed: CompressedForm?
        if !incoming.header.flags.isDisjoint(with: [.compressed, .delta]) {
            guard let admitted = admitIncoming(incoming) else { return }
            (message, compressed) = admitted
        }
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
            let forwarded = direct(message, route: .session(sessionID), compressed: compressed)
            if server.registry.deliver(to: target, forwarded) == .unknownSession {
                channelError(.unknownRecipient, reference, "no session \(target)")
            }
            return
        case .user(let user):
            flushPublishes()
            let targets = server.registry.sessions(ofUser: user)
            guard !targets.isEmpty else { return channelError(.unknownRecipient, reference, "user \(user) has no session") }
            let forwarded = direct(message, route: .user(principal.userID), compressed: compressed)
            for target in targets {
                server.registry.deliver(to: target, forwarded)
            }
            return
        }
        // Valid and allowed topics are remembered (a publisher usually repeats a few;
        // the same topic again, usually the same string from `inboundAliases`, is
        // recognised without hashing it).
        if topic != lastAllowedTopic, !publishAllowed.contains(topic) {
            do {
                try TopicPattern.validateTopic(topic)
            } catch {
                return channelError(.invalidTopic, reference, "topic \(topic): \(error)")
            }
            guard permissions.publish.contains(where: { $0.matches(topic) }) else {
                server.metrics.rejected("publish_denied")
                return channelError(.publishDenied, reference, "user \(principal.userID) may not publish to \(topic)")
            }
            if publishAllowed.count >= Self.publishAllowedMemory { publishAllowed.removeAll(keepingCapacity: true) }
            publishAllowed.insert(topic)
        }
        lastAllowedTopic = topic
        // Publishes are handed to the broker once per read batch (one lock, one hop per event loop).
        var publication = BrokerPublication(
            topic: topic, message: outgoing(message), reliable: message.header.isReliable, bytes: payloadBytes(message)
        )
        publication.compressed = compressed
        pendingPublishes.append(publication)
        if !inRead { flushPublishes() }
    }

    /// Hands this read batch's publishes to the broker.
    func flushPublishes() {
        guard !pendingPublishes.isEmpty else { return }
        server.broker.publish(&pendingPublishes, now: batchNow ?? now)
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
        guard permissions.subscribe.contains(where: { pattern.isCovered(by: $0) }) else {
            server.metrics.rejected("subscribe_denied")
            return channelError(.subscribeDenied, .request(request.requestID), "user \(principal.userID) may not subscribe to \(request.pattern)")
        }
        guard let outcome = server.registry.subscribe(
            sessionID: sessionID, pattern: pattern, maxSubscriptions: server.configuration.maxSubscriptionsPerConnection
        ) else {
            return channelError(.tooManySubscriptions, .request(request.requestID), "limit of \(server.configuration.maxSubscriptionsPerConnection) subscriptions reached")
        }
        // Registered first, history second (the Broker contract): live deliveries that
        // overlap what history gives are dropped by offset (`admitOffset`).
        var result = SubscribeResult(requestID: request.requestID, channel: outcome.alias, epoch: 0, offset: 0, recovery: request.recover == nil ? .notRequested : .failed)
        var missed: [CourierMessage] = []
        if pattern.isLiteral, outcome.isNew {
            let history = server.broker.history(of: pattern.text, recover: request.recover, now: now)
            if history.epoch != 0 {
                result.epoch = history.epoch
                result.offset = history.nextOffset
                if let recovered = history.missed, let recover = request.recover {
                    result.recovery = .recovered
                    result.offset = recover.offset
                    missed = recovered
                }
            }
        }
        enqueue(CourierMessage(body: .subscribeResult(result)))
        // What the client missed goes first; live messages reach this loop only after this returns.
        var offset = result.offset
        for message in missed {
            let publication = OutboundPublication(message: message, topic: pattern.text, reliable: true, bytes: payloadBytes(message), policy: server.configuration.topicPolicies.policy(for: pattern.text), offset: offset)
            deliverFromRouter(QueuedDelivery(publication: publication, route: .channel(outcome.alias), channel: outcome.alias))
            offset += 1
        }
        // From here on, live deliveries the history already covered are dropped.
        if result.epoch != 0 { nextOffsets[outcome.alias] = offset }
    }

    /// The copy of a client's message that goes to recipients: same payload, the
    /// recipient-side header (flags and timestamp only), no route yet.
    func outgoing(_ message: CourierMessage) -> CourierMessage {
        var header = MessageHeader(flags: message.header.flags, timestamp: message.header.timestamp)
        header.flags.remove(.ackRequested)
        return CourierMessage(header: header, body: message.body)
    }

    /// A direct message as its recipients get it (own copy of the payload: it may wait
    /// in a queue or replay buffer, and must not pin the sender's read buffer).
    func direct(_ message: CourierMessage, route: Route, compressed: CompressedForm?) -> QueuedDelivery {
        let publication = OutboundPublication(
            message: TopicHistory.compacted(outgoing(message)), topic: nil, reliable: message.header.isReliable,
            bytes: payloadBytes(message), policy: .dropOldest, compressed: compressed
        )
        return QueuedDelivery(publication: publication, route: route, channel: 0)
    }

    /// How many allowed topics a connection remembers.
    static let publishAllowedMemory = 1_024

    func payloadBytes(_ message: CourierMessage) -> Int {
        message.dataPayload?.readableBytes ?? 0
    }

    func channelError(_ code: ErrorCode, _ reference: ErrorMessage.Reference, _ text: String) {
        logger.info("request refused", metadata: ["code": "\(code)", "detail": "\(text)"])
        enqueue(CourierMessage(body: .error(ErrorMessage(code: code, reference: reference, message: Violation.truncate(text, FieldLimits.errorMessage)))))
    }
}
