import Foundation
@testable import PeerCrypto
import Testing

/// X25519 against RFC 7748 (§5.2, §6.1 and the iterated test) and 206 independent vectors (pyca/cryptography over
/// OpenSSL), copied into `Vectors/x25519.json`; then what the RFC leaves to us: lengths, small-order points.
struct X25519Tests {
    /// One X25519(scalar, u) = output case, from any group of the vector file.
    struct Vector: Sendable, CustomTestStringConvertible {
        var label: String
        var scalar: [UInt8]
        var point: [UInt8]
        var output: [UInt8]
        var testDescription: String { label }
    }

    /// A `random` case: a key pair, the peer's u and what they give.
    struct RandomCase: Sendable, CustomTestStringConvertible {
        var index: Int
        var kind: String
        var privateKey: [UInt8]
        var publicKey: [UInt8]
        var peerPublicKey: [UInt8]
        var peerPrivateKey: [UInt8]?
        var shared: [UInt8]
        var testDescription: String { "random #\(index) (\(kind))" }
    }

    static func root() -> [String: Any] {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Vectors/x25519.json")
        guard let data = try? Data(contentsOf: url),
              let root = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
        else { return [:] }
        return root
    }

    static func field(_ entry: [String: Any], _ name: String) -> [UInt8]? {
        (entry[name] as? String).flatMap(bytes(hex:))
    }

    static func rfcVectors() -> [Vector] {
        let entries = root()["rfc7748_section5_2"] as? [[String: Any]] ?? []
        return entries.compactMap { entry in
            guard let scalar = field(entry, "scalar"), let point = field(entry, "u"),
                  let output = field(entry, "output")
            else { return nil }
            let label = entry["name"] as? String ?? "RFC 7748 5.2"
            return Vector(label: label, scalar: scalar, point: point, output: output)
        }
    }

    static func noncanonicalVectors() -> [Vector] {
        let entries = root()["noncanonical_u"] as? [[String: Any]] ?? []
        return entries.enumerated().compactMap { index, entry in
            guard let scalar = field(entry, "private"), let point = field(entry, "u"),
                  let output = field(entry, "shared")
            else { return nil }
            return Vector(label: "noncanonical u #\(index) \(hex(point))", scalar: scalar, point: point, output: output)
        }
    }

    static func randomCases() -> [RandomCase] {
        let entries = root()["random"] as? [[String: Any]] ?? []
        return entries.enumerated().compactMap { index, entry in
            guard let privateKey = field(entry, "private"), let publicKey = field(entry, "public"),
                  let peerPublicKey = field(entry, "peer_public"), let shared = field(entry, "shared"),
                  let kind = entry["kind"] as? String
            else { return nil }
            return RandomCase(index: index, kind: kind, privateKey: privateKey, publicKey: publicKey,
                              peerPublicKey: peerPublicKey, peerPrivateKey: field(entry, "peer_private"),
                              shared: shared)
        }
    }

    static func iteratedResult(_ iterations: Int) -> [UInt8]? {
        let iterated = root()["rfc7748_iterated"] as? [String: Any]
        let results = iterated?["results"] as? [[String: Any]] ?? []
        return results.first { $0["iterations"] as? Int == iterations }.flatMap { field($0, "k") }
    }

    @Test("the vector file is there, every group complete")
    func vectorsPresent() {
        #expect(Self.rfcVectors().count == 2)
        #expect(Self.noncanonicalVectors().count == 6)
        #expect(Self.randomCases().count == 200)
        #expect(Self.randomCases().filter { $0.peerPublicKey[31] & 0x80 != 0 }.count == 50)
        #expect(Self.randomCases().filter { $0.peerPrivateKey != nil }.count == 125)
        for iterations in [1, 1000, 1_000_000] { #expect(Self.iteratedResult(iterations) != nil) }
    }

    @Test("RFC 7748 §5.2 test vectors", arguments: rfcVectors())
    func rfcVector(_ vector: Vector) {
        #expect(X25519.scalarMultiply(scalar: vector.scalar, point: vector.point) == vector.output)
    }

    @Test("RFC 7748 §6.1 Diffie-Hellman: both public keys and the shared secret from both sides")
    func rfcDiffieHellman() throws {
        let example = try #require(Self.root()["rfc7748_section6_1"] as? [String: Any])
        let alicePrivate = try #require(Self.field(example, "alice_private"))
        let bobPrivate = try #require(Self.field(example, "bob_private"))
        let alicePublic = X25519.publicKey(privateKey: alicePrivate)
        let bobPublic = X25519.publicKey(privateKey: bobPrivate)
        #expect(alicePublic == Self.field(example, "alice_public"))
        #expect(bobPublic == Self.field(example, "bob_public"))
        #expect(X25519.sharedSecret(privateKey: alicePrivate, publicKey: bobPublic) == Self.field(example, "shared"))
        #expect(X25519.sharedSecret(privateKey: bobPrivate, publicKey: alicePublic) == Self.field(example, "shared"))
    }

    /// RFC 7748 §5.2's iterated test: k = u = 9, then k, u = X25519(k, u), k.
    static func iterate(_ iterations: Int) -> [UInt8]? {
        var k: [UInt8] = [9] + [UInt8](repeating: 0, count: 31)
        var u = k
        for _ in 0..<iterations {
            guard let next = X25519.scalarMultiply(scalar: k, point: u) else { return nil }
            u = k
            k = next
        }
        return k
    }

    @Test("RFC 7748 §5.2 iterated test, 1 and 1,000 iterations", arguments: [1, 1000])
    func iterated(iterations: Int) throws {
        let expected = try #require(Self.iteratedResult(iterations))
        #expect(Self.iterate(iterations) == expected)
    }

    @Test("RFC 7748 §5.2 iterated test, 1,000,000 iterations (set PEER_SLOW_TESTS=1)",
          .enabled(if: ProcessInfo.processInfo.environment["PEER_SLOW_TESTS"] == "1"))
    func iteratedMillion() throws {
        let expected = try #require(Self.iteratedResult(1_000_000))
        #expect(Self.iterate(1_000_000) == expected)
    }

    @Test("random keys: public key, shared secret, and the peer's side of it", arguments: randomCases())
    func random(_ vector: RandomCase) {
        #expect(X25519.publicKey(privateKey: vector.privateKey) == vector.publicKey)
        #expect(X25519.sharedSecret(privateKey: vector.privateKey, publicKey: vector.peerPublicKey) == vector.shared)
        if let peerPrivateKey = vector.peerPrivateKey {
            #expect(X25519.sharedSecret(privateKey: peerPrivateKey, publicKey: vector.publicKey) == vector.shared)
        }
    }

    @Test("non-canonical u (p and above, with and without bit 255) is reduced", arguments: noncanonicalVectors())
    func noncanonical(_ vector: Vector) {
        #expect(X25519.scalarMultiply(scalar: vector.scalar, point: vector.point) == vector.output)
    }

    @Test("a scalar or a point of the wrong length gives nil", arguments: [0, 1, 31, 33, 64])
    func wrongLength(count: Int) {
        let good = [UInt8](repeating: 0x55, count: 32)
        let wrong = [UInt8](repeating: 0x55, count: count)
        #expect(X25519.scalarMultiply(scalar: wrong, point: good) == nil)
        #expect(X25519.scalarMultiply(scalar: good, point: wrong) == nil)
        #expect(X25519.sharedSecret(privateKey: good, publicKey: wrong) == nil)
    }

    /// u-coordinates of points of order 1, 2, 4 and 8 (and their non-canonical spellings), as in libsodium's list
    /// of small-order points: every scalar multiple of them is the point at infinity, encoded as u = 0.
    static let smallOrderPoints: [String] = [
        "0000000000000000000000000000000000000000000000000000000000000000",  // 0: order 4 (and infinity)
        "0100000000000000000000000000000000000000000000000000000000000000",  // 1: order 4
        "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",  // order 8
        "5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",  // order 8
        "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",  // p - 1: order 2
        "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",  // p, non-canonical 0
        "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",  // p + 1, non-canonical 1
        "0000000000000000000000000000000000000000000000000000000000000080",  // 0 with bit 255 set
        "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b880",  // order 8 with bit 255 set
        "5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f11d7",  // order 8 with bit 255 set
    ]

    @Test("a small-order public key gives no shared secret", arguments: smallOrderPoints)
    func smallOrder(pointHex: String) throws {
        let point = try #require(bytes(hex: pointHex))
        let privateKeys = [[UInt8](repeating: 0x11, count: 32), [UInt8](repeating: 0xFF, count: 32)]
            + (0..<3).map { _ in X25519.newPrivateKey() }
        for privateKey in privateKeys {
            #expect(X25519.scalarMultiply(scalar: privateKey, point: point) == [UInt8](repeating: 0, count: 32))
            #expect(X25519.sharedSecret(privateKey: privateKey, publicKey: point) == nil)
        }
    }

    @Test("both sides reach the same secret, over 100 random key pairs")
    func agreement() {
        for _ in 0..<100 {
            let alicePrivate = X25519.newPrivateKey(), bobPrivate = X25519.newPrivateKey()
            let alicePublic = X25519.publicKey(privateKey: alicePrivate)
            let bobPublic = X25519.publicKey(privateKey: bobPrivate)
            let fromAlice = X25519.sharedSecret(privateKey: alicePrivate, publicKey: bobPublic)
            let fromBob = X25519.sharedSecret(privateKey: bobPrivate, publicKey: alicePublic)
            #expect(fromAlice != nil)
            #expect(fromAlice == fromBob)
        }
    }

    @Test("private keys and random bytes: the length asked for, and not the same twice")
    func randomness() {
        #expect(X25519.newPrivateKey().count == X25519.keyBytes)
        #expect(X25519.newPrivateKey() != X25519.newPrivateKey())
        for count in [0, 1, 7, 8, 9, 33, 1000] { #expect(RandomBytes.make(count: count).count == count) }
        #expect(RandomBytes.make(count: 64) != RandomBytes.make(count: 64))
    }

    /// p = 2^255 - 19, little-endian.
    static let prime: [UInt8] = [0xED] + [UInt8](repeating: 0xFF, count: 30) + [0x7F]

    @Test("field elements come out canonical: p + k encodes as k, with or without bit 255")
    func canonicalEncoding() {
        for k in 0..<19 {
            var spelled = Self.prime
            spelled[0] &+= UInt8(k)
            let expected = [UInt8(k)] + [UInt8](repeating: 0, count: 31)
            #expect(Field25519(bytes: spelled).encoded() == expected)
            spelled[31] |= 0x80
            #expect(Field25519(bytes: spelled).encoded() == expected)
        }
        // Sums and differences are not carried: 0 - 1 + 1 holds 2p in its limbs, and must still encode as 0.
        let minusOne = Field25519.zero - Field25519.one
        var pMinusOne = Self.prime
        pMinusOne[0] = 0xEC
        #expect(minusOne.encoded() == pMinusOne)
        #expect((minusOne + Field25519.one).encoded() == [UInt8](repeating: 0, count: 32))
    }

    @Test("field inversion: x · 1/x = 1, and 1/0 = 0")
    func inversion() {
        #expect(Field25519.zero.inverse().encoded() == [UInt8](repeating: 0, count: 32))
        for _ in 0..<20 {
            var spelled = RandomBytes.make(count: 32)
            spelled[31] &= 0x7F
            let element = Field25519(bytes: spelled)
            #expect((element * element.inverse()).encoded() == Field25519.one.encoded())
        }
    }
}
