/// A delta between two compact JSON objects with the same members in the same order (the
/// shape of most keyed streams: ticks, sensor readings, status documents): it says which
/// members changed and, for numbers, by how much.
///
/// Where a Fossil delta spends ~5 bytes per copied run and ~6 on its checksum, a tick that
/// moves the bid by one cent and the clock by 40 ms costs here a 1-byte count, a 1-byte
/// bitmap and two 1-byte varints. `courier bench compression` compares both.
///
/// ## Format
///
///     delta  = varint(n) bitmap change*
///     bitmap = ceil(n / 8) bytes; bit i (least significant first) = member i changed
///     change = varint(zigzag(d) << 1)           the number changed by d units of its last digit
///            | varint(len << 1 | 1) byte*len    the member's new value, as JSON text
///
/// `n` is the number of members, which must equal the base's; keys never change (a
/// value whose keys differ from its base's has no field delta: send a Fossil delta or
/// the whole value). A number is `-?(0|[1-9][0-9]*)(\.[0-9]+)?` with at most 18 digits;
/// it travels as a difference only when base and target have the same number of
/// fraction digits and the target is in canonical form, otherwise as text.
public enum JSONFieldDelta {
    /// The delta from `base` to `target`, or nil when they are not compact JSON objects
    /// with the same keys in the same order.
    public static func create(from base: [UInt8], to target: [UInt8]) -> [UInt8]? {
        base.withUnsafeBufferPointer { b in target.withUnsafeBufferPointer { t in create(from: b, to: t) } }
    }

    public static func create(from base: UnsafeBufferPointer<UInt8>, to target: UnsafeBufferPointer<UInt8>) -> [UInt8]? {
        guard let old = CompactJSONObject(base), let new = CompactJSONObject(target), old.members.count == new.members.count else { return nil }
        let count = old.members.count
        var bitmap = [UInt8](repeating: 0, count: (count + 7) / 8)
        var changes: [UInt8] = []
        for index in 0..<count {
            let before = old.members[index]
            let after = new.members[index]
            guard base[before.key].elementsEqual(target[after.key]) else { return nil }
            let oldValue = UnsafeBufferPointer(rebasing: base[before.value])
            let newValue = UnsafeBufferPointer(rebasing: target[after.value])
            if oldValue.elementsEqual(newValue) { continue }
            bitmap[index / 8] |= 1 << UInt8(index % 8)
            if let from = DecimalToken(base, before.value), let to = DecimalToken(target, after.value), from.scale == to.scale,
               to.text.elementsEqual(newValue), case (let difference, false) = to.scaled.subtractingReportingOverflow(from.scaled) {
                Varint.append(Varint.zigzag(difference) << 1, to: &changes)
            } else {
                Varint.append(UInt64(newValue.count) << 1 | 1, to: &changes)
                changes.append(contentsOf: newValue)
            }
        }
        var delta: [UInt8] = []
        delta.reserveCapacity(10 + bitmap.count + changes.count)
        Varint.append(UInt64(count), to: &delta)
        delta += bitmap
        delta += changes
        return delta
    }
}
