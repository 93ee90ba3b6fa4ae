import SwiftraceBasics
import Testing

/// BinaryCoding: what is written reads back the same, and damaged bytes are an error, never a crash.
struct BinaryCodingTests {
  enum Shape: Codable, Equatable {
    case empty
    case point(x: Int8, y: UInt64)
    indirect case nested([Shape], label: String?)
  }

  struct Record: Codable, Equatable {
    var name: String
    var bytes: [UInt8]
    var empty: [Shape]
    var shapes: [Shape]
    var optional: Int?
    var missing: Int?
    var flags: [Bool]
    var ratio: Double
    var table: [Int64: String]
    var negative: Int
  }

  static let sample = Record(
    name: "héllo\u{0}world", bytes: [0, 1, 255], empty: [],
    shapes: [.empty, .point(x: -128, y: .max), .nested([.empty, .nested([], label: nil)], label: "in")],
    optional: 7, missing: nil, flags: [true, false], ratio: -0.25, table: [-1: "minus", 1 << 40: "big"],
    negative: .min)

  @Test func valuesRoundTrip() throws {
    let bytes = try BinaryCoding.encode(Self.sample)
    #expect(try BinaryCoding.decode(Record.self, from: bytes) == Self.sample)
  }

  /// An empty array of another element type is a list, not bytes (a cast would take it for [UInt8]).
  @Test func emptyArraysKeepTheirType() throws {
    let bytes = try BinaryCoding.encode([[Shape]()])
    #expect(try BinaryCoding.decode([[Shape]].self, from: bytes) == [[]])
  }

  @Test func damagedBytesAreErrors() throws {
    let bytes = try BinaryCoding.encode(Self.sample)
    var failures = 0
    // Every prefix, and every byte changed in a few ways: each either decodes or throws.
    for end in 0..<bytes.count {
      if (try? BinaryCoding.decode(Record.self, from: Array(bytes[..<end]))) == nil { failures += 1 }
    }
    #expect(failures == bytes.count, "every cut is refused")
    for i in bytes.indices {
      for change: UInt8 in [0x01, 0x80, 0xff] {
        var damaged = bytes
        damaged[i] ^= change
        _ = try? BinaryCoding.decode(Record.self, from: damaged)
      }
    }
    // Lengths that claim more than there is, and nesting past the bound.
    #expect(throws: (any Error).self) { try BinaryCoding.decode([UInt8].self, from: [5, 0xff, 0xff, 0xff, 0xff, 0x0f]) }
    #expect(throws: (any Error).self) { try BinaryCoding.decode([Int].self, from: [6] + [UInt8](repeating: 0xff, count: 12)) }
    #expect(throws: (any Error).self) {
      try BinaryCoding.decode(Shape.self, from: [UInt8](repeating: 6, count: 5000).flatMap { [$0, 1] })
    }
  }
}
