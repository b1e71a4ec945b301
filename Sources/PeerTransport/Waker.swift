import Synchronization

/// A signal another thread can raise to end a `Poller.wait` early, e.g. when there is something new to send.
///
/// Built on a non-blocking self-pipe rather than eventfd(2), because Swift's Glibc module does not export eventfd;
/// the behaviour is the same: `fileDescriptor` becomes readable after `wake()` and stays so until the poller drains
/// it, so a wake-up that arrives before the wait begins is not lost, and many wake-ups collapse into one.
/// `Sendable` without `@unchecked`: the descriptors live in atomics. Do not call `close()` while another thread may
/// still call `wake()`, since the kernel reuses closed descriptor numbers.
public final class Waker: Sendable {
    private let readEnd: Atomic<Int32>
    private let writeEnd: Atomic<Int32>

    /// Creates a waker that has not been signalled.
    ///
    /// - Throws: The `pipe` or `fcntl` failure, e.g. `.other(call: "pipe", errno: EMFILE)` when out of descriptors.
    public init() throws(SocketError) {
        let ends = try Syscalls.nonBlockingPipe()
        readEnd = Atomic(ends.read)
        writeEnd = Atomic(ends.write)
    }

    deinit {
        close()
    }

    /// The descriptor that becomes readable when woken; -1 once closed.
    public var fileDescriptor: Int32 {
        readEnd.load(ordering: .acquiring)
    }

    /// Signals the waker. Never blocks, never fails, safe from any thread; does nothing once closed.
    public func wake() {
        let descriptor = writeEnd.load(ordering: .acquiring)
        guard descriptor >= 0 else {
            return
        }
        // A full pipe already holds an unconsumed wake-up, and other failures can only mean it is being closed.
        _ = try? Syscalls.writeByte(descriptor)
    }

    /// Consumes all pending wake-ups so the next wait blocks again.
    func drain() {
        let descriptor = fileDescriptor
        if descriptor >= 0 {
            Syscalls.drain(descriptor)
        }
    }

    /// Closes both descriptors now; calling it again does nothing.
    public func close() {
        let write = writeEnd.exchange(-1, ordering: .acquiringAndReleasing)
        if write >= 0 {
            Syscalls.close(write)
        }
        let read = readEnd.exchange(-1, ordering: .acquiringAndReleasing)
        if read >= 0 {
            Syscalls.close(read)
        }
    }
}
