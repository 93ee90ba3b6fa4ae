/// Work a probe hands to userspace through the ring buffer: the event starts with
/// `AsyncEventID.action(index)` and carries what the action needs after it.
public enum AsyncAction: Hashable, Sendable {
  /// `print(@map [, top [, div]])`: the event carries top and div (0 when not given).
  case printMap(String)
  /// `clear(@map)`: every key is deleted (a one-entry array is zeroed).
  case clearMap(String)
  /// `zero(@map)`: every value becomes zero; the keys stay.
  case zeroMap(String)
  /// `print(value)`: the event carries the value laid out as `type`.
  case printValue(SType)
  /// `time(format)`: the wall-clock time when the event is handled.
  case time(format: String)
  /// `join(argv [, separator])`: up to `JoinLimits.count` strings of `elementSize` bytes each.
  case join(separator: String, elementSize: Int)

  /// Bytes after the 8-byte event id.
  public var payloadSize: Int {
    switch self {
    case .printMap: return 16
    case .clearMap, .zeroMap, .time: return 0
    case .join(_, let size): return JoinLimits.count * size
    case .printValue(let type): return type.storageSize
    }
  }
}

/// join() reads at most this many strings of the array, as bpftrace 0.17 does.
public enum JoinLimits {
  public static let count = 16
}
