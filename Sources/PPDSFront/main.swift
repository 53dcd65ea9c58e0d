#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Agents
import Support

// `ppds`: the front. The commands agents and people run on every step (`hook`, `update --status`,
// `path`, `--version`, `--help`) are answered here, by a small executable that loads neither the
// CLI parser, the server (NIO, Hummingbird) nor the MCP SDK; everything else is the full program
// (`ppds-full`, installed next to it), run in this process with the same arguments. What the
// front answers is byte for byte what the full program would print (FrontTests compare the two).
let arguments = Array(CommandLine.arguments.dropFirst())
switch FrontRoute.of(arguments, helpWidth: FrontRoute.helpWidth()) {
case .hook:
    // As the full program's main: an agent hook exits 0 whatever it is given.
    lineBufferStandardOutput()
    HookRunner.run(Array(arguments.dropFirst()))
    exit(0)
case .version:
    print(ppdsVersion)
    exit(0)
case .help:
    print(rootHelp, terminator: "")
    exit(0)
case .full:
    if let command = WorkerCommand.parse(arguments) { command.run() }
    FullProgram.run()
}
