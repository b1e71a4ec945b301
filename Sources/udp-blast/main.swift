// udp-blast: the benchmark's baseline. One process blasts small datagrams at another over 127.0.0.1 with plain
// sendto/recvfrom and no protocol at all, so `scripts/bench` can compare the peer's message rate with what the
// loopback path itself delivers on the same machine.
import Glibc
import PeerTransport

/// The command forms, shown after a usage error as well as in the help.
let synopsis = """
    usage: udp-blast receive --port N --count C [--timeout S] [--receive-buffer BYTES]
           udp-blast send --port N --count C [--size BYTES]
           udp-blast --help
    """

/// The command line's help text.
let usageText = synopsis + "\n\n" + """
    Measure the loopback datagram ceiling: one process sends C datagrams to 127.0.0.1:N as fast as
    it can, the other counts what arrives. Start the receiver first; it says "listening on ..." on
    stderr once its socket is bound.

    receive   bind 127.0.0.1:N and count datagrams until C have arrived or none arrived for S
              seconds; print {"received": R, "seconds": T, "datagrams_per_second": X,
              "receive_buffer_bytes": B}, where T runs from the first to the last datagram received,
              X = R / T (null when T is 0) and B is the buffer the kernel granted.
    send      send C datagrams of BYTES bytes to 127.0.0.1:N, waiting whenever the kernel has no room,
              so every datagram counted was accepted; print {"sent": C, "seconds": T, "retries": K},
              where T runs from the first send to the last and K counts sends the kernel refused for
              lack of room (and that were then repeated).

      --port N               the receiver's port on 127.0.0.1 (1-65535)
      --count C              datagrams to send, or to wait for (1 or more)
      --timeout S            receive: stop after S seconds without a datagram (default 2, > 0)
      --receive-buffer BYTES receive: SO_RCVBUF to ask for (default 8388608; the kernel caps it at
                             net.core.rmem_max)
      --size BYTES           send: datagram size (default 64, 8-65507)

    Datagrams that the receiver's buffer cannot hold are dropped by the kernel: loopback UDP has no
    flow control. R may therefore be less than C; it is reported as counted.
    Exit status: 0 on success (also when datagrams were lost), 1 on a socket failure, 64 for a usage
    error, 69 when the port cannot be bound.
    """

/// Exit statuses, following sysexits(3) as `peer` does.
enum ExitCode {
    static let failure: Int32 = 1
    static let usage: Int32 = 64
    static let unavailable: Int32 = 69
}

/// A mistake on the command line, reported with the usage text and exit status 64.
struct UsageError: Error {
    let message: String
}

/// What the command line asked for.
enum Command {
    case help
    case receive(port: UInt16, count: Int, timeoutSeconds: Double, receiveBuffer: Int)
    case send(port: UInt16, count: Int, size: Int)
}

// MARK: - Argument parsing

/// Parses the arguments after the program name.
func parse(_ arguments: [String]) throws(UsageError) -> Command {
    if arguments.contains("--help") || arguments.contains("-h") {
        return .help
    }
    guard let mode = arguments.first else {
        throw UsageError(message: "missing command: receive or send")
    }
    let options = try parseOptions(Array(arguments.dropFirst()))
    let allowed: Set<String>
    switch mode {
    case "receive": allowed = ["--port", "--count", "--timeout", "--receive-buffer"]
    case "send": allowed = ["--port", "--count", "--size"]
    default: throw UsageError(message: "unknown command \"\(mode)\": expected receive or send")
    }
    for name in options.keys where !allowed.contains(name) {
        throw UsageError(message: "\(name) is not an option of \(mode)")
    }
    guard let portText = options["--port"] else {
        throw UsageError(message: "\(mode) needs --port")
    }
    guard let countText = options["--count"] else {
        throw UsageError(message: "\(mode) needs --count")
    }
    guard let port = UInt16(portText), port > 0 else {
        throw UsageError(message: "--port must be a whole number from 1 to 65535, not \"\(portText)\"")
    }
    guard let count = Int(countText), count > 0 else {
        throw UsageError(message: "--count must be a whole number of at least 1, not \"\(countText)\"")
    }
    if mode == "receive" {
        let timeoutText = options["--timeout"] ?? "2"
        // The upper bound keeps the microsecond conversion far from overflow; nobody waits a year for a datagram.
        guard let timeout = Double(timeoutText), timeout.isFinite, timeout > 0, timeout <= 86_400 else {
            throw UsageError(message: "--timeout must be a number of seconds above 0 (at most 86400), not \"\(timeoutText)\"")
        }
        let bufferText = options["--receive-buffer"] ?? "8388608"
        guard let buffer = Int(bufferText), buffer > 0, buffer <= Int(Int32.max) else {
            throw UsageError(message: "--receive-buffer must be a byte count from 1 to \(Int32.max), not \"\(bufferText)\"")
        }
        return .receive(port: port, count: count, timeoutSeconds: timeout, receiveBuffer: buffer)
    }
    let sizeText = options["--size"] ?? "64"
    // 8 bytes hold the sequence number; 65507 is the largest IPv4 UDP payload.
    guard let size = Int(sizeText), (8...65_507).contains(size) else {
        throw UsageError(message: "--size must be a byte count from 8 to 65507, not \"\(sizeText)\"")
    }
    return .send(port: port, count: count, size: size)
}

/// Splits `--name value` pairs (also `--name=value`) into a dictionary, rejecting repeats and stray words.
func parseOptions(_ arguments: [String]) throws(UsageError) -> [String: String] {
    var options: [String: String] = [:]
    var index = 0
    while index < arguments.count {
        let argument = arguments[index]
        guard argument.hasPrefix("--") else {
            throw UsageError(message: "unexpected argument \"\(argument)\"")
        }
        let name: String
        let value: String
        if let equals = argument.firstIndex(of: "=") {
            name = String(argument[..<equals])
            value = String(argument[argument.index(after: equals)...])
        } else {
            guard index + 1 < arguments.count else {
                throw UsageError(message: "\(argument) needs a value")
            }
            name = argument
            value = arguments[index + 1]
            index += 1
        }
        guard options[name] == nil else {
            throw UsageError(message: "\(name) given more than once")
        }
        options[name] = value
        index += 1
    }
    return options
}

// MARK: - Output

/// A monotonic clock reading in nanoseconds; a vDSO call, cheap enough to take once per datagram.
func monotonicNanoseconds() -> Int64 {
    var now = timespec()
    _ = clock_gettime(CLOCK_MONOTONIC, &now)
    return Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec)
}

/// A JSON number for a finite value rounded to `places` decimals, or `null` (JSON has no infinity or NaN).
func jsonNumber(_ value: Double, places: Int) -> String {
    guard value.isFinite else {
        return "null"
    }
    var scale = 1.0
    for _ in 0..<places {
        scale *= 10
    }
    let rounded = (value * scale).rounded() / scale
    // Whole numbers print without a fraction, so a rate reads as 512345 rather than 512345.0.
    if rounded == rounded.rounded(), abs(rounded) < 1e15 {
        return String(Int64(rounded))
    }
    return String(rounded)
}

/// Writes `text` and a newline to a descriptor with write(2), which needs no shared C `FILE` (Swift 6 rejects
/// touching the global `stdout`/`stderr` streams) and leaves nothing in a buffer if the process exits right after.
func writeLine(_ text: String, to descriptor: Int32) {
    var line = text + "\n"
    line.withUTF8 { bytes in
        var offset = 0
        while offset < bytes.count {
            let written = write(descriptor, bytes.baseAddress.map { $0 + offset }, bytes.count - offset)
            if written > 0 {
                offset += written
            } else if written == -1 && errno == EINTR {
                continue
            } else {
                // A closed or full pipe: there is nobody left to tell, so the line is dropped.
                return
            }
        }
    }
}

/// Writes one line to stderr, where progress and problems go so stdout carries only the JSON result.
func printError(_ text: String) {
    writeLine(text, to: STDERR_FILENO)
}

/// Writes one line to stdout.
func printOutput(_ text: String) {
    writeLine(text, to: STDOUT_FILENO)
}

// MARK: - Receive

/// Counts datagrams arriving on 127.0.0.1:`port`; see the usage text for what it prints.
func receive(port: UInt16, count: Int, timeoutSeconds: Double, receiveBuffer: Int) -> Int32 {
    let socket: UDPSocket
    do {
        // Non-blocking, so the idle timeout is a poll(2) timeout rather than a signal or SO_RCVTIMEO.
        socket = try UDPSocket.bound(to: .loopback(.ipv4, port: port), nonBlocking: true)
    } catch {
        printError("udp-blast: cannot bind 127.0.0.1:\(port): \(error)")
        return ExitCode.unavailable
    }
    defer { socket.close() }
    let granted = socket.setReceiveBufferSize(receiveBuffer)
    // Linux reports twice the usable size (it counts its bookkeeping), so half of it is what was really granted.
    if granted / 2 < receiveBuffer {
        printError("udp-blast: asked for a \(receiveBuffer)-byte receive buffer, the kernel granted \(granted / 2) "
                   + "(capped by net.core.rmem_max)")
    }
    printError("udp-blast: listening on 127.0.0.1:\(port)")

    // Room for the largest datagram, so a bigger sender's datagrams are counted whole rather than truncated.
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 65_536, alignment: 8)
    defer { buffer.deallocate() }
    let timeoutMicroseconds = Int64(timeoutSeconds * 1_000_000)
    var received = 0
    var firstNanoseconds: Int64 = 0
    var lastNanoseconds: Int64 = 0
    receiving: while received < count {
        do {
            _ = try socket.receive(into: buffer)
            lastNanoseconds = monotonicNanoseconds()
            if received == 0 {
                firstNanoseconds = lastNanoseconds
            }
            received += 1
        } catch .wouldBlock {
            // Drained: sleep in poll until the next datagram or the idle timeout, which ends the count.
            do {
                let (readiness, _) = try Poller.wait(
                    sockets: [socket], waker: nil, timeoutMicroseconds: timeoutMicroseconds)
                if readiness.first?.isEmpty ?? true {
                    break receiving
                }
                if readiness.first?.contains(.error) == true {
                    // Nothing here sends, so an error is unexpected; reading it clears it so poll does not spin.
                    if let pending = socket.takePendingError() {
                        printError("udp-blast: ignoring socket error: \(pending)")
                    }
                }
            } catch {
                printError("udp-blast: waiting for datagrams failed: \(error)")
                return ExitCode.failure
            }
        } catch {
            printError("udp-blast: receiving failed: \(error)")
            return ExitCode.failure
        }
    }
    let seconds = Double(lastNanoseconds - firstNanoseconds) / 1e9
    let rate = seconds > 0 ? jsonNumber(Double(received) / seconds, places: 0) : "null"
    printOutput("{\"received\": \(received), \"seconds\": \(jsonNumber(seconds, places: 6)), "
                + "\"datagrams_per_second\": \(rate), \"receive_buffer_bytes\": \(granted / 2)}")
    return 0
}

// MARK: - Send

/// How long a send may go without progress before the sender gives up, so a wedged kernel cannot hang a benchmark.
let stallLimitNanoseconds: Int64 = 10_000_000_000

/// Waits until the socket can take another datagram, or at most one millisecond.
///
/// `EAGAIN` means the send buffer is full and poll(2) wakes when it drains. `ENOBUFS` is not tied to the socket's
/// buffer, so poll may report writable at once; the short sleep then keeps the retry from spinning on the CPU the
/// receiver needs.
func waitForRoom(_ socket: UDPSocket, after error: SocketError) {
    if error == .noBufferSpace {
        var pause = timespec(tv_sec: 0, tv_nsec: 50_000)
        _ = nanosleep(&pause, nil)
        return
    }
    var descriptor = pollfd(fd: socket.fileDescriptor, events: Int16(POLLOUT), revents: 0)
    // EINTR or a timeout both just lead back to another send attempt, so the result needs no inspection.
    _ = poll(&descriptor, 1, 1)
}

/// Sends `count` datagrams of `size` bytes to 127.0.0.1:`port`; see the usage text for what it prints.
func send(port: UInt16, count: Int, size: Int) -> Int32 {
    let socket: UDPSocket
    do {
        socket = try UDPSocket.bound(to: .loopback(.ipv4, port: 0), nonBlocking: true)
    } catch {
        printError("udp-blast: cannot open a sending socket on 127.0.0.1: \(error)")
        return ExitCode.unavailable
    }
    defer { socket.close() }
    let destination = SocketAddress.loopback(.ipv4, port: port)
    let payload = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 8)
    defer { payload.deallocate() }
    payload.initializeMemory(as: UInt8.self, repeating: 0x61)
    let datagram = UnsafeRawBufferPointer(payload)

    var retries = 0
    var firstNanoseconds: Int64 = 0
    var lastNanoseconds: Int64 = 0
    // When the kernel last accepted a datagram (or the start), to notice a send that never gets room again.
    var progressNanoseconds = monotonicNanoseconds()
    var sequence = 0
    while sequence < count {
        // A sequence number makes each datagram distinct, as the peer's messages are, at the cost of one store.
        payload.storeBytes(of: UInt64(sequence).bigEndian, toByteOffset: 0, as: UInt64.self)
        do {
            try socket.send(datagram, to: destination)
            lastNanoseconds = monotonicNanoseconds()
            if sequence == 0 {
                firstNanoseconds = lastNanoseconds
            }
            sequence += 1
        } catch let error where error == .wouldBlock || error == .noBufferSpace {
            // Not sent: the same sequence number goes again once there is room, so `sent` counts only accepted ones.
            retries += 1
            if sequence > 0 {
                progressNanoseconds = lastNanoseconds
            }
            if monotonicNanoseconds() - progressNanoseconds > stallLimitNanoseconds {
                printError("udp-blast: no datagram accepted for \(stallLimitNanoseconds / 1_000_000_000) s; giving up "
                           + "after \(sequence)")
                return ExitCode.failure
            }
            waitForRoom(socket, after: error)
        } catch {
            printError("udp-blast: sending datagram \(sequence) failed: \(error)")
            return ExitCode.failure
        }
    }
    let seconds = Double(lastNanoseconds - firstNanoseconds) / 1e9
    printOutput("{\"sent\": \(sequence), \"seconds\": \(jsonNumber(seconds, places: 6)), \"retries\": \(retries)}")
    return 0
}

// MARK: - Main

let status: Int32
do {
    switch try parse(Array(CommandLine.arguments.dropFirst())) {
    case .help:
        printOutput(usageText)
        status = 0
    case .receive(let port, let count, let timeoutSeconds, let receiveBuffer):
        status = receive(port: port, count: count, timeoutSeconds: timeoutSeconds, receiveBuffer: receiveBuffer)
    case .send(let port, let count, let size):
        status = send(port: port, count: count, size: size)
    }
} catch {
    printError("udp-blast: \(error.message)\n\(synopsis)")
    status = ExitCode.usage
}
exit(status)
