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

  /// Bytes after the 8-byte event id.
  public var payloadSize: Int {
    switch self {
    case .printMap: return 16
    case .clearMap, .zeroMap, .time: return 0
    case .printValue(let type): return type.storageSize
    }
  }
}
