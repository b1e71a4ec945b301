import Glibc
@testable import PeerIdentity
import Testing

/// Where a name's state lives, and that no name can put it anywhere else.
struct StateDirectoryTests {
    @Test("--state-dir wins, then XDG_STATE_HOME/peer/NAME, then HOME/.local/state/peer/NAME")
    func precedence() throws {
        let both = ["XDG_STATE_HOME": "/x/state", "HOME": "/home/a"]
        #expect(try StateDirectory.forName("alice", stateDirectory: "/given", environment: both).path == "/given")
        #expect(try StateDirectory.forName("alice", environment: both).path == "/x/state/peer/alice")
        #expect(try StateDirectory.forName("alice", environment: ["HOME": "/home/a"]).path
                == "/home/a/.local/state/peer/alice")
        #expect(try StateDirectory.forName("alice", environment: ["HOME": "/home/a/"]).path
                == "/home/a/.local/state/peer/alice")
        // The XDG rule: a relative or empty value is ignored.
        #expect(try StateDirectory.forName("alice", environment: ["XDG_STATE_HOME": "rel", "HOME": "/h"]).path
                == "/h/.local/state/peer/alice")
        #expect(try StateDirectory.forName("alice", environment: ["XDG_STATE_HOME": "", "HOME": "/h"]).path
                == "/h/.local/state/peer/alice")
        let directory = try StateDirectory.forName("bob", environment: ["HOME": "/h"])
        #expect(directory.identityPath == "/h/.local/state/peer/bob/identity")
        #expect(directory.knownPeersPath == "/h/.local/state/peer/bob/known-peers")
    }

    @Test("no usable XDG_STATE_HOME or HOME: a sentence, not a guess")
    func noHome() {
        #expect {
            try StateDirectory.forName("alice", environment: ["HOME": "relative"])
        } throws: { error in
            (error as? StateFileError)?.reason == .noStateDirectory
                && (error as? StateFileError)?.message.contains("HOME") == true
        }
    }

    @Test("a name that would leave peer/ is refused, with a sentence naming it",
          arguments: ["..", ".", "", "../escape", "a/b", "/abs", "a\u{0}b", String(repeating: "n", count: 256)])
    func unsafeNames(name: String) {
        #expect {
            try StateDirectory.forName(name, environment: ["HOME": "/h"])
        } throws: { error in
            guard let error = error as? StateFileError else { return false }
            return error.reason == .unsafeName && error.message.contains("choose another --name")
                && error.message.contains(name.debugDescription)
        }
    }

    @Test("names the command line allows, odd ones included, stay one directory below peer/",
          arguments: ["alice", "Zoë", "...", ".hidden", "-dash", "a..b", "%#", "🚀"])
    func safeNames(name: String) throws {
        #expect(try StateDirectory.forName(name, environment: ["HOME": "/h"]).path == "/h/.local/state/peer/\(name)")
    }

    @Test("create makes every missing directory 0700 and accepts an existing one")
    func create() throws {
        let temporary = try TemporaryDirectory()
        let directory = try StateDirectory.forName("alice", environment: ["HOME": temporary.path])
        try directory.create()
        for created in [".local", ".local/state", ".local/state/peer", ".local/state/peer/alice"] {
            #expect(modeOf(temporary.file(created)) == 0o700, "\(created)")
        }
        try directory.create()  // again: nothing to do, no error
    }

    @Test("a state directory others can write to, or a file in its place, is refused")
    func refusedDirectories() throws {
        let temporary = try TemporaryDirectory()
        let open = temporary.file("open")
        mkdir(open, 0o700)
        chmod(open, 0o777)
        #expect {
            try StateDirectory(path: open).create()
        } throws: { error in
            (error as? StateFileError)?.reason == .exposed
                && (error as? StateFileError)?.message.contains("chmod 700 \(open)") == true
        }
        let file = try temporary.write("file", "not a directory")
        #expect(throws: StateFileError.self) { try StateDirectory(path: file).create() }
    }
}
