/// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), the checksum of iSCSI, ext4 and LevelDB's log: it
/// catches every burst of errors up to 32 bits and all but one in 2^32 of the rest. It guards against a torn or
/// decayed record, not against an attacker (whoever can write the state directory can write a valid checksum).
public enum CRC32C {
    /// The checksum of `bytes` (0xE3069283 for the ASCII digits "123456789").
    public static func checksum<Bytes: Sequence<UInt8>>(_ bytes: Bytes) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc = table[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8)
        }
        return crc ^ 0xFFFF_FFFF
    }

    /// One entry per byte value: the remainder of that byte shifted through the polynomial eight times.
    static let table: [UInt32] = (0..<256).map { index in
        var value = UInt32(index)
        for _ in 0..<8 { value = value & 1 == 1 ? (value >> 1) ^ 0x82F6_3B78 : value >> 1 }
        return value
    }
}
