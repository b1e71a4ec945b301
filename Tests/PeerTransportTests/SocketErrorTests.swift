import Glibc
import PeerTransport
import Testing

@Suite("SocketError")
struct SocketErrorTests {
    @Test("maps errno values to named cases")
    func mapping() {
        #expect(SocketError(errno: EADDRINUSE, call: "bind", port: 4000) == .addressInUse(port: 4000))
        #expect(SocketError(errno: EACCES, call: "bind") == .permissionDenied)
        #expect(SocketError(errno: EPERM, call: "sendto") == .permissionDenied)
        #expect(SocketError(errno: ECONNREFUSED, call: "recvfrom") == .connectionRefused)
        #expect(SocketError(errno: ENETUNREACH, call: "sendto") == .networkUnreachable)
        #expect(SocketError(errno: EHOSTUNREACH, call: "sendto") == .hostUnreachable)
        #expect(SocketError(errno: EMSGSIZE, call: "sendto") == .messageTooLong)
        #expect(SocketError(errno: ENOBUFS, call: "sendto") == .noBufferSpace)
        #expect(SocketError(errno: EAFNOSUPPORT, call: "socket") == .addressFamilyNotSupported)
        #expect(SocketError(errno: EAGAIN, call: "recvfrom") == .wouldBlock)
        #expect(SocketError(errno: EWOULDBLOCK, call: "recvfrom") == .wouldBlock)
        #expect(SocketError(errno: EINTR, call: "poll") == .interrupted)
        #expect(SocketError(errno: EBADF, call: "sendto") == .other(call: "sendto", errno: EBADF))
    }

    @Test("descriptions are sentences naming what matters")
    func descriptions() {
        #expect(SocketError.addressInUse(port: 4000).description == "port 4000 is already in use")
        let lookup = SocketError.hostNotFound(host: "example.invalid", reason: "Name or service not known")
        #expect(lookup.description.contains("example.invalid"))
        #expect(lookup.description.contains("Name or service not known"))
        let other = SocketError.other(call: "sendto", errno: EBADF).description
        #expect(other.hasPrefix("sendto failed: "))
        #expect(other.contains("Bad file descriptor"))
    }
}
