/// bpftrace's tuple layout: a C struct of the elements, each at its natural alignment, so that
/// `((int8)1, (int16)2, (int32)3)` is 8 bytes and `sizeof` says so. Integers keep their width.
public struct TupleLayout: Hashable, Sendable {
  public let offsets: [Int]
  /// C's size: the end of the last element, rounded up to the alignment.
  public let size: Int
  public let alignment: Int

  public init(_ elements: [SType]) {
    var offsets: [Int] = []
    var end = 0
    var alignment = 1
    for element in elements {
      let a = element.packedAlignment
      end = (end + a - 1) / a * a
      offsets.append(end)
      end += element.packedSize
      alignment = max(alignment, a)
    }
    self.offsets = offsets
    self.alignment = alignment
    self.size = (end + alignment - 1) / alignment * alignment
  }
}

extension SType {
  /// Bytes of the value inside a tuple (C's layout): an integer its width, a string its size.
  public var packedSize: Int {
    switch self {
    case .integer(_, let bits): return bits / 8
    case .string(let n): return n
    case .array, .structValue: return byteSize
    case .tuple(let elements): return TupleLayout(elements).size
    default: return storageSize
    }
  }

  /// C's alignment of the value inside a tuple.
  public var packedAlignment: Int {
    switch self {
    case .integer(_, let bits): return bits / 8
    case .string: return 1
    case .array(let element, _): return element.packedAlignment
    case .structValue(let layout):
      // The widest member's alignment, which divides the struct's size.
      let widest = layout.fields.map { $0.field.bitSize > 0 ? 1 : $0.type.packedAlignment }.max() ?? 1
      var a = Swift.min(widest, 8)
      while a > 1 && layout.record.size % a != 0 { a /= 2 }
      return a
    case .tuple(let elements): return TupleLayout(elements).alignment
    default: return 8
    }
  }
}
