/// What happens to a delivery that does not fit its channel's data queue
/// (`docs/PROTOCOL.md` §16.2).
public enum SlowConsumerPolicy: String, Sendable, Hashable, CaseIterable {
    /// Drop the oldest queued messages of the channel until the new one fits.
    case dropOldest
    /// Replace a queued message with the same key (concrete topic, plus the DeltaUpdate
    /// key) at its place, at any time; when none has the key and the queue is full,
    /// drop the oldest.
    case keepLatest
    /// Close the connection with 4007 (the session can resume).
    case disconnect
}

/// The policy of each topic: the first rule whose pattern matches wins.
public struct TopicPolicies: Sendable {
    public struct Rule: Sendable {
        public var pattern: TopicPattern
        public var policy: SlowConsumerPolicy
        public init(pattern: TopicPattern, policy: SlowConsumerPolicy) {
            self.pattern = pattern
            self.policy = policy
        }
    }

    public var rules: [Rule]
    public var defaultPolicy: SlowConsumerPolicy

    public init(rules: [Rule] = [], defaultPolicy: SlowConsumerPolicy = .dropOldest) {
        self.rules = rules
        self.defaultPolicy = defaultPolicy
    }

    public func policy(for topic: String) -> SlowConsumerPolicy {
        for rule in rules where rule.pattern.matches(topic) { return rule.policy }
        return defaultPolicy
    }

    /// Parses `PATTERN=POLICY` (as `courier serve --topic-policy` takes it).
    public static func parseRule(_ text: String) throws(ServerConfiguration.Invalid) -> Rule {
        guard let equals = text.lastIndex(of: "=") else {
            throw .init(key: "topicPolicy", problem: "\(text): expected PATTERN=POLICY (policy: \(SlowConsumerPolicy.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        let patternText = String(text[..<equals])
        let policyText = String(text[text.index(after: equals)...])
        guard let policy = SlowConsumerPolicy(rawValue: policyText) else {
            throw .init(key: "topicPolicy", problem: "\(text): unknown policy \(policyText) (one of \(SlowConsumerPolicy.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        do {
            return Rule(pattern: try TopicPattern(patternText), policy: policy)
        } catch {
            throw .init(key: "topicPolicy", problem: "\(text): \(error)")
        }
    }
}
