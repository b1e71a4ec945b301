import Glibc
import Synchronization

/// Buffered, thread-safe writing of whole lines to a file descriptor: one `write(2)` per batch rather than per
/// line, flushed whenever the protocol thread goes idle so nothing waits behind the buffer.
final class LineWriter: Sendable {
    private let descriptor: Int32
    private let ownsDescriptor: Bool
    private let buffer = Mutex<[UInt8]>([])

    /// Writes to an open descriptor (1 for stdout, 2 for stderr).
    init(descriptor: Int32) {
        self.descriptor = descriptor
        ownsDescriptor = false
    }

    /// Creates (or truncates) `path` for writing; nil with the reason when it cannot.
    init(path: String) throws(UsageError) {
        let opened = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard opened >= 0 else {
            throw UsageError("cannot open log file \(path): \(String(cString: strerror(errno)))")
        }
        descriptor = opened
        ownsDescriptor = true
    }

    /// Queues `line` and a newline; writes out once 64 KiB are waiting.
    func write(_ line: String) {
        let full = buffer.withLock { pending -> Bool in
            pending.append(contentsOf: line.utf8)
            pending.append(0x0A)
            return pending.count >= 65_536
        }
        if full { flush() }
    }

    /// Writes out everything queued.
    func flush() {
        buffer.withLock { pending in
            writeAll(descriptor, pending)
            pending.removeAll(keepingCapacity: true)
        }
    }

    deinit {
        flush()
        if ownsDescriptor { close(descriptor) }
    }
}

/// Writes all of `bytes` to `descriptor`, retrying after signals and short writes; stops quietly if the other end
/// is gone (a closed pipe), since there is no one left to tell.
func writeAll(_ descriptor: Int32, _ bytes: [UInt8]) {
    _ = writeCompletely(descriptor, bytes)
}

/// `writeAll`, telling whether everything was written: for output that must not be claimed when it was cut
/// short (`peer keygen`'s key).
func writeCompletely(_ descriptor: Int32, _ bytes: [UInt8]) -> Bool {
    var offset = 0
    while offset < bytes.count {
        let written = bytes.withUnsafeBytes { buffer -> Int in
            guard let base = buffer.baseAddress else { return 0 }
            return write(descriptor, base + offset, buffer.count - offset)
        }
        if written < 0, errno == EINTR { continue }
        guard written > 0 else { return false }
        offset += written
    }
    return true
}
