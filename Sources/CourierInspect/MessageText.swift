import CourierCompression
import CourierWire
import NIOCore

/// Human-readable rendering of decoded messages for `courier inspect`.
public enum MessageText {
    /// - Parameters:
    ///   - frame: the bytes of the WebSocket message the message came from (for the dump).
    ///   - resolvedSequence: the sequence after resolving a v2 implicit sequence.
    public static func render(
        _ decoded: DecodedMessage, index: Int, count: Int, version: ProtocolVersion,
        frame: [UInt8], resolvedSequence: SequenceResolver.Resolution, showHex: Bool = true
    ) -> String {
        let message = decoded.message
        let header = message.header
        var lines: [String] = []
        let headerBytes = decoded.bodyOffset - decoded.offset
        lines.append("message \(index + 1) of \(count) at byte \(decoded.offset): \(decoded.length) bytes (header \(headerBytes), body \(decoded.length - headerBytes))")
        func field(_ name: String, _ value: String) {
            lines.append("  " + name.padding(to: 14) + value)
        }
        field("version", version.description)
        field("type", message.type.description)
        field("flags", header.flags.description)
        field("session", header.sessionID.map { String($0) } ?? "(omitted)")
        switch resolvedSequence {
        case .unreliable: field("sequence", header.sequence.map { String($0) } ?? "(unreliable)")
        case .sequence(let s): field("sequence", header.sequence == nil ? "\(s) (implicit: previous + 1)" : String(s))
        case .noPrevious: field("sequence", "implicit, but no earlier reliable message in this input")
        }
        field("timestamp", header.timestamp.map(timestamp) ?? "(omitted)")
        if version == .v2 { field("length field", decoded.hasLength ? "present" : "absent (body runs to the end)") }
        for (name, value) in bodyFields(message.body) { field(name, value) }
        if showHex {
            lines.append("  bytes:")
            let slice = Array(frame[decoded.offset..<(decoded.offset + decoded.length)])
            lines.append(Hex.dump(slice, baseOffset: decoded.offset, indent: "    "))
        }
        return lines.joined(separator: "\n")
    }

    /// A decoding error: the message, then the bytes with the offending offset marked.
    public static func render(error: WireError, frame: [UInt8]) -> String {
        var out = "error: \(error.code) at byte \(error.offset)\n  \(error.message)\n"
        let from = max(0, (error.offset / 16 - 1) * 16)
        let to = min(frame.count, from + 64)
        out += Hex.dump(Array(frame[from..<to]), baseOffset: from, mark: error.offset)
        return out
    }

    static func timestamp(_ micros: UInt64) -> String {
        guard micros != 0 else { return "0 (not given)" }
        return "\(micros) µs (\(ISO8601.format(microseconds: micros)))"
    }

    static func bodyFields(_ body: MessageBody) -> [(String, String)] {
        switch body {
        case .challenge(let m):
            return [("nonce", "\(m.nonce.readableBytes) bytes \(Hex.encode(m.nonce))"), ("versions", "\(m.minVersion)...\(m.maxVersion)"),
                    ("auth methods", authMethods(m.authMethods)), ("deadline", "\(m.deadlineMillis) ms")]
        case .handshake(let m):
            var result = [("versions", "\(m.minVersion)...\(m.maxVersion)")]
            switch m.auth {
            case .hmac(let keyID, let mac): result += [("auth", "HMAC, key id \(quoted(keyID))"), ("mac", Hex.encode(mac))]
            case .jwt(let token): result += [("auth", "JWT, \(token.utf8.count) bytes"), ("token", token)]
            }
            if let r = m.resume {
                result += [("resume", "session \(r.sessionID), last received \(r.lastReceived)"), ("resume token", Hex.encode(r.token))]
            } else {
                result.append(("resume", "no"))
            }
            return result + extensionFields(m.extensions)
        case .handshakeResponse(let m):
            let resume: String
            switch m.resume {
            case .new: resume = "new session"
            case .resumed(let last): resume = "resumed; server received up to \(last)"
            case .failed(let reason): resume = "FAILED: \(reason.name)"
            }
            return [("version", "\(m.version)"), ("session id", "\(m.sessionID)"), ("resume token", "\(m.resumeToken.readableBytes) bytes"),
                    ("heartbeat", "\(m.heartbeatMillis) ms"), ("credit", "\(m.creditMessages) messages, \(m.creditBytes) bytes"),
                    ("max message", "\(m.maxMessageBytes) bytes"), ("resume", resume)] + extensionFields(m.extensions)
        case .heartbeat(let m):
            return [("heartbeat", "\(m.kind == .ping ? "ping" : "pong") \(m.value)")]
        case .close(let m):
            var result = [("close code", m.code.description), ("reason", quoted(m.reason))]
            if m.retryAfterMillis != 0 || m.retryJitterMillis != 0 {
                result.append(("retry", "after \(m.retryAfterMillis) ms, spread over \(m.retryJitterMillis) ms"))
            }
            return result
        case .error(let m):
            return [("error code", m.code.description), ("refers to", m.reference.kindName + (m.reference == .none ? "" : " \(errorRef(m.reference))")),
                    ("message", quoted(m.message))]
        case .windowUpdate(let m):
            return [("window", m.channel == 0 ? "connection" : "channel \(m.channel)"), ("credit added", "\(m.messages) messages, \(m.bytes) bytes")]
        case .textData(let m), .binaryData(let m):
            return [("route", route(m.route)), ("payload", payload(m.payload))]
        case .deltaUpdate(let m):
            return [("route", route(m.route)), ("key", quoted(m.key)),
                    ("version", m.version == 0 ? "none" : "\(m.version)"),
                    ("checksum", "0x" + String(m.checksum, radix: 16)), ("payload", payload(m.payload))]
        case .subscribe(let m):
            return [("request id", "\(m.requestID)"), ("pattern", quoted(m.pattern)),
                    ("recover", m.recover.map { "from epoch \($0.epoch), offset \($0.offset)" } ?? "no")]
        case .unsubscribe(let m):
            return [("request id", "\(m.requestID)"), ("channel", "\(m.channel)")]
        case .acknowledge(let m):
            return [("acknowledges", "every reliable message up to \(m.sequence)")]
        case .snapshotRequest(let m):
            return [("request id", "\(m.requestID)"), ("topic", quoted(m.topic)), ("key", quoted(m.key))]
        case .subscribeResult(let m):
            return [("request id", "\(m.requestID)"), ("channel", "\(m.channel)"), ("history", "epoch \(m.epoch), next offset \(m.offset)"),
                    ("recovery", m.recovery.name)]
        }
    }

    static func route(_ route: Route) -> String {
        switch route {
        case .channel(let alias): return "channel \(alias)"
        case .bind(let alias, let topic): return "channel \(alias) bound to topic \(quoted(topic))"
        case .topic(let topic): return "topic \(quoted(topic))"
        case .session(let id): return "session \(id)"
        case .user(let user): return "user \(quoted(user))"
        }
    }

    static func payload(_ buffer: ByteBuffer) -> String {
        let bytes = Array(buffer.readableBytesView)
        var text = "\(bytes.count) bytes"
        if !bytes.isEmpty, UTF8Validation.firstInvalidIndex(buffer) == nil,
           bytes.allSatisfy({ $0 >= 0x20 || $0 == 0x0A || $0 == 0x09 }) {
            let string = String(decoding: bytes.prefix(96), as: UTF8.self)
            text += ", text " + quoted(string) + (bytes.count > 96 ? "…" : "")
        }
        return text
    }

    static func authMethods(_ methods: Challenge.AuthMethods) -> String {
        var names: [String] = []
        if methods.contains(.hmac) { names.append("HMAC") }
        if methods.contains(.jwt) { names.append("JWT") }
        return names.joined(separator: ", ")
    }

    static func errorRef(_ reference: ErrorMessage.Reference) -> String {
        switch reference {
        case .none: return ""
        case .request(let v), .sequence(let v), .channel(let v): return String(v)
        }
    }

    static func extensionFields(_ list: [HandshakeExtension]) -> [(String, String)] {
        list.map { item in
            guard item.id == CompressionOffer.extensionID else { return ("extension \(item.id)", Hex.encode(item.value)) }
            do {
                let offer = try CompressionOffer(decoding: item.value)
                let dictionaries = offer.dictionaries.isEmpty ? "no dictionaries" : offer.dictionaries.map { "\($0.id) v\($0.version)" }.joined(separator: ", ")
                var formats: [String] = []
                if offer.deltaFormats.contains(.fossil) { formats.append("Fossil") }
                if offer.deltaFormats.contains(.jsonField) { formats.append("JSON field") }
                return ("compression (ext 1)", "\(dictionaries); deltas: \(formats.isEmpty ? "none" : formats.joined(separator: ", "))")
            } catch {
                return ("compression (ext 1)", "MALFORMED: \(error) (\(Hex.encode(item.value)))")
            }
        }
    }

    static func quoted(_ s: String) -> String { JSONValue.quote(s) }
}

extension String {
    fileprivate func padding(to width: Int) -> String {
        count >= width ? self + " " : self + String(repeating: " ", count: width - count)
    }
}

/// ISO 8601 formatting of microsecond timestamps without Foundation.
enum ISO8601 {
    static func format(microseconds: UInt64) -> String {
        let seconds = Int64(microseconds / 1_000_000)
        let micros = Int(microseconds % 1_000_000)
        var days = seconds / 86_400
        let secondOfDay = Int(seconds % 86_400)
        // Civil-from-days (Howard Hinnant's algorithm).
        days += 719_468
        let era = days / 146_097
        let dayOfEra = days - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1_460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        func two(_ v: some BinaryInteger) -> String { v < 10 ? "0\(v)" : "\(v)" }
        let fraction = String(micros)
        return "\(year)-\(two(month))-\(two(day))T\(two(secondOfDay / 3600)):\(two(secondOfDay / 60 % 60)):\(two(secondOfDay % 60))."
            + String(repeating: "0", count: 6 - fraction.count) + fraction + "Z"
    }
}
