import ArgumentParser

struct ShellInitCommand: PPDSCommand {
    static let configuration = CommandConfiguration(
        commandName: "shell-init",
        abstract: "Print a shell function that lets 'ppds cd <issue>' and 'ppds start-work <issue> --cd' change your shell's folder.",
        discussion: "Add to ~/.bashrc: eval \"$(ppds shell-init bash)\"; to ~/.zshrc: eval \"$(ppds shell-init zsh)\"; to ~/.config/fish/config.fish: ppds shell-init fish | source")

    enum Shell: String, ExpressibleByArgument, CaseIterable {
        case bash, zsh, fish
    }

    @Argument(help: "bash, zsh or fish.") var shell: Shell

    func execute() {
        print(Self.script(for: shell))
    }

    /// The wrapper: `ppds cd ARGS` changes into `ppds path ARGS`; a command with `--cd` changes
    /// into what it prints; anything else runs ppds as it is. Arguments are passed as they are
    /// (quoted), never evaluated.
    static func script(for shell: Shell) -> String {
        switch shell {
        case .bash, .zsh:
            return #"""
            ppds() {
              local __ppds_dir __ppds_arg
              if [ "$1" = cd ]; then
                shift
                __ppds_dir="$(command ppds path "$@")" || return
                builtin cd -- "$__ppds_dir"
                return
              fi
              for __ppds_arg in "$@"; do
                if [ "$__ppds_arg" = --cd ]; then
                  __ppds_dir="$(command ppds "$@")" || return
                  builtin cd -- "$__ppds_dir"
                  return
                fi
              done
              command ppds "$@"
            }
            """#
        case .fish:
            return #"""
            function ppds
              if test (count $argv) -gt 0; and test "$argv[1]" = cd
                set -l dir (command ppds path $argv[2..-1]); or return
                builtin cd -- $dir
              else if contains -- --cd $argv
                set -l dir (command ppds $argv); or return
                builtin cd -- $dir
              else
                command ppds $argv
              end
            end
            """#
        }
    }
}
