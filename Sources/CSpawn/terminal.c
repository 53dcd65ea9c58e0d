#define _GNU_SOURCE
#include "TerminalMode.h"
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

extern char **environ;

static struct termios ppds_saved_termios;
static int ppds_terminal_fd = -1;
static volatile sig_atomic_t ppds_terminal_active = 0;
static char ppds_enter_seq[64];
static char ppds_leave_seq[64];
static int ppds_resize_pipe[2] = {-1, -1};
static int ppds_handlers_installed = 0;

static void ppds_write_all(const char *text) {
    size_t length = strlen(text);
    while (length > 0) {
        ssize_t written = write(1, text, length);
        if (written <= 0) {
            if (written < 0 && errno == EINTR) continue;
            return;
        }
        text += written;
        length -= (size_t)written;
    }
}

static void ppds_restore_now(void) {
    if (!ppds_terminal_active) return;
    ppds_terminal_active = 0;
    tcsetattr(ppds_terminal_fd, TCSANOW, &ppds_saved_termios);
    ppds_write_all(ppds_leave_seq);
}

static void ppds_on_leave_signal(int number) {
    ppds_restore_now();
    _exit(number == SIGINT ? 0 : 128 + number);
}

static struct sigaction ppds_old_crash_actions[NSIG];

static void ppds_on_crash(int number, siginfo_t *info, void *context) {
    (void)context;
    ppds_restore_now();
    // What handled the signal before (the Swift runtime's backtracer, or the default) takes over:
    // a fault runs its instruction again on return; a sent signal or an abort is raised again.
    sigaction(number, &ppds_old_crash_actions[number], NULL);
    if (info == NULL || info->si_code <= 0 || number == SIGABRT || number == SIGTRAP) raise(number);
}

static void ppds_on_resize(int number) {
    (void)number;
    int saved = errno;
    if (ppds_resize_pipe[1] >= 0) {
        ssize_t ignored = write(ppds_resize_pipe[1], "w", 1);
        (void)ignored;
    }
    errno = saved;
}

static void ppds_at_exit(void) { ppds_restore_now(); }

static void ppds_install(int number, void (*handler)(int), int flags) {
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = handler;
    sigemptyset(&action.sa_mask);
    action.sa_flags = flags;
    sigaction(number, &action, NULL);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, number);
    pthread_sigmask(SIG_UNBLOCK, &set, NULL);
}

static int ppds_apply_raw(void) {
    struct termios raw = ppds_saved_termios;
    raw.c_iflag &= ~(tcflag_t)(BRKINT | ICRNL | INPCK | ISTRIP | IXON);
    raw.c_lflag &= ~(tcflag_t)(ECHO | ICANON | IEXTEN);
    raw.c_cc[VSUSP] = _POSIX_VDISABLE;
    raw.c_cc[VQUIT] = _POSIX_VDISABLE;
    raw.c_cc[VMIN] = 1;
    raw.c_cc[VTIME] = 0;
    if (tcsetattr(ppds_terminal_fd, TCSANOW, &raw) != 0) return errno;
    ppds_terminal_active = 1;
    ppds_write_all(ppds_enter_seq);
    return 0;
}

int ppds_terminal_enter(int fd, const char *enter, const char *leave) {
    if (tcgetattr(fd, &ppds_saved_termios) != 0) return errno;
    ppds_terminal_fd = fd;
    strncpy(ppds_enter_seq, enter, sizeof ppds_enter_seq - 1);
    strncpy(ppds_leave_seq, leave, sizeof ppds_leave_seq - 1);
    if (!ppds_handlers_installed) {
        ppds_handlers_installed = 1;
        if (pipe2(ppds_resize_pipe, O_CLOEXEC | O_NONBLOCK) != 0) ppds_resize_pipe[0] = ppds_resize_pipe[1] = -1;
        ppds_install(SIGINT, ppds_on_leave_signal, 0);
        ppds_install(SIGTERM, ppds_on_leave_signal, 0);
        ppds_install(SIGHUP, ppds_on_leave_signal, 0);
        int crash[] = {SIGSEGV, SIGBUS, SIGILL, SIGTRAP, SIGABRT, SIGFPE};
        for (size_t i = 0; i < sizeof crash / sizeof crash[0]; i++) {
            struct sigaction action;
            memset(&action, 0, sizeof action);
            action.sa_sigaction = ppds_on_crash;
            sigemptyset(&action.sa_mask);
            action.sa_flags = SA_SIGINFO | SA_NODEFER;
            sigaction(crash[i], &action, &ppds_old_crash_actions[crash[i]]);
        }
        ppds_install(SIGWINCH, ppds_on_resize, SA_RESTART);
        atexit(ppds_at_exit);
    }
    return ppds_apply_raw();
}

void ppds_terminal_leave(void) { ppds_restore_now(); }

int ppds_terminal_resume(void) {
    if (ppds_terminal_fd < 0) return EBADF;
    if (ppds_terminal_active) return 0;
    return ppds_apply_raw();
}

int ppds_terminal_resize_fd(void) { return ppds_resize_pipe[0]; }

int ppds_run_in_foreground(const char *path, char *const argv[], int err_fd, int *status) {
    struct sigaction ignore, old_int, old_quit;
    memset(&ignore, 0, sizeof ignore);
    ignore.sa_handler = SIG_IGN;
    sigemptyset(&ignore.sa_mask);
    sigaction(SIGINT, &ignore, &old_int);
    sigaction(SIGQUIT, &ignore, &old_quit);

    posix_spawnattr_t attributes;
    posix_spawnattr_init(&attributes);
    sigset_t defaults, empty;
    sigemptyset(&defaults);
    int reset[] = {SIGINT, SIGQUIT, SIGTERM, SIGHUP, SIGWINCH, SIGPIPE};
    for (size_t i = 0; i < sizeof reset / sizeof reset[0]; i++) sigaddset(&defaults, reset[i]);
    sigemptyset(&empty);
    posix_spawnattr_setsigdefault(&attributes, &defaults);
    posix_spawnattr_setsigmask(&attributes, &empty);
    posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    if (err_fd >= 0) posix_spawn_file_actions_adddup2(&actions, err_fd, 2);

    pid_t pid;
    int result = posix_spawn(&pid, path, &actions, &attributes, argv, environ);
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attributes);
    if (result == 0) {
        while (waitpid(pid, status, 0) < 0) {
            if (errno != EINTR) { result = errno; break; }
        }
    }
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGQUIT, &old_quit, NULL);
    return result;
}
