import SwiftraceBasics
import SwiftraceRuntime
import SwiftraceSema
import Testing

/// The printers on made-up snapshots: bpftrace 0.17's text, checked without a kernel.
@Suite struct TextPrinterTests {
  func map(_ name: String, keys: [SType], value: SType) -> MapInfo {
    MapInfo(name: name, keyTypes: keys, valueType: value, firstAssignment: .init(start: 0, end: 0))
  }

  @Test func integerMapsSortByValueAndKeysPrintSigned() {
    let info = map("@ints", keys: [.int64], value: .int64)
    let s = MapSnapshot(info: info, entries: [
      .init(key: [.integer(3, signed: true)], value: .integer(30, signed: true)),
      .init(key: [.integer(1, signed: true)], value: .integer(100, signed: true)),
      .init(key: [.integer(UInt64(bitPattern: -7), signed: true)], value: .integer(5, signed: true)),
    ])
    #expect(TextPrinter.print(s) == "@ints[-7]: 5\n@ints[3]: 30\n@ints[1]: 100\n")
  }

  @Test func stringValuesSortByKeyAndMultiKeysJoin() {
    let info = map("@t", keys: [.string(size: 2), .int64], value: .string(size: 2))
    let s = MapSnapshot(info: info, entries: [
      .init(key: [.string("b"), .integer(1, signed: true)], value: .string("x")),
      .init(key: [.string("a"), .integer(2, signed: true)], value: .string("y")),
      .init(key: [.string("a"), .integer(1, signed: true)], value: .string("z")),
    ])
    #expect(TextPrinter.print(s) == "@t[a, 1]: z\n@t[a, 2]: y\n@t[b, 1]: x\n")
  }

  @Test func emptyMapsAndAverages() {
    #expect(TextPrinter.print(MapSnapshot(info: map("@e", keys: [.int64], value: .int64), entries: [])) == "\n")
    let avg = map("@a", keys: [], value: .avg(signed: true))
    #expect(TextPrinter.print(MapSnapshot(info: avg, entries: [])) == "\n\n")
    let one = MapSnapshot(info: avg, entries: [.init(key: [], value: .average(count: 2, total: 31))])
    #expect(TextPrinter.print(one) == "@a: 15\n\n")
  }

  /// 0.17's spelling with its sign fixed: a pointer value in unsigned decimal, a pointer key in hex.
  @Test func pointerValuesPrintUnsignedAndKeysInHexadecimal() {
    let info = map("@p", keys: [], value: .pointer(.void, space: .kernel))
    let s = MapSnapshot(info: info, entries: [.init(key: [], value: .pointer(0xffff_8881_09af_c500))])
    #expect(TextPrinter.print(s) == "@p: 18446612686527513856\n")
    let keyed = map("@k", keys: [.pointer(.void, space: .kernel)], value: .int64)
    let k = MapSnapshot(info: keyed, entries: [.init(key: [.pointer(0x100)], value: .integer(1, signed: true)),
                                               .init(key: [.pointer(0x22)], value: .integer(1, signed: true))])
    // Equal values sort by key, and pointer keys by their value.
    #expect(TextPrinter.print(k) == "@k[0x22]: 1\n@k[0x100]: 1\n")
  }

  @Test func perCPUValuesReduce() {
    let info = map("@m", keys: [], value: .min(signed: true))
    let decoder = MapDecoder(info: info, probeNames: [], cpus: 3)
    func le(_ v: Int64) -> [UInt8] { (0..<8).map { UInt8(truncatingIfNeeded: UInt64(bitPattern: v) >> (8 * UInt64($0))) } }
    // CPU 0 never set (value 0 must be ignored), CPU 1 holds 9, CPU 2 holds -4.
    let bytes = le(0) + le(0) + le(9) + le(1) + le(-4) + le(1)
    #expect(decoder.value(bytes) == .aggregate(UInt64(bitPattern: -4), signed: true))
    // Set on no CPU: the entry was zeroed (zero(@m)), which bpftrace prints as 0.
    #expect(decoder.value(le(0) + le(0) + le(0) + le(0) + le(0) + le(0)) == .aggregate(0, signed: true))
  }
}

@Suite struct PrintfFormatterTests {
  func format(_ f: String, _ values: [UInt64]) throws -> String {
    let parsed = try PrintfFormat.parse(f).get()
    let info = PrintfInfo(format: parsed, argumentTypes: values.map { _ in .int64 })
    var event = [UInt8](repeating: 0, count: info.eventSize)
    for (v, o) in zip(values, info.argumentOffsets) {
      for i in 0..<8 { event[o + i] = UInt8(truncatingIfNeeded: v >> (8 * UInt64(i))) }
    }
    return event.withUnsafeBytes { PrintfFormatter(info: info, probeNames: []).format($0) }
  }

  @Test func integerConversionsFollowC() throws {
    let minus3 = UInt64(bitPattern: -3)
    #expect(try format("%d %u %x %5d|%-5d|%05d %X %o %c", [minus3, minus3, 255, 42, 42, 7, 255, 8, 65])
      == "-3 4294967293 ff    42|42   |00007 FF 10 A")
    #expect(try format("%ld %lu %llx %hhd %p", [minus3, minus3, minus3, 255, 0x1000]) == "-3 18446744073709551613 fffffffffffffffd -1 0x1000")
    #expect(try format("100%% %+d", [5]) == "100% +5")
    // The byte-level path for plain decimals: the extremes of each length, and widths.
    #expect(try format("%ld %lu %d %hd %hhu %3d|%8ld", [1 << 63, ~0, 1 << 31, 0x8000, 0x1ff, UInt64(bitPattern: -7), 0])
      == "-9223372036854775808 18446744073709551615 -2147483648 -32768 255  -7|       0")
  }

  /// Strings are their bytes, valid UTF-8 or not; widths and precisions count bytes, as in C.
  @Test func stringConversions() throws {
    let parsed = try PrintfFormat.parse("[%s][%6s][%-6s][%.2s][%s]").get()
    let info = PrintfInfo(format: parsed, argumentTypes: Array(repeating: .string(size: 8), count: 5))
    var event = [UInt8](repeating: 0, count: info.eventSize)
    let values: [[UInt8]] = [Array("abc".utf8), Array("héé".utf8), Array("ok".utf8), Array("cut".utf8), [0x66, 0xff, 0x67]]
    for (value, offset) in zip(values, info.argumentOffsets) {
      for (i, b) in value.enumerated() { event[offset + i] = b }
    }
    let text = event.withUnsafeBytes { PrintfFormatter(info: info, probeNames: []).format($0) }
    #expect(text.rawBytes == Array("[abc][ héé][ok    ][cu][f".utf8) + [0xff] + Array("g]".utf8))
  }
}

@Suite struct DemanglingTests {
  @Test func cppNamesAreDemangled() {
    #expect(Symbolizer.demangle("_ZN3foo3barEv") == "foo::bar()")
    #expect(Symbolizer.demangle("_ZN9swiftrace6Widget4drawEi") == "swiftrace::Widget::draw(int)")
    #expect(Symbolizer.demangle("main") == "main")
    #expect(Symbolizer.demangle("_Znot_really") == "_Znot_really")
  }
}

@Suite struct StrftimeTests {
  @Test func percentFIsSixDigitsOfMicroseconds() {
    #expect(Symbolizer.strftime("%f", nanoseconds: 1_000_123_000) == "000123")
    #expect(Symbolizer.strftime("%S.%f", nanoseconds: 61_999_999_999).hasSuffix(".999999"))
    #expect(Symbolizer.strftime("%f", nanoseconds: 5_000) == "000005")
  }
}

/// Stacks as each mode prints them, from made-up stack-map contents.
@Suite struct StackTextTests {
  /// raw: addresses in hexadecimal, unindented (newer bpftrace's lines), up to the first 0.
  @Test func rawStacksAreUnindentedAddresses() {
    let symbolizer = Symbolizer()
    var frames: [UInt8] = []
    for address: UInt64 in [0xffff_ffff_8100_1234, 0xffff_ffff_8100_5678, 0] {
      frames += (0..<8).map { UInt8(truncatingIfNeeded: address >> (8 * UInt64($0))) }
    }
    symbolizer.readStack = { _, id in id == 7 ? frames : nil }
    let id: [UInt8] = [7, 0, 0, 0, 0, 0, 0, 0]
    let raw = StackFormat(mode: .raw, limit: 3)
    #expect(symbolizer.text(.kernelStack(raw), id, 0, context: .map) == "\nffffffff81001234\nffffffff81005678\n")
    #expect(symbolizer.text(.kernelStack(raw), id, 0, context: .printf) == "\nffffffff81001234\nffffffff81005678\n")
  }

  /// build_id: each frame as its file's build id and file offset (two digits at least); a frame
  /// whose build id the kernel could not read (status 2) as its address; status 0 ends the stack.
  @Test func buildIDStacksPrintBuildIDAndOffset() {
    let symbolizer = Symbolizer()
    func frame(status: UInt32, buildID: UInt8, value: UInt64) -> [UInt8] {
      (0..<4).map { UInt8(truncatingIfNeeded: status >> (8 * UInt32($0))) } + [UInt8](repeating: buildID, count: 20)
        + (0..<8).map { UInt8(truncatingIfNeeded: value >> (8 * UInt64($0))) }
    }
    let frames = frame(status: 1, buildID: 0xab, value: 0x117e) + frame(status: 1, buildID: 0x01, value: 0x5)
      + frame(status: 2, buildID: 0, value: 0x7f00_0000_1000) + frame(status: 0, buildID: 0, value: 0)
    symbolizer.readStack = { _, id in id == 3 ? frames : nil }
    let value: [UInt8] = [3, 0, 0, 0, 0, 0, 0, 0, 42, 0, 0, 0, 0, 0, 0, 0]  // stack id 3, pid 42
    let text = symbolizer.text(.userStack(StackFormat(mode: .buildID, limit: 4)), value, 0, context: .map)
    #expect(text == "\n" + String(repeating: "ab", count: 20) + " 0x117e\n" + String(repeating: "01", count: 20) + " 0x05\n7f0000001000\n")
  }
}

/// tseries graphs as newer bpftrace draws them, from made-up intervals (times masked: they are
/// local wall-clock times).
@Suite struct TimeSeriesTextTests {
  func masked(_ text: String) -> String {
    text.replacing(#/\d\d:\d\d:\d\d\.\d\d\d/#, with: "TT")
  }

  /// Columns as bpftrace computes them: zero at 53 * 2/6 (17), 0 at 52 * 2/6 (17), 4 at the end.
  @Test func graphMarksZeroValuesAndMissingIntervals() {
    let points = MapSnapshot.SeriesPoints(starts: [100_000_000, 200_000_000, 300_000_000, 400_000_000],
                                          values: [UInt64(bitPattern: -2), 0, nil, 4], signed: true)
    let expected = """
                   -2                                                  4
      hh:mm:ss.ms  |___________________________________________________|
      TT *                .                                  | -2
      TT |                *                                  | 0
      TT |                .                                  | -
      TT |                .                                  * 4
                   v___________________________________________________v
                   -2                                                  4

      """
    #expect(masked(TimeSeriesText.graph(points)) == expected)
  }

  /// One value: the range widens by one each way, the point sits in the middle column; one
  /// interval has no interval to measure, so times have nanoseconds.
  @Test func flatSeriesGetsRoomOnBothSides() {
    let points = MapSnapshot.SeriesPoints(starts: [1_000_000_000], values: [7], signed: false)
    let text = TimeSeriesText.graph(points)
    let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
    #expect(lines[0] == String(repeating: " ", count: 19) + "6" + String(repeating: " ", count: 20) + String(repeating: " ", count: 31) + "8")
    #expect(lines[1].hasPrefix("hh:mm:ss.ns        |"))
    #expect(lines[2].hasSuffix("|" + String(repeating: " ", count: 25) + "*" + String(repeating: " ", count: 25) + "| 7"))
    #expect(TimeSeriesText.graph(.init(starts: [], values: [], signed: false)) == "<no data>\n")
  }
}
