/// The ChaCha20 stream cipher of RFC 8439 §2.4: a 32-byte key, a 12-byte nonce and a 32-bit initial block counter.
///
/// Only additions, XORs and fixed rotations of 32-bit words: no branch or memory index depends on the key, the nonce
/// or the data. Encrypting and decrypting are the same operation (XOR with the keystream). Checked against RFC 8439
/// and independent vectors (`Tests/PeerCryptoTests`).
public enum ChaCha20 {
    /// Bytes in a key.
    public static let keyBytes = 32
    /// Bytes in a nonce.
    public static let nonceBytes = 12
    /// Bytes of keystream each value of the block counter gives.
    public static let blockBytes = 64

    /// `input` XORed with the keystream of `key` and `nonce` that starts at block `counter`: encrypts plaintext and
    /// decrypts ciphertext alike. Allocates only the result.
    /// - Precondition: `key` is 32 bytes, `nonce` 12 bytes, and `input` ends before the 32-bit block counter would
    ///   wrap (reusing keystream would expose both inputs' XOR).
    public static func xor(key: [UInt8], nonce: [UInt8], counter: UInt32, _ input: [UInt8]) -> [UInt8] {
        let cipher = Keyed(key: key, nonce: nonce)
        precondition(input.count <= maxBytes(from: counter), "ChaCha20 would wrap its 32-bit block counter")
        return [UInt8](unsafeUninitializedCapacity: input.count) { output, initialized in
            input.withUnsafeBytes { inputBytes in
                if let source = inputBytes.baseAddress, let destination = output.baseAddress {
                    cipher.xor(source, into: UnsafeMutableRawPointer(destination), count: input.count, counter: counter)
                }
            }
            initialized = input.count
        }
    }

    /// The 64-byte keystream block for `counter` (RFC 8439 §2.3's block function).
    /// - Precondition: `key` is 32 bytes and `nonce` 12 bytes.
    public static func block(key: [UInt8], nonce: [UInt8], counter: UInt32) -> [UInt8] {
        xor(key: key, nonce: nonce, counter: counter, [UInt8](repeating: 0, count: blockBytes))
    }

    /// How many bytes of keystream are left from block `counter` up to the end of the 32-bit counter.
    static func maxBytes(from counter: UInt32) -> Int {
        (Int(UInt32.max) - Int(counter) + 1) * blockBytes
    }

    /// The sixteen 32-bit words of a ChaCha20 state (RFC 8439 §2.3), kept as separate stored properties rather than
    /// an array so that the optimizer holds them in registers: no heap, no bounds checks on the hot path.
    struct Words {
        var w0, w1, w2, w3, w4, w5, w6, w7, w8, w9, w10, w11, w12, w13, w14, w15: UInt32
    }

    /// A key and nonce read into words once, ready to produce keystream for any block counter.
    struct Keyed {
        // The constant words are "expand 32-byte k" in little-endian ASCII.
        private let initial: Words

        /// - Precondition: `key` is 32 bytes and `nonce` 12 bytes (the caller's own values; sizes are public).
        init(key: [UInt8], nonce: [UInt8]) {
            precondition(key.count == keyBytes, "a ChaCha20 key is 32 bytes")
            precondition(nonce.count == nonceBytes, "a ChaCha20 nonce is 12 bytes")
            initial = key.withUnsafeBytes { key in
                nonce.withUnsafeBytes { nonce in
                    Words(
                        w0: 0x6170_7865, w1: 0x3320_646E, w2: 0x7962_2D32, w3: 0x6B20_6574,
                        w4: Self.word(key, 0), w5: Self.word(key, 1), w6: Self.word(key, 2), w7: Self.word(key, 3),
                        w8: Self.word(key, 4), w9: Self.word(key, 5), w10: Self.word(key, 6), w11: Self.word(key, 7),
                        w12: 0, w13: Self.word(nonce, 0), w14: Self.word(nonce, 1), w15: Self.word(nonce, 2))
                }
            }
        }

        /// The `index`th little-endian 32-bit word of `bytes` (whose length the caller has checked).
        @inline(__always)
        private static func word(_ bytes: UnsafeRawBufferPointer, _ index: Int) -> UInt32 {
            UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: index * 4, as: UInt32.self))
        }

        /// The block function: twenty rounds over the state, then the state added back in (RFC 8439 §2.3).
        @inline(__always)
        func block(counter: UInt32) -> Words {
            var x = initial
            x.w12 = counter
            for _ in 0..<10 {
                // A column round, then a diagonal round.
                Self.quarterRound(&x.w0, &x.w4, &x.w8, &x.w12)
                Self.quarterRound(&x.w1, &x.w5, &x.w9, &x.w13)
                Self.quarterRound(&x.w2, &x.w6, &x.w10, &x.w14)
                Self.quarterRound(&x.w3, &x.w7, &x.w11, &x.w15)
                Self.quarterRound(&x.w0, &x.w5, &x.w10, &x.w15)
                Self.quarterRound(&x.w1, &x.w6, &x.w11, &x.w12)
                Self.quarterRound(&x.w2, &x.w7, &x.w8, &x.w13)
                Self.quarterRound(&x.w3, &x.w4, &x.w9, &x.w14)
            }
            let s = initial
            return Words(
                w0: x.w0 &+ s.w0, w1: x.w1 &+ s.w1, w2: x.w2 &+ s.w2, w3: x.w3 &+ s.w3,
                w4: x.w4 &+ s.w4, w5: x.w5 &+ s.w5, w6: x.w6 &+ s.w6, w7: x.w7 &+ s.w7,
                w8: x.w8 &+ s.w8, w9: x.w9 &+ s.w9, w10: x.w10 &+ s.w10, w11: x.w11 &+ s.w11,
                w12: x.w12 &+ counter, w13: x.w13 &+ s.w13, w14: x.w14 &+ s.w14, w15: x.w15 &+ s.w15)
        }

        /// XORs `count` bytes at `source` with the keystream from block `counter` on, into `destination`
        /// (which may be `source` itself).
        /// - Precondition (the caller's): `count` bytes fit before the block counter wraps, and both buffers hold
        ///   `count` bytes.
        func xor(_ source: UnsafeRawPointer, into destination: UnsafeMutableRawPointer, count: Int, counter: UInt32) {
            var offset = 0
            var blockCounter = counter
            while count - offset >= blockBytes {
                let stream = block(counter: blockCounter)
                Self.xorBlock(stream, source + offset, destination + offset)
                offset += blockBytes
                blockCounter &+= 1
            }
            guard offset < count else { return }
            // The last, partial block: lay its keystream out as bytes on the stack and use only what is needed.
            let remaining = count - offset
            withUnsafeTemporaryAllocation(byteCount: blockBytes, alignment: 4) { stream in
                guard let streamBytes = stream.baseAddress else { return }
                streamBytes.initializeMemory(as: UInt8.self, repeating: 0, count: blockBytes)
                Self.xorBlock(block(counter: blockCounter), streamBytes, streamBytes)
                for index in 0..<remaining {
                    destination.storeBytes(
                        of: source.load(fromByteOffset: offset + index, as: UInt8.self)
                            ^ streamBytes.load(fromByteOffset: index, as: UInt8.self),
                        toByteOffset: offset + index, as: UInt8.self)
                }
                // Keystream is as secret as the plaintext it covers: wipe it (best effort; Swift cannot promise the
                // store survives the optimizer).
                streamBytes.initializeMemory(as: UInt8.self, repeating: 0, count: blockBytes)
            }
        }

        @inline(__always)
        private static func xorBlock(_ s: Words, _ source: UnsafeRawPointer, _ destination: UnsafeMutableRawPointer) {
            xorWord(s.w0, 0, source, destination); xorWord(s.w1, 4, source, destination)
            xorWord(s.w2, 8, source, destination); xorWord(s.w3, 12, source, destination)
            xorWord(s.w4, 16, source, destination); xorWord(s.w5, 20, source, destination)
            xorWord(s.w6, 24, source, destination); xorWord(s.w7, 28, source, destination)
            xorWord(s.w8, 32, source, destination); xorWord(s.w9, 36, source, destination)
            xorWord(s.w10, 40, source, destination); xorWord(s.w11, 44, source, destination)
            xorWord(s.w12, 48, source, destination); xorWord(s.w13, 52, source, destination)
            xorWord(s.w14, 56, source, destination); xorWord(s.w15, 60, source, destination)
        }

        @inline(__always)
        private static func xorWord(
            _ word: UInt32, _ offset: Int, _ source: UnsafeRawPointer, _ destination: UnsafeMutableRawPointer
        ) {
            // The keystream is serialized little-endian; `.littleEndian` puts its bytes in memory order.
            let input = source.loadUnaligned(fromByteOffset: offset, as: UInt32.self)
            destination.storeBytes(of: input ^ word.littleEndian, toByteOffset: offset, as: UInt32.self)
        }

        @inline(__always)
        private static func quarterRound(_ a: inout UInt32, _ b: inout UInt32, _ c: inout UInt32, _ d: inout UInt32) {
            a = a &+ b; d = rotateLeft(d ^ a, 16)
            c = c &+ d; b = rotateLeft(b ^ c, 12)
            a = a &+ b; d = rotateLeft(d ^ a, 8)
            c = c &+ d; b = rotateLeft(b ^ c, 7)
        }

        @inline(__always)
        private static func rotateLeft(_ value: UInt32, _ count: UInt32) -> UInt32 {
            (value &<< count) | (value &>> (32 &- count))
        }
    }
}
