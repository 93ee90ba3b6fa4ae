import CLibBPF
import SwiftraceBasics
import Glibc

/// A BPF object opened from an in-memory ELF, then loaded into the kernel. Closing it (or
/// releasing it) frees every program and map it holds.
public final class BPFObject {
  let object: OpaquePointer

  public init(elf: [UInt8], name: String) throws(BPFError) {
    LibbpfLog.install()
    _ = LibbpfLog.take()
    var opts = bpf_object_open_opts()
    opts.sz = MemoryLayout<bpf_object_open_opts>.stride
    let objectName = strdup(name)
    defer { free(objectName) }
    opts.object_name = UnsafePointer(objectName)
    let obj = elf.withUnsafeBytes { bpf_object__open_mem($0.baseAddress, $0.count, &opts) }
    guard let obj else { throw .open(errno: errno, log: LibbpfLog.take()) }
    object = obj
  }

  deinit { bpf_object__close(object) }

  public static var verboseLog: Bool {
    get { LibbpfLog.verbose }
    set { LibbpfLog.verbose = newValue }
  }

  /// Creates the maps and loads every program through the verifier.
  public func load() throws(BPFError) {
    _ = LibbpfLog.take()
    let rc = bpf_object__load(object)
    guard rc == 0 else {
      let log = LibbpfLog.take()
      if -rc == EPERM || -rc == EACCES, !log.contains("prog '") {
        throw .permission(what: "cannot load BPF programs", errno: -rc)
      }
      // libbpf names the failing program in its log: "prog 'NAME': failed to load".
      var program = "?"
      if let r = log.firstRange(of: "prog '"), let end = log[r.upperBound...].firstIndex(of: "'") {
        program = String(log[r.upperBound..<end])
      }
      throw .verifier(program: program, errno: -rc, log: log)
    }
  }

  public func program(named name: String) -> BPFProgram? {
    bpf_object__find_program_by_name(object, name).map { BPFProgram(pointer: $0, owner: self) }
  }

  public func map(named name: String) -> BPFMap? {
    bpf_object__find_map_by_name(object, name).map { BPFMap(pointer: $0, owner: self) }
  }
}

public struct BPFProgram {
  let pointer: OpaquePointer
  let owner: BPFObject

  public var fd: Int32 { bpf_program__fd(pointer) }

  /// Runs a raw-tracepoint program once, now (how BEGIN and END run).
  public func testRun() throws(BPFError) {
    var opts = bpf_test_run_opts()
    opts.sz = MemoryLayout<bpf_test_run_opts>.stride
    let rc = bpf_prog_test_run_opts(fd, &opts)
    if rc != 0 { throw .system(what: "cannot run BEGIN/END program", errno: -rc) }
  }

  /// Runs an XDP program `repeat` times on an empty Ethernet header (the kernel wants one): its
  /// return value and the mean time of one run, in nanoseconds (test and bench probes).
  public func testRun(repeat: Int) throws(BPFError) -> (returnValue: UInt32, nanoseconds: UInt32) {
    var data = [UInt8](repeating: 0, count: 14)
    var opts = bpf_test_run_opts()
    opts.sz = MemoryLayout<bpf_test_run_opts>.stride
    opts.`repeat` = Int32(clamping: `repeat`)
    let rc = data.withUnsafeMutableBytes { bytes in
      opts.data_in = UnsafeRawPointer(bytes.baseAddress)
      opts.data_size_in = UInt32(bytes.count)
      return bpf_prog_test_run_opts(fd, &opts)
    }
    if rc != 0 { throw .system(what: "cannot run the program", errno: -rc) }
    return (opts.retval, opts.duration)
  }

  /// Whether loading the object loads this program (false: test and bench probes outside their
  /// mode, which the verifier need not see).
  public func setAutoload(_ loads: Bool) { bpf_program__set_autoload(pointer, loads) }

  /// Makes this fentry/fexit program probe FUNCTION of running BPF program ID; the returned file
  /// descriptor of that program stays open until the object is loaded.
  public func setAttachTarget(programID id: UInt32, function: String, probe: String) throws(BPFError) -> Int32 {
    let target = bpf_prog_get_fd_by_id(id)
    guard target >= 0 else {
      throw .attach(probe: probe, errno: errno, reason: "BPF program \(id) is not running any more", hint: nil)
    }
    let rc = bpf_program__set_attach_target(pointer, target, function)
    guard rc == 0 else {
      close(target)
      throw .attach(probe: probe, errno: -rc, reason: "BPF program \(id) has no function '\(function)' in its BTF", hint: nil)
    }
    return target
  }
}

/// A map of a loaded object, read by the runtime with the plain syscalls.
public struct BPFMap {
  let pointer: OpaquePointer
  let owner: BPFObject

  public var fd: Int32 { bpf_map__fd(pointer) }
  public var keySize: Int { Int(bpf_map__key_size(pointer)) }
  public var valueSize: Int { Int(bpf_map__value_size(pointer)) }

  public static var possibleCPUs: Int { Int(libbpf_num_possible_cpus()) }

  /// Before loading: the contents of an internal map of a data section (.rodata, .data).
  public func setInitialValue(_ bytes: [UInt8]) -> Bool {
    bytes.withUnsafeBytes { bpf_map__set_initial_value(pointer, $0.baseAddress, $0.count) } == 0
  }

  /// Every key, in the kernel's iteration order.
  public func keys() -> [[UInt8]] {
    var result: [[UInt8]] = []
    var key = [UInt8](repeating: 0, count: keySize)
    var next = [UInt8](repeating: 0, count: keySize)
    var first = true
    while true {
      let rc = first ? bpf_map_get_next_key(fd, nil, &next) : bpf_map_get_next_key(fd, &key, &next)
      if rc != 0 { break }
      first = false
      result.append(next)
      key = next
      if result.count > 1 << 22 { break }  // a map being rewritten faster than read: stop
    }
    return result
  }

  /// Writes one entry; false if the kernel refused.
  @discardableResult
  public func update(_ key: [UInt8], _ value: [UInt8]) -> Bool {
    var k = key, v = value
    return bpf_map_update_elem(fd, &k, &v, 0) == 0
  }

  /// Removes one entry; false if it was not there (or the map is an array).
  @discardableResult
  public func delete(_ key: [UInt8]) -> Bool {
    var k = key
    return bpf_map_delete_elem(fd, &k) == 0
  }

  /// Sets every CPU's value of `key` to zero bytes, keeping the entry.
  public func zeroValue(_ key: [UInt8], perCPU: Bool) {
    let stride = (valueSize + 7) / 8 * 8
    var value = [UInt8](repeating: 0, count: perCPU ? stride * Self.possibleCPUs : valueSize)
    var k = key
    _ = bpf_map_update_elem(fd, &k, &value, 2)  // BPF_EXIST: only entries that are still there
  }

  /// The value, or for per-CPU maps all CPUs' values back to back (`stride` bytes each).
  public func lookup(_ key: [UInt8], perCPU: Bool) -> [UInt8]? {
    let stride = (valueSize + 7) / 8 * 8
    var value = [UInt8](repeating: 0, count: perCPU ? stride * Self.possibleCPUs : valueSize)
    var k = key
    return bpf_map_lookup_elem(fd, &k, &value) == 0 ? value : nil
  }
}
