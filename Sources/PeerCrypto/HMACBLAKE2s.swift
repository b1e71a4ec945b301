/// HMAC (RFC 2104) with BLAKE2s-256 as the hash and a 64-byte block: the HMAC-HASH of Noise's `_BLAKE2s`
/// suites.
///
/// Not BLAKE2s's own keyed mode (`BLAKE2s(key:)`): Noise defines its HKDF over HMAC for every hash, so the two
/// give different results for the same key. Checked against independent vectors (`Tests/PeerCryptoTests`).
public enum HMACBLAKE2s {
    /// Bytes in a MAC.
    public static let macBytes = BLAKE2s.digestBytes
    /// BLAKE2s's block length, the `B` of RFC 2104: keys are padded to it, longer keys are hashed first.
    public static let blockBytes = 64

    private static let innerPad: UInt8 = 0x36
    private static let outerPad: UInt8 = 0x5C

    /// The 32-byte HMAC-BLAKE2s of `message` under `key` (any length, including empty).
    public static func authenticate(key: [UInt8], message: [UInt8]) -> [UInt8] {
        var blockKey = key.count > blockBytes ? BLAKE2s.hash(key) : key
        blockKey.append(contentsOf: repeatElement(0, count: blockBytes - blockKey.count))
        var padded = blockKey.map { $0 ^ innerPad }
        var inner = BLAKE2s()
        inner.update(padded)
        inner.update(message)
        let innerDigest = inner.finalize()
        for index in padded.indices { padded[index] = blockKey[index] ^ outerPad }
        var outer = BLAKE2s()
        outer.update(padded)
        outer.update(innerDigest)
        Secret.wipe(&blockKey)
        Secret.wipe(&padded)
        return outer.finalize()
    }
}
