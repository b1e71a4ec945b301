/// The ChaCha20-Poly1305 AEAD of RFC 8439 §2.8: encrypts a plaintext and authenticates it together with additional
/// data (aad) that travels in the clear.
///
/// The Poly1305 key is the first 32 bytes of ChaCha20 block 0; the plaintext is encrypted from block 1; the tag
/// covers aad and ciphertext, each zero-padded to 16 bytes, then both lengths. Works on the callers' buffers
/// directly: one allocation per call, for the result. Checked against RFC 8439 and independent vectors
/// (`Tests/PeerCryptoTests`).
public enum ChaCha20Poly1305 {
    /// Bytes in a key.
    public static let keyBytes = 32
    /// Bytes in a nonce.
    public static let nonceBytes = 12
    /// Bytes the tag adds to a sealed message.
    public static let tagBytes = 16

    /// The longest plaintext: ChaCha20's 32-bit block counter, started at 1, must not wrap (about 256 GiB).
    static let maxPlaintextBytes = ChaCha20.maxBytes(from: 1)

    /// RFC 8439 §2.8 AEAD: the ciphertext of `plaintext`, then a 16-byte tag over `aad` and the ciphertext.
    /// A (key, nonce) pair must seal only one message.
    /// - Precondition: `key` is 32 bytes, `nonce` 12 bytes (the caller's own values), and `plaintext` is shorter
    ///   than 256 GiB.
    public static func seal(key: [UInt8], nonce: [UInt8], aad: [UInt8], plaintext: [UInt8]) -> [UInt8] {
        let cipher = ChaCha20.Keyed(key: key, nonce: nonce)
        precondition(plaintext.count <= maxPlaintextBytes, "ChaCha20-Poly1305 seals less than 256 GiB at once")
        let count = plaintext.count
        return [UInt8](unsafeUninitializedCapacity: count + tagBytes) { buffer, initialized in
            let output = UnsafeMutableRawBufferPointer(buffer)
            guard let start = output.baseAddress else { return }
            plaintext.withUnsafeBytes { input in
                if let source = input.baseAddress { cipher.xor(source, into: start, count: count, counter: 1) }
            }
            let ciphertext = UnsafeRawBufferPointer(start: start, count: count)
            let (low, high) = tag(cipher, aad: aad, ciphertext: ciphertext)
            output.storeBytes(of: low.littleEndian, toByteOffset: count, as: UInt64.self)
            output.storeBytes(of: high.littleEndian, toByteOffset: count + 8, as: UInt64.self)
            initialized = count + tagBytes
        }
    }

    /// The plaintext, or nil when `sealed` is shorter than a tag or fails authentication. The tag is checked, in
    /// constant time, before anything is decrypted: on failure nothing of the plaintext exists anywhere.
    /// Never traps on any `sealed` or `aad`.
    /// - Precondition: `key` is 32 bytes and `nonce` 12 bytes (the caller's own values).
    public static func open(key: [UInt8], nonce: [UInt8], aad: [UInt8], sealed: [UInt8]) -> [UInt8]? {
        let cipher = ChaCha20.Keyed(key: key, nonce: nonce)
        guard sealed.count >= tagBytes, sealed.count - tagBytes <= maxPlaintextBytes else { return nil }
        let count = sealed.count - tagBytes
        let authentic = sealed.withUnsafeBytes { sealedBytes in
            let (low, high) = tag(cipher, aad: aad, ciphertext: UnsafeRawBufferPointer(rebasing: sealedBytes[..<count]))
            let expected = (low.littleEndian, high.littleEndian)
            return withUnsafeBytes(of: expected) { expectedBytes in
                ConstantTime.equal(expectedBytes, UnsafeRawBufferPointer(rebasing: sealedBytes[count...]))
            }
        }
        guard authentic else { return nil }
        return [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            sealed.withUnsafeBytes { sealedBytes in
                if let source = sealedBytes.baseAddress, let destination = buffer.baseAddress {
                    cipher.xor(source, into: UnsafeMutableRawPointer(destination), count: count, counter: 1)
                }
            }
            initialized = count
        }
    }

    /// Noise's ChaChaPoly nonce for message counter `counter`: 4 zero bytes, then the counter as a 64-bit
    /// little-endian number.
    public static func nonce(counter: UInt64) -> [UInt8] {
        [0, 0, 0, 0] + (0..<8).map { UInt8(truncatingIfNeeded: counter >> ($0 * 8)) }
    }

    /// The tag (RFC 8439 §2.8) as two little-endian 64-bit words: Poly1305 keyed from block 0, over the padded aad,
    /// the padded ciphertext and the two lengths.
    private static func tag(
        _ cipher: ChaCha20.Keyed, aad: [UInt8], ciphertext: UnsafeRawBufferPointer
    ) -> (UInt64, UInt64) {
        let block0 = cipher.block(counter: 0)
        var authenticator = Poly1305(
            r: (UInt64(block0.w0) | UInt64(block0.w1) << 32, UInt64(block0.w2) | UInt64(block0.w3) << 32),
            s: (UInt64(block0.w4) | UInt64(block0.w5) << 32, UInt64(block0.w6) | UInt64(block0.w7) << 32))
        aad.withUnsafeBytes { authenticator.updatePadded($0) }
        authenticator.updatePadded(ciphertext)
        authenticator.update(lengths: UInt64(aad.count), UInt64(ciphertext.count))
        return authenticator.finalizeWords()
    }
}
