/// The kernel's BPF helpers that generated code calls, by their number in the kernel's uapi
/// (`__BPF_FUNC_MAPPER` in linux/bpf.h); the backend emits `call N`. Each is named once here, so a
/// call site says what it calls, and `-k` names what failed with the kernel's own word.
enum BPFHelper: UInt64, CaseIterable {
  case mapLookupElem = 1
  case mapUpdateElem = 2
  case mapDeleteElem = 3
  case probeRead = 4
  case ktimeGetNs = 5
  case tracePrintk = 6
  case getPrandomU32 = 7
  case getSmpProcessorId = 8
  case getCurrentPidTgid = 14
  case getCurrentUidGid = 15
  case getCurrentComm = 16
  case getStackid = 27
  case getCurrentTask = 35
  case probeWriteUser = 36
  case getNumaNodeId = 42
  case probeReadStr = 45
  case getSocketCookie = 46
  case overrideReturn = 58
  case getStack = 67
  case getCurrentCgroupId = 80
  case sendSignal = 109
  case sendSignalThread = 117
  case skbOutput = 111
  case probeReadUser = 112
  case probeReadKernel = 113
  case probeReadUserStr = 114
  case probeReadKernelStr = 115
  case ktimeGetBootNs = 125
  case getNsCurrentPidTgid = 120
  case ktimeGetTaiNs = 208
  case seqPrintf = 126
  case ringbufOutput = 130
  case ringbufReserve = 131
  case ringbufSubmit = 132
  case dPath = 147
  case perCpuPtr = 153
  case thisCpuPtr = 154
  case getCurrentTaskBtf = 158
  case jiffies64 = 118
  case forEachMapElem = 164
  case findVma = 180
  case getAttachCookie = 174
  case loop = 181
  case mapLookupPercpuElem = 195

  /// The kernel's name, without `bpf_`: `map_update_elem`.
  var kernelName: String {
    var name = ""
    for c in String(describing: self) {
      if c.isUppercase { name += "_" + c.lowercased() } else { name.append(c) }
    }
    return name
  }

  /// Whose failure `-k` (level 1) and `-kk` (level 2) report, as bpftrace does: `-k` those whose
  /// failure is otherwise lost (deleting a missing key included), `-kk` also the reads, whose
  /// failure leaves zeros. nil: never reported.
  var checkLevel: Int? {
    switch self {
    case .mapUpdateElem, .mapDeleteElem: return 1
    case .probeRead, .probeReadStr, .probeReadUser, .probeReadKernel, .probeReadUserStr, .probeReadKernelStr: return 2
    default: return nil
    }
  }
}

/// The kinds of BPF maps generated code declares (`enum bpf_map_type` in linux/bpf.h).
enum BPFMapType: UInt32 {
  case hash = 1
  case perfEventArray = 4
  case perCPUHash = 5
  case perCPUArray = 6
  case stackTrace = 7
  case lruHash = 9
  case lruPerCPUHash = 10
  case ringbuf = 27
}
