import Dispatch
import Glibc
@testable import PeerIdentity
import Testing

/// Trust on first use: pin, recognise, refuse a changed key, forget; damaged lines survive every rewrite.
struct KnownPeersTests {
    private let bobKey = [UInt8](repeating: 0xB0, count: 32)
    private let otherKey = [UInt8](repeating: 0x0E, count: 32)
    private let june = 1_748_779_200  // 2025-06-01T12:00:00Z

    @Test("pin a new name, then the same key again, then a different one: pinned, already, changed (kept)")
    func pinSameDifferent() throws {
        let temporary = try TemporaryDirectory()
        var known = try KnownPeers.load(from: temporary.file("known-peers"))
        #expect(known.lookup("bob") == nil)
        #expect(try known.pin("bob", publicKey: bobKey, now: june) == .pinned)
        #expect(known.lookup("bob") == bobKey)
        #expect(modeOf(temporary.file("known-peers")) == 0o600)
        let written = try #require(temporary.read("known-peers"))
        #expect(written == KnownPeers.fileHeader + "\n"
                + "bob \(Hex.encode(bobKey)) 2025-06-01T12:00:00Z # \(Fingerprint(publicKey: bobKey))\n")

        #expect(try known.pin("bob", publicKey: bobKey, now: june + 60) == .alreadyPinned)
        let outcome = try known.pin("bob", publicKey: otherKey, now: june + 120)
        guard case .keyChanged(let pinned) = outcome else {
            Issue.record("expected keyChanged, got \(outcome)")
            return
        }
        #expect(pinned.publicKey == bobKey)
        #expect(pinned.firstSeen == "2025-06-01T12:00:00Z")
        #expect(known.lookup("bob") == bobKey)
        #expect(temporary.read("known-peers") == written)  // never silently replaced
        // A fresh load sees the same.
        #expect(try KnownPeers.load(from: temporary.file("known-peers")).lookup("bob") == bobKey)
    }

    @Test("forget removes the name and says what it removed; an unknown name changes nothing")
    func forget() throws {
        let temporary = try TemporaryDirectory()
        var known = try KnownPeers.load(from: temporary.file("known-peers"))
        #expect(try known.pin("bob", publicKey: bobKey, now: june) == .pinned)
        #expect(try known.pin("carol", publicKey: otherKey, now: june) == .pinned)
        let removed = try known.forget("bob")
        #expect(removed.map(\.name) == ["bob"])
        #expect(removed.first?.publicKey == bobKey)
        #expect(known.lookup("bob") == nil)
        #expect(known.lookup("carol") == otherKey)
        let afterForget = temporary.read("known-peers")
        #expect(try known.forget("bob").isEmpty)
        #expect(temporary.read("known-peers") == afterForget)
        // After forgetting, the next key for the name is a first contact again.
        #expect(try known.pin("bob", publicKey: otherKey, now: june) == .pinned)
        #expect(known.lookup("bob") == otherKey)
    }

    @Test("damaged lines are reported, never used, and kept verbatim through pin and forget")
    func malformedLinesSurvive() throws {
        let temporary = try TemporaryDirectory()
        let damaged = [
            "garbage without enough fields",
            "mallory \(String(repeating: "zz", count: 32)) 2025-06-01T12:00:00Z",
            "eve \(Hex.encode(otherKey)) yesterday",
            "trent \(Hex.encode(otherKey)) 2025-06-01T12:00:00Z not-a-comment",
            "bad%2 \(Hex.encode(otherKey)) 2025-06-01T12:00:00Z",
            "\u{1B}[2J \(Hex.encode(otherKey)) 2025-06-01T12:00:00Z # a comment that is fine",
        ]
        let good = "carol \(Hex.encode(otherKey)) 2025-06-01T12:00:00Z # any comment"
        let duplicate = "carol \(Hex.encode(bobKey)) 2025-06-02T12:00:00Z"
        let original = ([damaged[0], damaged[1], good, "", "# a comment", damaged[2], damaged[3], damaged[4], duplicate]
                        + [damaged[5]]).joined(separator: "\n") + "\n"
        let path = try temporary.write("known-peers", original)
        var known = try KnownPeers.load(from: path)
        #expect(known.entries.map(\.name) == ["carol", "\u{1B}[2J"])
        #expect(known.lookup("carol") == otherKey)  // the first line for a name is the one used
        #expect(known.problems.map(\.lineNumber) == [1, 2, 6, 7, 8, 9])
        #expect(known.problems.map(\.line) == Array(damaged.prefix(5)) + [duplicate])
        #expect(known.problems.last?.reason.contains("line 3 is the one used") == true)

        #expect(try known.pin("bob", publicKey: bobKey, now: june) == .pinned)
        let afterPin = try #require(temporary.read("known-peers"))
        #expect(afterPin.hasPrefix(original))
        #expect(known.problems.count == 6)

        #expect(try known.forget("carol").count == 2)  // the line in use and its duplicate
        let afterForget = try #require(temporary.read("known-peers"))
        for line in damaged.prefix(5) { #expect(afterForget.contains(line + "\n"), "\(line)") }
        #expect(!afterForget.contains("carol"))
        #expect(known.lookup("bob") == bobKey)
        #expect(known.problems.count == 5)
    }

    @Test("names with %, #, spaces or controls are escaped in the file and read back as they were",
          arguments: ["#hash", "50%", "a b", "tab\there", "Zoë", "bidi\u{202E}", "%23", "line\u{2028}break",
                      "next\u{85}line", "cr\rlf\n", "\u{301}combining", "e\u{301} \u{301}"])
    func escapedNames(name: String) throws {
        let temporary = try TemporaryDirectory()
        var known = try KnownPeers.load(from: temporary.file("known-peers"))
        #expect(try known.pin(name, publicKey: bobKey, now: june) == .pinned)
        let reloaded = try KnownPeers.load(from: temporary.file("known-peers"))
        #expect(reloaded.problems.isEmpty)
        #expect(reloaded.entries.map(\.name) == [name])
        let lines = try #require(temporary.read("known-peers")).utf8.split(separator: UInt8(ascii: "\n"))
        #expect(lines.count == 2)  // the header and the name's line
        let line = try #require(lines.last)
        #expect(line.split(separator: UInt8(ascii: " ")).count == 5)  // name key time # fingerprint
        #expect(line.first != UInt8(ascii: "#"))
    }

    @Test("a known-peers file others may write, or a link in its place, is refused")
    func refusedFiles() throws {
        let temporary = try TemporaryDirectory()
        let path = try temporary.write("known-peers", "", mode: 0o664)
        #expect {
            try KnownPeers.load(from: path)
        } throws: { error in
            (error as? StateFileError)?.reason == .exposed
                && (error as? StateFileError)?.message.hasSuffix("run chmod 600 \(path)") == true
        }
        chmod(path, 0o644)  // readable by others is fine: it holds public keys
        #expect(try KnownPeers.load(from: path).entries.isEmpty)
        let link = temporary.file("link")
        symlink(path, link)
        #expect(throws: StateFileError.self) { try KnownPeers.load(from: link) }
        var known = KnownPeers(path: link, text: "")
        #expect(throws: StateFileError.self) { try known.pin("bob", publicKey: bobKey) }
    }

    @Test("pin reads the file again: a key pinned by another value (another process) is not overwritten")
    func pinRereads() throws {
        let temporary = try TemporaryDirectory()
        var first = try KnownPeers.load(from: temporary.file("known-peers"))
        var second = try KnownPeers.load(from: temporary.file("known-peers"))
        #expect(try first.pin("bob", publicKey: bobKey, now: june) == .pinned)
        #expect(try second.pin("bob", publicKey: otherKey, now: june) != .pinned)
        #expect(try second.pin("carol", publicKey: otherKey, now: june) == .pinned)
        #expect(second.lookup("bob") == bobKey)
        let final = try KnownPeers.load(from: temporary.file("known-peers"))
        #expect(final.entries.map(\.name) == ["bob", "carol"])
    }

    @Test("pins from several threads at once are all kept (the directory lock)")
    func concurrentPins() throws {
        let temporary = try TemporaryDirectory()
        let path = temporary.file("known-peers")
        DispatchQueue.concurrentPerform(iterations: 4) { worker in
            var known = KnownPeers(path: path, text: "")
            for index in 0..<15 {
                _ = try? known.pin("w\(worker)-\(index)", publicKey: [UInt8](repeating: UInt8(worker), count: 32))
            }
        }
        let final = try KnownPeers.load(from: path)
        #expect(final.entries.count == 60)
        #expect(final.problems.isEmpty)
    }

    @Test("first-seen is UTC in ISO 8601")
    func timestamps() {
        #expect(KnownPeers.timestamp(0) == "1970-01-01T00:00:00Z")
        #expect(KnownPeers.timestamp(june) == "2025-06-01T12:00:00Z")
        #expect(KnownPeers.timestamp(951_827_696) == "2000-02-29T12:34:56Z")
    }
}
