/// Fossil's delta format (https://fossil-scm.org/home/doc/tip/www/delta_format.wiki):
/// a delta turns a *base* into a *target* with copy and literal commands, and is read
/// and written exactly as fossil's `delta.c` does:
///
///     delta   = size "\n" command* checksum ";"
///     command = count "@" offset ","    copy `count` bytes of the base from `offset`
///             | count ":" bytes         insert the next `count` bytes of the delta
///
/// Integers are base 64 with fossil's digits `0-9 A-Z _ a-z ~`, most significant first;
/// `checksum` is fossil's 32-bit sum of the target's big-endian words.
///
/// `create` follows fossil's algorithm: the base is indexed in 16-byte blocks (NHASH 16)
/// by a rolling hash, the target is scanned with the same hash, and each candidate match
/// is extended both ways; a copy is only emitted when it is shorter than the literal
/// text it replaces. One difference: fossil hashes C `char`, which is signed on x86, so
/// for bytes ≥ 0x80 it may pick other (equally valid) matches; this code hashes bytes as
/// unsigned, as fossil does where `char` is unsigned. Every delta either produces is
/// accepted by the other.
public enum FossilDelta {
    /// Width of the rolling-hash window; fossil's `NHASH`.
    public static let hashWindow = 16
    /// Candidate blocks examined per target position (fossil's limit).
    static let searchLimit = 250

    /// The delta that turns `base` into `target`.
    public static func create(from base: [UInt8], to target: [UInt8]) -> [UInt8] {
        base.withUnsafeBufferPointer { b in target.withUnsafeBufferPointer { t in create(from: b, to: t) } }
    }

    /// The delta that turns `base` into `target`. Both must be shorter than 4 GiB.
    public static func create(from base: UnsafeBufferPointer<UInt8>, to target: UnsafeBufferPointer<UInt8>) -> [UInt8] {
        precondition(base.count < Int(UInt32.max) && target.count < Int(UInt32.max), "Fossil deltas address 32-bit sizes")
        let nhash = hashWindow
        let lenSrc = base.count
        let lenOut = target.count
        var delta: [UInt8] = []
        delta.reserveCapacity(lenOut + 60)
        FossilEncoding.appendInteger(UInt32(lenOut), to: &delta)
        delta.append(UInt8(ascii: "\n"))

        // A base this small can never be copied from: one literal for the whole target.
        if lenSrc <= nhash {
            appendLiteral(target, from: 0, count: lenOut, to: &delta)
            appendChecksum(of: target, to: &delta)
            return delta
        }

        // Index the base: the hash of every 16-byte block, chained on collisions.
        let hashCount = lenSrc / nhash
        var collide = [Int32](repeating: -1, count: hashCount)
        var landmark = [Int32](repeating: -1, count: hashCount)
        var blockStart = 0
        while blockStart + nhash < lenSrc {
            let slot = Int(RollingHash.once(base, at: blockStart) % UInt32(hashCount))
            collide[blockStart / nhash] = landmark[slot]
            landmark[slot] = Int32(blockStart / nhash)
            blockStart += nhash
        }

        var start = 0  // everything before target[start] is already in the delta
        while start + nhash < lenOut {
            var bestCount = 0
            var bestOffset = 0
            var bestLiteral = 0
            var hash = RollingHash(target, at: start)
            var i = 0  // trying to match a block of the base against target[start + i]
            while true {
                var limit = searchLimit
                var block = Int(landmark[Int(hash.value % UInt32(hashCount))])
                while block >= 0 && limit > 0 {
                    limit -= 1
                    // Extend forwards from the block and backwards (not before `start`).
                    let sourceStart = block * nhash
                    var x = sourceStart
                    var y = start + i
                    let limitX = lenSrc - sourceStart <= lenOut - y ? lenSrc : sourceStart + lenOut - y
                    while x < limitX && base[x] == target[y] {
                        x += 1
                        y += 1
                    }
                    let forward = x - sourceStart - 1
                    var backward = 1
                    while backward < sourceStart && backward <= i && base[sourceStart - backward] == target[start + i - backward] {
                        backward += 1
                    }
                    backward -= 1
                    let offset = sourceStart - backward
                    let count = forward + backward + 1
                    let literal = i - backward
                    // Bytes to encode the literal's count and the copy command.
                    let cost = FossilEncoding.digitCount(literal) + FossilEncoding.digitCount(count) + FossilEncoding.digitCount(offset) + 3
                    if count >= cost && count > bestCount {
                        bestCount = count
                        bestOffset = offset
                        bestLiteral = literal
                    }
                    block = Int(collide[block])
                }

                if bestCount > 0 {
                    if bestLiteral > 0 {
                        appendLiteral(target, from: start, count: bestLiteral, to: &delta)
                        start += bestLiteral
                    }
                    start += bestCount
                    FossilEncoding.appendInteger(UInt32(bestCount), to: &delta)
                    delta.append(UInt8(ascii: "@"))
                    FossilEncoding.appendInteger(UInt32(bestOffset), to: &delta)
                    delta.append(UInt8(ascii: ","))
                    break
                }
                if start + i + nhash >= lenOut {
                    // No match before the end: the rest is literal.
                    appendLiteral(target, from: start, count: lenOut - start, to: &delta)
                    start = lenOut
                    break
                }
                hash.next(target[start + i + nhash])
                i += 1
            }
        }
        if start < lenOut { appendLiteral(target, from: start, count: lenOut - start, to: &delta) }
        appendChecksum(of: target, to: &delta)
        return delta
    }

    /// Fossil's checksum of `bytes` (the number a delta ends with).
    public static func checksum(_ bytes: [UInt8]) -> UInt32 {
        bytes.withUnsafeBufferPointer { FossilEncoding.checksum($0) }
    }

    private static func appendLiteral(_ target: UnsafeBufferPointer<UInt8>, from start: Int, count: Int, to delta: inout [UInt8]) {
        FossilEncoding.appendInteger(UInt32(count), to: &delta)
        delta.append(UInt8(ascii: ":"))
        delta.append(contentsOf: UnsafeBufferPointer(rebasing: target[start..<(start + count)]))
    }

    private static func appendChecksum(of target: UnsafeBufferPointer<UInt8>, to delta: inout [UInt8]) {
        FossilEncoding.appendInteger(FossilEncoding.checksum(target), to: &delta)
        delta.append(UInt8(ascii: ";"))
    }
}
