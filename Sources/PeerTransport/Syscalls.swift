import CPrecisePoll
import Glibc

/// The one place this module calls into Glibc.
///
/// Each wrapper reads `errno` immediately after the call it guards, so nothing in between can clobber it, and turns a
/// failure into a `SocketError`. Calls that can be interrupted by a signal before doing any work are retried on
/// `EINTR`, so callers never see `.interrupted` from them. `close` is deliberately not retried: Linux releases the
/// descriptor even when `close` reports `EINTR`, and retrying could close a descriptor another thread just opened.
enum Syscalls {
    // MARK: - Error plumbing

    /// Runs a call that signals failure by returning -1, retrying `EINTR`.
    private static func check<Result: FixedWidthInteger>(
        _ call: String,
        port: UInt16? = nil,
        _ body: () -> Result
    ) throws(SocketError) -> Result {
        while true {
            let result = body()
            if result != -1 {
                return result
            }
            let code = errno
            if code != EINTR {
                throw SocketError(errno: code, call: call, port: port)
            }
        }
    }

    /// The C library's sentence for an errno value; `strerror_r` because plain `strerror` may share a buffer.
    static func errorMessage(_ code: Int32) -> String {
        let size = 256
        var buffer = [CChar](repeating: 0, count: size)
        let status = strerror_r(code, &buffer, size)
        guard status == 0 else {
            return "unknown error \(code)"
        }
        return string(fromNulTerminated: buffer)
    }

    /// Decodes a C string held in a fixed buffer without trusting it to be terminated.
    private static func string(fromNulTerminated buffer: [CChar]) -> String {
        let bytes = buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        return String(decoding: bytes, as: UTF8.self)
    }

    // MARK: - Descriptors

    /// Opens an unbound datagram socket; close-on-exec so child processes never inherit it.
    static func socket(domain: Int32, nonBlocking: Bool) throws(SocketError) -> Int32 {
        var type = Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
        if nonBlocking {
            type |= Int32(SOCK_NONBLOCK.rawValue)
        }
        return try check("socket") { Glibc.socket(domain, type, Int32(IPPROTO_UDP)) }
    }

    /// Closes a descriptor, ignoring the result (see the type's note on why `EINTR` is not retried).
    static func close(_ descriptor: Int32) {
        _ = Glibc.close(descriptor)
    }

    /// Creates a pipe whose both ends are non-blocking and close-on-exec.
    static func nonBlockingPipe() throws(SocketError) -> (read: Int32, write: Int32) {
        var ends: (Int32, Int32) = (-1, -1)
        _ = try withUnsafeMutableBytes(of: &ends) { (raw) throws(SocketError) -> Int32 in
            let pointer = raw.baseAddress?.assumingMemoryBound(to: Int32.self)
            return try check("pipe") { Glibc.pipe(pointer) }
        }
        do throws(SocketError) {
            for end in [ends.0, ends.1] {
                let flags = try check("fcntl") { Glibc.fcntl(end, F_GETFL) }
                _ = try check("fcntl") { Glibc.fcntl(end, F_SETFL, flags | O_NONBLOCK) }
                _ = try check("fcntl") { Glibc.fcntl(end, F_SETFD, FD_CLOEXEC) }
            }
        } catch {
            close(ends.0)
            close(ends.1)
            throw error
        }
        return (ends.0, ends.1)
    }

    /// Writes one byte; returns false instead of blocking when the pipe is full.
    static func writeByte(_ descriptor: Int32) throws(SocketError) -> Bool {
        var byte: UInt8 = 1
        do throws(SocketError) {
            _ = try check("write") { Glibc.write(descriptor, &byte, 1) }
            return true
        } catch .wouldBlock {
            return false
        }
    }

    /// Reads and discards everything currently buffered in a non-blocking descriptor.
    static func drain(_ descriptor: Int32) {
        var buffer = [UInt8](repeating: 0, count: 64)
        while true {
            let count = buffer.withUnsafeMutableBytes { raw in
                Glibc.read(descriptor, raw.baseAddress, raw.count)
            }
            if count > 0 {
                continue
            }
            if count == -1 && errno == EINTR {
                continue
            }
            return
        }
    }

    // MARK: - Socket options

    /// setsockopt(2) with an `int` value, the only kind this module sets.
    static func setOption(_ descriptor: Int32, level: Int32, name: Int32, value: Int32) throws(SocketError) {
        var value = value
        let size = socklen_t(MemoryLayout<Int32>.size)
        _ = try check("setsockopt") { Glibc.setsockopt(descriptor, level, name, &value, size) }
    }

    /// getsockopt(2) for an `int` value.
    static func option(_ descriptor: Int32, level: Int32, name: Int32) throws(SocketError) -> Int32 {
        var value: Int32 = 0
        var size = socklen_t(MemoryLayout<Int32>.size)
        _ = try check("getsockopt") { Glibc.getsockopt(descriptor, level, name, &value, &size) }
        return value
    }

    // MARK: - Addressing

    /// bind(2); `port` names the port in `.addressInUse`.
    static func bind(_ descriptor: Int32, to address: SocketAddress) throws(SocketError) {
        _ = try check("bind", port: address.port) {
            address.withSockaddr { pointer, length in Glibc.bind(descriptor, pointer, length) }
        }
    }

    /// connect(2): for UDP this only fixes the default destination and lets ICMP errors reach the socket.
    static func connect(_ descriptor: Int32, to address: SocketAddress) throws(SocketError) {
        _ = try check("connect", port: address.port) {
            address.withSockaddr { pointer, length in Glibc.connect(descriptor, pointer, length) }
        }
    }

    /// getsockname(2).
    static func localAddress(_ descriptor: Int32) throws(SocketError) -> SocketAddress {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        _ = try check("getsockname") {
            withUnsafeMutablePointer(to: &storage) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.getsockname(descriptor, $0, &length) }
            }
        }
        guard let address = SocketAddress(storage: storage, length: length) else {
            throw SocketError.addressFamilyNotSupported
        }
        return address
    }

    // MARK: - Datagrams

    /// sendto(2); returns the number of bytes the kernel accepted.
    static func send(
        _ descriptor: Int32,
        _ bytes: UnsafeRawBufferPointer,
        to address: SocketAddress
    ) throws(SocketError) -> Int {
        try check("sendto") {
            address.withSockaddr { pointer, length in
                Glibc.sendto(descriptor, bytes.baseAddress, bytes.count, Int32(MSG_NOSIGNAL), pointer, length)
            }
        }
    }

    /// recvfrom(2) with `MSG_TRUNC`, so the returned length is the datagram's real length even when it was cut.
    static func receive(
        _ descriptor: Int32,
        into buffer: UnsafeMutableRawBufferPointer
    ) throws(SocketError) -> (length: Int, source: sockaddr_storage, sourceLength: socklen_t) {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let received = try check("recvfrom") {
            withUnsafeMutablePointer(to: &storage) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { source in
                    Glibc.recvfrom(descriptor, buffer.baseAddress, buffer.count, Int32(MSG_TRUNC), source, &length)
                }
            }
        }
        return (received, storage, length)
    }

    /// Takes one entry from the socket's error queue (filled only when `IP_RECVERR`/`IPV6_RECVERR` is on).
    ///
    /// - Returns: the errno the kernel recorded (0 if the entry carried no extended error) and the address the failed
    ///   datagram was sent to, or nil when the queue is empty. Never blocks.
    static func receiveQueuedError(
        _ descriptor: Int32
    ) throws(SocketError) -> (code: Int32, destination: sockaddr_storage, destinationLength: socklen_t)? {
        var storage = sockaddr_storage()
        // The queued entry carries a copy of the failed payload; a few bytes are enough because it is discarded.
        var payload = [UInt8](repeating: 0, count: 16)
        var control = [UInt8](repeating: 0, count: 512)
        var controlLength = 0
        var nameLength: socklen_t = 0
        do throws(SocketError) {
            _ = try check("recvmsg") {
                withUnsafeMutablePointer(to: &storage) { name in
                    payload.withUnsafeMutableBytes { payloadBytes in
                        control.withUnsafeMutableBytes { controlBytes in
                            var vector = iovec(iov_base: payloadBytes.baseAddress, iov_len: payloadBytes.count)
                            return withUnsafeMutablePointer(to: &vector) { vectorPointer in
                                var message = msghdr()
                                message.msg_name = UnsafeMutableRawPointer(name)
                                message.msg_namelen = socklen_t(MemoryLayout<sockaddr_storage>.size)
                                message.msg_iov = vectorPointer
                                message.msg_iovlen = 1
                                message.msg_control = controlBytes.baseAddress
                                message.msg_controllen = controlBytes.count
                                let flags = Int32(MSG_ERRQUEUE) | Int32(MSG_DONTWAIT)
                                let result = Glibc.recvmsg(descriptor, &message, flags)
                                controlLength = message.msg_controllen
                                nameLength = message.msg_namelen
                                return result
                            }
                        }
                    }
                }
            }
        } catch .wouldBlock {
            return nil
        }
        let code = extendedErrorCode(in: control, length: controlLength)
        return (code, storage, nameLength)
    }

    /// Finds the `sock_extended_err` control message and returns its `ee_errno`, checking every length it reads.
    private static func extendedErrorCode(in control: [UInt8], length: Int) -> Int32 {
        let wordSize = MemoryLayout<Int>.size
        func aligned(_ value: Int) -> Int { (value + wordSize - 1) & ~(wordSize - 1) }
        let headerSize = MemoryLayout<cmsghdr>.size
        let dataOffset = aligned(headerSize)
        let end = min(length, control.count)
        var offset = 0
        while offset + headerSize <= end {
            let header = control.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset, as: cmsghdr.self) }
            let messageLength = Int(header.cmsg_len)
            guard messageLength >= headerSize, offset + messageLength <= end else {
                return 0
            }
            let isIPv4Error = header.cmsg_level == Int32(IPPROTO_IP) && header.cmsg_type == IP_RECVERR
            let isIPv6Error = header.cmsg_level == Int32(IPPROTO_IPV6) && header.cmsg_type == IPV6_RECVERR
            if isIPv4Error || isIPv6Error, dataOffset + MemoryLayout<UInt32>.size <= messageLength {
                let code = control.withUnsafeBytes {
                    $0.loadUnaligned(fromByteOffset: offset + dataOffset, as: UInt32.self)
                }
                return Int32(truncatingIfNeeded: code)
            }
            offset += aligned(messageLength)
        }
        return 0
    }

    // MARK: - Waiting

    /// ppoll(2) once, with a microsecond timeout (negative: none); `EINTR` comes back as `.interrupted` so the caller can recompute its remaining time.
    static func poll(_ descriptors: inout [pollfd], timeoutMicroseconds: Int64) throws(SocketError) -> Int32 {
        let result = descriptors.withUnsafeMutableBufferPointer { buffer in
            peer_poll_microseconds(buffer.baseAddress, nfds_t(buffer.count), timeoutMicroseconds)
        }
        if result == -1 {
            let code = errno
            throw SocketError(errno: code, call: "poll")
        }
        return result
    }

    /// A monotonic clock reading in microseconds, immune to wall-clock changes.
    static func monotonicMicroseconds() -> Int64 {
        var now = timespec()
        _ = clock_gettime(CLOCK_MONOTONIC, &now)
        return Int64(now.tv_sec) * 1_000_000 + Int64(now.tv_nsec) / 1_000
    }

    // MARK: - Address text

    /// inet_pton(3) for IPv4: strict dotted quad, nil for anything else.
    static func parseIPv4(_ text: String) -> in_addr? {
        var address = in_addr()
        let status = text.withCString { Glibc.inet_pton(AF_INET, $0, &address) }
        return status == 1 ? address : nil
    }

    /// inet_pton(3) for IPv6 (without a zone suffix), nil for anything else.
    static func parseIPv6(_ text: String) -> in6_addr? {
        var address = in6_addr()
        let status = text.withCString { Glibc.inet_pton(AF_INET6, $0, &address) }
        return status == 1 ? address : nil
    }

    /// if_nametoindex(3); nil when no interface has that name.
    static func interfaceIndex(named name: String) -> UInt32? {
        let index = name.withCString { Glibc.if_nametoindex($0) }
        return index == 0 ? nil : index
    }

    /// inet_ntop(3) for IPv4.
    static func format(_ address: in_addr) -> String {
        var address = address
        return format(family: AF_INET, &address)
    }

    /// inet_ntop(3) for IPv6; IPv4-mapped addresses come out as "::ffff:a.b.c.d".
    static func format(_ address: in6_addr) -> String {
        var address = address
        return format(family: AF_INET6, &address)
    }

    private static func format(family: Int32, _ address: UnsafeRawPointer) -> String {
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        let result = buffer.withUnsafeMutableBufferPointer { pointer in
            Glibc.inet_ntop(family, address, pointer.baseAddress, socklen_t(pointer.count))
        }
        // inet_ntop only fails for an unknown family or a short buffer, neither of which this module passes.
        guard result != nil else {
            return "?"
        }
        return string(fromNulTerminated: buffer)
    }

    // MARK: - Name resolution

    /// getaddrinfo(3) for datagram sockets of any family; returns every usable result in the resolver's order.
    static func resolve(host: String) throws(SocketError) -> [SocketAddress] {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_DGRAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let status = host.withCString { Glibc.getaddrinfo($0, nil, &hints, &list) }
        let systemErrno = errno
        guard status == 0 else {
            let reason: String
            if status == EAI_SYSTEM {
                reason = errorMessage(systemErrno)
            } else if let message = Glibc.gai_strerror(status) {
                reason = String(cString: message)
            } else {
                reason = "getaddrinfo error \(status)"
            }
            throw SocketError.hostNotFound(host: host, reason: reason)
        }
        defer { freeaddrinfo(list) }
        var addresses: [SocketAddress] = []
        var entry = list
        while let current = entry {
            let entryAddress = current.pointee.ai_addr.map { UnsafeRawPointer($0) }
            if let address = SocketAddress(sockaddr: entryAddress, length: current.pointee.ai_addrlen) {
                addresses.append(address)
            }
            entry = current.pointee.ai_next
        }
        return addresses
    }
}
