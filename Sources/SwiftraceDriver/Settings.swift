import Glibc
import SwiftraceBasics

/// bpftrace's environment variables, each declared here once with what it takes. A value that does
/// not parse is an error naming the variable, never a silent default.
struct Settings {
  /// BPFTRACE_STRLEN: bytes of str() and buf() (the BPF stack is 512 bytes).
  var stringLength = 64
  /// BPFTRACE_MAP_KEYS_MAX: entries per map.
  var mapKeysMax: Int?
  /// BPFTRACE_PERF_RB_PAGES: buffer pages per CPU (the ring buffer's share, skboutput()'s perf buffers).
  var perfPages: Int?
  /// BPFTRACE_CAT_BYTES_MAX: bytes cat() prints.
  var catBytesMax: Int?
  /// BPFTRACE_MAX_PROBES and BPFTRACE_MAX_BPF_PROGS: attach points, and programs (one each).
  var maxProbes = 512
  var maxPrograms = 512
  /// BPFTRACE_NO_CPP_DEMANGLE=1 keeps C++ names mangled.
  var demangle = true
  /// BPFTRACE_NO_USER_SYMBOLS=1 prints user addresses, not symbols.
  var userSymbols = true

  /// The settings the environment gives, or the message for the first value that is not valid.
  static func read(_ environment: [String: String]) -> Result<Settings, SettingsError> {
    var settings = Settings()
    func number(_ name: String, _ range: ClosedRange<Int>, _ meaning: String) throws(SettingsError) -> Int? {
      guard let text = environment[name] else { return nil }
      guard let n = Int(text.trimmingSpaces()), range.contains(n) else {
        throw SettingsError("\(name) must be a number from \(range.lowerBound) to \(range.upperBound) (\(meaning)), not '\(text)'")
      }
      return n
    }
    func flag(_ name: String) throws(SettingsError) -> Bool? {
      guard let text = environment[name] else { return nil }
      guard text == "0" || text == "1" else { throw SettingsError("\(name) must be 0 or 1, not '\(text)'") }
      return text == "1"
    }
    func path(_ name: String) throws(SettingsError) {
      guard let text = environment[name], !text.isEmpty else { return }
      guard access(text, R_OK) == 0 else { throw SettingsError("\(name) names '\(text)', which cannot be read") }
    }
    do {
      settings.stringLength = try number("BPFTRACE_STRLEN", 1...200, "bytes of str() and buf()") ?? 64
      settings.mapKeysMax = try number("BPFTRACE_MAP_KEYS_MAX", 1...(1 << 30), "entries per map")
      settings.perfPages = try number("BPFTRACE_PERF_RB_PAGES", 1...(1 << 20), "buffer pages per CPU")
      settings.catBytesMax = try number("BPFTRACE_CAT_BYTES_MAX", 1...(1 << 30), "bytes cat() prints")
      settings.maxProbes = try number("BPFTRACE_MAX_PROBES", 1...(1 << 20), "attach points") ?? 512
      settings.maxPrograms = try number("BPFTRACE_MAX_BPF_PROGS", 1...(1 << 20), "BPF programs") ?? 512
      settings.demangle = !(try flag("BPFTRACE_NO_CPP_DEMANGLE") ?? false)
      settings.userSymbols = !(try flag("BPFTRACE_NO_USER_SYMBOLS") ?? false)
      _ = try flag("BPFTRACE_CACHE_USER_SYMBOLS")  // accepted: symbols are always cached by build id
      try path("BPFTRACE_BTF")
      try path("BPFTRACE_VMLINUX")  // accepted: kernel symbols come from /proc/kallsyms and BTF
    } catch {
      return .failure(error)
    }
    return .success(settings)
  }
}

struct SettingsError: Error, CustomStringConvertible {
  let description: String
  init(_ description: String) { self.description = description }
}
