import Synchronization
import SwiftraceBPF
import SwiftraceSema

/// Reads maps from the kernel and decodes them. The session has one for its output; `--metrics`
/// has its own, used on the endpoint's thread with a symbolizer of its own (a symbolizer's caches
/// are not shared between threads), so that a scrape of a large map never holds up the events.
public final class MapReader: @unchecked Sendable {
  let object: BPFObject
  let mapSymbols: [String: String]
  let probeNames: [String]
  let symbolizer: Symbolizer
  let zeroed: ZeroedMaps

  init(object: BPFObject, mapSymbols: [String: String], probeNames: [String], symbolizer: Symbolizer,
       zeroed: ZeroedMaps) {
    self.object = object
    self.mapSymbols = mapSymbols
    self.probeNames = probeNames
    self.symbolizer = symbolizer
    self.zeroed = zeroed
  }

  func kernelMap(_ info: MapInfo) -> BPFMap? {
    guard let symbol = mapSymbols[info.name] else { return nil }
    return object.map(named: symbol)
  }

  /// A map's contents now, reduced over CPUs.
  public func snapshot(of info: MapInfo) -> MapSnapshot {
    let perCPU = info.storage != .hash
    let decoder = MapDecoder(info: info, probeNames: probeNames, cpus: perCPU ? BPFMap.possibleCPUs : 1,
                             symbolizer: symbolizer)
    guard let map = kernelMap(info) else { return MapSnapshot(info: info, entries: []) }
    let raw = map.keys().compactMap { key in map.lookup(key, perCPU: perCPU).map { (key: key, value: $0) } }
    var snapshot = MapSnapshot(info: info, decoder: decoder, raw: raw)
    // A histogram held in an array reads all zero both before its first update and after zero();
    // after zero() it exists, and prints empty as in bpftrace.
    if snapshot.entries.isEmpty, info.storage == .perCPUArray, info.valueType.isHistogram, zeroed.contains(info.name) {
      let buckets = info.arrayLength  // the histogram's buckets
      snapshot.entries = [MapSnapshot.Entry(key: [], value: .histogram(Array(repeating: 0, count: buckets)))]
    }
    return snapshot
  }
}

/// Maps zero() has run on: written on the session's thread, read by every MapReader.
final class ZeroedMaps: Sendable {
  private let names = Mutex(Set<String>())
  func insert(_ name: String) { names.withLock { _ = $0.insert(name) } }
  func contains(_ name: String) -> Bool { names.withLock { $0.contains(name) } }
}
