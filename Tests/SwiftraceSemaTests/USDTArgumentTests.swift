import SwiftraceSema
import Testing

/// The argument forms GCC and Clang write into `.note.stapsdt`.
@Suite struct USDTArgumentTests {
  @Test(arguments: [
    ("-4@%edi", 4, true, USDTArgument.Location.register(ptRegsOffset: 112)),
    ("8@%rax", 8, false, .register(ptRegsOffset: 80)),
    ("-2@%r12w", 2, true, .register(ptRegsOffset: 24)),
    ("1@%dl", 1, false, .register(ptRegsOffset: 96)),
    ("1@%dil", 1, false, .register(ptRegsOffset: 112)),
    ("-8@-16(%rbp)", 8, true, .memory(baseOffset: 32, displacement: -16)),
    ("4@(%rsp)", 4, false, .memory(baseOffset: 152, displacement: 0)),
    ("-4@$5", 4, true, .constant(5)),
    ("4@$-202182160", 4, false, .constant(-202182160)),
    ("1@-88(%rsp,%rax,8)", 1, false, .indexed(baseOffset: 152, indexOffset: 80, scale: 8, displacement: -88)),
    ("-4@(%rax,%rbx)", 4, true, .indexed(baseOffset: 80, indexOffset: 40, scale: 1, displacement: 0)),
  ])
  func parses(_ spec: String, _ size: Int, _ signed: Bool, _ location: USDTArgument.Location) throws {
    let argument = try #require(USDTArgument.parse(spec))
    #expect(argument.size == size)
    #expect(argument.signed == signed)
    #expect(argument.location == location)
  }

  @Test(arguments: ["8@counter(%rip)", "4@(%rax,%rbx,3)", "4@8(%rax,%rip,2)", "3@%eax", "4@%xmm0", "garbage"])
  func refusesWhatAProbeCannotRead(_ spec: String) {
    #expect(USDTArgument.parse(spec) == nil)
  }

  /// A probe named with quotes in it (`"probe1"`, as some programs' notes have) is written quoted
  /// with `\"` escapes; colons inside quotes do not split.
  @Test func quotedNamesKeepTheirQuotes() {
    #expect(ProbeKind.splitAttachPoint(#"usdt:./bin:test:"\"probe1\"""#) == ["usdt", "./bin", "test", #""probe1""#])
    #expect(ProbeKind.splitAttachPoint(#"uprobe:"/a:b":f"#) == ["uprobe", "/a:b", "f"])
  }
}
