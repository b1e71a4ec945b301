/// BLAKE2s-256 (RFC 7693), unkeyed or keyed with its own key parameter (not HMAC).
///
/// One primitive, written out as the RFC gives it: 32-bit words, ten rounds of the G mixing function over a
/// 16-word state. No branch or memory index depends on the key or the message. Checked against RFC 7693's
/// appendix and independent vectors (`Tests/PeerCryptoTests`).
public struct BLAKE2s: Sendable {
    /// Bytes in a digest.
    public static let digestBytes = 32
    /// The longest key.
    public static let maxKeyBytes = 32
    private static let blockBytes = 64

    private static let initializationVector: [UInt32] = [
        0x6A09_E667, 0xBB67_AE85, 0x3C6E_F372, 0xA54F_F53A, 0x510E_527F, 0x9B05_688C, 0x1F83_D9AB, 0x5BE0_CD19,
    ]

    private static let sigma: [[Int]] = [
        [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15],
        [14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3],
        [11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4],
        [7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8],
        [9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13],
        [2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9],
        [12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11],
        [13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10],
        [6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5],
        [10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0],
    ]

    private var state: [UInt32]
    private var buffer: [UInt8] = []
    private var byteCount: UInt64 = 0

    /// Starts a hash, keyed when `key` is not empty.
    /// - Precondition: `key` is at most 32 bytes (the caller's constant, never outside data).
    public init(key: [UInt8] = []) {
        precondition(key.count <= Self.maxKeyBytes, "a BLAKE2s key is at most 32 bytes")
        state = Self.initializationVector
        // Parameter block: digest length, key length, fanout 1, depth 1.
        state[0] ^= 0x0101_0000 ^ (UInt32(key.count) << 8) ^ UInt32(Self.digestBytes)
        if !key.isEmpty {
            buffer = key + [UInt8](repeating: 0, count: Self.blockBytes - key.count)
        }
    }

    /// Adds `bytes` to what is hashed.
    public mutating func update<Bytes: Collection<UInt8>>(_ bytes: Bytes) {
        for byte in bytes {
            // The last block is compressed only in `finalize`, with the final flag: keep a full block back.
            if buffer.count == Self.blockBytes {
                byteCount &+= UInt64(Self.blockBytes)
                compress(final: false)
                buffer.removeAll(keepingCapacity: true)
            }
            buffer.append(byte)
        }
    }

    /// The 32-byte digest of everything added.
    public mutating func finalize() -> [UInt8] {
        byteCount &+= UInt64(buffer.count)
        buffer += [UInt8](repeating: 0, count: Self.blockBytes - buffer.count)
        compress(final: true)
        var digest: [UInt8] = []
        digest.reserveCapacity(Self.digestBytes)
        for word in state {
            for shift in stride(from: 0, to: 32, by: 8) { digest.append(UInt8(truncatingIfNeeded: word >> UInt32(shift))) }
        }
        return digest
    }

    /// The digest of `message`, keyed with `key` when it is not empty.
    public static func hash<Bytes: Collection<UInt8>>(_ message: Bytes, key: [UInt8] = []) -> [UInt8] {
        var hasher = BLAKE2s(key: key)
        hasher.update(message)
        return hasher.finalize()
    }

    private mutating func compress(final: Bool) {
        var message = [UInt32](repeating: 0, count: 16)
        for index in 0..<16 {
            let offset = index * 4
            message[index] = UInt32(buffer[offset]) | UInt32(buffer[offset + 1]) << 8
                | UInt32(buffer[offset + 2]) << 16 | UInt32(buffer[offset + 3]) << 24
        }
        var work = state + Self.initializationVector
        work[12] ^= UInt32(truncatingIfNeeded: byteCount)
        work[13] ^= UInt32(truncatingIfNeeded: byteCount >> 32)
        if final { work[14] = ~work[14] }
        for round in 0..<10 {
            let schedule = Self.sigma[round]
            Self.mix(&work, 0, 4, 8, 12, message[schedule[0]], message[schedule[1]])
            Self.mix(&work, 1, 5, 9, 13, message[schedule[2]], message[schedule[3]])
            Self.mix(&work, 2, 6, 10, 14, message[schedule[4]], message[schedule[5]])
            Self.mix(&work, 3, 7, 11, 15, message[schedule[6]], message[schedule[7]])
            Self.mix(&work, 0, 5, 10, 15, message[schedule[8]], message[schedule[9]])
            Self.mix(&work, 1, 6, 11, 12, message[schedule[10]], message[schedule[11]])
            Self.mix(&work, 2, 7, 8, 13, message[schedule[12]], message[schedule[13]])
            Self.mix(&work, 3, 4, 9, 14, message[schedule[14]], message[schedule[15]])
        }
        for index in 0..<8 { state[index] ^= work[index] ^ work[index + 8] }
    }

    /// The G function: mixes two message words into four state words.
    private static func mix(_ v: inout [UInt32], _ a: Int, _ b: Int, _ c: Int, _ d: Int, _ x: UInt32, _ y: UInt32) {
        v[a] = v[a] &+ v[b] &+ x
        v[d] = rotateRight(v[d] ^ v[a], 16)
        v[c] = v[c] &+ v[d]
        v[b] = rotateRight(v[b] ^ v[c], 12)
        v[a] = v[a] &+ v[b] &+ y
        v[d] = rotateRight(v[d] ^ v[a], 8)
        v[c] = v[c] &+ v[d]
        v[b] = rotateRight(v[b] ^ v[c], 7)
    }

    private static func rotateRight(_ value: UInt32, _ count: UInt32) -> UInt32 {
        (value >> count) | (value << (32 - count))
    }
}
