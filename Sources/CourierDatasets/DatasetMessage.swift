/// One message of a generated stream: the key whose value it updates (a ticker symbol,
/// a device id, a document id) and the value, JSON text without a newline.
public struct DatasetMessage: Hashable, Sendable {
    public let key: String
    public let bytes: [UInt8]

    public init(key: String, bytes: [UInt8]) {
        self.key = key
        self.bytes = bytes
    }

    public var text: String { String(decoding: bytes, as: UTF8.self) }
}
