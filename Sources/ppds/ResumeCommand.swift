import ArgumentParser

/// `resume`: see `SessionSwitch`.
struct ResumeCommand: SessionSwitchCommand {
    static let switched = SessionSwitch.resume
    @OptionGroup var target: SessionTarget
    @OptionGroup var output: OutputOptions
}
