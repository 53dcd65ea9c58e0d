#ifndef PPDS_CSPAWN_H
#define PPDS_CSPAWN_H
#include <sys/types.h>

/// Starts `path` with `argv` and `envp` in a new process group of its own (so that a timeout
/// can end it with every process it started), in `directory` when not NULL, with standard
/// input, output and error on the given descriptors (-1: /dev/null).
/// Signal dispositions and the signal mask are reset to the defaults. Returns 0 and sets
/// `pid`, or an errno value.
int ppds_spawn(pid_t *pid, const char *path, char *const argv[], char *const envp[],
               const char *directory, int in_fd, int out_fd, int err_fd);

/// pipe2(fds, O_CLOEXEC): a pipe no other spawned program inherits.
int ppds_pipe_cloexec(int fds[2]);

/// Makes stdout line-buffered whatever it is (a pipe is fully buffered by default), so an
/// agent reading through a pipe gets each line when it is printed.
void ppds_line_buffer_stdout(void);

/// On SIGINT, SIGTERM and SIGHUP: writes "show the cursor" to fd 1 and exits at once (0 for
/// SIGINT, else 128 + the signal). A plain handler (write + _exit: async-signal-safe), so the
/// terminal is restored whatever thread the signal lands on.
void ppds_restore_cursor_on_signals(void);

/// On SIGINT: writes `message` (copied) to fd 2 and exits 130. NULL restores the default.
void ppds_on_interrupt_say(const char *message);

/// An anonymous in-memory file (memfd_create, without close-on-exec), or -1 with errno.
int ppds_memory_file(void);

/// Flushes stdout and says whether everything written to it so far got out (0: a write failed).
int ppds_stdout_ok(void);
/// Starts `path` in the caller's process group with its terminal (stdin from `in_fd` when >= 0),
/// in `directory`, signals at their defaults: the agent under `ppds agent-run`.
int ppds_spawn_foreground(pid_t *pid, const char *path, char *const argv[], char *const envp[],
                          const char *directory, int in_fd);
/// From now on SIGHUP and SIGTERM to this process are sent on to `child` (the supervised agent).
/// Until `ppds_forward_signals_to`: SIGHUP and SIGTERM are kept, to be passed on to the agent.
void ppds_forward_signals_prepare(void);
void ppds_forward_signals_to(pid_t child);

// The interactive watch's terminal handling (its own header).
#include "TerminalMode.h"
#endif
