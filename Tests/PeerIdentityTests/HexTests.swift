@testable import PeerIdentity
import Testing

/// The branch-free hex used for keys in files.
struct HexTests {
    @Test("every byte round-trips, in lower case, and upper case reads too")
    func roundTrip() {
        let all = (0...255).map { UInt8($0) }
        let text = Hex.encode(all)
        #expect(text.hasPrefix("000102"))
        #expect(text.hasSuffix("fdfeff"))
        #expect(text == all.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined())
        #expect(Hex.decode(text) == all)
        #expect(Hex.decode(text.uppercased()) == all)
        #expect(Hex.decode("") == [])
    }

    @Test("every byte that is not a hex digit, in either position, is refused; odd lengths too")
    func refusals() {
        let digits = Set("0123456789abcdefABCDEF".utf8)
        for byte in (0...255).map({ UInt8($0) }) where !digits.contains(byte) {
            let character = String(decoding: [byte], as: UTF8.self)
            #expect(Hex.decode("a" + character) == nil, "\(byte)")
            #expect(Hex.decode(character + "a") == nil, "\(byte)")
        }
        #expect(Hex.decode("abc") == nil)
    }
}
