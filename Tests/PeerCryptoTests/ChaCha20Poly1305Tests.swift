import Foundation
import PeerCrypto
import Testing

/// ChaCha20, Poly1305 and their AEAD against RFC 8439's examples and independent vectors (pyca/cryptography over
/// OpenSSL), copied into `Vectors/chacha20poly1305.json`; then the failures an attacker can cause: flipped bits,
/// truncations, wrong keys.
struct ChaCha20Poly1305Tests {
    struct AEADVector: Sendable, CustomTestStringConvertible {
        var key: [UInt8]
        var nonce: [UInt8]
        var aad: [UInt8]
        var plaintext: [UInt8]
        var sealed: [UInt8]
        var testDescription: String { "aad \(aad.count) B, plaintext \(plaintext.count) B" }
    }

    struct ChaCha20Vector: Sendable, CustomTestStringConvertible {
        var key: [UInt8]
        var nonce: [UInt8]
        var counter: UInt32
        var plaintext: [UInt8]
        var ciphertext: [UInt8]
        var testDescription: String { "counter \(counter), \(plaintext.count) B" }
    }

    struct Poly1305Vector: Sendable, CustomTestStringConvertible {
        var key: [UInt8]
        var message: [UInt8]
        var tag: [UInt8]
        var testDescription: String { "message \(message.count) B" }
    }

    /// The whole of `Vectors/chacha20poly1305.json`.
    static func root() -> [String: Any]? {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Vectors/chacha20poly1305.json")
        guard let data = try? Data(contentsOf: url) else { return nil }
        return (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
    }

    /// The entries of the vector file under `path` (e.g. `["building_blocks", "poly1305_random"]`).
    static func entries(_ path: [String]) -> [[String: Any]] {
        guard var node = root(), let last = path.last else { return [] }
        for key in path.dropLast() {
            guard let child = node[key] as? [String: Any] else { return [] }
            node = child
        }
        return node[last] as? [[String: Any]] ?? []
    }

    static func field(_ entry: [String: Any], _ name: String) -> [UInt8]? {
        (entry[name] as? String).flatMap(bytes(hex:))
    }

    /// Vectors in `group` that should open; `tampered` ones carry `expected: "fail"` instead.
    static func aeadVectors(_ group: String) -> [AEADVector] {
        entries([group]).compactMap { entry in
            guard let key = field(entry, "key"), let nonce = field(entry, "nonce"), let aad = field(entry, "aad"),
                  let sealed = field(entry, "ciphertext_and_tag")
            else { return nil }
            let plaintext = field(entry, "plaintext") ?? field(entry, "original_plaintext") ?? []
            return AEADVector(key: key, nonce: nonce, aad: aad, plaintext: plaintext, sealed: sealed)
        }
    }

    static func chaCha20Vectors(_ group: String) -> [ChaCha20Vector] {
        entries(["building_blocks", group]).compactMap { entry in
            guard let key = field(entry, "key"), let nonce = field(entry, "nonce"),
                  let counter = (entry["counter"] as? NSNumber).map({ $0.uint32Value }),
                  let plaintext = field(entry, "plaintext"), let ciphertext = field(entry, "ciphertext")
            else { return nil }
            return ChaCha20Vector(
                key: key, nonce: nonce, counter: counter, plaintext: plaintext, ciphertext: ciphertext)
        }
    }

    static func poly1305Vectors(_ group: String) -> [Poly1305Vector] {
        entries(["building_blocks", group]).compactMap { entry in
            guard let key = field(entry, "key"), let message = field(entry, "message"), let tag = field(entry, "tag")
            else { return nil }
            return Poly1305Vector(key: key, message: message, tag: tag)
        }
    }

    static func repeated(_ byte: String, _ count: Int) -> String { String(repeating: byte, count: count) }
    static func zeros(_ count: Int) -> String { repeated("00", count) }

    static let ladies = Array(("Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the "
        + "future, sunscreen would be it.").utf8)

    // MARK: RFC 8439's examples, typed in from the RFC

    @Test("RFC 8439 §2.3.2: the ChaCha20 block function")
    func rfcBlock() throws {
        let key = Array(0..<UInt8(32))
        let nonce = try #require(bytes(hex: "000000090000004a00000000"))
        #expect(hex(ChaCha20.block(key: key, nonce: nonce, counter: 1))
                == "10f1e7e4d13b5915500fdd1fa32071c4c7d1f4c733c068030422aa9ac3d46c4e"
                + "d2826446079faa0914c2d705d98b02a2b5129cd1de164eb9cbd083e8a2503c4e")
    }

    @Test("RFC 8439 §2.4.2: ChaCha20 encryption")
    func rfcChaCha20() throws {
        let key = Array(0..<UInt8(32))
        let nonce = try #require(bytes(hex: "000000000000004a00000000"))
        let expected = "6e2e359a2568f98041ba0728dd0d6981e97e7aec1d4360c20a27afccfd9fae0bf91b65c5524733ab8f593dab"
            + "cd62b3571639d624e65152ab8f530c359f0861d807ca0dbf500d6a6156a38e088a22b65e52bc514d16ccf806818ce9"
            + "1ab77937365af90bbf74a35be6b40b8eedf2785e42874d"
        let ciphertext = ChaCha20.xor(key: key, nonce: nonce, counter: 1, Self.ladies)
        #expect(hex(ciphertext) == expected)
        #expect(ChaCha20.xor(key: key, nonce: nonce, counter: 1, ciphertext) == Self.ladies)
    }

    @Test("RFC 8439 §2.5.2: Poly1305")
    func rfcPoly1305() throws {
        let key = try #require(bytes(hex: "85d6be7857556d337f4452fe42d506a80103808afb0db2fd4abff6af4149f51b"))
        let tag = Poly1305.authenticate(Array("Cryptographic Forum Research Group".utf8), key: key)
        #expect(hex(tag) == "a8061dc1305136c6c22b8baf0c0127a9")
    }

    /// RFC 8439 appendix A.3 #5–#11: accumulators that land on or just above 2^130 - 5, or carry through s, where
    /// a wrong final reduction shows (random messages almost never get there).
    @Test("RFC 8439 A.3: Poly1305 at the edges of the final reduction", arguments: [
        ("02" + zeros(31), repeated("ff", 16), "03" + zeros(15)),
        ("02" + zeros(15) + repeated("ff", 16), "02" + zeros(15), "03" + zeros(15)),
        ("01" + zeros(31), repeated("ff", 16) + "f0" + repeated("ff", 15) + "11" + zeros(15), "05" + zeros(15)),
        ("01" + zeros(31), repeated("ff", 16) + "fb" + repeated("fe", 15) + repeated("01", 16), zeros(16)),
        ("02" + zeros(31), "fd" + repeated("ff", 15), "fa" + repeated("ff", 15)),
        ("01" + zeros(7) + "04" + zeros(23),
         "e33594d7505e43b9" + zeros(8) + "3394d7505e4379cd" + "01" + zeros(7) + zeros(16) + "01" + zeros(15),
         "14000000000000005500000000000000"),
        ("01" + zeros(7) + "04" + zeros(23),
         "e33594d7505e43b9" + zeros(8) + "3394d7505e4379cd" + "01" + zeros(7) + zeros(16),
         "13000000000000000000000000000000"),
    ])
    func rfcPoly1305Edges(key: String, message: String, tag: String) throws {
        let key = try #require(bytes(hex: key)), message = try #require(bytes(hex: message))
        #expect(hex(Poly1305.authenticate(message, key: key)) == tag)
    }

    @Test("RFC 8439 §2.8.2: the AEAD, sealed and opened")
    func rfcAEAD() throws {
        let key = try #require(bytes(hex: "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f"))
        let nonce = try #require(bytes(hex: "070000004041424344454647"))
        let aad = try #require(bytes(hex: "50515253c0c1c2c3c4c5c6c7"))
        let expected = "d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d63dbea45e8ca9671282fafb"
            + "69da92728b1a71de0a9e060b2905d6a5b67ecd3b3692ddbd7f2d778b8c9803aee328091b58fab324e4fad6759455"
            + "85808b4831d7bc3ff4def08e4b7a9de576d26586cec64b6116" + "1ae10b594f09e26a7e902ecbd0600691"
        let sealed = ChaCha20Poly1305.seal(key: key, nonce: nonce, aad: aad, plaintext: Self.ladies)
        #expect(hex(sealed) == expected)
        #expect(ChaCha20Poly1305.open(key: key, nonce: nonce, aad: aad, sealed: sealed) == Self.ladies)
    }

    // MARK: Independent vectors

    @Test("the vector file is there, with every group", arguments: [
        ["random"], ["tampered"], ["building_blocks", "chacha20_rfc8439"], ["building_blocks", "chacha20_random"],
        ["building_blocks", "poly1305_rfc8439"], ["building_blocks", "poly1305_random"],
    ])
    func vectorsPresent(path: [String]) {
        #expect(!Self.entries(path).isEmpty)
    }

    @Test("the RFC example as the vector file has it")
    func vectorFileRFCExample() throws {
        let entry = try #require(Self.root()?["rfc8439_section2_8_2"] as? [String: Any])
        let key = try #require(Self.field(entry, "key")), nonce = try #require(Self.field(entry, "nonce"))
        let aad = try #require(Self.field(entry, "aad")), plaintext = try #require(Self.field(entry, "plaintext"))
        let sealed = try #require(Self.field(entry, "ciphertext_and_tag"))
        #expect(ChaCha20Poly1305.seal(key: key, nonce: nonce, aad: aad, plaintext: plaintext) == sealed)
    }

    @Test("random vectors: seal gives the exact bytes, open gives the plaintext back", arguments: aeadVectors("random"))
    func randomVector(_ vector: AEADVector) {
        let sealed = ChaCha20Poly1305.seal(
            key: vector.key, nonce: vector.nonce, aad: vector.aad, plaintext: vector.plaintext)
        #expect(sealed == vector.sealed)
        #expect(ChaCha20Poly1305.open(key: vector.key, nonce: vector.nonce, aad: vector.aad, sealed: vector.sealed)
                == vector.plaintext)
    }

    @Test("tampered vectors: open refuses them", arguments: aeadVectors("tampered"))
    func tamperedVector(_ vector: AEADVector) {
        #expect(ChaCha20Poly1305.open(key: vector.key, nonce: vector.nonce, aad: vector.aad, sealed: vector.sealed)
                == nil)
    }

    @Test("raw ChaCha20 from a given block counter",
          arguments: chaCha20Vectors("chacha20_rfc8439") + chaCha20Vectors("chacha20_random"))
    func chaCha20Vector(_ vector: ChaCha20Vector) {
        #expect(ChaCha20.xor(key: vector.key, nonce: vector.nonce, counter: vector.counter, vector.plaintext)
                == vector.ciphertext)
    }

    @Test("raw Poly1305", arguments: poly1305Vectors("poly1305_rfc8439") + poly1305Vectors("poly1305_random"))
    func poly1305Vector(_ vector: Poly1305Vector) {
        #expect(Poly1305.authenticate(vector.message, key: vector.key) == vector.tag)
    }

    @Test("Poly1305 fed in pieces gives the same tag")
    func poly1305Incremental() throws {
        let vector = try #require(Self.poly1305Vectors("poly1305_random").max { $0.message.count < $1.message.count })
        let message = vector.message
        for first in [0, 1, 15, 16, 17, 31, 32, 33, message.count] {
            for second in [0, 1, 5, 16, 20] where first + second <= message.count {
                var authenticator = Poly1305(key: vector.key)
                authenticator.update(Array(message[..<first]))
                authenticator.update(Array(message[first..<(first + second)]))
                authenticator.update(Array(message[(first + second)...]))
                #expect(authenticator.finalize() == vector.tag, "split at \(first) and \(first + second)")
            }
        }
    }

    // MARK: What an attacker can do to a sealed message

    static let key = (0..<32).map { UInt8(truncatingIfNeeded: $0 &* 29 &+ 3) }
    static let aad = Array("header 0123456789".utf8)
    static let plaintext = Array("a line typed by a person, sealed for the network".utf8)

    @Test("flipping any bit of a sealed message, or of its aad, makes open fail")
    func everyBitFlip() {
        let nonce = ChaCha20Poly1305.nonce(counter: 7)
        let sealed = ChaCha20Poly1305.seal(key: Self.key, nonce: nonce, aad: Self.aad, plaintext: Self.plaintext)
        #expect(ChaCha20Poly1305.open(key: Self.key, nonce: nonce, aad: Self.aad, sealed: sealed) == Self.plaintext)
        var accepted: [String] = []
        for index in sealed.indices {
            for bit in 0..<8 {
                var flipped = sealed
                flipped[index] ^= 1 << bit
                if ChaCha20Poly1305.open(key: Self.key, nonce: nonce, aad: Self.aad, sealed: flipped) != nil {
                    accepted.append("sealed byte \(index) bit \(bit)")
                }
            }
        }
        for index in Self.aad.indices {
            for bit in 0..<8 {
                var flipped = Self.aad
                flipped[index] ^= 1 << bit
                if ChaCha20Poly1305.open(key: Self.key, nonce: nonce, aad: flipped, sealed: sealed) != nil {
                    accepted.append("aad byte \(index) bit \(bit)")
                }
            }
        }
        #expect(accepted.isEmpty)
    }

    @Test("a sealed message truncated to any length, or extended, opens to nil without trapping",
          arguments: [0, 1, 15, 16, 17, 64, 100])
    func truncations(plaintextBytes: Int) {
        let nonce = ChaCha20Poly1305.nonce(counter: UInt64(plaintextBytes))
        let plaintext = Array(Self.plaintext.prefix(plaintextBytes))
            + [UInt8](repeating: 0x5A, count: max(0, plaintextBytes - Self.plaintext.count))
        let sealed = ChaCha20Poly1305.seal(key: Self.key, nonce: nonce, aad: Self.aad, plaintext: plaintext)
        #expect(sealed.count == plaintextBytes + ChaCha20Poly1305.tagBytes)
        for length in 0..<sealed.count {
            #expect(ChaCha20Poly1305.open(key: Self.key, nonce: nonce, aad: Self.aad, sealed: Array(sealed[..<length]))
                    == nil, "truncated to \(length) bytes")
        }
        #expect(ChaCha20Poly1305.open(key: Self.key, nonce: nonce, aad: Self.aad, sealed: sealed + [0]) == nil)
        #expect(ChaCha20Poly1305.open(key: Self.key, nonce: nonce, aad: Self.aad, sealed: sealed) == plaintext)
    }

    @Test("another key, nonce or aad does not open a sealed message")
    func wrongInputs() {
        let nonce = ChaCha20Poly1305.nonce(counter: 1)
        let sealed = ChaCha20Poly1305.seal(key: Self.key, nonce: nonce, aad: Self.aad, plaintext: Self.plaintext)
        var otherKey = Self.key
        otherKey[31] ^= 0x80
        #expect(ChaCha20Poly1305.open(key: otherKey, nonce: nonce, aad: Self.aad, sealed: sealed) == nil)
        #expect(ChaCha20Poly1305.open(key: Self.key, nonce: ChaCha20Poly1305.nonce(counter: 2), aad: Self.aad,
                                      sealed: sealed) == nil)
        #expect(ChaCha20Poly1305.open(key: Self.key, nonce: nonce, aad: [], sealed: sealed) == nil)
        #expect(ChaCha20Poly1305.open(key: Self.key, nonce: nonce, aad: Self.aad + [0], sealed: sealed) == nil)
    }

    @Test("Noise's nonce: 4 zero bytes, then the counter as 64-bit little-endian")
    func noiseNonce() {
        #expect(ChaCha20Poly1305.nonce(counter: 0) == [UInt8](repeating: 0, count: 12))
        #expect(hex(ChaCha20Poly1305.nonce(counter: 0x0102_0304_0506_0708)) == "000000000807060504030201")
        #expect(hex(ChaCha20Poly1305.nonce(counter: .max)) == "00000000ffffffffffffffff")
        #expect(ChaCha20Poly1305.nonce(counter: 5).count == ChaCha20Poly1305.nonceBytes)
    }

    // MARK: ConstantTime

    @Test("ConstantTime.equal: same bytes are equal, any other length is not")
    func constantTimeLengths() {
        let bytes = Array(0..<UInt8(16))
        #expect(ConstantTime.equal(bytes, bytes))
        #expect(ConstantTime.equal([], []))
        #expect(!ConstantTime.equal([], [0]))
        #expect(!ConstantTime.equal([0], []))
        for length in 0..<bytes.count {
            #expect(!ConstantTime.equal(Array(bytes[..<length]), bytes), "a \(length)-byte prefix")
            #expect(!ConstantTime.equal(bytes, Array(bytes[..<length])), "a \(length)-byte prefix, swapped")
        }
        #expect(!ConstantTime.equal(bytes, bytes + [0]))
    }

    @Test("ConstantTime.equal: one differing byte at any position, in any bit, is not equal")
    func constantTimeOneByte() {
        let bytes = (0..<16).map { UInt8(truncatingIfNeeded: $0 &* 37) }
        for index in bytes.indices {
            for bit in 0..<8 {
                var other = bytes
                other[index] ^= 1 << bit
                #expect(!ConstantTime.equal(bytes, other), "byte \(index) bit \(bit)")
            }
        }
    }
}
