/// An element of the field of integers modulo p = 2^255 - 19, the field X25519 computes in.
///
/// Five 51-bit limbs in `UInt64`s (value = limb0 + limb1·2^51 + … + limb4·2^204), products in `UInt128`.
/// Limbs are allowed to run a few bits over 51 between operations (sums and differences are not carried), so a
/// value is only canonical after `encoded()`. Every operation runs the same instructions whatever the value: no
/// branch and no memory index depends on a limb, since limbs hold secrets.
struct Field25519: Sendable {
    private static let limbMask: UInt64 = (1 << 51) - 1

    private var limb0: UInt64
    private var limb1: UInt64
    private var limb2: UInt64
    private var limb3: UInt64
    private var limb4: UInt64

    static let zero = Field25519(0, 0, 0, 0, 0)
    static let one = Field25519(1, 0, 0, 0, 0)

    private init(_ limb0: UInt64, _ limb1: UInt64, _ limb2: UInt64, _ limb3: UInt64, _ limb4: UInt64) {
        self.limb0 = limb0
        self.limb1 = limb1
        self.limb2 = limb2
        self.limb3 = limb3
        self.limb4 = limb4
    }

    /// The element a 32-byte little-endian u-coordinate names: bit 255 is ignored (RFC 7748 §5), and a value in
    /// p..<2^255 is accepted as it is, since every operation works modulo p anyway.
    /// - Precondition: `bytes` has exactly 32 bytes (callers check lengths of outside data first).
    init(bytes: [UInt8]) {
        precondition(bytes.count == 32, "a field element is 32 bytes")
        func word(_ index: Int) -> UInt64 {
            var value: UInt64 = 0
            for offset in 0..<8 { value |= UInt64(bytes[index * 8 + offset]) << UInt64(offset * 8) }
            return value
        }
        let word0 = word(0), word1 = word(1), word2 = word(2), word3 = word(3)
        limb0 = word0 & Self.limbMask
        limb1 = (word0 >> 51 | word1 << 13) & Self.limbMask
        limb2 = (word1 >> 38 | word2 << 26) & Self.limbMask
        limb3 = (word2 >> 25 | word3 << 39) & Self.limbMask
        limb4 = (word3 >> 12) & Self.limbMask  // drops bit 255
    }

    /// The canonical 32-byte little-endian encoding: the unique representative in 0..<p.
    func encoded() -> [UInt8] {
        var reduced = self
        // One carry pass brings limbs 1...4 under 2^51 and the value under 2^255 + 2^10 < 2p: at most one p too big.
        reduced.carry()
        // The value is at least p exactly when value + 19 reaches 2^255; that carry chain is exact whatever the limb
        // sizes. Adding 19 times that bit and dropping bit 255 subtracts p or nothing, without a branch.
        var overflow = (reduced.limb0 &+ 19) >> 51
        overflow = (reduced.limb1 &+ overflow) >> 51
        overflow = (reduced.limb2 &+ overflow) >> 51
        overflow = (reduced.limb3 &+ overflow) >> 51
        overflow = (reduced.limb4 &+ overflow) >> 51
        reduced.limb0 &+= 19 &* overflow
        reduced.limb1 &+= reduced.limb0 >> 51
        reduced.limb0 &= Self.limbMask
        reduced.limb2 &+= reduced.limb1 >> 51
        reduced.limb1 &= Self.limbMask
        reduced.limb3 &+= reduced.limb2 >> 51
        reduced.limb2 &= Self.limbMask
        reduced.limb4 &+= reduced.limb3 >> 51
        reduced.limb3 &= Self.limbMask
        reduced.limb4 &= Self.limbMask

        let words = [
            reduced.limb0 | reduced.limb1 << 51,
            reduced.limb1 >> 13 | reduced.limb2 << 38,
            reduced.limb2 >> 26 | reduced.limb3 << 25,
            reduced.limb3 >> 39 | reduced.limb4 << 12,
        ]
        var bytes: [UInt8] = []
        bytes.reserveCapacity(32)
        for word in words {
            for shift in stride(from: 0, to: 64, by: 8) {
                bytes.append(UInt8(truncatingIfNeeded: word >> UInt64(shift)))
            }
        }
        return bytes
    }

    /// One carry pass: limbs 0...3 end under 2^51, limb 4's overflow comes back into limb 0 as ·19 (2^255 ≡ 19).
    private mutating func carry() {
        limb1 &+= limb0 >> 51
        limb0 &= Self.limbMask
        limb2 &+= limb1 >> 51
        limb1 &= Self.limbMask
        limb3 &+= limb2 >> 51
        limb2 &= Self.limbMask
        limb4 &+= limb3 >> 51
        limb3 &= Self.limbMask
        limb0 &+= 19 &* (limb4 >> 51)
        limb4 &= Self.limbMask
    }

    // Limb bounds, which keep every sum below 2^128: results of `*`, `squared()` and `times121665()` have limbs
    // under 2^51 + 2^20; `+` of two such is under 2^53, and so is `-` (it adds 2p to stay non-negative). `*` and
    // `squared()` accept limbs up to 2^54: each of the five products in a column is under 2^54 · 19·2^54 < 2^113.

    static func + (left: Field25519, right: Field25519) -> Field25519 {
        Field25519(left.limb0 &+ right.limb0, left.limb1 &+ right.limb1, left.limb2 &+ right.limb2,
                   left.limb3 &+ right.limb3, left.limb4 &+ right.limb4)
    }

    /// left - right, computed as left + 2p - right so that no limb goes below zero.
    /// - Precondition (not checked, as it holds by construction): `right`'s limbs are under 2^52 - 38.
    static func - (left: Field25519, right: Field25519) -> Field25519 {
        // 2p in limbs: 2·(2^51 - 19), then 2·(2^51 - 1) four times.
        Field25519(left.limb0 &+ 0xF_FFFF_FFFF_FFDA &- right.limb0, left.limb1 &+ 0xF_FFFF_FFFF_FFFE &- right.limb1,
                   left.limb2 &+ 0xF_FFFF_FFFF_FFFE &- right.limb2, left.limb3 &+ 0xF_FFFF_FFFF_FFFE &- right.limb3,
                   left.limb4 &+ 0xF_FFFF_FFFF_FFFE &- right.limb4)
    }

    static func * (left: Field25519, right: Field25519) -> Field25519 {
        let a0 = UInt128(left.limb0), a1 = UInt128(left.limb1), a2 = UInt128(left.limb2)
        let a3 = UInt128(left.limb3), a4 = UInt128(left.limb4)
        let b0 = UInt128(right.limb0), b1 = UInt128(right.limb1), b2 = UInt128(right.limb2)
        let b3 = UInt128(right.limb3), b4 = UInt128(right.limb4)
        // Terms at 2^255 and above wrap around multiplied by 19.
        let b1x19 = b1 &* 19, b2x19 = b2 &* 19, b3x19 = b3 &* 19, b4x19 = b4 &* 19
        let column0 = a0 &* b0 &+ a1 &* b4x19 &+ a2 &* b3x19 &+ a3 &* b2x19 &+ a4 &* b1x19
        let column1 = a0 &* b1 &+ a1 &* b0 &+ a2 &* b4x19 &+ a3 &* b3x19 &+ a4 &* b2x19
        let column2 = a0 &* b2 &+ a1 &* b1 &+ a2 &* b0 &+ a3 &* b4x19 &+ a4 &* b3x19
        let column3 = a0 &* b3 &+ a1 &* b2 &+ a2 &* b1 &+ a3 &* b0 &+ a4 &* b4x19
        let column4 = a0 &* b4 &+ a1 &* b3 &+ a2 &* b2 &+ a3 &* b1 &+ a4 &* b0
        return reduce(column0, column1, column2, column3, column4)
    }

    /// self · self, with the symmetric products counted once and doubled.
    func squared() -> Field25519 {
        let a0 = UInt128(limb0), a1 = UInt128(limb1), a2 = UInt128(limb2), a3 = UInt128(limb3), a4 = UInt128(limb4)
        let a0x2 = a0 &* 2, a1x2 = a1 &* 2
        let a1x38 = a1 &* 38, a2x38 = a2 &* 38, a3x38 = a3 &* 38, a3x19 = a3 &* 19, a4x19 = a4 &* 19
        let column0 = a0 &* a0 &+ a1x38 &* a4 &+ a2x38 &* a3
        let column1 = a0x2 &* a1 &+ a2x38 &* a4 &+ a3x19 &* a3
        let column2 = a0x2 &* a2 &+ a1 &* a1 &+ a3x38 &* a4
        let column3 = a0x2 &* a3 &+ a1x2 &* a2 &+ a4x19 &* a4
        let column4 = a0x2 &* a4 &+ a1x2 &* a3 &+ a2 &* a2
        return Self.reduce(column0, column1, column2, column3, column4)
    }

    /// self squared `count` times in a row (self^(2^count)); `count` is a constant of the caller, never a secret.
    func squared(times count: Int) -> Field25519 {
        var result = self
        for _ in 0..<count { result = result.squared() }
        return result
    }

    /// self · 121665, the (A - 2) / 4 of Curve25519's Montgomery ladder step (RFC 7748 §5).
    func times121665() -> Field25519 {
        let factor: UInt128 = 121_665
        return Self.reduce(UInt128(limb0) &* factor, UInt128(limb1) &* factor, UInt128(limb2) &* factor,
                           UInt128(limb3) &* factor, UInt128(limb4) &* factor)
    }

    /// self^(p - 2) = 1 / self (0 for 0), by Fermat: a fixed chain of 254 squarings and 11 multiplications, the
    /// same for every input, instead of a Euclidean algorithm whose steps would depend on the value.
    func inverse() -> Field25519 {
        // p - 2 = 2^255 - 21. The chain builds self^(2^k - 1) for k = 5, 10, 20, 40, 50, 100, 200, 250, then shifts
        // in the low bits 01011 (= 11, since 2^255 - 21 = (2^250 - 1)·2^5 + 11).
        let power2 = squared()                                  // 2
        let power9 = power2.squared(times: 2) * self            // 9
        let power11 = power9 * power2                           // 11
        let power2to5m1 = power11.squared() * power9            // 2^5 - 1 = 31
        let power2to10m1 = power2to5m1.squared(times: 5) * power2to5m1
        let power2to20m1 = power2to10m1.squared(times: 10) * power2to10m1
        let power2to40m1 = power2to20m1.squared(times: 20) * power2to20m1
        let power2to50m1 = power2to40m1.squared(times: 10) * power2to10m1
        let power2to100m1 = power2to50m1.squared(times: 50) * power2to50m1
        let power2to200m1 = power2to100m1.squared(times: 100) * power2to100m1
        let power2to250m1 = power2to200m1.squared(times: 50) * power2to50m1
        return power2to250m1.squared(times: 5) * power11
    }

    /// Swaps `first` and `second` when `condition` is 1 and leaves them when it is 0, with the same instructions
    /// and memory accesses either way: the condition is a secret scalar bit.
    /// - Precondition (not checked, secret): `condition` is 0 or 1.
    static func conditionalSwap(_ first: inout Field25519, _ second: inout Field25519, condition: UInt64) {
        let mask = 0 &- condition
        let difference0 = mask & (first.limb0 ^ second.limb0)
        let difference1 = mask & (first.limb1 ^ second.limb1)
        let difference2 = mask & (first.limb2 ^ second.limb2)
        let difference3 = mask & (first.limb3 ^ second.limb3)
        let difference4 = mask & (first.limb4 ^ second.limb4)
        first.limb0 ^= difference0
        first.limb1 ^= difference1
        first.limb2 ^= difference2
        first.limb3 ^= difference3
        first.limb4 ^= difference4
        second.limb0 ^= difference0
        second.limb1 ^= difference1
        second.limb2 ^= difference2
        second.limb3 ^= difference3
        second.limb4 ^= difference4
    }

    /// Carries five 128-bit column sums (each under 2^116) into limbs under 2^51, except limb 1 under 2^51 + 2^20.
    private static func reduce(
        _ column0: UInt128, _ column1: UInt128, _ column2: UInt128, _ column3: UInt128, _ column4: UInt128
    ) -> Field25519 {
        let mask = UInt128(limbMask)
        let carried1 = column1 &+ (column0 >> 51)
        let carried2 = column2 &+ (carried1 >> 51)
        let carried3 = column3 &+ (carried2 >> 51)
        let carried4 = column4 &+ (carried3 >> 51)
        // The carry out of limb 4 can exceed 64 bits once multiplied by 19: fold it in 128 bits.
        let carried0 = (column0 & mask) &+ (carried4 >> 51) &* 19
        let limb1 = (carried1 & mask) &+ (carried0 >> 51)
        return Field25519(UInt64(truncatingIfNeeded: carried0 & mask), UInt64(truncatingIfNeeded: limb1),
                          UInt64(truncatingIfNeeded: carried2 & mask), UInt64(truncatingIfNeeded: carried3 & mask),
                          UInt64(truncatingIfNeeded: carried4 & mask))
    }
}
