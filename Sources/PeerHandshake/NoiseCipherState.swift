import PeerCrypto

/// A Noise CipherState (revision 34, §5.1) for ChaChaPoly: a 32-byte key and a 64-bit nonce counter.
///
/// During the handshake the key may be absent, and then "encryption" returns the plaintext as Noise requires.
/// A state obtained from `NoiseHandshake.split()` or `init(key:)` always has a key. Besides the counter-driven
/// `encrypt`/`decrypt` of the specification, `seal`/`open` take an explicit nonce: datagrams arrive out of order,
/// so a transport over UDP carries the nonce in each datagram (as WireGuard does) and checks replays itself.
public struct NoiseCipherState: Sendable {
    /// Bytes the AEAD tag adds to every encrypted message.
    public static let tagBytes = ChaCha20Poly1305.tagBytes
    /// Bytes in a key.
    public static let keyBytes = ChaCha20Poly1305.keyBytes

    private var key: Secret?
    /// The nonce the next `encrypt` or `decrypt` uses.
    public private(set) var nonce: UInt64 = 0

    /// A state without a key (the start of a handshake).
    init() {}

    /// A state with a key this module derived (always 32 bytes) and nonce 0.
    init(derivedKey: [UInt8]) {
        precondition(derivedKey.count == Self.keyBytes, "HKDF outputs are 32 bytes")
        key = Secret(derivedKey)
    }

    /// A state with `key` and nonce 0, or nil when `key` is not 32 bytes (it may come from a key-log file).
    public init?(key: [UInt8]) {
        guard key.count == Self.keyBytes else { return nil }
        self.key = Secret(key)
    }

    /// True once a key is set; before that nothing is encrypted.
    public var hasKey: Bool { key != nil }

    /// The key, for a key log (`--keylog`) only: whoever reads it can read and forge this direction's traffic.
    public var keyBytes: [UInt8]? { key?.bytes }

    /// ENCRYPT(k, n, ad, plaintext) with the current nonce, which then counts up; the plaintext itself when no
    /// key is set. Throws `nonceExhausted` at nonce 2^64 − 1 (reserved by Noise).
    public mutating func encrypt(associatedData: [UInt8] = [], plaintext: [UInt8]) throws(NoiseError) -> [UInt8] {
        guard key != nil else { return plaintext }
        let sealed = try seal(nonce: nonce, associatedData: associatedData, plaintext: plaintext)
        nonce &+= 1
        return sealed
    }

    /// DECRYPT(k, n, ad, ciphertext) with the current nonce, which counts up only on success; the ciphertext
    /// itself when no key is set. Throws `authenticationFailed` (and changes nothing) when the tag is wrong.
    public mutating func decrypt(associatedData: [UInt8] = [], ciphertext: [UInt8]) throws(NoiseError) -> [UInt8] {
        guard key != nil else { return ciphertext }
        let plaintext = try open(nonce: nonce, associatedData: associatedData, ciphertext: ciphertext)
        nonce &+= 1
        return plaintext
    }

    /// ciphertext || 16-byte tag of `plaintext` under an explicit `nonce`; the counter is not touched.
    /// Throws `nonceExhausted` for 2^64 − 1 and `missingKey` on a state without a key.
    public func seal(nonce: UInt64, associatedData: [UInt8] = [], plaintext: [UInt8]) throws(NoiseError) -> [UInt8] {
        guard let key else { throw .missingKey("cipher key") }
        guard nonce != .max else { throw .nonceExhausted }
        return ChaCha20Poly1305.seal(key: key.bytes, nonce: ChaCha20Poly1305.nonce(counter: nonce),
                                     aad: associatedData, plaintext: plaintext)
    }

    /// The plaintext of `ciphertext` (ciphertext || tag) under an explicit `nonce`, or `authenticationFailed`
    /// when it is shorter than a tag or does not verify (nothing is released). The counter is not touched.
    public func open(nonce: UInt64, associatedData: [UInt8] = [], ciphertext: [UInt8]) throws(NoiseError) -> [UInt8] {
        guard let key else { throw .missingKey("cipher key") }
        guard nonce != .max else { throw .nonceExhausted }
        guard let plaintext = ChaCha20Poly1305.open(key: key.bytes, nonce: ChaCha20Poly1305.nonce(counter: nonce),
                                                    aad: associatedData, sealed: ciphertext)
        else { throw .authenticationFailed }
        return plaintext
    }
}
