import Glibc
@testable import PeerIdentity
import Testing

/// `peer keygen --psk`'s format and reading `--psk FILE`.
struct PreSharedKeyTests {
    @Test("a comment line, then 64 lower-case hex digits; each key new; read back the same")
    func formatAndRoundTrip() throws {
        let key = PreSharedKey.generate()
        let lines = key.fileText.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count == 3 && lines[2].isEmpty)
        #expect(lines[0].hasPrefix("# peer pre-shared key v1"))
        #expect(lines[1].count == 64 && lines[1].allSatisfy { "0123456789abcdef".contains($0) })
        #expect(PreSharedKey.generate().bytes != key.bytes)
        let temporary = try TemporaryDirectory()
        let path = try temporary.write("psk", key.fileText)
        #expect(try PreSharedKey.load(from: path).bytes == key.bytes)
        #expect(!"\(key)".contains(lines[1]))
        var dumped = ""
        dump(key, to: &dumped)
        #expect(!dumped.contains("elements"), "\(dumped)")
    }

    @Test("a bare line of hex, in either case, with blank lines around it, is a key")
    func bare() throws {
        let bytes = (0..<32).map { UInt8($0) }
        #expect(try PreSharedKey.parse("\n\(Hex.encode(bytes).uppercased())\n\n", path: "f").bytes == bytes)
    }

    @Test("a file others may read is refused like an identity; a missing one says how to make it")
    func refusedFiles() throws {
        let temporary = try TemporaryDirectory()
        let path = try temporary.write("psk", PreSharedKey.generate().fileText, mode: 0o644)
        #expect {
            try PreSharedKey.load(from: path)
        } throws: { error in
            (error as? StateFileError)?.reason == .exposed
                && (error as? StateFileError)?.message.hasSuffix("run chmod 600 \(path)") == true
        }
        #expect {
            try PreSharedKey.load(from: temporary.file("none"))
        } throws: { error in
            (error as? StateFileError)?.reason == .missing
                && (error as? StateFileError)?.message.contains("peer keygen --psk >") == true
        }
    }

    @Test("anything but exactly one line of 64 hex digits is refused", arguments: [
        "", "# only a comment\n", String(repeating: "a", count: 63), String(repeating: "a", count: 65),
        String(repeating: "g", count: 64), "\(String(repeating: "a", count: 64))\n\(String(repeating: "b", count: 64))",
        "\(String(repeating: "a", count: 32)) \(String(repeating: "a", count: 32))",
    ])
    func malformed(text: String) {
        #expect {
            try PreSharedKey.parse(text, path: "psk-file")
        } throws: { error in
            (error as? StateFileError)?.reason == .malformed
                && (error as? StateFileError)?.message.contains("psk-file") == true
        }
    }
}
