import SwiftraceBasics
import Testing

@Suite struct RawBytesTests {
  @Test func everyByteSequenceComesBackExactly() {
    let samples: [[UInt8]] = [
      [], Array("plain".utf8), Array("é€😀".utf8), [0xFF], [0x61, 0xFF, 0x62], [0xC3], [0xE2, 0x82],
      [0xED, 0xA0, 0x80],  // an encoded surrogate is not UTF-8
      [0xF4, 0x8F, 0xBF, 0xBF],  // U+10FFFF, inside the escape plane
      [0xF4, 0x8F, 0xBC, 0x80, 0x41],  // U+10FF00 then 'A'
      [0xF4, 0x80, 0x80, 0x80],  // U+100000, below the plane
      Array(0...255),
    ]
    for bytes in samples {
      let s = String(rawBytes: bytes)
      #expect(s.rawBytes == bytes)
      #expect(s.rawByteCount == bytes.count)
    }
    var seed: UInt64 = 1
    for _ in 0..<2000 {
      let bytes = (0..<Int(seed % 12)).map { _ -> UInt8 in
        seed = seed &* 6364136223846793005 &+ 1442695040888963407
        return UInt8(truncatingIfNeeded: seed >> 56)
      }
      #expect(String(rawBytes: bytes).rawBytes == bytes)
    }
  }

  @Test func validTextIsOrdinaryAndInvalidBytesAreOneScalarEach() {
    #expect(String(rawBytes: Array("é!".utf8)) == "é!")
    let s = String(rawBytes: [0x61, 0xFF, 0xFE, 0x62])
    #expect(s.unicodeScalars.count == 4)
    #expect(RawBytes.hasEscapes(s))
    #expect(!RawBytes.hasEscapes("é€"))
    #expect(s.unicodeScalars.compactMap(RawBytes.escapedByte) == [0xFF, 0xFE])
  }
}
