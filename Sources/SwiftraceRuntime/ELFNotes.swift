import Foundation
import SwiftraceSema

/// USDT probes from an ELF file's `.note.stapsdt` notes (the format systemtap's sys/sdt.h writes).
enum ELFNotes {
  static func usdtSites(in path: String) -> [USDTSite]? {
    guard let data = FileManager.default.contents(atPath: path), data.count > 64 else { return nil }
    let bytes = [UInt8](data)
    guard bytes[0] == 0x7f, bytes[1] == 0x45, bytes[2] == 0x4c, bytes[3] == 0x46, bytes[4] == 2, bytes[5] == 1 else {
      return nil
    }
    func u16(_ o: Int) -> Int { o + 2 <= bytes.count ? Int(bytes[o]) | Int(bytes[o + 1]) << 8 : 0 }
    func u32(_ o: Int) -> Int { o + 4 <= bytes.count ? (0..<4).reduce(0) { $0 | Int(bytes[o + $1]) << (8 * $1) } : 0 }
    func u64(_ o: Int) -> UInt64 {
      o + 8 <= bytes.count ? (0..<8).reduce(0) { $0 | UInt64(bytes[o + $1]) << (8 * UInt64($1)) } : 0
    }
    func string(_ o: inout Int, limit: Int) -> String {
      let start = o
      while o < limit && bytes[o] != 0 { o += 1 }
      defer { o += 1 }
      return String(decoding: bytes[start..<min(o, limit)], as: UTF8.self)
    }

    // Section headers and their names.
    let sectionHeaders = Int(u64(40)), shSize = u16(58), shCount = u16(60), namesIndex = u16(62)
    guard sectionHeaders > 0, namesIndex < shCount else { return [] }
    let namesAt = Int(u64(sectionHeaders + namesIndex * shSize + 24))
    var notes: (offset: Int, size: Int)?
    var baseAddress: UInt64?
    for i in 0..<shCount {
      let s = sectionHeaders + i * shSize
      var at = namesAt + u32(s)
      let name = string(&at, limit: bytes.count)
      if name == ".note.stapsdt" { notes = (Int(u64(s + 24)), Int(u64(s + 32))) }
      if name == ".stapsdt.base" { baseAddress = u64(s + 16) }
    }
    guard let notes else { return [] }

    // Notes: namesz, descsz, type, name (padded to 4), desc (padded to 4).
    var sites: [USDTSite] = []
    var o = notes.offset
    let end = min(bytes.count, notes.offset + notes.size)
    while o + 12 <= end {
      let nameSize = u32(o), descSize = u32(o + 4), type = u32(o + 8)
      let nameAt = o + 12
      let descAt = nameAt + (nameSize + 3) / 4 * 4
      let next = descAt + (descSize + 3) / 4 * 4
      defer { o = next }
      guard type == 3, descAt + 24 <= end else { continue }
      var noteName = nameAt
      guard string(&noteName, limit: descAt) == "stapsdt" else { continue }
      var address = u64(descAt)
      let linkBase = u64(descAt + 8)
      var semaphore = u64(descAt + 16)
      // Prelinked objects moved: the note recorded .stapsdt.base's link-time address.
      if let baseAddress, linkBase != 0 {
        address = address &+ baseAddress &- linkBase
        if semaphore != 0 { semaphore = semaphore &+ baseAddress &- linkBase }
      }
      var t = descAt + 24
      let descEnd = descAt + descSize
      let provider = string(&t, limit: descEnd)
      let name = string(&t, limit: descEnd)
      let specs = string(&t, limit: descEnd).split(separator: " ").map(String.init)
      // An argument the probe cannot read (`sym(%rip)`) ends the list: later ones keep their numbers
      // only if every earlier one is there.
      var readable: [USDTArgument] = []
      for spec in specs {
        guard let argument = USDTArgument.parse(spec) else { break }
        readable.append(argument)
      }
      sites.append(USDTSite(binary: path, provider: provider, name: name, address: address, semaphore: semaphore,
                            arguments: readable))
    }
    return sites
  }
}
