/// Work a probe hands to userspace through the ring buffer: the event starts with
/// `AsyncEventID.action(index)` and carries what the action needs after it.
public enum AsyncAction: Codable, Hashable, Sendable {
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
  /// `unwatch(address)`: the watchpoints on the address (the event carries it) are removed.
  case unwatch

  /// Bytes after the 8-byte event id.
  public var payloadSize: Int {
    switch self {
    case .printMap: return 16
    case .unwatch: return 8
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

/// Linux signal numbers by name, for `signal("SIGUSR1")` and `signal("KILL")`.
public enum SignalNames {
  static let numbers: [String: Int] = [
    "HUP": 1, "INT": 2, "QUIT": 3, "ILL": 4, "TRAP": 5, "ABRT": 6, "BUS": 7, "FPE": 8, "KILL": 9, "USR1": 10,
    "SEGV": 11, "USR2": 12, "PIPE": 13, "ALRM": 14, "TERM": 15, "STKFLT": 16, "CHLD": 17, "CONT": 18, "STOP": 19,
    "TSTP": 20, "TTIN": 21, "TTOU": 22, "URG": 23, "XCPU": 24, "XFSZ": 25, "VTALRM": 26, "PROF": 27, "WINCH": 28,
    "IO": 29, "PWR": 30, "SYS": 31,
  ]

  public static func number(of name: String) -> Int? {
    numbers[name.hasPrefix("SIG") ? String(name.dropFirst(3)) : name]
  }
}
