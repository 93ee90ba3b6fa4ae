import CSyscalls
import SwiftraceBasics
import Glibc
import SwiftraceDebugInfo
import SwiftraceSema

/// Turns the numbers BPF stored for `SymbolKind` values into text: kernel symbols from
/// /proc/kallsyms, user symbols from the ELF files mapped into the process, stacks from the
/// stack-trace maps, wall-clock times, addresses, user names and errno names.
public final class Symbolizer {
  /// Reads the instruction pointers of stack `id` from the map for `limit` frames.
  /// The raw value of stack `id` in the stack map named `symbol`.
  public var readStack: (_ symbol: String, _ id: UInt32) -> [UInt8]? = { _, _ in nil }
  private var kernelSymbols: [(address: UInt64, name: String)]?
  private var mappings: [Int32: [Mapping]] = [:]
  /// CLOCK_REALTIME minus CLOCK_MONOTONIC, for strftime() of `nsecs`.
  private let wallClockOffset: Int64

  struct Mapping {
    let start: UInt64, end: UInt64, fileOffset: UInt64
    let path: String
  }

  public init() {
    var real = timespec(), mono = timespec()
    clock_gettime(CLOCK_REALTIME, &real)
    clock_gettime(CLOCK_MONOTONIC, &mono)
    wallClockOffset = (Int64(real.tv_sec) - Int64(mono.tv_sec)) * 1_000_000_000 + Int64(real.tv_nsec) - Int64(mono.tv_nsec)
  }

  /// Where the text goes changes how stacks are indented: 8 spaces in printf, 4 in maps.
  public enum Context { case printf, map }

  public func text(_ kind: SymbolKind, _ bytes: [UInt8], _ offset: Int, context: Context) -> String {
    let value = u64(bytes, offset)
    switch kind {
    case .timestamp(let format):
      return Self.strftime(format, nanoseconds: Int64(bitPattern: value) &+ wallClockOffset)
    case .kernelSymbol:
      return kernelSymbol(value, withOffset: false) ?? hex(value)
    case .userSymbol:
      if let live = userSymbol(value, pid: Int32(truncatingIfNeeded: u64(bytes, offset + 8)), withOffset: false) {
        return live.text
      }
      // The process is gone: the file and offset BPF found when the value was made still say it.
      return fileSymbol(inode: u64(bytes, offset + 16), device: u64(bytes, offset + 24),
                        fileOffset: u64(bytes, offset + 32)) ?? hex(value)
    case .kernelStack(let format), .userStack(let format):
      let user = { if case .userStack = kind { return true } else { return false } }()
      let pid = user ? Int32(truncatingIfNeeded: u64(bytes, offset + 8)) : 0
      return stack(Int64(bitPattern: value), format: format, pid: user ? pid : nil, context: context)
    case .inetAddress:
      return Self.inetText(family: value, bytes, offset + 8)
    case .username:
      guard let entry = getpwuid(uid_t(truncatingIfNeeded: value)), let name = entry.pointee.pw_name else {
        return String(value)
      }
      return String(cString: name)
    case .errorName:
      return String(cString: strerror(Int32(truncatingIfNeeded: value)))
    case .signalName:
      // strsignal(3)'s words, and bpftrace's for a number outside the signals.
      let n = Int64(bitPattern: value)
      guard (0...64).contains(n) else { return "N/A" }
      return String(cString: strsignal(Int32(n)))
    case .syscallName:
      // bpftrace's words for a number with no name.
      return SyscallNames.byNumber[Int(Int64(bitPattern: value))] ?? "Unknown syscall"
    case .cgroupPath:
      return CgroupPaths.text(id: value)
    case .enumName(let type):
      return type.text(value)
    case .macAddress:
      return (0..<6).map { i in
        let byte = UInt8(truncatingIfNeeded: value >> (8 * UInt64(i)))
        return (byte < 16 ? "0" : "") + String(byte, radix: 16, uppercase: true)
      }.joined(separator: ":")
    }
  }

  // MARK: Stacks

  func stack(_ id: Int64, format: StackFormat, pid: Int32?, context: Context) -> String {
    let buildIDs = pid != nil && format.recordsBuildIDs
    let symbol = buildIDs ? ObjectSymbols.buildIDStacks(limit: format.limit) : ObjectSymbols.stacks(limit: format.limit)
    guard id >= 0, let bytes = readStack(symbol, UInt32(id)) else { return "" }
    // raw and build_id lines are unindented, as newer bpftrace prints them.
    let indent = format.mode == .perf ? "\t" : format.mode == .raw ? "" : context == .printf ? "        " : "    "
    var out = "\n"
    if buildIDs, let pid {
      // struct bpf_stack_build_id: s32 status, u8 build_id[20], then the file offset (status 1)
      // or the address (status 2, when the kernel could not read the build id).
      for at in stride(from: 0, to: bytes.count - 31, by: 32) {
        let status = u64(bytes, at) & 0xffff_ffff
        let value = u64(bytes, at + 24)
        if format.mode == .buildID {
          // bpftrace's lines: the build id and the offset (at least two digits), else the address.
          let offset = String(value, radix: 16)
          out += status == 1 ? hexDigits(bytes[(at + 4)..<(at + 24)]) + " 0x" + (offset.count < 2 ? "0" : "") + offset + "\n"
            : status == 2 ? String(value, radix: 16) + "\n" : ""
          if status != 1 && status != 2 { break }
        } else if status == 1 {
          let buildID = hexDigits(bytes[(at + 4)..<(at + 24)])
          // Unresolved: the offset in the file, and the file (or its build id when it is not found).
          let where_ = files.path(buildID: buildID) ?? "build id \(buildID)"
          let source = files.path(buildID: buildID).map { sourceSuffix(inFile: $0, fileOffset: value) } ?? ""
          out += indent + (fileSymbol(buildID: buildID, fileOffset: value).map { $0 + source }
            ?? "0x" + String(value, radix: 16) + " (\(where_))") + "\n"
        } else if status == 2 {
          out += indent + (userSymbol(value, pid: pid, withOffset: true, source: true)?.text ?? hex(value)) + "\n"
        } else {
          break
        }
      }
      return out
    }
    for ip in stride(from: 0, to: bytes.count, by: 8).map({ u64(bytes, $0) }).prefix(while: { $0 != 0 }) {
      var frame: String
      var module = ""
      if let pid {
        let resolved = userSymbol(ip, pid: pid, withOffset: true)
        frame = resolved?.text ?? hex(ip)
        module = resolved?.module ?? "[unknown]"
      } else {
        frame = kernelSymbol(ip, withOffset: true) ?? hex(ip)
      }
      switch format.mode {
      case .perf: frame = String(ip, radix: 16) + " " + frame + (pid != nil ? " (\(module))" : "")
      case .raw, .buildID: frame = String(ip, radix: 16)  // kstack falls back to raw for build_id
      case .bpftrace: break
      }
      out += indent + frame + "\n"
    }
    return out
  }

  /// `name+offset` of the function at `fileOffset` in the file with this GNU build id.
  func fileSymbol(buildID: String, fileOffset: UInt64) -> String? {
    guard resolvesUserSymbols, let path = files.path(buildID: buildID) else { return nil }
    return symbol(inFile: path, fileOffset: fileOffset, withOffset: true)
  }

  // MARK: Kernel

  func kernelSymbol(_ address: UInt64, withOffset: Bool) -> String? {
    if kernelSymbols == nil { kernelSymbols = Self.readKallsyms() }
    guard let symbols = kernelSymbols else { return nil }
    guard let index = symbols.lastIndex(atOrBelow: address, by: \.address) else { return nil }
    let s = symbols[index]
    return withOffset ? "\(s.name)+\(address - s.address)" : s.name
  }

  /// Text symbols of /proc/kallsyms, sorted by address (all zeros without root: none).
  static func readKallsyms() -> [(address: UInt64, name: String)] {
    guard let text = readWholeFile("/proc/kallsyms") else { return [] }
    var result: [(address: UInt64, name: String)] = []
    result.reserveCapacity(200_000)
    for line in text.split(separator: "\n") {
      let parts = line.split(separator: " ", maxSplits: 3)
      guard parts.count >= 3, let type = parts[1].first, "tTwW".contains(type),
        let address = UInt64(parts[0], radix: 16), address != 0 else { continue }
      result.append((address, String(parts[2].split(separator: "\t").first ?? parts[2])))
    }
    return result.sorted { $0.address < $1.address }
  }

  /// The address of a kernel symbol, for kaddr() at compile time.
  public static func kernelAddress(of name: String) -> UInt64? {
    guard let text = readWholeFile("/proc/kallsyms") else { return nil }
    for line in text.split(separator: "\n") {
      let parts = line.split(separator: " ", maxSplits: 3)
      if parts.count >= 3, parts[2] == name, let address = UInt64(parts[0], radix: 16), address != 0 { return address }
    }
    return nil
  }

  /// Kernel functions a kprobe can name that match a wildcard: traceable ones when tracefs lists
  /// them (available_filter_functions), else kallsyms text symbols. Sorted, without duplicates.
  public static func kernelFunctions(matching pattern: String) -> [String] {
    var names = Set<String>()
    if let text = readWholeFile("/sys/kernel/tracing/available_filter_functions"), !text.isEmpty {
      for line in text.split(separator: "\n") {
        let name = String(line.split(separator: " ").first ?? line)
        if wildcardMatch(pattern, name) { names.insert(name) }
      }
    } else if let text = readWholeFile("/proc/kallsyms") {
      for line in text.split(separator: "\n") {
        let parts = line.split(separator: " ", maxSplits: 3)
        guard parts.count == 3, let t = parts[1].first, "tT".contains(t) else { continue }
        let name = String(parts[2])
        if wildcardMatch(pattern, name) { names.insert(name) }
      }
    }
    return names.sorted()
  }

  // MARK: User space

  /// Reads and keeps a process's file mappings, so that its symbols still resolve after it exits.
  public func remember(pid: Int32) {
    guard mappings[pid] == nil, let text = readWholeFile("/proc/\(pid)/maps") else {
      return
    }
    var result: [Mapping] = []
    for line in text.split(separator: "\n") {
      let f = line.split(separator: " ", maxSplits: 5, omittingEmptySubsequences: true)
      guard f.count == 6, f[1].contains("x"), f[5].hasPrefix("/") else { continue }
      let range = f[0].split(separator: "-")
      guard range.count == 2, let start = UInt64(range[0], radix: 16), let end = UInt64(range[1], radix: 16),
        let off = UInt64(f[2], radix: 16) else { continue }
      result.append(Mapping(start: start, end: end, fileOffset: off, path: String(f[5]).trimmingSpaces()))
    }
    if !result.isEmpty { mappings[pid] = result }
  }

  /// C++ names (`_ZN3foo3barEv`) as C++ prints them (`foo::bar()`); other names unchanged.
  public static func demangle(_ name: String) -> String {
    guard name.hasPrefix("_Z") else { return name }
    var status: Int32 = 0
    guard let text = __cxa_demangle(name, nil, nil, &status), status == 0 else { return name }
    defer { free(text) }
    return String(cString: text)
  }

  /// BPFTRACE_NO_CPP_DEMANGLE: C++ names stay mangled.
  public var demanglesNames = true

  /// BPFTRACE_NO_USER_SYMBOLS: user addresses stay numbers.
  public var resolvesUserSymbols = true

  /// show_debug_info: user stack frames in bpftrace mode end with `@file:line`.
  public var showsDebugInfo = false
  private var lineTables: [String: LineTable?] = [:]

  /// `@file:line` of the instruction at `fileOffset` in the file at `path`, from its DWARF line
  /// tables; "" without them, or when show_debug_info is off.
  func sourceSuffix(inFile path: String, fileOffset: UInt64) -> String {
    guard showsDebugInfo, let elf = ELFSymbols.shared(path), let virtual = elf.address(ofFileOffset: fileOffset) else { return "" }
    if lineTables[path] == nil { lineTables[path] = LineTable(path: path) }
    guard let table = lineTables[path] ?? nil, let (file, line) = table.location(at: virtual) else { return "" }
    return "@\(file):\(line)"
  }

  /// SOURCE: with `@file:line` after it (show_debug_info, stack frames in bpftrace mode).
  func userSymbol(_ address: UInt64, pid: Int32, withOffset: Bool, source: Bool = false) -> (text: String, module: String)? {
    guard resolvesUserSymbols else { return nil }
    remember(pid: pid)
    guard let mapping = mappings[pid]?.first(where: { address >= $0.start && address < $0.end }) else { return nil }
    let fileOffset = address - mapping.start + mapping.fileOffset
    guard let text = symbol(inFile: mapping.path, fileOffset: fileOffset, withOffset: withOffset) else { return nil }
    return (text + (source ? sourceSuffix(inFile: mapping.path, fileOffset: fileOffset) : ""), mapping.path)
  }

  /// The function at `fileOffset` in the ELF file at `path` (read once per run), as `name` or
  /// `name+offset`, C++ names demangled unless asked not to.
  func symbol(inFile path: String, fileOffset: UInt64, withOffset: Bool) -> String? {
    guard let elf = ELFSymbols.shared(path), let virtual = elf.address(ofFileOffset: fileOffset),
      let (name, offset) = elf.symbol(at: virtual) else { return nil }
    let shown = demanglesNames ? Self.demangle(name) : name
    return withOffset ? "\(shown)+\(offset)" : shown
  }

  /// The function at `fileOffset` in the file with this inode on this device (the kernel's
  /// `MKDEV(major, minor)` encoding), found among the files processes map.
  func fileSymbol(inode: UInt64, device: UInt64, fileOffset: UInt64) -> String? {
    guard resolvesUserSymbols, inode != 0, let path = files.path(inode: inode, device: device) else { return nil }
    return symbol(inFile: path, fileOffset: fileOffset, withOffset: false)
  }

  let files = FileIndex()

  /// A file worth knowing before any process maps it: a uprobe target, the -c command.
  public func knowFile(_ path: String) { files.add(path) }

  // MARK: Plain conversions

  func hex(_ v: UInt64) -> String { "0x" + String(v, radix: 16) }

  /// C's strftime, plus bpftrace's `%f`: the microseconds, six digits.
  public static func strftime(_ format: String, nanoseconds: Int64) -> String {
    var format = format
    if format.contains("%f") {
      let micros = String((nanoseconds % 1_000_000_000 + 1_000_000_000) % 1_000_000_000 / 1000)
      format = format.replacing("%f", with: String(repeating: "0", count: 6 - micros.count) + micros)
    }
    var seconds = time_t(nanoseconds / 1_000_000_000)
    var parts = tm()
    localtime_r(&seconds, &parts)
    var buffer = [CChar](repeating: 0, count: 512)
    let n = Glibc.strftime(&buffer, buffer.count, format, &parts)
    return String(decoding: buffer.prefix(n).map { UInt8(bitPattern: $0) }, as: UTF8.self)
  }

  static func inetText(family: UInt64, _ bytes: [UInt8], _ offset: Int) -> String {
    guard offset + 16 <= bytes.count else { return "" }
    let af: Int32 = family == 10 ? AF_INET6 : AF_INET
    var address = Array(bytes[offset..<offset + 16])
    var buffer = [CChar](repeating: 0, count: 64)
    guard inet_ntop(af, &address, &buffer, socklen_t(buffer.count)) != nil else { return "" }
    return String(cString: buffer)
  }
}
