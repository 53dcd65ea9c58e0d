#define _GNU_SOURCE
#include "CSpawn.h"
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <unistd.h>

// posix_spawn_file_actions_addchdir_np, …_addclosefrom_np and pipe2 need _GNU_SOURCE, which
// Swift's Glibc module does not define: they are why the target exists.
// One spawn for both kinds: `fds` are the child's 0, 1 and 2 (-1: /dev/null when `detached`,
// else inherited); a detached child gets a process group of its own. Signals are at their
// defaults and unblocked in the child either way.
static int ppds_spawn_common(pid_t *pid, const char *path, char *const argv[], char *const envp[],
                             const char *directory, const int fds[3], int detached) {
    posix_spawn_file_actions_t actions;
    posix_spawnattr_t attributes;
    int code = posix_spawn_file_actions_init(&actions);
    if (code != 0) return code;
    code = posix_spawnattr_init(&attributes);
    if (code != 0) { posix_spawn_file_actions_destroy(&actions); return code; }
    sigset_t none, all;
    sigemptyset(&none);
    sigfillset(&all);
    for (int target = 0; target < 3 && !code; target++) {
        if (fds[target] >= 0) code = posix_spawn_file_actions_adddup2(&actions, fds[target], target);
        else if (detached) code = posix_spawn_file_actions_addopen(&actions, target, "/dev/null", target == 0 ? O_RDONLY : O_WRONLY, 0);
    }
    if (!code && directory) code = posix_spawn_file_actions_addchdir_np(&actions, directory);
    // Nothing else of ppds's reaches the program: descriptors other threads have open (without
    // close-on-exec) would leak into it, and a script still open for writing there fails to run.
    if (!code) code = posix_spawn_file_actions_addclosefrom_np(&actions, 3);
    if (!code && detached) code = posix_spawnattr_setpgroup(&attributes, 0);
    if (!code) code = posix_spawnattr_setsigmask(&attributes, &none);
    if (!code) code = posix_spawnattr_setsigdefault(&attributes, &all);
    if (!code) code = posix_spawnattr_setflags(&attributes, (detached ? POSIX_SPAWN_SETPGROUP : 0) | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    if (!code) code = posix_spawn(pid, path, &actions, &attributes, argv, envp);
    posix_spawnattr_destroy(&attributes);
    posix_spawn_file_actions_destroy(&actions);
    return code;
}

int ppds_spawn(pid_t *pid, const char *path, char *const argv[], char *const envp[],
               const char *directory, int in_fd, int out_fd, int err_fd) {
    const int fds[3] = {in_fd, out_fd, err_fd};
    return ppds_spawn_common(pid, path, argv, envp, directory, fds, 1);
}

int ppds_pipe_cloexec(int fds[2]) {
    return pipe2(fds, O_CLOEXEC);
}

#include <stdio.h>
void ppds_line_buffer_stdout(void) { setvbuf(stdout, NULL, _IOLBF, 0); }
int ppds_stdout_ok(void) { return fflush(stdout) == 0 && !ferror(stdout); }

#include <signal.h>
#include <unistd.h>
#include <pthread.h>
/* A signal mask is inherited (from a parent's thread that blocked it, or a runtime that does):
   the handler only runs for a signal this thread does not block. */
static void ppds_unblock(int number) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, number);
    pthread_sigmask(SIG_UNBLOCK, &set, NULL);
}
static void ppds_restore_cursor(int number) {
    static const char show[] = "\033[?25h\n";
    ssize_t ignored = write(1, show, sizeof show - 1);
    (void)ignored;
    _exit(number == SIGINT ? 0 : 128 + number);
}
void ppds_restore_cursor_on_signals(void) {
    struct sigaction action;
    action.sa_handler = ppds_restore_cursor;
    sigemptyset(&action.sa_mask);
    action.sa_flags = 0;
    sigaction(SIGINT, &action, NULL);
    sigaction(SIGTERM, &action, NULL);
    sigaction(SIGHUP, &action, NULL);
    ppds_unblock(SIGINT);
    ppds_unblock(SIGTERM);
    ppds_unblock(SIGHUP);
}

#include <stdlib.h>
#include <string.h>
static char *ppds_interrupt_message = NULL;
static void ppds_say_and_leave(int number) {
    (void)number;
    if (ppds_interrupt_message) {
        ssize_t ignored = write(2, ppds_interrupt_message, strlen(ppds_interrupt_message));
        (void)ignored;
    }
    _exit(130);
}
void ppds_on_interrupt_say(const char *message) {
    struct sigaction action;
    sigemptyset(&action.sa_mask);
    action.sa_flags = 0;
    if (message == NULL) {
        action.sa_handler = SIG_DFL;
        sigaction(SIGINT, &action, NULL);
        return;
    }
    char *copy = strdup(message);
    ppds_interrupt_message = copy;
    action.sa_handler = ppds_say_and_leave;
    sigaction(SIGINT, &action, NULL);
    ppds_unblock(SIGINT);
}

// The agent under `ppds agent-run`: in the supervisor's own process group (the pane's
// foreground group, so an interactive agent owns the terminal), with the terminal's
// descriptors 0–2 (stdin from `in_fd` when >= 0), signals back at their defaults (the
// supervisor ignores SIGINT and the others while it waits; exec keeps an ignored signal ignored).
int ppds_spawn_foreground(pid_t *pid, const char *path, char *const argv[], char *const envp[],
                          const char *directory, int in_fd) {
    const int fds[3] = {in_fd, -1, -1};
    return ppds_spawn_common(pid, path, argv, envp, directory, fds, 0);
}

static volatile pid_t ppds_forward_target = 0;
static volatile sig_atomic_t ppds_forward_pending = 0;
static void ppds_forward(int number) {
    if (ppds_forward_target > 0) kill(ppds_forward_target, number);
    else ppds_forward_pending = number;
}
// The supervisor passes SIGHUP (its pane closed, the tmux server killed: the kernel signals only
// the session leader) and SIGTERM (someone ended the supervisor) on to the agent, as a shell
// passes SIGHUP to its jobs, then records how the agent ended. Installed before the agent starts:
// a signal that comes before it has a pid is kept and passed on as soon as it has one (ignoring
// it lost a pane closed in that moment, and the agent ran on in a window nobody could see).
void ppds_forward_signals_prepare(void) {
    struct sigaction action;
    action.sa_handler = ppds_forward;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART;
    sigaction(SIGHUP, &action, NULL);
    sigaction(SIGTERM, &action, NULL);
    ppds_unblock(SIGHUP);
    ppds_unblock(SIGTERM);
}
void ppds_forward_signals_to(pid_t child) {
    ppds_forward_target = child;
    ppds_forward_signals_prepare();
    int pending = ppds_forward_pending;
    if (pending) kill(child, pending);
}
