import SwiftraceBasics
import Glibc
import SwiftraceSema

/// USDT probes from an ELF file's `.note.stapsdt` notes (the format systemtap's sys/sdt.h writes).
enum ELFNotes {
  static func usdtSites(in path: String) -> [USDTSite]? {
    guard let image = ELFImage(path: path) else { return nil }
    guard let section = image.section(named: ".note.stapsdt") else { return [] }
    let baseAddress = image.section(named: ".stapsdt.base")?.address
    var sites: [USDTSite] = []
    // Each note's description: address, link-time base, semaphore (8 bytes each), then provider,
    // name and argument specs as NUL-terminated strings.
    for note in image.notes(in: section) where note.type == 3 && note.name == "stapsdt" && note.description.count >= 24 {
      let d = note.description
      var address = u64(d, 0)
      let linkBase = u64(d, 8)
      var semaphore = u64(d, 16)
      // Prelinked objects moved: the note recorded .stapsdt.base's link-time address.
      if let baseAddress, linkBase != 0 {
        address = address &+ baseAddress &- linkBase
        if semaphore != 0 { semaphore = semaphore &+ baseAddress &- linkBase }
      }
      let strings = d[24...].split(separator: 0, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
      guard strings.count >= 3 else { continue }
      let provider = strings[0], name = strings[1]
      let specs = strings[2].split(separator: " ").map(String.init)
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
