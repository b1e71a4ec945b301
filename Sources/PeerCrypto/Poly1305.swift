/// The Poly1305 one-time authenticator of RFC 8439 §2.5: a 16-byte tag of a message under a 32-byte key (r || s)
/// that must never authenticate a second message.
///
/// Arithmetic modulo 2^130 - 5 in three limbs of 44, 44 and 42 bits (as poly1305-donna-64), so that every product
/// of two limbs and every sum of three products fits in 128 bits. Carries are shifts and masks, the final reduction
/// selects with a mask: no branch or memory index depends on the key, the message or the tag. Checked against
/// RFC 8439 and independent vectors (`Tests/PeerCryptoTests`).
public struct Poly1305: Sendable {
    /// Bytes in a key: r, then s.
    public static let keyBytes = 32
    /// Bytes in a tag.
    public static let tagBytes = 16
    static let blockBytes = 16

    private static let mask44: UInt64 = 0xFFF_FFFF_FFFF
    private static let mask42: UInt64 = 0x3FF_FFFF_FFFF
    /// The bit just above a full 16-byte block (2^128), in the top limb (which starts at bit 88).
    private static let fullBlockBit: UInt64 = 1 << 40

    // The accumulator h, and r with the bits RFC 8439 §2.5 clamps cleared.
    private var h0: UInt64 = 0, h1: UInt64 = 0, h2: UInt64 = 0
    private let r0: UInt64, r1: UInt64, r2: UInt64
    // 20·r1 and 20·r2: a product that lands at 2^132 or above wraps to 4·5 times its value lower down,
    // because 2^130 ≡ 5 and the limbs above the first are 2 bits short of a 2^132 boundary.
    private let r1Folded: UInt64, r2Folded: UInt64
    // s, added to h at the end.
    private let pad0: UInt64, pad1: UInt64
    // Bytes of an incomplete block from `update`, waiting for the rest.
    private var pending: (UInt64, UInt64) = (0, 0)
    private var pendingCount = 0

    /// Starts a tag under `key`, which must authenticate only this one message.
    /// - Precondition: `key` is 32 bytes (the caller's value; its size is public).
    public init(key: [UInt8]) {
        precondition(key.count == Self.keyBytes, "a Poly1305 key is 32 bytes")
        self = key.withUnsafeBytes { bytes in
            Poly1305(
                r: (Self.word64(bytes, 0), Self.word64(bytes, 8)),
                s: (Self.word64(bytes, 16), Self.word64(bytes, 24)))
        }
    }

    /// Starts a tag from the key as four little-endian 64-bit words (the AEAD derives them without a heap array).
    init(r: (UInt64, UInt64), s: (UInt64, UInt64)) {
        // Clamping r (RFC 8439 §2.5) folded into the split into limbs.
        r0 = r.0 & 0xFFC_0FFF_FFFF
        r1 = ((r.0 >> 44) | (r.1 << 20)) & 0xFFF_FFC0_FFFF
        r2 = (r.1 >> 24) & 0x00F_FFFF_FC0F
        r1Folded = r1 &* 20
        r2Folded = r2 &* 20
        pad0 = s.0
        pad1 = s.1
    }

    /// Adds `bytes` to the message.
    public mutating func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { update($0) }
    }

    /// The 16-byte tag of everything added.
    public mutating func finalize() -> [UInt8] {
        let (low, high) = finalizeWords()
        return [UInt8](unsafeUninitializedCapacity: Self.tagBytes) { buffer, initialized in
            let raw = UnsafeMutableRawBufferPointer(buffer)
            raw.storeBytes(of: low.littleEndian, toByteOffset: 0, as: UInt64.self)
            raw.storeBytes(of: high.littleEndian, toByteOffset: 8, as: UInt64.self)
            initialized = Self.tagBytes
        }
    }

    /// The tag of `message` under the one-time `key`.
    /// - Precondition: `key` is 32 bytes.
    public static func authenticate(_ message: [UInt8], key: [UInt8]) -> [UInt8] {
        var authenticator = Poly1305(key: key)
        authenticator.update(message)
        return authenticator.finalize()
    }

    /// Adds the bytes in `bytes` to the message.
    mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard let start = bytes.baseAddress else { return }
        var offset = 0
        let count = bytes.count
        if pendingCount > 0 {
            let waiting = pendingCount
            let taken = min(Self.blockBytes - waiting, count)
            withUnsafeMutableBytes(of: &pending) { pendingBytes in
                for index in 0..<taken {
                    pendingBytes[waiting + index] = start.load(fromByteOffset: index, as: UInt8.self)
                }
            }
            pendingCount += taken
            offset = taken
            guard pendingCount == Self.blockBytes else { return }
            absorb(pending, topBit: Self.fullBlockBit)
            pending = (0, 0)
            pendingCount = 0
        }
        let fullBlocks = (count - offset) / Self.blockBytes
        absorb(start + offset, blocks: fullBlocks, topBit: Self.fullBlockBit)
        offset += fullBlocks * Self.blockBytes
        withUnsafeMutableBytes(of: &pending) { pendingBytes in
            for index in 0..<(count - offset) {
                pendingBytes[index] = start.load(fromByteOffset: offset + index, as: UInt8.self)
            }
        }
        pendingCount = count - offset
    }

    /// Adds `bytes` followed by zeros up to a multiple of 16 bytes, as the AEAD construction (RFC 8439 §2.8) pads
    /// the additional data and the ciphertext.
    /// - Precondition: nothing added so far is waiting for the rest of its block.
    mutating func updatePadded(_ bytes: UnsafeRawBufferPointer) {
        precondition(pendingCount == 0, "padded input starts on a block boundary")
        guard let start = bytes.baseAddress else { return }
        let fullBlocks = bytes.count / Self.blockBytes
        absorb(start, blocks: fullBlocks, topBit: Self.fullBlockBit)
        let remaining = bytes.count - fullBlocks * Self.blockBytes
        guard remaining > 0 else { return }
        // A zero-padded block is a full block: its 2^128 bit is set like any other.
        var last: (UInt64, UInt64) = (0, 0)
        withUnsafeMutableBytes(of: &last) { lastBytes in
            for index in 0..<remaining {
                lastBytes[index] = start.load(fromByteOffset: fullBlocks * Self.blockBytes + index, as: UInt8.self)
            }
        }
        absorb(last, topBit: Self.fullBlockBit)
    }

    /// Adds one block of two little-endian 64-bit numbers (the AEAD's closing block of lengths).
    /// - Precondition: nothing added so far is waiting for the rest of its block.
    mutating func update(lengths first: UInt64, _ second: UInt64) {
        precondition(pendingCount == 0, "the lengths block starts on a block boundary")
        var h0 = h0, h1 = h1, h2 = h2
        multiply(&h0, &h1, &h2, adding: first, second, topBit: Self.fullBlockBit)
        self.h0 = h0; self.h1 = h1; self.h2 = h2
    }

    /// The tag as two little-endian 64-bit words (low, high), without a heap array.
    mutating func finalizeWords() -> (UInt64, UInt64) {
        if pendingCount > 0 {
            // A short last block gets its 1 byte right after the message and no 2^128 bit (RFC 8439 §2.5.1).
            let waiting = pendingCount
            withUnsafeMutableBytes(of: &pending) { pendingBytes in
                pendingBytes[waiting] = 1
                for index in (waiting + 1)..<Self.blockBytes { pendingBytes[index] = 0 }
            }
            absorb(pending, topBit: 0)
            pending = (0, 0)
            pendingCount = 0
        }
        var h0 = h0, h1 = h1, h2 = h2
        // Carry h fully, so that each limb is within its width and h < 2^130 + small.
        var carry = h1 >> 44; h1 &= Self.mask44
        h2 &+= carry; carry = h2 >> 42; h2 &= Self.mask42
        h0 &+= carry &* 5; carry = h0 >> 44; h0 &= Self.mask44
        h1 &+= carry; carry = h1 >> 44; h1 &= Self.mask44
        h2 &+= carry; carry = h2 >> 42; h2 &= Self.mask42
        h0 &+= carry &* 5; carry = h0 >> 44; h0 &= Self.mask44
        h1 &+= carry

        // g = h + 5 - 2^130 = h - p. Its top limb's sign bit says whether h < p; keep h then, else g. The choice
        // is a mask, not a branch, because it depends on the tag.
        var g0 = h0 &+ 5; carry = g0 >> 44; g0 &= Self.mask44
        var g1 = h1 &+ carry; carry = g1 >> 44; g1 &= Self.mask44
        var g2 = h2 &+ carry &- (1 << 42)
        let keepG = (g2 >> 63) &- 1
        g0 &= keepG; g1 &= keepG; g2 &= keepG
        let keepH = ~keepG
        h0 = (h0 & keepH) | g0
        h1 = (h1 & keepH) | g1
        h2 = (h2 & keepH) | g2

        // tag = (h + s) mod 2^128, carried limb by limb.
        h0 &+= pad0 & Self.mask44; carry = h0 >> 44; h0 &= Self.mask44
        h1 &+= (((pad0 >> 44) | (pad1 << 20)) & Self.mask44) &+ carry; carry = h1 >> 44; h1 &= Self.mask44
        h2 &+= ((pad1 >> 24) & Self.mask42) &+ carry; h2 &= Self.mask42

        self.h0 = 0; self.h1 = 0; self.h2 = 0
        return (h0 | (h1 << 44), (h1 >> 20) | (h2 << 24))
    }

    /// h = (h + block + topBit·2^128) · r mod 2^130 - 5, for `blocks` consecutive 16-byte blocks at `start`.
    @inline(__always)
    private mutating func absorb(_ start: UnsafeRawPointer, blocks: Int, topBit: UInt64) {
        // Locals, so that the loop keeps everything in registers.
        var h0 = h0, h1 = h1, h2 = h2
        var block = start
        for _ in 0..<blocks {
            let t0 = UInt64(littleEndian: block.loadUnaligned(as: UInt64.self))
            let t1 = UInt64(littleEndian: block.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
            multiply(&h0, &h1, &h2, adding: t0, t1, topBit: topBit)
            block += Self.blockBytes
        }
        self.h0 = h0; self.h1 = h1; self.h2 = h2
    }

    /// `absorb` for one block held in memory order in `block` (a partial block, padded by the caller).
    private mutating func absorb(_ block: (UInt64, UInt64), topBit: UInt64) {
        var h0 = h0, h1 = h1, h2 = h2
        multiply(&h0, &h1, &h2, adding: UInt64(littleEndian: block.0), UInt64(littleEndian: block.1), topBit: topBit)
        self.h0 = h0; self.h1 = h1; self.h2 = h2
    }

    /// h = (h + t + topBit·2^128) · r mod 2^130 - 5, where t = t0 + t1·2^64 is one block as a number.
    @inline(__always)
    private func multiply(
        _ h0: inout UInt64, _ h1: inout UInt64, _ h2: inout UInt64, adding t0: UInt64, _ t1: UInt64, topBit: UInt64
    ) {
        h0 &+= t0 & Self.mask44
        h1 &+= ((t0 >> 44) | (t1 << 20)) & Self.mask44
        h2 &+= ((t1 >> 24) & Self.mask42) | topBit

        let d0 = Self.product(h0, r0) &+ Self.product(h1, r2Folded) &+ Self.product(h2, r1Folded)
        var d1 = Self.product(h0, r1) &+ Self.product(h1, r0) &+ Self.product(h2, r2Folded)
        var d2 = Self.product(h0, r2) &+ Self.product(h1, r1) &+ Self.product(h2, r0)

        // Partial carry: limbs may stay a few bits over their width, which the next products have room for.
        var carry = d0 >> 44; h0 = UInt64(truncatingIfNeeded: d0) & Self.mask44
        d1 &+= carry; carry = d1 >> 44; h1 = UInt64(truncatingIfNeeded: d1) & Self.mask44
        d2 &+= carry; carry = d2 >> 42; h2 = UInt64(truncatingIfNeeded: d2) & Self.mask42
        h0 &+= UInt64(truncatingIfNeeded: carry) &* 5
        let carry0 = h0 >> 44; h0 &= Self.mask44
        h1 &+= carry0
    }

    /// The full 128-bit product of two 64-bit limbs.
    @inline(__always)
    private static func product(_ a: UInt64, _ b: UInt64) -> UInt128 {
        let (high, low) = a.multipliedFullWidth(by: b)
        return UInt128(high) << 64 | UInt128(low)
    }

    @inline(__always)
    private static func word64(_ bytes: UnsafeRawBufferPointer, _ offset: Int) -> UInt64 {
        UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
    }
}
