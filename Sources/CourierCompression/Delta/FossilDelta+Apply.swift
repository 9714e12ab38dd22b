extension FossilDelta {
    /// The target size a delta declares (its first line), without applying it.
    public static func targetSize(of delta: [UInt8]) throws -> Int {
        try delta.withUnsafeBufferPointer { bytes in
            var reader = Reader(bytes: bytes)
            let size = try reader.integer()
            guard reader.position < bytes.count, bytes[reader.position] == UInt8(ascii: "\n") else { throw FossilDeltaError.missingSizeTerminator }
            return Int(size)
        }
    }

    /// Applies `delta` to `base`. Every command is checked before it writes: copies stay
    /// inside the base, literals inside the delta, the output never exceeds the declared
    /// size nor `maxOutput` (checked before anything is allocated), the final size and
    /// checksum must match, and nothing may follow the checksum.
    public static func apply(_ delta: [UInt8], to base: [UInt8], maxOutput: Int) throws -> [UInt8] {
        try delta.withUnsafeBufferPointer { d in try base.withUnsafeBufferPointer { b in try apply(d, to: b, maxOutput: maxOutput) } }
    }

    public static func apply(_ delta: UnsafeBufferPointer<UInt8>, to base: UnsafeBufferPointer<UInt8>, maxOutput: Int) throws -> [UInt8] {
        var reader = Reader(bytes: delta)
        let declared = Int(try reader.integer())
        guard reader.consume(UInt8(ascii: "\n")) else { throw FossilDeltaError.missingSizeTerminator }
        guard declared <= maxOutput else { throw FossilDeltaError.outputTooLarge(declared: declared, limit: maxOutput) }
        var output: [UInt8] = []
        output.reserveCapacity(declared)
        while reader.position < delta.count {
            let count = Int(try reader.integer())
            guard reader.position < delta.count else { throw FossilDeltaError.unterminated }
            let operatorPosition = reader.position
            let op = delta[operatorPosition]
            reader.position += 1
            switch op {
            case UInt8(ascii: "@"):
                let offset = Int(try reader.integer())
                guard reader.consume(UInt8(ascii: ",")) else { throw FossilDeltaError.copyNotTerminated(at: operatorPosition) }
                guard output.count + count <= declared else { throw FossilDeltaError.outputExceedsDeclaredSize(declared: declared) }
                guard offset + count <= base.count else { throw FossilDeltaError.copyOutOfRange(offset: offset, count: count, baseSize: base.count) }
                output.append(contentsOf: UnsafeBufferPointer(rebasing: base[offset..<(offset + count)]))
            case UInt8(ascii: ":"):
                guard output.count + count <= declared else { throw FossilDeltaError.outputExceedsDeclaredSize(declared: declared) }
                let remaining = delta.count - reader.position
                guard count <= remaining else { throw FossilDeltaError.literalExceedsDelta(count: count, remaining: remaining) }
                output.append(contentsOf: UnsafeBufferPointer(rebasing: delta[reader.position..<(reader.position + count)]))
                reader.position += count
            case UInt8(ascii: ";"):
                let actual = output.withUnsafeBufferPointer { FossilEncoding.checksum($0) }
                guard UInt32(count) == actual else { throw FossilDeltaError.checksumMismatch(expected: UInt32(count), actual: actual) }
                guard output.count == declared else { throw FossilDeltaError.sizeMismatch(declared: declared, actual: output.count) }
                guard reader.position == delta.count else { throw FossilDeltaError.trailingBytes(delta.count - reader.position) }
                return output
            default:
                throw FossilDeltaError.unknownOperator(op, at: operatorPosition)
            }
        }
        throw FossilDeltaError.unterminated
    }

    /// Reads fossil's base-64 integers; an integer past 32 bits is an error.
    struct Reader {
        let bytes: UnsafeBufferPointer<UInt8>
        var position = 0

        mutating func integer() throws -> UInt32 {
            let start = position
            var value: UInt32 = 0
            while position < bytes.count {
                let digit = FossilEncoding.values[Int(bytes[position])]
                guard digit >= 0 else { break }
                guard value <= UInt32.max >> 6 else { throw FossilDeltaError.integerOverflow(at: start) }
                value = value << 6 | UInt32(digit)
                position += 1
            }
            return value
        }

        mutating func consume(_ byte: UInt8) -> Bool {
            guard position < bytes.count, bytes[position] == byte else { return false }
            position += 1
            return true
        }
    }
}
