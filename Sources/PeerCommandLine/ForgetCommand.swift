import Glibc
import Peer
import PeerIdentity

/// `peer forget NAME`: removes NAME's pinned key from a name's known peers, so the next key NAME shows is
/// pinned as a first contact. Says what it removed on stdout; exits 1 when there was nothing to remove.
enum ForgetCommand {
    static func run(_ options: ForgetOptions) -> Int32 {
        do throws(StateFileError) {
            let directory = try StateDirectory.forName(options.name, environment: StateEnvironment.current())
            var known = try KnownPeers.load(from: directory.knownPeersPath)
            let removed = try known.forget(options.peer)
            for problem in known.problems {
                CommandLineTool.printError("peer: \(known.path) line \(problem.lineNumber) is not used and was kept "
                                           + "as it is (\(problem.reason)): \(SafeText.visible(problem.line))")
            }
            guard let used = removed.first else {
                CommandLineTool.printError("peer: \(options.peer) is not among \(options.name)'s known peers "
                                           + "(\(known.path)); nothing removed")
                return 1
            }
            var report = "removed \(options.peer) from \(options.name)'s known peers: key \(used.fingerprint), "
                + "first seen \(used.firstSeen)"
            if removed.count > 1 { report += " (and \(removed.count - 1) more line(s) for the same name)" }
            writeAll(STDOUT_FILENO, Array((report + "\n").utf8))
            return 0
        } catch {
            return CommandLineTool.refusedFile(error)
        }
    }
}
