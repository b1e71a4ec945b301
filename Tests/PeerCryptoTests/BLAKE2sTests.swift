import Foundation
import PeerCrypto
import Testing

/// BLAKE2s against RFC 7693's appendix and 100 independent vectors (Python's hashlib, cross-checked with
/// pyca/cryptography), copied into `Vectors/blake2s.json`.
struct BLAKE2sTests {
    struct Vector: Sendable, CustomTestStringConvertible {
        var key: [UInt8]
        var message: [UInt8]
        var digest: [UInt8]
        var testDescription: String { "key \(key.count) B, message \(message.count) B" }
    }

    static func load(_ group: String) -> [Vector] {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Vectors/blake2s.json")
        guard let data = try? Data(contentsOf: url),
              let root = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let entries = root[group] as? [[String: Any]]
        else { return [] }
        return entries.compactMap { entry in
            guard let key = (entry["key"] as? String).flatMap(bytes(hex:)),
                  let message = (entry["message"] as? String).flatMap(bytes(hex:)),
                  let digest = (entry["digest"] as? String).flatMap(bytes(hex:))
            else { return nil }
            return Vector(key: key, message: message, digest: digest)
        }
    }

    @Test("RFC 7693 appendix B: BLAKE2s-256(\"abc\")")
    func rfcExample() {
        #expect(hex(BLAKE2s.hash(Array("abc".utf8)))
                == "508c5e8c327c14e2e1a72ba34eeb452f37458b209ed63a294d999b4c86675982")
    }

    @Test("the vector files are there", arguments: ["known_answers", "unkeyed", "keyed"])
    func vectorsPresent(group: String) {
        #expect(!Self.load(group).isEmpty)
    }

    @Test("independent vectors, unkeyed and keyed", arguments: load("unkeyed") + load("keyed") + load("known_answers"))
    func vector(_ vector: Vector) {
        #expect(BLAKE2s.hash(vector.message, key: vector.key) == vector.digest)
    }

    @Test("fed in pieces, the digest is the same")
    func incremental() {
        let message = (0..<300).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        let key = Array(0..<UInt8(32))
        for split in [0, 1, 63, 64, 65, 128, 299, 300] {
            var hasher = BLAKE2s(key: key)
            hasher.update(message[..<split])
            hasher.update(message[split...])
            #expect(hasher.finalize() == BLAKE2s.hash(message, key: key))
        }
    }
}

func hex(_ bytes: [UInt8]) -> String {
    bytes.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined()
}

func bytes(hex: String) -> [UInt8]? {
    let digits = Array(hex.utf8)
    guard digits.count % 2 == 0 else { return nil }
    var result: [UInt8] = []
    var index = 0
    while index < digits.count {
        guard let pair = UInt8(String(decoding: digits[index..<index + 2], as: UTF8.self), radix: 16) else { return nil }
        result.append(pair)
        index += 2
    }
    return result
}
