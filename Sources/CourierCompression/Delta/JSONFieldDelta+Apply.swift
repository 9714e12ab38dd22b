extension JSONFieldDelta {
    /// Applies `delta` to `base`. Checks the member count, the bitmap (no bits past the
    /// last member), every varint, every length, number arithmetic (no overflow), the
    /// output size against `maxOutput` as it grows, that nothing follows the last change,
    /// and that the result is again one compact JSON object.
    public static func apply(_ delta: [UInt8], to base: [UInt8], maxOutput: Int) throws -> [UInt8] {
        try delta.withUnsafeBufferPointer { d in try base.withUnsafeBufferPointer { b in try apply(d, to: b, maxOutput: maxOutput) } }
    }

    public static func apply(_ delta: UnsafeBufferPointer<UInt8>, to base: UnsafeBufferPointer<UInt8>, maxOutput: Int) throws -> [UInt8] {
        guard let object = CompactJSONObject(base) else { throw JSONFieldDeltaError.baseNotAnObject }
        var position = 0
        guard let declared = Varint.read(delta, at: &position) else { throw JSONFieldDeltaError.truncated(at: position) }
        guard declared == UInt64(object.members.count) else {
            throw JSONFieldDeltaError.memberCountMismatch(delta: declared, base: object.members.count)
        }
        let count = object.members.count
        let bitmapBytes = (count + 7) / 8
        guard delta.count - position >= bitmapBytes else { throw JSONFieldDeltaError.truncated(at: delta.count) }
        let bitmapStart = position
        position += bitmapBytes
        if count % 8 != 0, delta[bitmapStart + bitmapBytes - 1] >> UInt8(count % 8) != 0 { throw JSONFieldDeltaError.bitmapPastLastMember }

        var output: [UInt8] = [UInt8(ascii: "{")]
        output.reserveCapacity(min(maxOutput, base.count + delta.count))
        for (index, member) in object.members.enumerated() {
            if index > 0 { output.append(UInt8(ascii: ",")) }
            output.append(contentsOf: UnsafeBufferPointer(rebasing: base[member.key]))
            output.append(UInt8(ascii: ":"))
            let changed = delta[bitmapStart + index / 8] & (1 << UInt8(index % 8)) != 0
            if !changed {
                output.append(contentsOf: UnsafeBufferPointer(rebasing: base[member.value]))
            } else {
                let headStart = position
                guard let head = Varint.read(delta, at: &position) else { throw JSONFieldDeltaError.truncated(at: headStart) }
                if head & 1 == 0 {
                    guard let number = DecimalToken(base, member.value) else { throw JSONFieldDeltaError.notANumber(member: index) }
                    let (value, overflow) = number.scaled.addingReportingOverflow(Varint.unzigzag(head >> 1))
                    guard !overflow, value.magnitude < 1_000_000_000_000_000_000 else { throw JSONFieldDeltaError.numberOverflow(member: index) }
                    output += DecimalToken(scaled: value, scale: number.scale).text
                } else {
                    let length = head >> 1
                    guard length <= UInt64(delta.count - position) else { throw JSONFieldDeltaError.truncated(at: headStart) }
                    output.append(contentsOf: UnsafeBufferPointer(rebasing: delta[position..<(position + Int(length))]))
                    position += Int(length)
                }
            }
            guard output.count < maxOutput else { throw JSONFieldDeltaError.outputTooLarge(limit: maxOutput) }
        }
        output.append(UInt8(ascii: "}"))
        guard position == delta.count else { throw JSONFieldDeltaError.trailingBytes(delta.count - position) }
        guard output.withUnsafeBufferPointer({ CompactJSONObject($0)?.members.count == count }) else { throw JSONFieldDeltaError.invalidValue }
        return output
    }
}
