import CLibBPF
import Glibc
import Synchronization

/// The BPF programs running on the machine and their functions (each program's main function and
/// its subprograms, as its BTF names them): what `fentry:bpf:[ID:]NAME` attaches to. Programs
/// without BTF cannot be attached to and are left out.
public enum RunningPrograms {
  public struct Function: Sendable {
    public let programID: UInt32
    public let name: String
    /// The parameters' names, as the program's BTF gives them.
    public let parameters: [String]
  }

  /// Read once per run: expanding `fentry:bpf:*` and typing each probe it makes ask again, and
  /// each reading loads every program's BTF from the kernel.
  private static let cache = Mutex<[Function]?>(nil)

  public static func functions() -> [Function] {
    if let known = cache.withLock({ $0 }) { return known }
    let found = enumerate()
    cache.withLock { $0 = found }
    return found
  }

  private static func enumerate() -> [Function] {
    var result: [Function] = []
    var id: UInt32 = 0
    while bpf_prog_get_next_id(id, &id) == 0 {
      let fd = bpf_prog_get_fd_by_id(id)
      guard fd >= 0 else { continue }  // gone since listed
      defer { close(fd) }
      result += functions(ofProgram: id, fd: fd)
    }
    return result
  }

  static func functions(ofProgram id: UInt32, fd: Int32) -> [Function] {
    var info = bpf_prog_info()
    var length = UInt32(MemoryLayout<bpf_prog_info>.size)
    guard bpf_obj_get_info_by_fd(fd, &info, &length) == 0, info.btf_id != 0, info.nr_func_info > 0,
      info.nr_func_info < 1 << 16 else { return [] }
    // A second call fills the function records (BTF type ids of each function).
    var records = [bpf_func_info](repeating: bpf_func_info(), count: Int(info.nr_func_info))
    let filled = records.withUnsafeMutableBytes { bytes -> Bool in
      var again = bpf_prog_info()
      again.nr_func_info = info.nr_func_info
      again.func_info_rec_size = UInt32(MemoryLayout<bpf_func_info>.size)
      again.func_info = UInt64(UInt(bitPattern: bytes.baseAddress))
      var length = UInt32(MemoryLayout<bpf_prog_info>.size)
      return bpf_obj_get_info_by_fd(fd, &again, &length) == 0 && again.nr_func_info == info.nr_func_info
    }
    guard filled, let btf = btf__load_from_kernel_by_id(info.btf_id) else { return [] }
    defer { btf__free(btf) }
    return records.compactMap { record in
      guard let function = btf__type_by_id(btf, record.type_id), btf_kind(function) == 12,  // BTF_KIND_FUNC (two headers define it)
        let name = btf__name_by_offset(btf, function.pointee.name_off).map({ String(cString: $0) }), !name.isEmpty,
        let proto = btf__type_by_id(btf, function.pointee.type), btf_kind(proto) == 13  // BTF_KIND_FUNC_PROTO
      else { return nil }
      let params = btf_params(proto)!
      let names = (0..<Int(btf_vlen(proto))).map { i in
        btf__name_by_offset(btf, params[i].name_off).map { String(cString: $0) } ?? ""
      }
      return Function(programID: id, name: name, parameters: names)
    }
  }
}
