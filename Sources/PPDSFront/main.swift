#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import FoundationEssentials
import SessionKit
import Support
import WorkerSteps

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
    HookRunner.run(Array(arguments.dropFirst()), relay: frontRelay)
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

/// The front's hook: `GitDiscovery`, and a payload whose session has guidance waiting (which
/// the full program relays, with the machines this one trusts) goes to the full program whole,
/// before the event changes anything.
var frontRelay: HookRunner.Relay {
    HookRunner.Relay(
        finder: FrontDiscovery.finder,
        beforeApplying: { payload, issue, projectDir, raw in
            FrontDiscovery.payload = raw
            guard AgentHooks.relaysGuidance(payload.event),
                  let located = try? AgentHooks.locate(payload, issue: issue, projectDir: projectDir, home: nil, finder: FrontDiscovery.finder)
            else { return nil }
            if !located.session.undeliveredGuidance.isEmpty { FullProgram.run(stdin: raw) }
            return located
        },
        deliverPending: { _, _, _ in })
}
