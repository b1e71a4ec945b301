import Foundation
import PeerCrypto
import Testing

/// HMAC-BLAKE2s against Python's `hmac` + `hashlib.blake2s` (cross-checked with pyca/cryptography), and Noise's
/// HKDF against noiseprotocol's own `hkdf()` (cross-checked with a direct HMAC computation). Vectors in `Vectors/`.
struct HMACBLAKE2sTests {
    struct MACVector: Sendable, CustomTestStringConvertible {
        var key: [UInt8]
        var data: [UInt8]
        var mac: [UInt8]
        var testDescription: String { "key \(key.count) B, data \(data.count) B" }
    }

    struct HKDFVector: Sendable, CustomTestStringConvertible {
        var chainingKey: [UInt8]
        var inputKeyMaterial: [UInt8]
        var outputs: [[UInt8]]
        var testDescription: String { "ikm \(inputKeyMaterial.count) B, \(outputs.count) outputs" }
    }

    static func entries(file: String, group: String) -> [[String: Any]] {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Vectors/\(file)")
        guard let data = try? Data(contentsOf: url),
              let root = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let entries = root[group] as? [[String: Any]]
        else { return [] }
        return entries
    }

    static let macVectors: [MACVector] = entries(file: "blake2s.json", group: "hmac_blake2s").compactMap { entry in
        guard let key = (entry["key"] as? String).flatMap(bytes(hex:)),
              let data = (entry["data"] as? String).flatMap(bytes(hex:)),
              let mac = (entry["mac"] as? String).flatMap(bytes(hex:))
        else { return nil }
        return MACVector(key: key, data: data, mac: mac)
    }

    static let hkdfVectors: [HKDFVector] = entries(file: "hkdf-blake2s.json", group: "hkdf_blake2s").compactMap {
        guard let chainingKey = ($0["chaining_key"] as? String).flatMap(bytes(hex:)),
              let inputKeyMaterial = ($0["input_key_material"] as? String).flatMap(bytes(hex:)),
              let outputs = ($0["outputs"] as? [String])?.compactMap(bytes(hex:))
        else { return nil }
        return HKDFVector(chainingKey: chainingKey, inputKeyMaterial: inputKeyMaterial, outputs: outputs)
    }

    @Test("the vector files are there, every case parsed")
    func vectorsPresent() {
        #expect(Self.macVectors.count == 20)
        #expect(Self.hkdfVectors.count == 40)
        #expect(Self.macVectors.contains { $0.key.count > HMACBLAKE2s.blockBytes })
        #expect(Self.macVectors.contains { $0.key.isEmpty })
    }

    @Test("HMAC-BLAKE2s: independent vectors (keys 0 to 100 bytes, around the 64-byte block)", arguments: macVectors)
    func mac(_ vector: MACVector) {
        #expect(HMACBLAKE2s.authenticate(key: vector.key, message: vector.data) == vector.mac)
    }

    @Test("HMAC-BLAKE2s is not BLAKE2s's own keyed mode")
    func notKeyedBLAKE2s() {
        let key = Array(0..<UInt8(32)), message = Array("noise".utf8)
        #expect(HMACBLAKE2s.authenticate(key: key, message: message) != BLAKE2s.hash(message, key: key))
    }

    @Test("Noise's HKDF: 2 and 3 outputs against noiseprotocol's hkdf()", arguments: hkdfVectors)
    func hkdf(_ vector: HKDFVector) {
        let derived = HKDF.derive(chainingKey: vector.chainingKey, inputKeyMaterial: vector.inputKeyMaterial,
                                  outputs: vector.outputs.count)
        #expect(derived == vector.outputs)
    }

    @Test("the first outputs of a 3-output HKDF are the 2-output HKDF")
    func hkdfPrefix() {
        let chainingKey = [UInt8](repeating: 7, count: 32), material = [UInt8](repeating: 9, count: 32)
        let three = HKDF.derive(chainingKey: chainingKey, inputKeyMaterial: material, outputs: 3)
        let two = HKDF.derive(chainingKey: chainingKey, inputKeyMaterial: material, outputs: 2)
        #expect(Array(three.prefix(2)) == two)
        #expect(Set(three).count == 3)
    }

    @Test("Secret.wipe zeroes the bytes in place")
    func wipe() {
        var key: [UInt8] = Array(1...32)
        Secret.wipe(&key)
        #expect(key == [UInt8](repeating: 0, count: 32))
        #expect(Secret(Array(1...5)).bytes == [1, 2, 3, 4, 5])
    }
}
