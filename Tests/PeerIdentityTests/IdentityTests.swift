import Foundation
import Glibc
@testable import PeerIdentity
import Testing

/// The identity file: created once, read back the same, refused with one sentence when unsafe or damaged.
struct IdentityTests {
    private let key = (0..<32).map { UInt8(truncatingIfNeeded: $0 &* 13 &+ 1) }

    private func text(privateKey: String? = nil, extra: String = "") -> String {
        "peer identity v1\nprivate-key \(privateKey ?? Hex.encode(key))\n\(extra)"
    }

    @Test("created on first use (0600, versioned text), then loaded with the same key, never overwritten")
    func createThenReload() throws {
        let temporary = try TemporaryDirectory()
        let path = temporary.file("identity")
        let first = try Identity.loadOrCreate(at: path)
        #expect(first.created)
        #expect(modeOf(path) == 0o600)
        let written = try #require(temporary.read("identity"))
        #expect(written.hasPrefix("peer identity v1\n"))
        #expect(written.contains("private-key \(Hex.encode(first.identity.privateKey))\n"))
        #expect(written.contains("public-key \(Hex.encode(first.identity.publicKey))\n"))
        let second = try Identity.loadOrCreate(at: path)
        #expect(!second.created)
        #expect(second.identity.privateKey == first.identity.privateKey)
        #expect(second.identity.publicKey == first.identity.publicKey)
        #expect(second.identity.fingerprint == first.identity.fingerprint)
        #expect(temporary.read("identity") == written)
        // No temporary file is left beside it.
        #expect(try FileManager.default.contentsOfDirectory(atPath: temporary.path) == ["identity"])
    }

    @Test("the public key is X25519's: RFC 7748 section 6.1's Alice, read from an identity file")
    func rfc7748() throws {
        let temporary = try TemporaryDirectory()
        let path = try temporary.write("identity", text(
            privateKey: "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a"))
        let identity = try #require(try Identity.load(from: path))
        #expect(Hex.encode(identity.publicKey) == "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a")
    }

    @Test("creating never replaces a file that appeared meanwhile (another process's identity)")
    func neverOverwrites() throws {
        let temporary = try TemporaryDirectory()
        let path = try temporary.write("identity", text())
        #expect(try SecureFile.write("replacement", to: path, what: "identity file", replace: false) == false)
        #expect(temporary.read("identity") == text())
        #expect(try FileManager.default.contentsOfDirectory(atPath: temporary.path) == ["identity"])
    }

    @Test("two identities created apart differ")
    func fresh() throws {
        #expect(Identity.generate().privateKey != Identity.generate().privateKey)
    }

    @Test("load of a missing file is nil, not an error")
    func missing() throws {
        let temporary = try TemporaryDirectory()
        #expect(try Identity.load(from: temporary.file("none")) == nil)
    }

    @Test("group- or world-readable or -writable: refused with one sentence naming the file and chmod 600",
          arguments: [0o644, 0o640, 0o604, 0o620, 0o602, 0o660, 0o666] as [mode_t])
    func exposedRefused(mode: mode_t) throws {
        let temporary = try TemporaryDirectory()
        let path = try temporary.write("identity", text(), mode: mode)
        #expect {
            try Identity.load(from: path)
        } throws: { error in
            guard let error = error as? StateFileError else { return false }
            let access = mode & 0o044 != 0 ? "readable" : "writable"
            return error.reason == .exposed
                && error.message == "identity file \(path) is \(access) by other users "
                    + "(mode 0\(String(mode, radix: 8))); run chmod 600 \(path)"
        }
        // loadOrCreate refuses too, and leaves the file alone.
        #expect(throws: StateFileError.self) { try Identity.loadOrCreate(at: path) }
        #expect(temporary.read("identity") == text())
        #expect(modeOf(path) == mode)
    }

    @Test("a symbolic link, even to a good 0600 file, is refused; so is a directory and a FIFO (without hanging)")
    func notRegularFiles() throws {
        let temporary = try TemporaryDirectory()
        let target = try temporary.write("real", text())
        let link = temporary.file("link")
        symlink(target, link)
        let directory = temporary.file("directory")
        mkdir(directory, 0o700)
        let fifo = temporary.file("fifo")
        mkfifo(fifo, 0o600)
        let cases = [(link, "is a symbolic link"), (directory, "is a directory"), (fifo, "is not a regular file")]
        for (path, words) in cases {
            #expect {
                try Identity.load(from: path)
            } throws: { error in
                (error as? StateFileError)?.reason == .notRegularFile
                    && (error as? StateFileError)?.message.contains("\(path) \(words)") == true
            }
            #expect(throws: StateFileError.self) { try Identity.loadOrCreate(at: path) }
        }
        #expect(try Identity.load(from: target)?.privateKey == key)
    }

    @Test("damaged or foreign contents are refused with a sentence, never a trap, and never quote the key",
          arguments: [
              ("", "has no \"peer identity v1\" line"),
              ("# only a comment\n", "has no \"peer identity v1\" line"),
              ("private-key 00\n", "is not a peer identity"),
              ("peer identity v2\nprivate-key 00\n", "is of another version"),
              ("peer identity v1\n", "has no private-key line"),
              ("peer identity v1\nprivate-key \(String(repeating: "ab", count: 31))\n", "not 64 hex digits"),
              ("peer identity v1\nprivate-key \(String(repeating: "ab", count: 33))\n", "not 64 hex digits"),
              ("peer identity v1\nprivate-key \(String(repeating: "zz", count: 32))\n", "not 64 hex digits"),
              ("peer identity v1\nprivate-key\n", "damaged line 2"),
              ("peer identity v1\nprivate-key \(String(repeating: "ab", count: 32)) extra\n", "damaged line 2"),
              ("peer identity v1\nprivate-key \(String(repeating: "ab", count: 32))\n"
               + "private-key \(String(repeating: "ab", count: 32))\n", "two private-key lines"),
              ("peer identity v1\nprivate-key \(String(repeating: "ab", count: 32))\n"
               + "public-key \(String(repeating: "cd", count: 32))\n", "not its private key's"),
              ("peer identity v1\nsecret-key \(String(repeating: "ab", count: 32))\n", "unknown line 2"),
          ])
    func malformed(contents: String, words: String) throws {
        let temporary = try TemporaryDirectory()
        let path = try temporary.write("identity", contents)
        #expect {
            try Identity.load(from: path)
        } throws: { error in
            guard let error = error as? StateFileError else { return false }
            return error.reason == .malformed && error.message.hasPrefix("identity file \(path) ")
                && error.message.contains(words)
                && !error.message.contains("abab")
        }
    }

    @Test("bytes that are not UTF-8, and a file far too large, are refused")
    func binary() throws {
        let temporary = try TemporaryDirectory()
        let garbage = try temporary.write("garbage", [0x70, 0xFF, 0xFE, 0x00, 0x80])
        #expect(throws: StateFileError.self) { try Identity.load(from: garbage) }
        let large = try temporary.write("large", text(extra: String(repeating: "#", count: 10_000)))
        #expect {
            try Identity.load(from: large)
        } throws: { error in
            (error as? StateFileError)?.message.contains("larger than") == true
        }
    }

    @Test("comments, blank lines, CRLF, upper-case hex and no public-key line are accepted")
    func lenientReading() throws {
        let temporary = try TemporaryDirectory()
        let contents = "# mine\r\n\r\npeer identity v1\r\n  private-key \(Hex.encode(key).uppercased())  \r\n"
        let path = try temporary.write("identity", contents)
        let identity = try #require(try Identity.load(from: path))
        #expect(identity.privateKey == key)
        #expect(identity.publicKey == Identity(privateKey: key)?.publicKey)
    }

    @Test("printing an identity shows its fingerprint, never its private key")
    func description() throws {
        let identity = try #require(Identity(privateKey: key))
        #expect("\(identity)".contains(identity.fingerprint.description))
        #expect(!"\(identity)".contains(Hex.encode(key)))
        var dumped = ""
        dump(identity, to: &dumped)
        #expect(!dumped.contains("privateKey") && !dumped.contains("elements"), "\(dumped)")
        #expect(dumped.contains(identity.fingerprint.description))
        #expect(Identity(privateKey: Array(key.prefix(31))) == nil)
    }

    @Test("loadOrCreate in a directory that does not exist fails with a sentence, creating nothing")
    func noDirectory() throws {
        let temporary = try TemporaryDirectory()
        #expect {
            try Identity.loadOrCreate(at: temporary.file("missing/identity"))
        } throws: { error in
            (error as? StateFileError)?.reason == .system
                && (error as? StateFileError)?.message.contains("missing/identity") == true
        }
    }
}
