import Glibc
import SwiftraceBPF
import SwiftraceBasics
import SwiftraceRuntime

/// One fuzz input as an ELF file: written to memory-backed storage (/dev/shm), then read the way
/// swiftrace reads uprobe and usdt targets and the programs in a traced stack. A crash or a hang
/// is a finding.
public enum ELFFuzzPipeline {
  nonisolated(unsafe) static var path: String = {
    let directory = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp"
    return "\(directory)/swiftrace-fuzz-elf-\(getpid())"
  }()

  public static func run(_ bytes: UnsafeRawBufferPointer) {
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
    guard fd >= 0 else { return }
    let file = FileOutput(fd: fd)
    file.append { $0.append(contentsOf: bytes) }
    file.flush()
    close(fd)
    ELFExamination.readEverything(at: path)
  }

  public static func cleanUp() { unlink(path) }
}
