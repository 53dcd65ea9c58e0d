#ifndef PPDS_TERMINAL_MODE_H
#define PPDS_TERMINAL_MODE_H
#include <sys/types.h>

/// For `ppds watch`'s interactive view. Saves `fd`'s terminal settings and puts it in raw mode
/// (no echo, no line editing; Ctrl-C still raises SIGINT, Ctrl-Z and Ctrl-\ do nothing), then
/// writes `enter` to fd 1. From then on SIGINT, SIGTERM and SIGHUP restore the settings, write
/// `leave` (copied, at most 63 bytes) and exit (0 for SIGINT, else 128 + the signal); a crash
/// (SIGSEGV, SIGBUS, SIGILL, SIGTRAP, SIGABRT, SIGFPE) restores them and hands the signal to
/// the handler it had before (the Swift runtime's backtracer, or the default); exit() restores them too. Each handler only calls tcsetattr, write and _exit or
/// raise (async-signal-safe). SIGWINCH makes `ppds_terminal_resize_fd` readable.
/// Returns 0, or an errno value (the terminal is then untouched).
int ppds_terminal_enter(int fd, const char *enter, const char *leave);

/// Restores the saved settings and writes `leave`; nothing when not entered. Signals then
/// exit without touching the terminal.
void ppds_terminal_leave(void);

/// Raw mode and `enter` again after `ppds_terminal_leave` (after a program that had the terminal).
int ppds_terminal_resume(void);

/// A descriptor that turns readable on each SIGWINCH (read it empty), or -1.
int ppds_terminal_resize_fd(void);

/// Runs `path` with `argv` in this process group, with the terminal (stdin and stdout) handed
/// over and stderr on `err_fd` (-1: inherited); waits for it. While it runs, SIGINT and SIGQUIT
/// are ignored here (as system(3) does) and default in the program. Returns 0 and sets
/// `status` (wait status), or an errno value.
int ppds_run_in_foreground(const char *path, char *const argv[], int err_fd, int *status);
#endif
