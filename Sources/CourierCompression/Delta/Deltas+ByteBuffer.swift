import NIOCore

// ByteBuffer entry points for the delta codecs, for payloads that arrive as slices of a
// read buffer (`docs/PROTOCOL.md` §7.10: a DeltaUpdate's payload is the delta).

extension FossilDelta {
    /// The delta that turns the readable bytes of `base` into those of `target`.
    public static func create(from base: ByteBuffer, to target: ByteBuffer) -> ByteBuffer {
        ByteBuffer(bytes: base.withUnsafeReadableBytes { b in target.withUnsafeReadableBytes { t in create(from: b.bindMemory(to: UInt8.self), to: t.bindMemory(to: UInt8.self)) } })
    }

    /// Applies the readable bytes of `delta` to those of `base` (see `apply(_:to:maxOutput:)`).
    public static func apply(_ delta: ByteBuffer, to base: ByteBuffer, maxOutput: Int) throws -> ByteBuffer {
        ByteBuffer(bytes: try delta.withUnsafeReadableBytes { d in
            try base.withUnsafeReadableBytes { b in try apply(d.bindMemory(to: UInt8.self), to: b.bindMemory(to: UInt8.self), maxOutput: maxOutput) }
        })
    }
}

extension JSONFieldDelta {
    /// The field delta from `base` to `target`, or nil when their shapes differ.
    public static func create(from base: ByteBuffer, to target: ByteBuffer) -> ByteBuffer? {
        base.withUnsafeReadableBytes { b in
            target.withUnsafeReadableBytes { t in create(from: b.bindMemory(to: UInt8.self), to: t.bindMemory(to: UInt8.self)) }
        }.map { ByteBuffer(bytes: $0) }
    }

    /// Applies the readable bytes of `delta` to those of `base` (see `apply(_:to:maxOutput:)`).
    public static func apply(_ delta: ByteBuffer, to base: ByteBuffer, maxOutput: Int) throws -> ByteBuffer {
        ByteBuffer(bytes: try delta.withUnsafeReadableBytes { d in
            try base.withUnsafeReadableBytes { b in try apply(d.bindMemory(to: UInt8.self), to: b.bindMemory(to: UInt8.self), maxOutput: maxOutput) }
        })
    }
}
