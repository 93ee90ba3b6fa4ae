import SwiftraceBasics
import SwiftraceRuntime
import SwiftraceSema
import Testing

/// `--metrics` text for made-up maps: names, labels, types and histogram buckets.
@Suite struct OpenMetricsPrinterTests {
  func snapshot(_ name: String, _ keys: [SType], _ value: SType, _ entries: [MapSnapshot.Entry]) -> MapSnapshot {
    MapSnapshot(info: MapInfo(name: name, keyTypes: keys, valueType: value, firstAssignment: .init(start: 0, end: 0)),
                entries: entries)
  }

  @Test func countersGaugesSummariesAndEscapedLabels() {
    let maps = [
      snapshot("@", [], .count, [.init(key: [], value: .aggregate(7, signed: false))]),
      snapshot("@calls", [.string(size: 16), .integer(signed: true)], .count, [
        .init(key: [.string("b\"a\\sh\n"), .integer(UInt64(bitPattern: -2), signed: true)], value: .aggregate(3, signed: false)),
        .init(key: [.string("awk"), .integer(1, signed: true)], value: .aggregate(1, signed: false)),
      ]),
      snapshot("@bytes", [.probe], .sum(signed: true), [.init(key: [.probe("BEGIN")], value: .aggregate(UInt64(bitPattern: -5), signed: true))]),
      snapshot("@latency", [], .stats(signed: false), [.init(key: [], value: .stats(count: 4, total: 100))]),
      snapshot("@mean", [], .avg(signed: false), [.init(key: [], value: .average(count: 4, total: 10))]),
      snapshot("@who", [], .string(size: 16), [.init(key: [], value: .string("x"))]),
    ]
    #expect(OpenMetricsPrinter.print(maps) == """
      # HELP swiftrace_map swiftrace map @
      # TYPE swiftrace_map counter
      swiftrace_map_total 7
      # HELP swiftrace_calls swiftrace map @calls
      # TYPE swiftrace_calls counter
      swiftrace_calls_total{key0="awk",key1="1"} 1
      swiftrace_calls_total{key0="b\\"a\\\\sh\\n",key1="-2"} 3
      # HELP swiftrace_bytes swiftrace map @bytes
      # TYPE swiftrace_bytes gauge
      swiftrace_bytes{key="BEGIN"} -5
      # HELP swiftrace_latency swiftrace map @latency
      # TYPE swiftrace_latency summary
      swiftrace_latency_count 4
      swiftrace_latency_sum 100
      # HELP swiftrace_mean swiftrace map @mean
      # TYPE swiftrace_mean gauge
      swiftrace_mean 2
      # EOF

      """)
    // Prometheus' older format names a counter's family with its _total, and has no # EOF.
    let text = OpenMetricsPrinter.print(Array(maps.prefix(1)), format: .prometheusText)
    #expect(text == "# HELP swiftrace_map_total swiftrace map @\n# TYPE swiftrace_map_total counter\nswiftrace_map_total 7\n")
  }

  /// The exposition format is UTF-8: bytes that are not are written `\xNN`, keeping keys apart.
  @Test func labelBytesThatAreNotUTF8() {
    let maps = [snapshot("@c", [.string(size: 8)], .count, [
      .init(key: [.string(String(rawBytes: [0x61, 0xFF]))], value: .aggregate(1, signed: false)),
      .init(key: [.string(String(rawBytes: [0x61, 0xFE]))], value: .aggregate(2, signed: false)),
    ])]
    let text = OpenMetricsPrinter.print(maps)
    #expect(text.contains("swiftrace_c_total{key=\"a\\\\xfe\"} 2\nswiftrace_c_total{key=\"a\\\\xff\"} 1\n"), "\(text)")
    #expect(text.utf8.allSatisfy { $0 < 0x80 })
  }

  @Test func histogramBucketsAreCumulativeInclusiveUpperBounds() {
    var log2 = [UInt64](repeating: 0, count: Log2Buckets.count(k: 0))
    log2[1] = 2  // [0]
    log2[3] = 1  // [2, 4)
    log2[4] = 5  // [4, 8)
    var linear = [UInt64](repeating: 0, count: LinearBuckets(min: 0, max: 100, step: 50).bucketCount)
    linear[0] = 1  // < 0
    linear[2] = 2  // [50, 100)
    linear[3] = 4  // >= 100
    let maps = [
      snapshot("@h", [], .hist(k: 0), [.init(key: [], value: .histogram(log2))]),
      snapshot("@l", [.string(size: 8)], .lhist(LinearBuckets(min: 0, max: 100, step: 50)),
               [.init(key: [.string("k")], value: .histogram(linear))]),
    ]
    #expect(OpenMetricsPrinter.print(maps) == """
      # HELP swiftrace_h swiftrace map @h
      # TYPE swiftrace_h histogram
      swiftrace_h_bucket{le="-1"} 0
      swiftrace_h_bucket{le="0"} 2
      swiftrace_h_bucket{le="1"} 2
      swiftrace_h_bucket{le="3"} 3
      swiftrace_h_bucket{le="7"} 8
      swiftrace_h_bucket{le="+Inf"} 8
      swiftrace_h_count 8
      # HELP swiftrace_l swiftrace map @l
      # TYPE swiftrace_l histogram
      swiftrace_l_bucket{key="k",le="-1"} 1
      swiftrace_l_bucket{key="k",le="49"} 1
      swiftrace_l_bucket{key="k",le="99"} 3
      swiftrace_l_bucket{key="k",le="+Inf"} 7
      swiftrace_l_count{key="k"} 7
      # EOF

      """)
  }
}
