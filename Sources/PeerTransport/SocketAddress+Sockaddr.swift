import Glibc

/// Conversions between `SocketAddress` and the C `sockaddr` family, kept apart from the public surface.
extension SocketAddress {
    /// Builds an address from a kernel-filled `sockaddr_storage`; nil for families other than IPv4 and IPv6 or a
    /// length too short to hold the claimed family.
    init?(storage: sockaddr_storage, length: socklen_t) {
        var storage = storage
        let size = min(Int(length), MemoryLayout<sockaddr_storage>.size)
        let address = withUnsafeBytes(of: &storage) { raw in
            SocketAddress(sockaddr: raw.baseAddress, length: socklen_t(size))
        }
        guard let address else {
            return nil
        }
        self = address
    }

    /// Builds an address from `length` bytes of a `sockaddr` at `pointer` (as getaddrinfo returns them).
    init?(sockaddr pointer: UnsafeRawPointer?, length: socklen_t) {
        guard let pointer else {
            return nil
        }
        let bytes = UnsafeRawBufferPointer(start: pointer, count: Int(length))
        guard bytes.count >= MemoryLayout<sa_family_t>.size else {
            return nil
        }
        let family = Int32(bytes.loadUnaligned(as: sa_family_t.self))
        switch family {
        case AF_INET where bytes.count >= MemoryLayout<sockaddr_in>.size:
            let address = bytes.loadUnaligned(as: sockaddr_in.self)
            self.init(storage: .ipv4(address.sin_addr.s_addr), port: UInt16(bigEndian: address.sin_port))
        case AF_INET6 where bytes.count >= MemoryLayout<sockaddr_in6>.size:
            let address = bytes.loadUnaligned(as: sockaddr_in6.self)
            let words = Self.words(of: address.sin6_addr)
            self.init(
                storage: .ipv6(high: words.high, low: words.low, scopeID: address.sin6_scope_id),
                port: UInt16(bigEndian: address.sin6_port)
            )
        default:
            return nil
        }
    }

    /// Builds an IPv6 address from its 16 bytes in network order.
    init(ipv6Bytes bytes: [UInt8], scopeID: UInt32, port: UInt16) {
        var address = in6_addr()
        withUnsafeMutableBytes(of: &address) { raw in
            for (offset, byte) in bytes.prefix(raw.count).enumerated() {
                raw[offset] = byte
            }
        }
        let words = Self.words(of: address)
        self.init(storage: .ipv6(high: words.high, low: words.low, scopeID: scopeID), port: port)
    }

    /// The 16 address bytes in network order; 4 for IPv4.
    var addressBytes: [UInt8] {
        switch storage {
        case .ipv4(let raw):
            return withUnsafeBytes(of: raw) { Array($0) }
        case .ipv6(let high, let low, _):
            return withUnsafeBytes(of: Self.in6Addr(high: high, low: low)) { Array($0) }
        }
    }

    /// The IPv4 address behind an IPv4-mapped IPv6 address ("::ffff:a.b.c.d"); any other address unchanged.
    func unmappedToIPv4() -> SocketAddress {
        guard case .ipv6 = storage else {
            return self
        }
        let bytes = addressBytes
        let mappedPrefix: [UInt8] = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF]
        guard bytes.count == 16, Array(bytes.prefix(12)) == mappedPrefix else {
            return self
        }
        var raw: UInt32 = 0
        withUnsafeMutableBytes(of: &raw) { target in
            for (offset, byte) in bytes.suffix(4).enumerated() {
                target[offset] = byte
            }
        }
        return SocketAddress(storage: .ipv4(raw), port: port)
    }

    /// The IPv4-mapped IPv6 form of an IPv4 address, as a dual-stack IPv6 socket needs it; IPv6 unchanged.
    func mappedToIPv6() -> SocketAddress {
        guard case .ipv4 = storage else {
            return self
        }
        let bytes = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF] + addressBytes
        return SocketAddress(ipv6Bytes: bytes, scopeID: 0, port: port)
    }

    /// Lends the address to a C call as a `sockaddr` pointer and its length.
    func withSockaddr<Result>(_ body: (UnsafePointer<sockaddr>, socklen_t) -> Result) -> Result {
        switch storage {
        case .ipv4(let raw):
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = port.bigEndian
            address.sin_addr.s_addr = raw
            return withUnsafePointer(to: &address) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    body($0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
        case .ipv6(let high, let low, let scopeID):
            var address = sockaddr_in6()
            address.sin6_family = sa_family_t(AF_INET6)
            address.sin6_port = port.bigEndian
            address.sin6_addr = Self.in6Addr(high: high, low: low)
            address.sin6_scope_id = scopeID
            return withUnsafePointer(to: &address) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    body($0, socklen_t(MemoryLayout<sockaddr_in6>.size))
                }
            }
        }
    }

    static func inAddr(_ raw: UInt32) -> in_addr {
        in_addr(s_addr: raw)
    }

    static func in6Addr(high: UInt64, low: UInt64) -> in6_addr {
        var address = in6_addr()
        withUnsafeMutableBytes(of: &address) { raw in
            raw.storeBytes(of: high, toByteOffset: 0, as: UInt64.self)
            raw.storeBytes(of: low, toByteOffset: 8, as: UInt64.self)
        }
        return address
    }

    static func words(of address: in6_addr) -> (high: UInt64, low: UInt64) {
        withUnsafeBytes(of: address) { raw in
            (
                raw.loadUnaligned(fromByteOffset: 0, as: UInt64.self),
                raw.loadUnaligned(fromByteOffset: 8, as: UInt64.self)
            )
        }
    }
}
