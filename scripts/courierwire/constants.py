"""Constants of the Courier wire encoding (§2-§7) and type-code helpers."""

MAGIC = 0xC0D1
V1_HEADER_LEN = 30

U8_MAX = 0xFF
U16_MAX = 0xFFFF
U32_MAX = 0xFFFFFFFF
U64_MAX = (1 << 64) - 1

DEFAULT_MAX_MESSAGE_BYTES = 1_048_576
DEFAULT_MAX_MESSAGES_PER_FRAME = 1024

# §5 message flags (bits 0-3)
COMPRESSED = 0x01
ENCRYPTED = 0x02
ACK_REQUESTED = 0x04
DELTA = 0x08
FLAG_NAMES = ("compressed", "encrypted", "ack_requested", "delta")
FLAG_BITS = {name: 1 << i for i, name in enumerate(FLAG_NAMES)}
# §4 v2 field-presence bits (bits 4-7)
HAS_TIMESTAMP = 0x10
HAS_SEQUENCE = 0x20
HAS_SESSION = 0x40
HAS_LENGTH = 0x80

# §6
TYPES = {
    0x0001: "Handshake",
    0x0002: "HandshakeResponse",
    0x0003: "Heartbeat",
    0x0004: "Close",
    0x0005: "Challenge",
    0x0006: "Error",
    0x0007: "WindowUpdate",
    0x0101: "TextData",
    0x0102: "BinaryData",
    0x0103: "DeltaUpdate",
    0x0201: "Subscribe",
    0x0202: "Unsubscribe",
    0x0203: "Acknowledge",
    0x0204: "SubscribeResult",
    0x0205: "SnapshotRequest",
}
TYPE_CODES = {name: code for code, name in TYPES.items()}

# Field limits in bytes (§7)
NONCE_MIN, NONCE_MAX = 16, 64
KEY_ID_MAX = 128
MAC_MAX, MAC_LEN = 64, 32
TOKEN_MAX = 8192
RESUME_TOKEN_MAX = 512
REASON_MAX = 123
ERROR_MESSAGE_MAX = 256
TOPIC_MAX = 256
USER_ID_MAX = 128
KEY_MAX = 256
PATTERN_MAX = 256
EXT_COUNT_MAX = 16
EXT_VALUE_MAX = 1024

ROUTE_KINDS = ("channel", "bind", "topic", "session", "user")          # 0..4
REF_KINDS = ("none", "request", "sequence", "channel")                # 0..3
HEARTBEAT_KINDS = ("ping", "pong")                                    # 0..1
RESUME_STATUSES = ("new", "resumed", "failed")                        # 0..2
FAIL_REASONS = {1: "expired", 2: "unknown_session", 3: "buffer_overflowed", 4: "invalid_token"}
FAIL_REASON_CODES = {v: k for k, v in FAIL_REASONS.items()}
RECOVERY = ("not_requested", "recovered", "failed")                   # 0..2
AUTH_METHODS = {1: "hmac", 2: "jwt"}


def compact_type(code: int) -> int:
    """§6.1: 16-bit type -> v2 compact type."""
    rng, low = code >> 8, code & 0xFF
    if rng > 2 or low > 0x3F:
        raise ValueError(f"type 0x{code:04x} has no compact code")
    return (rng << 6) | low


def expand_compact_type(compact: int) -> int:
    """§6.1: compact type -> 16-bit value (compact must be < 0xC0)."""
    return ((compact >> 6) << 8) | (compact & 0x3F)


def allowed_flags(type_code: int) -> int:
    """§5: which of bits 0-3 a type may carry."""
    allowed = 0
    if type_code >> 8 == 0x01:
        allowed |= COMPRESSED | ENCRYPTED | ACK_REQUESTED
    if type_code == 0x0103:
        allowed |= DELTA
    return allowed
