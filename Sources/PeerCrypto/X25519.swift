/// X25519 (RFC 7748): Diffie-Hellman on Curve25519, by the u-coordinate Montgomery ladder.
///
/// Written out as RFC 7748 §5 gives it, over `Field25519`. Constant time in the secret scalar: the ladder runs all
/// 255 steps, picks its operands with a masked swap rather than a branch on a scalar bit, and inverts by a fixed
/// exponentiation. Inputs are taken as the RFC requires: the scalar is clamped, bit 255 of u is ignored and a
/// non-canonical u (p...2^255 - 1) is reduced. Checked against RFC 7748's vectors and independent ones
/// (`Tests/PeerCryptoTests`).
public enum X25519 {
    /// Bytes in a private key, a public key and a shared secret.
    public static let keyBytes = 32

    /// The base point's u-coordinate, 9.
    private static let basePoint: [UInt8] = [9] + [UInt8](repeating: 0, count: 31)

    /// RFC 7748 §5 X25519(k, u): clamps k, ignores bit 255 of u, reduces non-canonical u. nil if a length is not 32.
    public static func scalarMultiply(scalar: [UInt8], point: [UInt8]) -> [UInt8]? {
        guard scalar.count == keyBytes, point.count == keyBytes else { return nil }
        return ladder(scalar: scalar, u: Field25519(bytes: point)).encoded()
    }

    /// The public key (X25519(k, 9)) of a 32-byte private key. Precondition: 32 bytes.
    public static func publicKey(privateKey: [UInt8]) -> [UInt8] {
        precondition(privateKey.count == keyBytes, "an X25519 private key is 32 bytes")
        return ladder(scalar: privateKey, u: Field25519(bytes: basePoint)).encoded()
    }

    /// Diffie-Hellman: nil when publicKey is not 32 bytes or the result is all zeros (a small-order point),
    /// the all-zero check in constant time.
    ///
    /// A peer that sends a point of small order (or one on the twist's small subgroup) would otherwise force a
    /// shared secret it knows in advance; refusing the all-zero result is RFC 7748 §6.1's check.
    /// - Precondition: `privateKey` is 32 bytes (our own key, never outside data).
    public static func sharedSecret(privateKey: [UInt8], publicKey: [UInt8]) -> [UInt8]? {
        precondition(privateKey.count == keyBytes, "an X25519 private key is 32 bytes")
        guard let shared = scalarMultiply(scalar: privateKey, point: publicKey) else { return nil }
        // OR every byte together, without stopping at the first non-zero one: the time says nothing of the secret.
        var accumulated: UInt8 = 0
        for byte in shared { accumulated |= byte }
        return accumulated == 0 ? nil : shared
    }

    /// A new private key: 32 bytes from the system's cryptographic random source (not clamped; X25519 clamps).
    public static func newPrivateKey() -> [UInt8] {
        RandomBytes.make(count: keyBytes)
    }

    /// x2 / z2 of the Montgomery ladder for the clamped `scalar` and the point u (RFC 7748 §5, step by step).
    /// - Precondition: `scalar` is 32 bytes.
    private static func ladder(scalar: [UInt8], u: Field25519) -> Field25519 {
        var clamped = scalar
        clamped[0] &= 248
        clamped[31] &= 127
        clamped[31] |= 64
        // Little-endian 64-bit words, so each step reads a bit without indexing an array by a secret.
        var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        for index in 0..<8 {
            let shift = UInt64(index * 8)
            words.0 |= UInt64(clamped[index]) << shift
            words.1 |= UInt64(clamped[index + 8]) << shift
            words.2 |= UInt64(clamped[index + 16]) << shift
            words.3 |= UInt64(clamped[index + 24]) << shift
        }
        clamped.withUnsafeMutableBytes { buffer in
            for index in buffer.indices { buffer[index] = 0 }
        }

        let x1 = u
        var x2 = Field25519.one, z2 = Field25519.zero
        var x3 = u, z3 = Field25519.one
        var swap: UInt64 = 0
        // Bit 255 is cleared by clamping; the ladder starts at bit 254, which clamping sets.
        for bitIndex in stride(from: 254, through: 0, by: -1) {
            let word: UInt64
            switch bitIndex >> 6 {  // the bit's position is public; only its value is secret
            case 0: word = words.0
            case 1: word = words.1
            case 2: word = words.2
            default: word = words.3
            }
            let bit = (word >> UInt64(bitIndex & 63)) & 1
            swap ^= bit
            Field25519.conditionalSwap(&x2, &x3, condition: swap)
            Field25519.conditionalSwap(&z2, &z3, condition: swap)
            swap = bit

            let a = x2 + z2
            let aa = a.squared()
            let b = x2 - z2
            let bb = b.squared()
            let e = aa - bb
            let c = x3 + z3
            let d = x3 - z3
            let da = d * a
            let cb = c * b
            x3 = (da + cb).squared()
            z3 = x1 * (da - cb).squared()
            x2 = aa * bb
            z2 = e * (aa + e.times121665())
        }
        Field25519.conditionalSwap(&x2, &x3, condition: swap)
        Field25519.conditionalSwap(&z2, &z3, condition: swap)
        return x2 * z2.inverse()
    }
}
