import Glibc
import PeerIdentity

/// `peer keygen --psk`: prints a new pre-shared key in the format `--psk FILE` reads.
enum KeygenCommand {
    static func run() -> Int32 {
        // `peer keygen --psk > FILE` makes FILE with the umask's mode, often 0644, which `--psk` then refuses as
        // readable by others: a redirected file is made 0600 before the key is in it, or nothing is written.
        var status = stat()
        if fstat(STDOUT_FILENO, &status) == 0, status.st_mode & S_IFMT == S_IFREG,
           status.st_mode & 0o077 != 0, fchmod(STDOUT_FILENO, 0o600) != 0 {
            let reason = String(cString: strerror(errno))
            return CommandLineTool.refusedFile(StateFileError(
                .system, "cannot make the output file private (chmod 600: \(reason)); no key was written"))
        }
        let key = PreSharedKey.generate()
        guard writeCompletely(STDOUT_FILENO, Array(key.fileText.utf8)) else {
            return CommandLineTool.refusedFile(StateFileError(
                .system, "cannot write the key to stdout: \(String(cString: strerror(errno)))"))
        }
        return 0
    }
}
