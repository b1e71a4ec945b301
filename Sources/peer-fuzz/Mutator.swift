/// Changes a genuine message as an attacker on the path could, as the fuzz input says: the mutations that find
/// bugs in authenticated formats are small edits of real datagrams, which random bytes almost never resemble.
enum Mutator {
    /// `message` after one to three edits read from `input`; `pool` supplies the other half of a splice.
    ///
    /// Edits: flip a bit, cut the end off, set a byte, splice with another genuine message, append bytes, insert a
    /// byte, delete a run of bytes, overwrite 4 bytes (an index or packet number), or nothing (a verbatim replay).
    static func mutate(_ message: [UInt8], pool: [[UInt8]], input: inout FuzzInput) -> [UInt8] {
        var bytes = message
        let edits = 1 + Int(input.byte() % 3)
        for _ in 0..<edits {
            switch input.byte() % 9 {
            case 0:
                guard !bytes.isEmpty else { continue }
                let bit = input.below(bytes.count * 8)
                bytes[bit / 8] ^= 1 << UInt8(bit % 8)
            case 1:
                bytes.removeLast(bytes.count - input.below(bytes.count + 1))
            case 2:
                guard !bytes.isEmpty else { continue }
                let position = input.below(bytes.count)
                bytes[position] = input.byte()
            case 3:
                guard let other = pool.isEmpty ? nil : pool[input.below(pool.count)] else { continue }
                let cut = input.below(bytes.count + 1)
                let from = input.below(other.count + 1)
                bytes = Array(bytes[..<cut]) + Array(other[from...])
            case 4:
                bytes += input.bytes(Int(input.byte() % 64))
            case 5:
                bytes.insert(input.byte(), at: input.below(bytes.count + 1))
            case 6:
                guard !bytes.isEmpty else { continue }
                let start = input.below(bytes.count)
                let count = 1 + input.below(bytes.count - start)
                bytes.removeSubrange(start..<(start + count))
            case 7:
                guard bytes.count >= 4 else { continue }
                let position = input.below(bytes.count - 3)
                let value = input.uint32()
                for offset in 0..<4 {
                    bytes[position + offset] = UInt8(truncatingIfNeeded: value >> UInt32(24 - 8 * offset))
                }
            default:
                continue
            }
        }
        return bytes
    }
}
