// TEMPORARY STAND-IN — DELETE WHEN PART A (Sources/PeerCrypto/X25519.swift, RandomBytes.swift) IS MERGED.
//
// Same API as the contract in notes/peer2-contracts.md so PeerIdentity compiles and its tests run before the
// real X25519 exists. The "public key" below is NOT X25519: it is a BLAKE2s digest of the private key, good
// enough to test files and fingerprints, useless for Diffie-Hellman. Internal, so nothing outside this target
// can come to rely on it; once PeerCrypto has the real types this file must go (it would shadow them).
import PeerCrypto

/// Stand-in for PeerCrypto's X25519 (part A). NOT X25519: see the file's header.
enum X25519 {
    static let keyBytes = 32

    /// Stand-in: BLAKE2s of the private key, not X25519(k, 9).
    static func publicKey(privateKey: [UInt8]) -> [UInt8] {
        precondition(privateKey.count == keyBytes, "a private key is 32 bytes")
        return BLAKE2s.hash(privateKey, key: Array("temporary stand-in, not X25519".utf8))
    }

    /// 32 bytes from the system's secure generator (getrandom on Linux).
    static func newPrivateKey() -> [UInt8] {
        RandomBytes.make(count: keyBytes)
    }
}

/// Stand-in for PeerCrypto's RandomBytes (part A).
enum RandomBytes {
    /// `count` bytes from SystemRandomNumberGenerator (getrandom on Linux).
    static func make(count: Int) -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<count).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
    }
}
