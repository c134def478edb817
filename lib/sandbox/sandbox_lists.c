/*
 * sandbox_lists: the allow-lists several roles share.  Each entry says
 * why it is there; what a single role needs goes in its own file.
 *
 * base: what every sandboxed process does after its setup, in libc as
 * much as in facteur's code: read and write the descriptors it holds,
 * wait on them, keep time, allocate memory (never executable), log, and
 * end.  No entry opens a file, makes a connection or starts a program.
 */
#include <errno.h>

#include "sandbox_int.h"

SB_LIST(sandbox_list_base, "base",
	/* the descriptors it was given; poll(2) is ppoll on some ABIs */
	SB(read), SB(write), SB(readv), SB(writev), SB(close),
	SB(poll), SB(ppoll),
	/* recv(2) (MSG_PEEK of the early talker check) and send(2) (syslog
	 * on the socket it opened before) */
	SB(recvfrom), SB(sendto),
	/* fstat(2) of a descriptor, never of a path: glibc makes it
	 * newfstatat(fd, "", AT_EMPTY_PATH) */
	SB(fstat), SB_IF(newfstatat, SB_FDONLY),
	/* O_NONBLOCK and FD_CLOEXEC on its own descriptors */
	SB_IF(fcntl, SB_FCNTL),
	/* memory: malloc(3), free(3), malloc_trim(3); nothing executable */
	SB(brk), SB_IF(mmap, SB_NOEXEC), SB_IF(mprotect, SB_NOEXEC),
	SB(munmap), SB(mremap), SB(madvise),
	/* time and deadlines, when the vDSO falls back to the kernel */
	SB(clock_gettime), SB(gettimeofday), SB(time), SB(clock_nanosleep),
	SB(nanosleep),
	/* log lines carry the pid; random numbers (arc4random, OpenSSL);
	 * "am I root?" checks of the delivery code */
	SB(getpid), SB(getrandom), SB(getuid), SB(geteuid), SB(getgid),
	SB(getegid),
	/* glibc's locks, when one is contended or handed over; qsort(3)
	 * sizes its buffer with sysinfo(2) */
	SB(futex), SB(sysinfo),
	/* syslog(3) reconnecting after a syslogd restart: EACCES */
	SB_IF(socket, SB_SOCK_UNIX_EACCES),
	/* signals: handlers return, blocked sets, interrupted calls */
	SB(rt_sigreturn), SB(rt_sigprocmask), SB(restart_syscall),
	/* the end */
	SB(exit), SB(exit_group));

/* Frames and descriptors over a Unix socket (lib/ipc/chan: SCM_RIGHTS). */
SB_LIST(sandbox_list_chan, "chan",
	SB(sendmsg), SB(recvmsg));

/*
 * A server closing on a client that may still be sending shuts its own
 * sending side first, then drops what comes (lineio_linger: recvfrom is
 * in base), so that its last reply is not lost to a reset.  shutdown(2)
 * acts only on a socket the process already holds.
 */
SB_LIST(sandbox_list_linger, "linger",
	SB(shutdown));

/*
 * OpenSSL while it builds a context and during handshakes: random numbers
 * (getrandom, also in base) and sorting (sysinfo, also in base); the rest
 * is memory and the descriptors it is given.  A list of its own all the
 * same, for what a later OpenSSL may need.
 */
SB_LIST(sandbox_list_tls, "tls",
	SB(getrandom), SB(sysinfo));

/*
 * Builds with ASan and UBSan only (FACTEUR_SANITIZER): what their
 * runtime does while it reports an error (read /proc/self/maps, the
 * program's own file for symbols), so that a report is written rather
 * than the process killed in the middle of it.
 */
SB_LIST(sandbox_list_sanitizer, "sanitizer",
	SB_IF(openat, SB_RDONLY), SB(readlink), SB(newfstatat),
	SB(sched_yield), SB(sigaltstack));

/*
 * report mode only: the SIGSYS handler kills the process with raise(3),
 * a signal to itself (tgkill with its own pid, which is why a report
 * filter is built in the process that loads it).
 */
SB_LIST(sandbox_list_raise, "raise",
	SB_IF(tgkill, SB_SELF), SB(gettid));
