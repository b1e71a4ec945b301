import PeerCrypto
@testable import PeerHandshake
import Testing

/// The CipherState's nonce rules and the SymmetricState's start, which the vectors do not reach.
struct NoiseCipherStateTests {
    static let key = [UInt8](repeating: 0x42, count: 32)

    @Test("a failed decrypt does not advance the nonce; a good one does")
    func failedDecryptKeepsNonce() throws {
        var sender = try #require(NoiseCipherState(key: Self.key))
        var receiver = try #require(NoiseCipherState(key: Self.key))
        let first = try sender.encrypt(plaintext: [1, 2, 3])
        var forged = first
        forged[0] ^= 1
        #expect(throws: NoiseError.authenticationFailed) { try receiver.decrypt(ciphertext: forged) }
        #expect(throws: NoiseError.authenticationFailed) { try receiver.decrypt(ciphertext: [1, 2]) }
        #expect(receiver.nonce == 0)
        #expect(try receiver.decrypt(ciphertext: first) == [1, 2, 3])
        #expect(receiver.nonce == 1 && sender.nonce == 1)
        // The same ciphertext again is under the next nonce now: refused.
        #expect(throws: NoiseError.authenticationFailed) { try receiver.decrypt(ciphertext: first) }
    }

    @Test("associated data is authenticated")
    func associatedData() throws {
        let state = try #require(NoiseCipherState(key: Self.key))
        let sealed = try state.seal(nonce: 5, associatedData: [1], plaintext: [9])
        #expect(try state.open(nonce: 5, associatedData: [1], ciphertext: sealed) == [9])
        #expect(throws: NoiseError.authenticationFailed) {
            try state.open(nonce: 5, associatedData: [2], ciphertext: sealed)
        }
    }

    @Test("nonce 2^64 − 1 is reserved; 2^64 − 2 still works")
    func reservedNonce() throws {
        let state = try #require(NoiseCipherState(key: Self.key))
        #expect(throws: NoiseError.nonceExhausted) { try state.seal(nonce: .max, plaintext: []) }
        #expect(throws: NoiseError.nonceExhausted) {
            try state.open(nonce: .max, ciphertext: [UInt8](repeating: 0, count: 16))
        }
        let sealed = try state.seal(nonce: .max - 1, plaintext: [7])
        #expect(try state.open(nonce: .max - 1, ciphertext: sealed) == [7])
    }

    @Test("a key that is not 32 bytes makes no cipher state")
    func keyLength() {
        #expect(NoiseCipherState(key: []) == nil)
        #expect(NoiseCipherState(key: [UInt8](repeating: 0, count: 31)) == nil)
        #expect(NoiseCipherState(key: [UInt8](repeating: 0, count: 33)) == nil)
    }

    @Test("without a key, encryption is the identity (the start of XX and NN)")
    func noKey() throws {
        var state = NoiseCipherState()
        #expect(!state.hasKey)
        #expect(try state.encrypt(plaintext: [1, 2]) == [1, 2])
        #expect(try state.decrypt(ciphertext: [3]) == [3])
        #expect(state.nonce == 0)
        #expect(throws: NoiseError.missingKey("cipher key")) { try state.seal(nonce: 0, plaintext: []) }
    }

    @Test("InitializeSymmetric: a name of at most 32 bytes is zero-padded, a longer one hashed")
    func initializeSymmetric() {
        let short = "Noise_NN_25519_ChaChaPoly_SHA256"
        #expect(short.utf8.count == 32)
        #expect(NoiseSymmetricState(protocolName: short).hash == Array(short.utf8))
        #expect(NoiseSymmetricState(protocolName: "Noise_NN").hash
                == Array("Noise_NN".utf8) + [UInt8](repeating: 0, count: 24))
        let long = NoisePattern.XX.protocolName
        #expect(NoiseSymmetricState(protocolName: long).hash == BLAKE2s.hash(Array(long.utf8)))
    }
}
