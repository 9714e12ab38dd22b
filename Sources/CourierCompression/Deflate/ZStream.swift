import CZlib

/// One zlib stream at a stable heap address (zlib keeps a pointer back to its `z_stream`,
/// so the struct must never move). Owned by exactly one compressor or decompressor and
/// freed with it.
final class ZStream {
    enum Direction { case deflate, inflate }

    let pointer: UnsafeMutablePointer<z_stream>
    let direction: Direction

    /// A raw deflate stream (no zlib header or trailer: negative window bits).
    init(deflate configuration: DeflateConfiguration) throws {
        try configuration.validate()
        pointer = .allocate(capacity: 1)
        pointer.initialize(to: z_stream())
        direction = .deflate
        let status = deflateInit2_(
            pointer, Int32(configuration.level), Z_DEFLATED, -Int32(configuration.windowBits), Int32(configuration.memLevel),
            Z_DEFAULT_STRATEGY, zlibVersion(), Int32(MemoryLayout<z_stream>.size)
        )
        guard status == Z_OK else {
            pointer.deinitialize(count: 1)
            pointer.deallocate()
            throw CompressionError.zlibFailure("deflateInit2", code: status)
        }
    }

    /// A raw inflate stream with the given window (it must be at least the compressor's).
    init(inflateWindowBits windowBits: Int) throws {
        guard (9...15).contains(windowBits) else { throw CompressionError.invalidConfiguration("windowBits \(windowBits) is not in 9...15") }
        pointer = .allocate(capacity: 1)
        pointer.initialize(to: z_stream())
        direction = .inflate
        let status = inflateInit2_(pointer, -Int32(windowBits), zlibVersion(), Int32(MemoryLayout<z_stream>.size))
        guard status == Z_OK else {
            pointer.deinitialize(count: 1)
            pointer.deallocate()
            throw CompressionError.zlibFailure("inflateInit2", code: status)
        }
    }

    deinit {
        switch direction {
        case .deflate: deflateEnd(pointer)
        case .inflate: inflateEnd(pointer)
        }
        pointer.deinitialize(count: 1)
        pointer.deallocate()
    }

    /// Points zlib's input at `bytes` (zlib never writes through `next_in`).
    func setInput(_ bytes: UnsafeRawBufferPointer) {
        pointer.pointee.next_in = UnsafeMutablePointer(mutating: bytes.baseAddress?.assumingMemoryBound(to: Bytef.self))
        pointer.pointee.avail_in = uInt(bytes.count)
    }

    func setOutput(_ bytes: UnsafeMutableRawBufferPointer) {
        pointer.pointee.next_out = bytes.baseAddress?.assumingMemoryBound(to: Bytef.self)
        pointer.pointee.avail_out = uInt(bytes.count)
    }

    var availableInput: Int { Int(pointer.pointee.avail_in) }
    var availableOutput: Int { Int(pointer.pointee.avail_out) }

    /// zlib's message for the last error, if any.
    var message: String? {
        guard let message = pointer.pointee.msg else { return nil }
        return String(cString: message)
    }

    /// Clears the input and output pointers so no dangling pointer outlives a call.
    func clearBuffers() {
        pointer.pointee.next_in = nil
        pointer.pointee.avail_in = 0
        pointer.pointee.next_out = nil
        pointer.pointee.avail_out = 0
    }
}
