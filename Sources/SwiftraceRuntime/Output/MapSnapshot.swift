import SwiftraceBasics
import SwiftraceSema

/// A map's contents read at one moment, decoded and reduced over CPUs, independent of any kernel
/// object so that printers can be tested with made-up snapshots.
public struct MapSnapshot: Sendable {
  public enum KeyPart: Hashable, Sendable {
    case integer(UInt64, signed: Bool)
    case string(String)
    case probe(String)
    /// A pointer key prints in hexadecimal (`@c[0x22]`), as bpftrace 0.17 prints it.
    case pointer(UInt64)
  }

  public enum Value: Sendable, Equatable {
    case integer(UInt64, signed: Bool)
    case boolean(Bool)
    case string(String)
    case probe(String)
    /// count, sum, min and max after reducing over CPUs.
    case aggregate(UInt64, signed: Bool)
    case average(count: Int64, total: Int64)
    case stats(count: Int64, total: Int64)
    /// hist and lhist: the count of every bucket, by index.
    case histogram([UInt64])
    indirect case tuple([Value])
    /// A pointer value prints as the unsigned decimal number (bpftrace 0.17 prints it in decimal,
    /// but signed: kernel addresses came out negative).
    case pointer(UInt64)
    /// An array of integers (or of arrays): `[1,2,3,4]`.
    indirect case array([Value])
    /// A struct's fields, in order: `{ .m = 2, .n = 3 }`.
    indirect case record(names: [String], values: [Value])
    /// tseries: the intervals to print, oldest first.
    case timeSeries(SeriesPoints)
  }

  /// A tseries key's intervals: each one's start (CLOCK_TAI nanoseconds) and value, nil where
  /// nothing was written in it.
  public struct SeriesPoints: Sendable, Equatable {
    public var starts: [UInt64]
    public var values: [UInt64?]
    public var signed: Bool
    public init(starts: [UInt64], values: [UInt64?], signed: Bool) {
      self.starts = starts
      self.values = values
      self.signed = signed
    }
  }

  public struct Entry: Sendable {
    public var key: [KeyPart]
    public var value: Value
    public init(key: [KeyPart], value: Value) {
      self.key = key
      self.value = value
    }
  }

  public let info: MapInfo
  public var entries: [Entry]

  public init(info: MapInfo, entries: [Entry]) {
    self.info = info
    self.entries = entries
  }

  /// Decodes raw (key, value) pairs as read from the kernel. Histogram entries, one per key and
  /// bucket there, become one entry per key holding all its buckets.
  public init(info: MapInfo, decoder: MapDecoder, raw: [(key: [UInt8], value: [UInt8])]) {
    self.info = info
    if case .tseries(let series) = info.valueType {
      entries = Self.timeSeries(series, info: info, decoder: decoder, raw: raw)
      return
    }
    guard info.valueType.isHistogram else {
      entries = raw.compactMap { key, value in decoder.value(value).map { Entry(key: decoder.key(key), value: $0) } }
      return
    }
    let buckets = info.arrayLength  // the histogram's buckets
    var order: [[KeyPart]] = []
    var counts: [[KeyPart]: [UInt64]] = [:]
    for (key, value) in raw {
      let parts = decoder.key(key)
      // A per-CPU array's key is the 4-byte bucket index; a hash's ends with an 8-byte one.
      let bucket = info.storage == .perCPUArray ? Int(u64(key + [0, 0, 0, 0], 0)) : Int(clamping: u64(key, info.bucketOffset))
      guard bucket < buckets else { continue }
      if counts[parts] == nil {
        order.append(parts)
        counts[parts] = Array(repeating: 0, count: buckets)
      }
      counts[parts]![bucket] &+= decoder.sum(value)
    }
    // An array has every bucket: all zero means never updated (or cleared), printed as empty.
    let all = order.map { Entry(key: $0, value: .histogram(counts[$0]!)) }
    entries = info.storage == .perCPUArray
      ? all.filter { if case .histogram(let c) = $0.value { return c.contains { $0 != 0 } } else { return true } } : all
  }
}

/// Turns raw key and value bytes into snapshot parts, using the checker's layouts.
public struct MapDecoder {
  public let info: MapInfo
  public let probeNames: [String]
  public let cpus: Int
  /// Resolves symbols, stacks and timestamps; without one they print as numbers.
  public let symbolizer: Symbolizer?

  public init(info: MapInfo, probeNames: [String], cpus: Int, symbolizer: Symbolizer? = nil) {
    self.info = info
    self.probeNames = probeNames
    self.cpus = cpus
    self.symbolizer = symbolizer
  }

  public func key(_ bytes: [UInt8]) -> [MapSnapshot.KeyPart] {
    zip(info.keyTypes, info.keyOffsets).map { type, offset in
      switch type {
      case .string(let n): return .string(cString(bytes, offset, n))
      case .buffer(let n): return .string(BufferText.format(bufferBytes(bytes, offset, n), style: ""))
      case .array: return .string(TextPrinter.valueText(Self.plain(type, bytes, offset, probeNames: [])))
      case .structValue: return .string(TextPrinter.keyText(Self.plain(type, bytes, offset, probeNames: [])))
      case .probe: return .probe(probeName(u64(bytes, offset)))
      case .pointer: return .pointer(u64(bytes, offset))
      case .bool: return .string(u64(bytes, offset) != 0 ? "true" : "false")  // false sorts first either way
      case .symbol(let kind): return .string(Self.symbolText(kind, bytes, offset, symbolizer))
      default: return .integer(u64(bytes, offset), signed: type.isSigned)
      }
    }
  }

  static func symbolText(_ kind: SymbolKind, _ bytes: [UInt8], _ offset: Int, _ symbolizer: Symbolizer?) -> String {
    symbolizer?.text(kind, bytes, offset, context: .map) ?? String(u64(bytes, offset))
  }

  /// nil for an entry that holds nothing; a zeroed min, max, avg or stats prints as 0.
  public func value(_ bytes: [UInt8]) -> MapSnapshot.Value? {
    let stride = info.valueSize
    let signed = info.valueType.isSigned
    switch info.valueType {
    case .string, .buffer, .array, .structValue, .probe, .integer, .bool, .tuple, .pointer, .symbol: return plain(info.valueType, bytes, 0)
    case .count, .sum:
      var total: UInt64 = 0
      for cpu in 0..<cpus { total &+= u64(bytes, cpu * stride) }
      return .aggregate(total, signed: signed)
    case .min, .max:
      var best: UInt64?
      let isMin = { if case .min = info.valueType { return true } else { return false } }()
      for cpu in 0..<cpus where u64(bytes, cpu * stride + 8) != 0 {
        let v = u64(bytes, cpu * stride)
        guard let b = best else {
          best = v
          continue
        }
        let less = signed ? Int64(bitPattern: v) < Int64(bitPattern: b) : v < b
        if less == isMin && v != b { best = v }
      }
      return .aggregate(best ?? 0, signed: signed)
    case .avg, .stats:
      var count: Int64 = 0, total: Int64 = 0
      for cpu in 0..<cpus {
        count &+= Int64(bitPattern: u64(bytes, cpu * stride))
        total &+= Int64(bitPattern: u64(bytes, cpu * stride + 8))
      }
      if case .stats = info.valueType { return .stats(count: count, total: total) }
      return .average(count: count, total: total)
    case .hist, .lhist:
      return .histogram([sum(bytes)])
    case .tseries:
      return nil  // whole series only (MapSnapshot.timeSeries)
    case .none, .tracepointArgs, .record:
      return nil
    }
  }

  /// A per-CPU counter summed over CPUs.
  public func sum(_ bytes: [UInt8]) -> UInt64 {
    var total: UInt64 = 0
    for cpu in 0..<cpus { total &+= u64(bytes, cpu * info.valueSize) }
    return total
  }

  func plain(_ type: SType, _ bytes: [UInt8], _ offset: Int) -> MapSnapshot.Value {
    Self.plain(type, bytes, offset, probeNames: probeNames, symbolizer: symbolizer)
  }

  /// A value that is not an aggregation, at `offset`: map values, tuple elements, print(value).
  public static func plain(_ type: SType, _ bytes: [UInt8], _ offset: Int, probeNames: [String],
                           symbolizer: Symbolizer? = nil) -> MapSnapshot.Value {
    switch type {
    case .string(let n): return .string(cString(bytes, offset, n))
    case .buffer(let n): return .string(BufferText.format(bufferBytes(bytes, offset, n), style: ""))
    case .array(let element, let count):
      let stride = element.byteSize
      return .array((0..<count).map { i in
        packed(element, bytes, offset + i * stride, probeNames: probeNames, symbolizer: symbolizer)
      })
    case .structValue(let layout):
      return .record(names: layout.fields.map(\.name), values: layout.fields.map { f in
        let at = offset + f.field.offset
        guard f.field.bitSize > 0, case .integer(let signed, _) = f.type else {
          return packed(f.type, bytes, at, probeNames: probeNames, symbolizer: symbolizer)
        }
        let word = littleEndianInteger(bytes, at, bytes: 8, signed: false)
        let mask: UInt64 = f.field.bitSize >= 64 ? ~0 : (1 << UInt64(f.field.bitSize)) - 1
        return .integer((word >> UInt64(f.field.bitOffset)) & mask, signed: signed)
      })
    case .probe: return .probe(probeName(u64(bytes, offset), probeNames))
    case .tuple(let elements):
      return .tuple(zip(elements, TupleLayout(elements).offsets).map {
        packed($0, bytes, offset + $1, probeNames: probeNames, symbolizer: symbolizer)
      })
    case .symbol(let kind): return .string(symbolText(kind, bytes, offset, symbolizer))
    case .pointer: return .pointer(u64(bytes, offset))
    case .bool: return .boolean(u64(bytes, offset) != 0)
    default: return .integer(u64(bytes, offset), signed: type.isSigned)
    }
  }

  /// A value in C's layout (an array element, a struct field): integers take their own width, not
  /// the 8 bytes maps and tuples give them.
  static func packed(_ type: SType, _ bytes: [UInt8], _ offset: Int, probeNames: [String],
                     symbolizer: Symbolizer?) -> MapSnapshot.Value {
    guard case .integer(let signed, let bits) = type else {
      return plain(type, bytes, offset, probeNames: probeNames, symbolizer: symbolizer)
    }
    return .integer(littleEndianInteger(bytes, offset, bytes: bits / 8, signed: signed), signed: signed)
  }

  func probeName(_ index: UInt64) -> String { Self.probeName(index, probeNames) }

  static func probeName(_ index: UInt64, _ names: [String]) -> String {
    index < names.count ? names[Int(index)] : "probe#\(index)"
  }
}

func u64(_ bytes: [UInt8], _ offset: Int) -> UInt64 {
  guard offset >= 0, offset <= bytes.count - 8 else { return 0 }
  var v: UInt64 = 0
  for i in 0..<8 { v |= UInt64(bytes[offset + i]) << (8 * UInt64(i)) }
  return v
}

/// The string of at most `max` bytes at `offset`: up to its NUL, or all `max` bytes and the
/// trailer when there is none (str_trunc_trailer: the string was cut).
func cString(_ bytes: [UInt8], _ offset: Int, _ max: Int) -> String {
  let end = min(bytes.count, offset + max)
  guard offset < end else { return "" }
  let slice = bytes[offset..<end]
  guard let stop = slice.firstIndex(of: 0) else {
    return String(rawBytes: slice) + (StringTrailer.text ?? "")
  }
  return String(rawBytes: bytes[offset..<stop])
}

/// str_trunc_trailer of the program being printed (RunPlan.stringTrailer), nil for none.
/// Every decoder of strings reads it; the session sets it once, before any event or map is read.
public enum StringTrailer {
  nonisolated(unsafe) public static var text: String?
}

/// `n` bytes at `offset` (zeros past the end).
func byteArray(_ bytes: [UInt8], _ offset: Int, _ n: Int) -> [UInt8] {
  (0..<n).map { offset + $0 < bytes.count ? bytes[offset + $0] : 0 }
}

/// An integer of 1 to 8 bytes at `offset`, sign- or zero-extended to 64 bits.
func littleEndianInteger(_ bytes: [UInt8], _ offset: Int, bytes n: Int, signed: Bool) -> UInt64 {
  var v: UInt64 = 0
  for (i, b) in byteArray(bytes, offset, n).enumerated() { v |= UInt64(b) << UInt64(8 * i) }
  if signed && n < 8 && v & (1 << UInt64(8 * n - 1)) != 0 { v |= ~0 << UInt64(8 * n) }
  return v
}

/// The bytes of a `buf()` value: an 8-byte length, then at most `capacity` bytes.
func bufferBytes(_ bytes: [UInt8], _ offset: Int, _ capacity: Int) -> ArraySlice<UInt8> {
  let length = Int(min(u64(bytes, offset), UInt64(capacity)))
  let start = min(bytes.count, offset + 8)
  return bytes[start..<min(bytes.count, start + length)]
}

/// How bpftrace prints buffers: `%r` keeps printable ASCII and escapes the rest as `\xNN`, `%rx`
/// escapes every byte, `%rh` prints hex pairs separated by spaces.
public enum BufferText {
  public static func format<C: Collection<UInt8>>(_ bytes: C, style: String) -> String {
    switch style {
    case "h": return bytes.map(\.twoHexDigits).joined(separator: " ")
    case "x": return bytes.map { "\\x" + $0.twoHexDigits }.joined()
    default:
      return bytes.map { (0x20...0x7e).contains($0) ? String(UnicodeScalar($0)) : "\\x" + $0.twoHexDigits }.joined()
    }
  }
}

extension MapSnapshot {
  /// tseries entries: each key's slots, each slot's CPUs reduced to the value of its latest epoch
  /// (bpftrace's rules: the last written value by its time, or the sum, minimum, maximum or
  /// average of that epoch's CPUs), then the last `count` intervals up to the latest epoch of any
  /// key, from each key's first interval on. Keys are in order of their latest interval.
  static func timeSeries(_ series: TimeSeries, info: MapInfo, decoder: MapDecoder,
                         raw: [(key: [UInt8], value: [UInt8])]) -> [Entry] {
    var order: [[KeyPart]] = []
    var byKey: [[KeyPart]: [UInt64: UInt64]] = [:]  // epoch -> value
    for (key, value) in raw {
      let parts = decoder.key(key)
      guard let (epoch, v) = reduce(value, series, cpus: decoder.cpus, stride: info.valueSize) else { continue }
      if byKey[parts] == nil {
        order.append(parts)
        byKey[parts] = [:]
      }
      byKey[parts]![epoch] = v
    }
    let latest = order.map { byKey[$0]!.keys.max() ?? 0 }
    guard let last = latest.max() else { return [] }
    let first = last >= UInt64(series.count) - 1 ? last - UInt64(series.count) + 1 : 0
    let sorted = zip(order, latest).enumerated().sorted { a, b in
      a.element.1 != b.element.1 ? a.element.1 < b.element.1 : a.offset < b.offset
    }.map(\.element.0)
    return sorted.map { parts in
      let values = byKey[parts]!
      let start = values.keys.filter { $0 >= first }.min() ?? last + 1
      let epochs = start <= last ? Array(start...last) : []
      return Entry(key: parts, value: .timeSeries(SeriesPoints(
        starts: epochs.map { $0 &* series.intervalNanoseconds }, values: epochs.map { values[$0] }, signed: series.signed)))
    }
  }

  /// One slot's CPUs: (value, meta, epoch) each; epoch 0 was never written.
  static func reduce(_ bytes: [UInt8], _ series: TimeSeries, cpus: Int, stride: Int) -> (epoch: UInt64, value: UInt64)? {
    var best: [UInt64: (value: UInt64, meta: UInt64)] = [:]
    for cpu in 0..<cpus {
      let at = cpu * stride
      let (v, meta, epoch) = (u64(bytes, at), u64(bytes, at + 8), u64(bytes, at + 16))
      guard epoch != 0 else { continue }
      guard let current = best[epoch] else {
        best[epoch] = (v, meta)
        continue
      }
      let less = series.signed ? Int64(bitPattern: v) < Int64(bitPattern: current.value) : v < current.value
      switch series.function {
      case .last: if meta > current.meta { best[epoch] = (v, meta) }
      case .sum: best[epoch] = (current.value &+ v, 0)
      case .avg: best[epoch] = (current.value &+ v, current.meta &+ meta)
      case .min: if less { best[epoch] = (v, 1) }
      case .max: if !less && v != current.value { best[epoch] = (v, 1) }
      }
    }
    guard let epoch = best.keys.max(), let r = best[epoch] else { return nil }
    if series.function == .avg {
      guard r.meta != 0 else { return (epoch, 0) }
      // Whatever the map holds: never a trap (INT64_MIN / -1).
      let mean = series.signed
        ? UInt64(bitPattern: Int64(bitPattern: r.value).dividedReportingOverflow(by: Int64(bitPattern: r.meta)).partialValue)
        : r.value / r.meta
      return (epoch, mean)
    }
    return (epoch, r.value)
  }
}
