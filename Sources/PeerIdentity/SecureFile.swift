import Glibc

/// Reading and writing the small files of the state directory so that a crash, a second process or another
/// user cannot leave them half-written, swapped for a link, or readable by others.
enum SecureFile {
    /// Mode bits that make a secret file (identity, pre-shared key) readable or writable by someone else.
    static let notOwnerBits: mode_t = 0o077
    /// Mode bits that let someone else change a file (known peers: public, but it decides whom we trust).
    static let othersWriteBits: mode_t = 0o022

    /// The file's text, or nil when it does not exist. Refused: anything but a regular file (a symbolic link
    /// included, so nobody can point the file elsewhere), a file with any of `refusedModes` set (the sentence
    /// says `chmod 600`), more than `maxBytes` bytes, or bytes that are not UTF-8. `what` names the file in
    /// sentences ("identity file").
    static func read(_ path: String, what: String, refusedModes: mode_t, maxBytes: Int) throws(StateFileError)
        -> String? {
        // O_NONBLOCK: opening a FIFO someone put there must not hang; it is refused below like any non-file.
        let descriptor = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
        guard descriptor >= 0 else {
            let error = errno
            if error == ENOENT { return nil }
            if error == ELOOP, isSymbolicLink(path) {
                throw StateFileError(.notRegularFile, "\(what) \(path) is a symbolic link, not a regular file; "
                                     + "give the file it points to instead")
            }
            throw StateFileError(.system, "cannot read \(what) \(path): \(describe(error))")
        }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            throw StateFileError(.system, "cannot read \(what) \(path): \(describe(errno))")
        }
        let type = status.st_mode & S_IFMT
        guard type == S_IFREG else {
            let kind = type == S_IFDIR ? "a directory" : "not a regular file"
            throw StateFileError(.notRegularFile, "\(what) \(path) is \(kind); move it away or give another file")
        }
        let mode = status.st_mode & 0o7777
        guard mode & refusedModes == 0 else {
            let access = mode & refusedModes & 0o044 != 0 ? "readable" : "writable"
            throw StateFileError(.exposed, "\(what) \(path) is \(access) by other users (mode \(octal(mode))); "
                                 + "run chmod 600 \(path)")
        }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        defer {
            Hex.wipe(&chunk)
            Hex.wipe(&bytes)
        }
        while true {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw StateFileError(.system, "cannot read \(what) \(path): \(describe(errno))")
            }
            if count == 0 { break }
            guard bytes.count + count <= maxBytes else {
                throw StateFileError(.malformed, "\(what) \(path) is larger than \(maxBytes) bytes, so it is not one "
                                     + "peer writes")
            }
            bytes.append(contentsOf: chunk[0..<count])
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw StateFileError(.malformed, "\(what) \(path) is not text (it is not valid UTF-8)")
        }
        return text
    }

    /// Writes `text` to `path` so that readers see the old file or the new one, never a part: a temporary file
    /// beside it, created mode 0600, written, flushed to disk, then put in place, and the directory flushed too.
    /// With `replace` false an existing `path` is never touched (the temporary file is linked into place, which
    /// fails if the name exists, rather than renamed over it) and the result is false; otherwise true.
    @discardableResult
    static func write(_ text: String, to path: String, what: String, replace: Bool) throws(StateFileError) -> Bool {
        let directory = parentDirectory(of: path)
        let temporary = "\(path).tmp-\(getpid())-\(String(UInt32.random(in: .min ... .max), radix: 16))"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw StateFileError(.system, "cannot create \(what) \(path): \(describe(errno))")
        }
        var published = false
        defer { if !published { unlink(temporary) } }
        var bytes = Array(text.utf8)
        defer { Hex.wipe(&bytes) }
        // fchmod: the umask may have narrowed 0600 further; the file must be exactly ours to read.
        let written = fchmod(descriptor, 0o600) == 0 && writeAll(descriptor, bytes) && fsync(descriptor) == 0
        let writeError = errno
        guard close(descriptor) == 0, written else {
            throw StateFileError(.system, "cannot write \(what) \(path): \(describe(written ? errno : writeError))")
        }
        if replace {
            guard rename(temporary, path) == 0 else {
                throw StateFileError(.system, "cannot write \(what) \(path): \(describe(errno))")
            }
            published = true
        } else {
            guard link(temporary, path) == 0 else {
                let error = errno
                if error == EEXIST { return false }
                throw StateFileError(.system, "cannot create \(what) \(path): \(describe(error))")
            }
            unlink(temporary)
            published = true
        }
        // The new name is durable only once the directory entry is on disk too.
        let directoryDescriptor = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if directoryDescriptor >= 0 {
            _ = fsync(directoryDescriptor)
            close(directoryDescriptor)
        }
        return true
    }

    /// The directory holding `path`: everything before its last `/`, `/` for a file at the root, `.` for a
    /// bare name.
    static func parentDirectory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        let parent = String(path[..<slash])
        return parent.isEmpty ? "/" : parent
    }

    /// The system's sentence for an errno value, e.g. "Permission denied".
    static func describe(_ error: Int32) -> String {
        String(cString: strerror(error))
    }

    /// A mode as `ls` and `chmod` write it: four octal digits, e.g. 0644.
    static func octal(_ mode: mode_t) -> String {
        let digits = String(mode, radix: 8)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }

    private static func isSymbolicLink(_ path: String) -> Bool {
        var status = stat()
        return lstat(path, &status) == 0 && status.st_mode & S_IFMT == S_IFLNK
    }

    private static func writeAll(_ descriptor: Int32, _ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let count = bytes.withUnsafeBytes { raw in
                Glibc.write(descriptor, raw.baseAddress.map { $0 + offset }, raw.count - offset)
            }
            if count < 0 {
                if errno == EINTR { continue }
                return false
            }
            offset += count
        }
        return true
    }
}
