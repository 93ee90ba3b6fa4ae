/// A `-p` value, as swiftrace and swiftrace-run read it: decimal digits, within the kernel's
/// largest pid_max (PID_MAX_LIMIT); the errors in bpftrace's words.
public enum ProcessIDArgument {
  public static func parse(_ text: String) -> Result<Int32, ConfigurationError> {
    let limit = 4 * 1024 * 1024
    guard !text.isEmpty, text.allSatisfy(\.isASCII), text.allSatisfy(\.isNumber) || (text.first == "-" && text.dropFirst().allSatisfy(\.isNumber) && text.count > 1) else {
      return .failure(ConfigurationError("pid '\(text)' is not a valid decimal number"))
    }
    guard let pid = Int(text), pid >= 1, pid <= limit else {
      return .failure(ConfigurationError("pid '\(text)' out of valid pid range [1,\(limit)]"))
    }
    return .success(Int32(pid))
  }
}
