import FoundationEssentials
import Glibc
import SwiftraceSema

/// USDT probes from an ELF file's `.note.stapsdt` notes (the format systemtap's sys/sdt.h writes).
enum ELFNotes {
  static func usdtSites(in path: String) -> [USDTSite]? {
    guard let image = ELFImage(path: path) else { return nil }
    let bytes = image.bytes
    func string(_ o: inout Int, limit: Int) -> String {
      let text = cString(bytes, at: o, limit: limit)
      o += text.utf8.count + 1
      return text
    }
    guard let section = image.section(named: ".note.stapsdt") else { return [] }
    let notes = (offset: section.offset, size: section.size)
    let baseAddress = image.section(named: ".stapsdt.base")?.address

    // Notes: namesz, descsz, type, name (padded to 4), desc (padded to 4).
    var sites: [USDTSite] = []
    var o = notes.offset
    let end = min(bytes.count, notes.offset + notes.size)
    while o + 12 <= end {
      let nameSize = Int(u32(bytes, o)), descSize = Int(u32(bytes, o + 4)), type = u32(bytes, o + 8)
      let nameAt = o + 12
      let descAt = nameAt + (nameSize + 3) / 4 * 4
      let next = descAt + (descSize + 3) / 4 * 4
      defer { o = next }
      guard type == 3, descAt + 24 <= end else { continue }
      var noteName = nameAt
      guard string(&noteName, limit: descAt) == "stapsdt" else { continue }
      var address = u64(bytes, descAt)
      let linkBase = u64(bytes, descAt + 8)
      var semaphore = u64(bytes, descAt + 16)
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
                            fileOffset: image.fileOffset(ofAddress: address),
                            semaphoreFileOffset: semaphore == 0 ? 0 : image.fileOffset(ofAddress: semaphore) ?? 0,
                            arguments: readable))
    }
    return sites
  }
}
