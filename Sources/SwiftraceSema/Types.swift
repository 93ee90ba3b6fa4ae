/// The types of the checked program. Integer values are 64 bits wide in registers (a narrower one is
/// kept sign- or zero-extended from its width), and `bits` is the width a cast, a field or a scratch
/// variable gives them: a variable first assigned a `uint8` stays one, as a C declaration would.
/// Maps, tuples and events store every integer in 8 bytes, as bpftrace does.
public enum SType: Codable, Hashable, Sendable, CustomStringConvertible {
  /// Statements and calls that produce nothing.
  case none
  case integer(signed: Bool, bits: Int = 64)
  /// `true`, `false`, and what newer bpftrace's predicates return (has_key, is_err, ...): 0 or 1
  /// in registers and in 8 bytes of a map, printed as `true` or `false`.
  case bool
  /// A NUL-padded string buffer of `size` bytes, NUL included.
  case string(size: Int)
  /// A C array of `count` elements (integers or arrays of them) held as its bytes in C's layout,
  /// zero-padded to 8: `int y[4]` of a struct, `pton(...)` (`uint8[4]`). Printed `[1,2,3,4]`.
  indirect case array(SType, count: Int)
  /// `buf(p, n)`: up to `size` raw bytes and their count, printed with escapes (`%r`).
  /// Stored as an 8-byte length followed by the bytes.
  case buffer(size: Int)
  /// The name of the probe that fired: 8 bytes in BPF (an index), printed as its name.
  case probe
  /// `args` of a tracepoint: only its fields can be used.
  case tracepointArgs
  /// `(a, b, ...)`: the elements in C's layout (`TupleLayout`), integers at their own width.
  indirect case tuple([SType])
  /// A pointer into kernel or user memory; its address space decides which read helper follows it.
  case pointer(CType, space: AddressSpace)
  /// A struct or union in memory (what `*p` of a struct pointer is): its value is its address,
  /// and only its fields can be read.
  case record(RecordRef, space: AddressSpace)
  /// A struct or union copied out of memory (`$s = *p`, a map value, a tuple element): its bytes
  /// in C's layout, and the fields that decode and print them.
  case structValue(StructLayout)
  /// A number printed as text by userspace: a symbol, a stack, a timestamp, an address.
  case symbol(SymbolKind)
  // Aggregations: the value types of maps assigned `count()`, `sum(x)`, ...
  case count
  case sum(signed: Bool)
  case min(signed: Bool)
  case max(signed: Bool)
  case avg(signed: Bool)
  /// `stats(x)`: stored like `avg` (count, total), printed with all three.
  case stats(signed: Bool)
  /// `hist(x)` and `lhist(x, min, max, step)`: a count per bucket. The bucket index is the last
  /// 8 bytes of the map key, as in bpftrace, so that no value outgrows the BPF stack.
  /// `hist(x, k)` (k from bpftrace 0.21 on): 2^k buckets per power of two.
  case hist(k: Int)
  case lhist(LinearBuckets)
  /// `tseries(x, interval, count [, agg])` (bpftrace 0.24 and later): the last `count` intervals'
  /// values. As with histograms, the interval's slot (its epoch modulo count) ends the key; the
  /// value is (value, meta, epoch) per CPU.
  case tseries(TimeSeries)

  public static let int64 = SType.integer(signed: true)
  /// `count` unsigned bytes, as `pton` makes them.
  public static func bytes(count: Int) -> SType { .array(.integer(signed: false, bits: 8), count: count) }

  /// Bytes of the value in C's layout: an array element's stride, an array's size.
  public var byteSize: Int {
    switch self {
    case .integer(_, let bits): return bits / 8
    case .array(let element, let count): return element.byteSize * count
    case .structValue(let layout): return layout.record.size
    case .tuple(let elements): return TupleLayout(elements).size
    default: return storageSize
    }
  }

  public var isArray: Bool { if case .array = self { return true } else { return false } }
  public static let uint64 = SType.integer(signed: false)

  public var isInteger: Bool { if case .integer = self { return true } else { return false } }
  public var isString: Bool { if case .string = self { return true } else { return false } }
  public var isTuple: Bool { if case .tuple = self { return true } else { return false } }
  public var isPointer: Bool { if case .pointer = self { return true } else { return false } }
  public var isSymbol: Bool { if case .symbol = self { return true } else { return false } }
  public var isBuffer: Bool { if case .buffer = self { return true } else { return false } }
  /// What printf's %s accepts.
  public var printsAsText: Bool { isString || isSymbol || self == .probe }
  /// Integers and pointers: what conditions, comparisons and integer conversions accept.
  public var isIntegerLike: Bool { isInteger || isPointer || self == .bool || isEnum }

  /// How the operand of arithmetic or a comparison counts: a bool as 0 or 1, an enum's value as
  /// its number.
  public var asArithmeticOperand: SType { self == .bool ? .uint64 : asEnumNumber }

  /// An enum's value as the number it is; any other type as it is.
  public var asEnumNumber: SType { isEnum ? .int64 : self }

  /// A value of an enum: an integer that prints as its enumerator's name.
  public var isEnum: Bool {
    if case .symbol(.enumName) = self { return true }
    return false
  }

  public var isAggregation: Bool {
    switch self {
    case .count, .sum, .min, .max, .avg, .stats, .hist, .lhist, .tseries: return true
    default: return false
    }
  }

  /// hist and lhist: map keys carry a bucket index after the script's keys.
  public var isHistogram: Bool {
    switch self {
    case .hist, .lhist: return true
    default: return false
    }
  }

  /// What a count, sum, min, max or avg map's entry reads as, folded over CPUs; nil for every
  /// other type.
  public var foldedReadType: SType? {
    switch self {
    case .count: return .uint64
    case .sum(let signed), .min(let signed), .max(let signed), .avg(let signed): return .integer(signed: signed)
    default: return nil
    }
  }

  /// hist, lhist and tseries: the last 8 bytes of the key are the slot (bucket or interval).
  public var hasSlotKey: Bool {
    if case .tseries = self { return true }
    return isHistogram
  }

  public var isSigned: Bool {
    switch self {
    case .integer(let s, _), .sum(let s), .min(let s), .max(let s), .avg(let s), .stats(let s): return s
    case .tseries(let t): return t.signed
    default: return false
    }
  }

  /// Whether a value of this type can be stored in a map or printed.
  public var isStorable: Bool {
    switch self {
    case .none, .tracepointArgs, .record: return false
    case .tuple(let elements): return elements.allSatisfy { $0.isStorable && !$0.isAggregation }
    default: return true
    }
  }

  public var description: String {
    switch self {
    case .none: return "none"
    case .bool: return "bool"
    case .integer(let s, let bits): return "\(s ? "" : "u")int\(bits)"
    case .string(let n): return "string[\(n)]"
    case .buffer(let n): return "buffer[\(n)]"
    case .array(let element, let n): return "\(element)[\(n)]"
    case .probe: return "probe"
    case .symbol(let kind): return kind.description
    case .tracepointArgs: return "args"
    case .tuple(let elements): return "(" + elements.map(\.description).joined(separator: ", ") + ")"
    case .pointer(let t, _): return "\(t) *"
    case .record(let r, _): return r.description
    case .structValue(let layout): return layout.record.description
    case .count: return "count"
    case .sum(let s): return "sum(\(s ? "int64" : "uint64"))"
    case .min(let s): return "min(\(s ? "int64" : "uint64"))"
    case .max(let s): return "max(\(s ? "int64" : "uint64"))"
    case .avg(let s): return "avg(\(s ? "int64" : "uint64"))"
    case .stats(let s): return "stats(\(s ? "int64" : "uint64"))"
    case .hist(let k): return k == 0 ? "hist" : "hist(\(k))"
    case .lhist(let b): return "lhist(\(b.min), \(b.max), \(b.step))"
    case .tseries(let t): return "tseries(\(t.intervalNanoseconds)ns, \(t.count)\(t.function == .last ? "" : ", " + t.function.rawValue))"
    }
  }

  /// Narrow integers become 64-bit ones: what maps hold. Tuples keep their elements' widths.
  public var widened: SType {
    switch self {
    case .integer(let s, _): return .integer(signed: s)
    default: return self
    }
  }

  /// The width of an integer narrower than 64 bits, which stores must truncate to.
  public var narrowBits: Int? {
    if case .integer(_, let bits) = self, bits < 64 { return bits }
    return nil
  }

  /// Bytes this type occupies in a map key, map value or event, rounded up to 8 so that every
  /// field of a composite stays 8-byte aligned.
  public var storageSize: Int {
    switch self {
    case .none, .tracepointArgs, .record: return 0
    case .string(let n): return (n + 7) / 8 * 8
    case .buffer(let n): return 8 + (n + 7) / 8 * 8
    case .array: return (byteSize + 7) / 8 * 8
    case .structValue(let layout): return (layout.record.size + 7) / 8 * 8
    case .symbol(let kind): return kind.storageSize
    case .min, .max, .avg, .stats: return 16  // (value, set) and (count, total)
    case .tseries: return 24  // (value, meta, epoch)
    // `()` holds nothing, but a map's value or key needs a byte at least: 8 zeros.
    case .tuple(let elements):
      let size: Int = (TupleLayout(elements).size + 7) / 8 * 8
      return Swift.max(8, size)
    default: return 8
    }
  }
}

/// Which memory a pointer points into: what decides the helper that reads through it.
public enum AddressSpace: Codable, Hashable, Sendable {
  case kernel
  case user
  /// Nothing says (an address made a pointer in BEGIN, END, interval, profile or perf-event probes,
  /// which run in either context): bpf_probe_read decides by the address, as in bpftrace.
  case unknown
}

/// The result of unifying two uses of one map or variable.
enum Unified {
  case same(SType)
  case conflict
}

/// Two types that may share a slot: strings widen to the longer, integers become signed if either is.
/// A narrow integer `a` (a scratch variable's declared width) keeps its type: values are converted.
func unify(_ a: SType, _ b: SType) -> Unified {
  switch (a, b) {
  case (.integer(_, let bits), .integer) where bits < 64: return .same(a)
  case (.integer(let x, _), .integer(let y, _)): return .same(.integer(signed: x || y))
  case (.string(let x), .string(let y)): return .same(.string(size: Swift.max(x, y)))
  case (.buffer(let x), .buffer(let y)): return .same(.buffer(size: Swift.max(x, y)))
  case (.sum(let x), .sum(let y)): return .same(.sum(signed: x || y))
  case (.min(let x), .min(let y)): return .same(.min(signed: x || y))
  case (.max(let x), .max(let y)): return .same(.max(signed: x || y))
  case (.avg(let x), .avg(let y)): return .same(.avg(signed: x || y))
  case (.stats(let x), .stats(let y)): return .same(.stats(signed: x || y))
  case (.tuple(let x), .tuple(let y)) where x.count == y.count:
    var merged: [SType] = []
    for (p, q) in zip(x, y) {
      // Integer elements of two tuples take the wider width (no narrow declaration to keep).
      if case .integer(let ps, let pb) = p, case .integer(let qs, let qb) = q {
        merged.append(.integer(signed: ps || qs, bits: Swift.max(pb, qb)))
        continue
      }
      guard case .same(let m) = unify(p, q) else { return .conflict }
      merged.append(m)
    }
    return .same(.tuple(merged))
  case (.pointer(let x, let xSpace), .pointer(let y, let ySpace)) where x.description == y.description:
    // One struct reached through two routes can have two type IDs (a kernel's BTF keeps some
    // duplicates, C definitions add their own): as in C, the same tag is the same type. A
    // pointer whose address space is known and one whose is not (made from an integer in a probe
    // that runs in either context) make one read by the address, as bpftrace reads them.
    return .same(xSpace == ySpace ? a : .pointer(x, space: .unknown))
  default: return a == b ? .same(a) : .conflict
  }
}

/// `tseries(x, interval, count [, function])`: `count` intervals of `intervalNanoseconds`, each
/// keeping the last value written in it or, with a function, their sum, minimum, maximum or
/// average.
public struct TimeSeries: Codable, Hashable, Sendable {
  public enum Function: String, Codable, Sendable, CaseIterable {
    case last = "", avg, max, min, sum
  }
  /// bpftrace's limit on the number of intervals.
  public static let maxIntervals: Int64 = 1_000_000
  public let intervalNanoseconds: UInt64
  public let count: Int
  public let function: Function
  public let signed: Bool

  public init(intervalNanoseconds: UInt64, count: Int, function: Function, signed: Bool) {
    self.intervalNanoseconds = intervalNanoseconds
    self.count = count
    self.function = function
    self.signed = signed
  }
}

/// The bounds of `lhist(x, min, max, step)`. Bucket 0 holds values below `min`; bucket i >= 1 holds
/// `min + (i-1)*step` up to one step more; the last bucket everything from there on. When `step`
/// does not divide `max - min`, values in the last partial step go to the last bucket, as in bpftrace.
public struct LinearBuckets: Codable, Hashable, Sendable {
  public let min: Int64
  public let max: Int64
  public let step: Int64

  public init(min: Int64, max: Int64, step: Int64) {
    self.min = min
    self.max = max
    self.step = step
  }

  public var bucketCount: Int { Int((max - min) / step) + 2 }
}

/// The log2 buckets of `hist(x, k)`: 0 for negative values, then one bucket for each value below
/// 2^k, then 2^k buckets for each power of two (bpftrace's log2(n, k)). With k = 0: 0 for negative
/// values, 1 for 0, then 2 + floor(log2(x)).
public enum Log2Buckets {
  /// How many buckets hist(x, k) has: up to 2^64 - 1, (65 - k) << k, and the one for negatives.
  public static func count(k: Int) -> Int { (65 - k) << k + 1 }

  /// The smallest and largest value of bucket `index` (nil low: the negative values).
  public static func range(_ index: Int, k: Int) -> (low: Int128?, high: Int128) {
    if index == 0 { return (nil, -1) }
    if index <= 1 << k { return (Int128(index - 1), Int128(index - 1)) }  // one value each
    let j = index - 1
    let power = (j >> k) - 1 + k  // floor(log2) of the bucket's values
    let sub = Int128(j & ((1 << k) - 1))
    let width = Int128(1) << (power - k)
    let low = (Int128(1) << power) + sub * width
    return (low, low + width - 1)
  }
}

/// What a struct value holds: its record, and its fields with the value types they decode to (a
/// field that cannot be a value, such as a function pointer's target, is left out).
public struct StructLayout: Codable, Hashable, Sendable {
  public struct Field: Codable, Hashable, Sendable {
    public let name: String
    public let field: RecordField
    public let type: SType
    public init(name: String, field: RecordField, type: SType) {
      self.name = name
      self.field = field
      self.type = type
    }
  }
  public let record: RecordRef
  public let fields: [Field]
  public init(record: RecordRef, fields: [Field]) {
    self.record = record
    self.fields = fields
  }

  /// The byte ranges of the record's storage (its size rounded up to 8) that no field covers.
  public var gaps: [Range<Int>] {
    let storage = (record.size + 7) / 8 * 8
    var covered = [Bool](repeating: false, count: storage)
    for f in fields {
      let size = max(1, f.field.type.size)
      for i in f.field.offset..<min(storage, f.field.offset + size) where i >= 0 { covered[i] = true }
    }
    var result: [Range<Int>] = []
    var start: Int?
    for i in 0...storage {
      let free = i < storage && !covered[i]
      if free, start == nil { start = i }
      if !free, let s = start {
        result.append(s..<i)
        start = nil
      }
    }
    return result
  }
}
