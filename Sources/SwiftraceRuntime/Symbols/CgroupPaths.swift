import Glibc
import SwiftraceBasics

/// `cgroup_path(id)`: the directory whose inode is the cgroup id, in every mounted cgroup
/// hierarchy, printed `unified:/a/b,cpu:/a/b,...` as bpftrace prints it (the cgroup2 hierarchy
/// first, as `unified`, then the v1 ones by name). Looked up once per id.
enum CgroupPaths {
  nonisolated(unsafe) static var cache: [UInt64: String] = [:]

  static func text(id: UInt64) -> String {
    if let known = cache[id] { return known }
    let found = hierarchies().compactMap { name, root in find(id, under: root).map { "\(name):\($0)" } }
    let text = found.joined(separator: ",")
    cache[id] = text
    return text
  }

  /// (name, mount point) of each cgroup filesystem: `unified` for cgroup2, else its controllers
  /// (`cpu,cpuacct`) or its `name=`.
  static func hierarchies() -> [(String, String)] {
    guard let mounts = readWholeFile("/proc/self/mounts") else { return [] }
    var unified: [(String, String)] = [], legacy: [(String, String)] = []
    for line in mounts.split(separator: "\n") {
      let fields = line.split(separator: " ")
      guard fields.count >= 4 else { continue }
      let point = String(fields[1]), type = fields[2]
      if type == "cgroup2" {
        unified.append(("unified", point))
      } else if type == "cgroup" {
        let known = ["rw", "ro", "relatime", "noatime", "nosuid", "nodev", "noexec", "xattr", "nsdelegate"]
        let options = fields[3].split(separator: ",").map(String.init).filter { !known.contains($0) }
        let name = options.first { $0.hasPrefix("name=") }.map { String($0.dropFirst(5)) } ?? options.joined(separator: ",")
        legacy.append((name, point))
      }
    }
    return unified + legacy.sorted { $0.0 < $1.0 }
  }

  /// The path below `root` (`/` for the root itself) of the directory whose inode is `id`.
  static func find(_ id: UInt64, under root: String) -> String? {
    var queue = [""]
    var visited = 0
    while let relative = queue.popLast(), visited < 100_000 {
      visited += 1
      let path = root + relative
      var info = stat()
      guard stat(path, &info) == 0 else { continue }
      if UInt64(info.st_ino) == id { return relative.isEmpty ? "/" : relative }
      guard let dir = opendir(path) else { continue }
      defer { closedir(dir) }
      while let entry = readdir(dir) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        if entry.pointee.d_type == UInt8(DT_DIR), name != ".", name != ".." { queue.append(relative + "/" + name) }
      }
    }
    return nil
  }
}
