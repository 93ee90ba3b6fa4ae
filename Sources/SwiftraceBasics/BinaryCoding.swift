/// A compact, self-describing binary form of `Codable` values, for what swiftrace keeps on disk
/// (artefacts and the compile cache): the types' synthesized conformances are the one description
/// of their layout, and no Foundation is linked for it (the runner's start-up and memory are
/// measured; Foundation alone costs about 9 MB of it).
///
/// Every value is a tagged node: integers as LEB128 varints (signed ones zigzagged), strings and
/// byte arrays with their length, lists with their count, keyed containers as (key, node) pairs.
/// Decoding checks every length and tag against what is left and how deep it nests: damaged
/// input is a thrown error, never a crash.
public enum BinaryCoding {
  public struct Failure: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
  }

  public static func encode<T: Encodable>(_ value: T) throws -> [UInt8] {
    let slot = EncodingSlot()
    try slot.store(value, codingPath: [])
    var out: [UInt8] = []
    slot.finish().write(to: &out)
    return out
  }

  public static func decode<T: Decodable>(_ type: T.Type, from bytes: [UInt8]) throws -> T {
    var reader = NodeReader(bytes: bytes)
    let node = try reader.node(depth: 0)
    guard reader.position == bytes.count else { throw Failure("\(bytes.count - reader.position) bytes after the value") }
    return try NodeDecoder(node: node, codingPath: []).decodeValue(type)
  }
}

/// One value of the encoding.
indirect enum BinaryNode {
  case null
  case bool(Bool)
  case signed(Int64)
  case unsigned(UInt64)
  case string(String)
  case bytes([UInt8])
  case list([BinaryNode])
  case keyed([(String, BinaryNode)])

  private enum Tag: UInt8 { case null, bool, signed, unsigned, string, bytes, list, keyed }

  func write(to out: inout [UInt8]) {
    func varint(_ v: UInt64) {
      var v = v
      while v >= 0x80 {
        out.append(UInt8(v & 0x7f) | 0x80)
        v >>= 7
      }
      out.append(UInt8(v))
    }
    switch self {
    case .null: out.append(Tag.null.rawValue)
    case .bool(let b): out += [Tag.bool.rawValue, b ? 1 : 0]
    case .signed(let v):
      out.append(Tag.signed.rawValue)
      varint(UInt64(bitPattern: (v << 1) ^ (v >> 63)))
    case .unsigned(let v):
      out.append(Tag.unsigned.rawValue)
      varint(v)
    case .string(let s):
      out.append(Tag.string.rawValue)
      varint(UInt64(s.utf8.count))
      out += s.utf8
    case .bytes(let b):
      out.append(Tag.bytes.rawValue)
      varint(UInt64(b.count))
      out += b
    case .list(let items):
      out.append(Tag.list.rawValue)
      varint(UInt64(items.count))
      for item in items { item.write(to: &out) }
    case .keyed(let pairs):
      out.append(Tag.keyed.rawValue)
      varint(UInt64(pairs.count))
      for (key, value) in pairs {
        varint(UInt64(key.utf8.count))
        out += key.utf8
        value.write(to: &out)
      }
    }
  }
}

/// Reads nodes, checking every length against the bytes left.
struct NodeReader {
  let bytes: [UInt8]
  var position = 0
  /// Deeper than any value swiftrace writes (types nest a few dozen levels at most).
  static let maxDepth = 1000

  init(bytes: [UInt8]) { self.bytes = bytes }

  mutating func byte() throws -> UInt8 {
    guard position < bytes.count else { throw BinaryCoding.Failure("the data ends early") }
    defer { position += 1 }
    return bytes[position]
  }

  mutating func varint() throws -> UInt64 {
    var result: UInt64 = 0
    var shift: UInt64 = 0
    while true {
      let b = try byte()
      guard shift < 64 else { throw BinaryCoding.Failure("an integer is too long") }
      result |= UInt64(b & 0x7f) << shift
      if b < 0x80 { return result }
      shift += 7
    }
  }

  mutating func length() throws -> Int {
    let n = try varint()
    guard n <= UInt64(bytes.count - position) else { throw BinaryCoding.Failure("a length runs past the end") }
    return Int(n)
  }

  mutating func text() throws -> String {
    let n = try length()
    defer { position += n }
    return String(decoding: bytes[position..<position + n], as: UTF8.self)
  }

  mutating func node(depth: Int) throws -> BinaryNode {
    guard depth < Self.maxDepth else { throw BinaryCoding.Failure("values nest too deep") }
    switch try byte() {
    case 0: return .null
    case 1: return .bool(try byte() != 0)
    case 2:
      let z = try varint()
      return .signed(Int64(bitPattern: z >> 1) ^ -Int64(bitPattern: z & 1))
    case 3: return .unsigned(try varint())
    case 4: return .string(try text())
    case 5:
      let n = try length()
      defer { position += n }
      return .bytes(Array(bytes[position..<position + n]))
    case 6:
      // Every item takes at least one byte: a count past what is left is damage.
      let n = try length()
      var items: [BinaryNode] = []
      items.reserveCapacity(n)
      for _ in 0..<n { items.append(try node(depth: depth + 1)) }
      return .list(items)
    case 7:
      let n = try length()
      var pairs: [(String, BinaryNode)] = []
      pairs.reserveCapacity(n)
      for _ in 0..<n {
        let key = try text()
        pairs.append((key, try node(depth: depth + 1)))
      }
      return .keyed(pairs)
    case let tag: throw BinaryCoding.Failure("unknown tag \(tag)")
    }
  }
}

// MARK: Encoding

/// Where one value is being written; containers fill it in.
final class EncodingSlot {
  enum Content {
    case empty
    case node(BinaryNode)
    case list([EncodingSlot])
    case keyed([(String, EncodingSlot)])
  }
  var content = Content.empty

  func finish() -> BinaryNode {
    switch content {
    case .empty: return .null
    case .node(let node): return node
    case .list(let slots): return .list(slots.map { $0.finish() })
    case .keyed(let pairs): return .keyed(pairs.map { ($0.0, $0.1.finish()) })
    }
  }

  /// Matched on the static type, not by casting the value: an empty array of any element type
  /// casts to `[UInt8]`, and an optional to what it wraps.
  func store<T: Encodable>(_ value: T, codingPath: [CodingKey]) throws {
    switch T.self {
    case is Bool.Type: content = .node(.bool(value as! Bool))
    case is String.Type: content = .node(.string(value as! String))
    case is [UInt8].Type: content = .node(.bytes(value as! [UInt8]))
    case is Int.Type: content = .node(.signed(Int64(value as! Int)))
    case is Int8.Type: content = .node(.signed(Int64(value as! Int8)))
    case is Int16.Type: content = .node(.signed(Int64(value as! Int16)))
    case is Int32.Type: content = .node(.signed(Int64(value as! Int32)))
    case is Int64.Type: content = .node(.signed(value as! Int64))
    case is UInt.Type: content = .node(.unsigned(UInt64(value as! UInt)))
    case is UInt8.Type: content = .node(.unsigned(UInt64(value as! UInt8)))
    case is UInt16.Type: content = .node(.unsigned(UInt64(value as! UInt16)))
    case is UInt32.Type: content = .node(.unsigned(UInt64(value as! UInt32)))
    case is UInt64.Type: content = .node(.unsigned(value as! UInt64))
    case is Double.Type: content = .node(.unsigned((value as! Double).bitPattern))
    case is Float.Type: content = .node(.unsigned(UInt64((value as! Float).bitPattern)))
    default: try value.encode(to: NodeEncoder(slot: self, codingPath: codingPath))
    }
  }
}

struct NodeEncoder: Encoder {
  let slot: EncodingSlot
  let codingPath: [CodingKey]
  var userInfo: [CodingUserInfoKey: Any] { [:] }

  func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
    if case .keyed = slot.content {} else { slot.content = .keyed([]) }
    return KeyedEncodingContainer(KeyedNodeEncoder<Key>(slot: slot, codingPath: codingPath))
  }

  func unkeyedContainer() -> UnkeyedEncodingContainer {
    if case .list = slot.content {} else { slot.content = .list([]) }
    return UnkeyedNodeEncoder(slot: slot, codingPath: codingPath)
  }

  func singleValueContainer() -> SingleValueEncodingContainer { SingleNodeEncoder(slot: slot, codingPath: codingPath) }
}

struct KeyedNodeEncoder<Key: CodingKey>: KeyedEncodingContainerProtocol {
  let slot: EncodingSlot
  let codingPath: [CodingKey]

  private func child(_ key: Key) -> EncodingSlot {
    let child = EncodingSlot()
    if case .keyed(var pairs) = slot.content {
      pairs.append((key.stringValue, child))
      slot.content = .keyed(pairs)
    }
    return child
  }

  mutating func encodeNil(forKey key: Key) throws { child(key).content = .node(.null) }
  mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
    try child(key).store(value, codingPath: codingPath + [key])
  }
  mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
    NodeEncoder(slot: child(key), codingPath: codingPath + [key]).container(keyedBy: keyType)
  }
  mutating func nestedUnkeyedContainer(forKey key: Key) -> UnkeyedEncodingContainer {
    NodeEncoder(slot: child(key), codingPath: codingPath + [key]).unkeyedContainer()
  }
  mutating func superEncoder() -> Encoder { NodeEncoder(slot: child(Key(stringValue: "super")!), codingPath: codingPath) }
  mutating func superEncoder(forKey key: Key) -> Encoder { NodeEncoder(slot: child(key), codingPath: codingPath + [key]) }
}

struct UnkeyedNodeEncoder: UnkeyedEncodingContainer {
  let slot: EncodingSlot
  let codingPath: [CodingKey]
  var count: Int {
    if case .list(let items) = slot.content { return items.count }
    return 0
  }

  private func next() -> EncodingSlot {
    let child = EncodingSlot()
    if case .list(var items) = slot.content {
      items.append(child)
      slot.content = .list(items)
    }
    return child
  }

  mutating func encodeNil() throws { next().content = .node(.null) }
  mutating func encode<T: Encodable>(_ value: T) throws { try next().store(value, codingPath: codingPath) }
  mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
    NodeEncoder(slot: next(), codingPath: codingPath).container(keyedBy: keyType)
  }
  mutating func nestedUnkeyedContainer() -> UnkeyedEncodingContainer {
    NodeEncoder(slot: next(), codingPath: codingPath).unkeyedContainer()
  }
  mutating func superEncoder() -> Encoder { NodeEncoder(slot: next(), codingPath: codingPath) }
}

struct SingleNodeEncoder: SingleValueEncodingContainer {
  let slot: EncodingSlot
  let codingPath: [CodingKey]
  mutating func encodeNil() throws { slot.content = .node(.null) }
  mutating func encode<T: Encodable>(_ value: T) throws { try slot.store(value, codingPath: codingPath) }
}

// MARK: Decoding

struct NodeDecoder: Decoder {
  let node: BinaryNode
  let codingPath: [CodingKey]
  var userInfo: [CodingUserInfoKey: Any] { [:] }

  func failure(_ what: String) -> DecodingError {
    .dataCorrupted(DecodingError.Context(codingPath: codingPath, debugDescription: what))
  }

  func decodeValue<T: Decodable>(_ type: T.Type) throws -> T {
    func integer<I: FixedWidthInteger>(_: I.Type) throws -> I {
      switch node {
      case .signed(let v): if let i = I(exactly: v) { return i }
      case .unsigned(let v): if let i = I(exactly: v) { return i }
      default: break
      }
      throw failure("expected \(I.self)")
    }
    switch type {
    case is Bool.Type:
      guard case .bool(let b) = node else { throw failure("expected a Bool") }
      return b as! T
    case is String.Type:
      guard case .string(let s) = node else { throw failure("expected a String") }
      return s as! T
    case is [UInt8].Type:
      guard case .bytes(let b) = node else { throw failure("expected bytes") }
      return b as! T
    case is Int.Type: return try integer(Int.self) as! T
    case is Int8.Type: return try integer(Int8.self) as! T
    case is Int16.Type: return try integer(Int16.self) as! T
    case is Int32.Type: return try integer(Int32.self) as! T
    case is Int64.Type: return try integer(Int64.self) as! T
    case is UInt.Type: return try integer(UInt.self) as! T
    case is UInt8.Type: return try integer(UInt8.self) as! T
    case is UInt16.Type: return try integer(UInt16.self) as! T
    case is UInt32.Type: return try integer(UInt32.self) as! T
    case is UInt64.Type: return try integer(UInt64.self) as! T
    case is Double.Type: return Double(bitPattern: try integer(UInt64.self)) as! T
    case is Float.Type: return Float(bitPattern: try integer(UInt32.self)) as! T
    default: return try T(from: self)
    }
  }

  func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
    guard case .keyed(let pairs) = node else { throw failure("expected a keyed container") }
    var values: [String: BinaryNode] = [:]
    for (key, value) in pairs { values[key] = value }
    return KeyedDecodingContainer(KeyedNodeDecoder<Key>(values: values, order: pairs.map(\.0), codingPath: codingPath))
  }

  func unkeyedContainer() throws -> UnkeyedDecodingContainer {
    guard case .list(let items) = node else { throw failure("expected a list") }
    return UnkeyedNodeDecoder(items: items, codingPath: codingPath)
  }

  func singleValueContainer() throws -> SingleValueDecodingContainer { SingleNodeDecoder(decoder: self) }
}

struct KeyedNodeDecoder<Key: CodingKey>: KeyedDecodingContainerProtocol {
  let values: [String: BinaryNode]
  let order: [String]
  let codingPath: [CodingKey]
  var allKeys: [Key] { order.compactMap { Key(stringValue: $0) } }

  func contains(_ key: Key) -> Bool { values[key.stringValue] != nil }

  private func decoder(_ key: Key) throws -> NodeDecoder {
    guard let node = values[key.stringValue] else {
      throw DecodingError.keyNotFound(key, DecodingError.Context(codingPath: codingPath, debugDescription: "missing"))
    }
    return NodeDecoder(node: node, codingPath: codingPath + [key])
  }

  func decodeNil(forKey key: Key) throws -> Bool {
    if case .null = try decoder(key).node { return true }
    return false
  }
  func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T { try decoder(key).decodeValue(type) }
  func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
    try decoder(key).container(keyedBy: type)
  }
  func nestedUnkeyedContainer(forKey key: Key) throws -> UnkeyedDecodingContainer { try decoder(key).unkeyedContainer() }
  func superDecoder() throws -> Decoder { try decoder(Key(stringValue: "super")!) }
  func superDecoder(forKey key: Key) throws -> Decoder { try decoder(key) }
}

struct UnkeyedNodeDecoder: UnkeyedDecodingContainer {
  let items: [BinaryNode]
  let codingPath: [CodingKey]
  var currentIndex = 0
  var count: Int? { items.count }
  var isAtEnd: Bool { currentIndex >= items.count }

  private mutating func next() throws -> NodeDecoder {
    guard !isAtEnd else {
      throw DecodingError.valueNotFound(Any.self, DecodingError.Context(codingPath: codingPath, debugDescription: "the list ends"))
    }
    defer { currentIndex += 1 }
    return NodeDecoder(node: items[currentIndex], codingPath: codingPath)
  }

  mutating func decodeNil() throws -> Bool {
    guard !isAtEnd, case .null = items[currentIndex] else { return false }
    currentIndex += 1
    return true
  }
  mutating func decode<T: Decodable>(_ type: T.Type) throws -> T { try next().decodeValue(type) }
  mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<NestedKey> {
    try next().container(keyedBy: type)
  }
  mutating func nestedUnkeyedContainer() throws -> UnkeyedDecodingContainer { try next().unkeyedContainer() }
  mutating func superDecoder() throws -> Decoder { try next() }
}

struct SingleNodeDecoder: SingleValueDecodingContainer {
  let decoder: NodeDecoder
  var codingPath: [CodingKey] { decoder.codingPath }
  func decodeNil() -> Bool {
    if case .null = decoder.node { return true }
    return false
  }
  func decode<T: Decodable>(_ type: T.Type) throws -> T { try decoder.decodeValue(type) }
}
