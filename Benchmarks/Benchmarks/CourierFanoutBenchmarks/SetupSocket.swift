#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CourierWire
import NIOCore

/// A blocking client socket for the setup of a benchmark (not measured, so it
/// allocates freely): TCP connect, the WebSocket upgrade, the Courier handshake with a
/// JWT, and a subscription, one request and one answer at a time.
struct SetupSocket {
    struct Failure: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }

    let fd: Int32
    /// Bytes read past what was asked for (the start of the next frame).
    private(set) var pending: [UInt8] = []
    private let encoder = MessageEncoder(version: .v2)
    private let decoder = MessageDecoder(version: .v2, limits: WireLimits(maxMessageBytes: 1 << 20, maxMessagesPerFrame: 1 << 16))

    /// Connects to 127.0.0.1:`port` and upgrades to `courier.v2`. Reads and writes time
    /// out after 10 s, so a server that stops answering fails the setup instead of hanging it.
    init(port: Int) throws {
        #if canImport(Glibc)
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
        let fd = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard fd >= 0 else { throw Failure("socket(): errno \(errno)") }
        self.fd = fd
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            close(fd)
            throw Failure("connect(): errno \(errno)")
        }
        try upgrade(port: port)
    }

    private mutating func upgrade(port: Int) throws {
        let request = "GET / HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: courier.v2\r\n\r\n"
        try sendAll(Array(request.utf8))
        let terminator: [UInt8] = Array("\r\n\r\n".utf8)
        while true {
            if let end = pending.firstRange(of: terminator) {
                let head = String(decoding: pending[..<end.lowerBound], as: UTF8.self)
                pending.removeSubrange(..<end.upperBound)
                guard head.hasPrefix("HTTP/1.1 101") else { throw Failure("upgrade refused: \(head.prefix(200))") }
                return
            }
            try receiveMore()
        }
    }

    func sendAll(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try Self.sendAll(fd, $0) }
    }

    /// Writes every byte (blocking socket); `MSG_NOSIGNAL`: a closed peer is an error, not SIGPIPE.
    static func sendAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) throws {
        var offset = 0
        while offset < bytes.count {
            #if canImport(Glibc)
            let written = Glibc.send(fd, bytes.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL))
            #else
            let written = Darwin.send(fd, bytes.baseAddress! + offset, bytes.count - offset, 0)
            #endif
            if written < 0 {
                if errno == EINTR { continue }
                throw Failure("send(): errno \(errno)")
            }
            offset += written
        }
    }

    private mutating func receiveMore() throws {
        var chunk = [UInt8](repeating: 0, count: 16_384)
        let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        guard count > 0 else { throw Failure(count == 0 ? "the server closed the connection" : "recv(): errno \(errno)") }
        pending.append(contentsOf: chunk[..<count])
    }

    /// Reads one server frame (unmasked, unfragmented) and decodes its Courier messages.
    mutating func readMessages() throws -> [CourierMessage] {
        while true {
            let length = pending.withUnsafeBytes { FrameScanner.frameLength($0) }
            if let length, pending.count >= length {
                let headerSize = pending[1] & 0x7F == 126 ? 4 : pending[1] & 0x7F == 127 ? 10 : 2
                let opcode = pending[0] & 0x0F
                let payload = ByteBuffer(bytes: pending[headerSize..<length])
                pending.removeSubrange(..<length)
                guard opcode == 0x2 else { throw Failure("expected a binary frame, got opcode \(opcode)") }
                return try FrameReader.decodeAll(payload, decoder: decoder).map(\.message)
            }
            try receiveMore()
        }
    }

    /// Sends `messages` as one masked WebSocket message.
    func send(_ messages: [CourierMessage]) throws {
        var buffer = ByteBuffer()
        try encoder.encodeBatch(messages, into: &buffer)
        try sendAll(Self.maskedFrame(Array(buffer.readableBytesView)))
    }

    /// Challenge → Handshake(JWT) → HandshakeResponse.
    mutating func handshake(token: String) throws -> HandshakeResponse {
        guard case .challenge? = try readMessages().first?.body else { throw Failure("expected a Challenge") }
        try send([CourierMessage(body: .handshake(Handshake(minVersion: 2, maxVersion: 2, auth: .jwt(token: token))))])
        for message in try readMessages() {
            switch message.body {
            case .handshakeResponse(let response): return response
            case .error(let error): throw Failure("handshake refused: \(error.code) \(error.message)")
            default: continue
            }
        }
        throw Failure("expected a HandshakeResponse")
    }

    /// Subscribe → SubscribeResult; returns the channel alias.
    mutating func subscribe(to topic: String) throws -> UInt32 {
        try send([CourierMessage(body: .subscribe(Subscribe(requestID: 1, pattern: topic)))])
        for message in try readMessages() {
            switch message.body {
            case .subscribeResult(let result): return result.channel
            case .error(let error): throw Failure("subscribe refused: \(error.code) \(error.message)")
            default: continue
            }
        }
        throw Failure("expected a SubscribeResult")
    }

    /// A client frame (RFC 6455 §5.3): FIN + binary, masked with a fixed key. Servers
    /// must accept any key; a fixed one lets the publisher send prepared bytes.
    static func maskedFrame(_ payload: [UInt8], key: [UInt8] = [0x37, 0xFA, 0x21, 0x3D]) -> [UInt8] {
        var frame: [UInt8] = [0x82]
        switch payload.count {
        case ..<126:
            frame.append(0x80 | UInt8(payload.count))
        case ..<65_536:
            frame.append(0x80 | 126)
            frame.append(UInt8(payload.count >> 8))
            frame.append(UInt8(payload.count & 0xFF))
        default:
            frame.append(0x80 | 127)
            for shift in stride(from: 56, through: 0, by: -8) { frame.append(UInt8((payload.count >> shift) & 0xFF)) }
        }
        frame.append(contentsOf: key)
        for (index, byte) in payload.enumerated() { frame.append(byte ^ key[index & 3]) }
        return frame
    }

    func setNonBlocking() {
        let flags = fcntl(fd, F_GETFL, 0)
        _ = fcntl(fd, F_SETFL, flags | O_NONBLOCK)
    }
}
