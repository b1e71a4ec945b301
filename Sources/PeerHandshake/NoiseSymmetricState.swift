import PeerCrypto

/// A Noise SymmetricState (revision 34, §5.2): the chaining key, the handshake hash and the CipherState they
/// feed. Internal: `NoiseHandshake` is its only user, and exposes what callers need (hash, split).
struct NoiseSymmetricState: Sendable {
    private static let hashBytes = BLAKE2s.digestBytes

    private(set) var cipher = NoiseCipherState()
    private var chainingKey: Secret
    /// h: the hash of everything sent and received so far, bound into every AEAD as associated data.
    private(set) var hash: [UInt8]

    /// InitializeSymmetric: h = the protocol name zero-padded when it fits in a hash, else its hash; ck = h.
    init(protocolName: String) {
        let name = Array(protocolName.utf8)
        if name.count <= Self.hashBytes {
            hash = name + [UInt8](repeating: 0, count: Self.hashBytes - name.count)
        } else {
            hash = BLAKE2s.hash(name)
        }
        chainingKey = Secret(hash)
    }

    /// h = HASH(h || data).
    mutating func mixHash(_ data: [UInt8]) {
        var hasher = BLAKE2s()
        hasher.update(hash)
        hasher.update(data)
        hash = hasher.finalize()
    }

    /// ck, k = HKDF(ck, ikm, 2): a DH result (or, with psk patterns, an ephemeral public key) enters the keys.
    mutating func mixKey(_ inputKeyMaterial: [UInt8]) {
        let outputs = HKDF.derive(chainingKey: chainingKey.bytes, inputKeyMaterial: inputKeyMaterial, outputs: 2)
        chainingKey = Secret(outputs[0])
        // HASHLEN is 32 for BLAKE2s, so temp_k needs no truncation to the cipher's 32-byte key.
        cipher = NoiseCipherState(derivedKey: outputs[1])
    }

    /// ck, temp_h, k = HKDF(ck, ikm, 3); MixHash(temp_h): how a pre-shared key enters both keys and hash.
    mutating func mixKeyAndHash(_ inputKeyMaterial: [UInt8]) {
        let outputs = HKDF.derive(chainingKey: chainingKey.bytes, inputKeyMaterial: inputKeyMaterial, outputs: 3)
        chainingKey = Secret(outputs[0])
        mixHash(outputs[1])
        cipher = NoiseCipherState(derivedKey: outputs[2])
    }

    /// ciphertext = EncryptWithAd(h, plaintext); MixHash(ciphertext). Before any key exists this is the plaintext
    /// (still hashed), which is why a first message without a DH or psk is unauthenticated.
    mutating func encryptAndHash(_ plaintext: [UInt8]) throws(NoiseError) -> [UInt8] {
        let ciphertext = try cipher.encrypt(associatedData: hash, plaintext: plaintext)
        mixHash(ciphertext)
        return ciphertext
    }

    /// plaintext = DecryptWithAd(h, ciphertext); MixHash(ciphertext). Throws `authenticationFailed` once a key
    /// exists and the tag does not verify under the hash of the transcript so far.
    mutating func decryptAndHash(_ ciphertext: [UInt8]) throws(NoiseError) -> [UInt8] {
        let plaintext = try cipher.decrypt(associatedData: hash, ciphertext: ciphertext)
        mixHash(ciphertext)
        return plaintext
    }

    /// Split: two CipherStates from HKDF(ck, empty, 2), the first for initiator → responder.
    func split() -> (NoiseCipherState, NoiseCipherState) {
        let outputs = HKDF.derive(chainingKey: chainingKey.bytes, inputKeyMaterial: [], outputs: 2)
        return (NoiseCipherState(derivedKey: outputs[0]), NoiseCipherState(derivedKey: outputs[1]))
    }
}
