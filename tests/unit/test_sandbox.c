/*
 * Unit tests for lib/sandbox.  Each check runs in a forked child that
 * enters a role for real and then makes one system call: an allowed one
 * must return, a forbidden one must kill the child with SIGSYS (enforce)
 * or after a report line naming the call (report).  The parent reads the
 * child's /proc status while it waits, entered.  The calls are made with
 * syscall(2), so that what is tested is the call itself, whatever libc
 * does around it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "sandbox.h"
#include "sandbox_int.h"

/* What a child does once inside; its return value is its exit code. */
typedef int (*probe_fn)(void);

struct outcome {
	int	 exited;	/* exit code, or -1 */
	int	 signal;	/* killing signal, or 0 */
	int	 seccomp;	/* Seccomp: in /proc/<pid>/status */
	int	 nnp;		/* NoNewPrivs: */
	char	 err[512];	/* what the child wrote on stderr */
};

static int
status_field(const char *status, const char *key)
{
	const char	*p = strstr(status, key);

	return p != NULL ? atoi(p + strlen(key)) : -1;
}

/*
 * Runs probe in a child that first enters role in mode (prepared in the
 * parent's image first when prepare is set).
 */
static void
run_probe(enum sandbox_role role, enum sandbox_mode mode, int prepare,
    probe_fn probe, struct outcome *o)
{
	char	 path[64], status[4096], go = 'g', c;
	int	 ready[2], proceed[2], err[2], fd, st;
	ssize_t	 n;
	pid_t	 pid;

	memset(o, 0, sizeof(*o));
	assert_int_equal(pipe(ready), 0);
	assert_int_equal(pipe(proceed), 0);
	assert_int_equal(pipe(err), 0);
	pid = fork();
	assert_true(pid != -1);
	if (pid == 0) {
		struct rlimit	 nocore = { 0, 0 };

		/* a SIGSYS death dumps core by default: not here */
		if (setrlimit(RLIMIT_CORE, &nocore) == -1 ||
		    dup2(err[1], STDERR_FILENO) == -1)
			_exit(90);
		log_init("test_sandbox", 1);
		(void)sandbox_configure(sandbox_mode_name(mode));
		if (prepare)
			sandbox_prepare(role);
		sandbox_enter(role);
		if (write(ready[1], "r", 1) != 1 ||
		    read(proceed[0], &c, 1) != 1)
			_exit(91);
		_exit(probe());
	}
	(void)close(ready[1]);
	(void)close(proceed[0]);
	(void)close(err[1]);
	if (read(ready[0], &c, 1) == 1) {
		(void)snprintf(path, sizeof(path), "/proc/%ld/status",
		    (long)pid);
		fd = open(path, O_RDONLY);
		assert_true(fd != -1);
		n = read(fd, status, sizeof(status) - 1);
		assert_true(n > 0);
		status[n] = '\0';
		(void)close(fd);
		o->seccomp = status_field(status, "Seccomp:");
		o->nnp = status_field(status, "NoNewPrivs:");
	}
	assert_int_equal(write(proceed[1], &go, 1), 1);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	n = read(err[0], o->err, sizeof(o->err) - 1);
	o->err[n > 0 ? n : 0] = '\0';
	o->exited = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	o->signal = WIFSIGNALED(st) ? WTERMSIG(st) : 0;
	(void)close(ready[0]);
	(void)close(proceed[1]);
	(void)close(err[0]);
}

static void
expect_allowed(enum sandbox_role role, probe_fn probe)
{
	struct outcome	 o;

	run_probe(role, SANDBOX_ENFORCE, 0, probe, &o);
	assert_int_equal(o.seccomp, 2);
	assert_int_equal(o.nnp, 1);
	assert_int_equal(o.signal, 0);
	assert_int_equal(o.exited, 0);
}

static void
expect_killed(enum sandbox_role role, probe_fn probe)
{
	struct outcome	 o;

	run_probe(role, SANDBOX_ENFORCE, 0, probe, &o);
	assert_int_equal(o.seccomp, 2);
	assert_int_equal(o.nnp, 1);
	assert_int_equal(o.signal, SIGSYS);
}

/* ---- the probes: 0 when the call returned as expected ---- */

static int
probe_write(void)
{
	return syscall(SYS_write, STDERR_FILENO, "", 0) == 0 &&
	    syscall(SYS_getpid) > 0 ? 0 : 1;
}

static int
probe_execve(void)
{
	char	*argv[] = { "true", NULL };

	(void)syscall(SYS_execve, "/bin/true", argv, NULL);
	return 2;
}

static int
probe_open_create(void)
{
	(void)syscall(SYS_openat, AT_FDCWD, "/tmp/test_sandbox.new",
	    O_WRONLY | O_CREAT | O_EXCL, 0600);
	return 2;
}

static int
probe_open_read(void)
{
	long	 fd = syscall(SYS_openat, AT_FDCWD, "/", O_RDONLY |
		    O_DIRECTORY);

	return fd >= 0 ? 0 : 1;
}

static int
probe_socket_inet(void)
{
	(void)syscall(SYS_socket, AF_INET, SOCK_STREAM, 0);
	return 2;
}

static int
probe_socket_unix(void)
{
	/* syslog(3)'s reconnection: refused, the process lives */
	return syscall(SYS_socket, AF_UNIX, SOCK_DGRAM, 0) == -1 &&
	    errno == EACCES ? 0 : 1;
}

static int
probe_connect(void)
{
	(void)syscall(SYS_connect, 0, NULL, 0);
	return 2;
}

static int
probe_ptrace(void)
{
	(void)syscall(SYS_ptrace, 0 /* PTRACE_TRACEME */, 0, 0, 0);
	return 2;
}

static int
probe_mmap_exec(void)
{
	(void)syscall(SYS_mmap, NULL, 4096, PROT_READ | PROT_EXEC,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return 2;
}

/* imap-session: an executable mapping fails with EPERM, and lives. */
static int
probe_mmap_exec_eperm(void)
{
	long	 p = syscall(SYS_mmap, NULL, 4096, PROT_READ | PROT_EXEC,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == -1 && errno == EPERM ? 0 : 1;
}

static int
probe_mprotect_exec(void)
{
	void	*p = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS,
		    -1, 0);

	if (p == MAP_FAILED)
		return 1;
	(void)syscall(SYS_mprotect, p, 4096, PROT_READ | PROT_EXEC);
	return 2;
}

static int
probe_mmap_data(void)
{
	long	 p = syscall(SYS_mmap, NULL, 4096, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p != -1 ? 0 : 1;
}

static int
probe_fstat(void)
{
	struct stat	 st;

	return fstat(STDERR_FILENO, &st) == 0 ? 0 : 1;
}

#ifndef FACTEUR_SANITIZER
static int
probe_stat_path(void)
{
	struct stat	 st;

	(void)syscall(SYS_newfstatat, AT_FDCWD, "/etc/passwd", &st, 0);
	return 2;
}
#endif

static int
probe_kill_other(void)
{
	(void)syscall(SYS_kill, 1, 0);
	return 2;
}

static int
probe_fcntl_setown(void)
{
	(void)syscall(SYS_fcntl, STDERR_FILENO, F_SETOWN, 1);
	return 2;
}

static int
probe_fcntl_flags(void)
{
	long	 fl = syscall(SYS_fcntl, STDERR_FILENO, F_GETFL);

	return fl != -1 && syscall(SYS_fcntl, STDERR_FILENO, F_SETFL,
	    fl | O_NONBLOCK) == 0 ? 0 : 1;
}

static int
probe_mkdir(void)
{
	(void)syscall(SYS_mkdir, "/tmp/test_sandbox.dir", 0700);
	return 2;
}

/* ---- the tests ---- */

static void
test_modes(void **state)
{
	enum sandbox_mode	 m;

	(void)state;
	assert_int_equal(sandbox_mode_parse("enforce", &m), 0);
	assert_int_equal(m, SANDBOX_ENFORCE);
	assert_int_equal(sandbox_mode_parse("report", &m), 0);
	assert_int_equal(m, SANDBOX_REPORT);
	assert_int_equal(sandbox_mode_parse("off", &m), 0);
	assert_int_equal(m, SANDBOX_OFF);
	assert_int_equal(sandbox_mode_parse("", &m), -1);
	assert_int_equal(sandbox_mode_parse("Enforce", &m), -1);
	assert_int_equal(sandbox_mode_parse("yes", &m), -1);
	assert_int_equal(sandbox_mode_parse("enforce ", &m), -1);
	assert_string_equal(sandbox_mode_name(SANDBOX_REPORT), "report");
	assert_int_equal(sandbox_mode(), SANDBOX_ENFORCE);	/* the default */
}

/* Every role has a name and a filter that builds, in either mode. */
static void
test_roles_build(void **state)
{
	const struct sandbox_role_def	*def;
	scmp_filter_ctx			 ctx;
	int				 r;

	(void)state;
	for (r = 0; r < SANDBOX_ROLES; r++) {
		def = sandbox_role_def((enum sandbox_role)r);
		assert_non_null(def);
		assert_string_equal(def->name,
		    sandbox_role_name((enum sandbox_role)r));
		ctx = sandbox_filter(def, SCMP_ACT_KILL_PROCESS, 0);
		assert_non_null(ctx);
		seccomp_release(ctx);
		ctx = sandbox_filter(def, SCMP_ACT_TRAP, getpid());
		assert_non_null(ctx);
		seccomp_release(ctx);
	}
	assert_null(sandbox_role_def(SANDBOX_ROLES));
	assert_string_equal(sandbox_role_name(SANDBOX_ROLES), "?");
}

/* What no role allows. */
static void
test_never(void **state)
{
	int	 r;

	(void)state;
	for (r = 0; r < SANDBOX_ROLES; r++) {
		expect_allowed((enum sandbox_role)r, probe_write);
		expect_allowed((enum sandbox_role)r, probe_mmap_data);
		expect_allowed((enum sandbox_role)r, probe_fstat);
		expect_allowed((enum sandbox_role)r, probe_socket_unix);
		expect_allowed((enum sandbox_role)r, probe_fcntl_flags);
		expect_killed((enum sandbox_role)r, probe_execve);
		expect_killed((enum sandbox_role)r, probe_ptrace);
		if (r == SANDBOX_IMAP_SESSION)
			expect_allowed((enum sandbox_role)r,
			    probe_mmap_exec_eperm);
		else
			expect_killed((enum sandbox_role)r, probe_mmap_exec);
		expect_killed((enum sandbox_role)r, probe_mprotect_exec);
		expect_killed((enum sandbox_role)r, probe_kill_other);
		expect_killed((enum sandbox_role)r, probe_fcntl_setown);
	}
}

/* The sessions and logins: no file, no network. */
static void
test_sessions_open_nothing(void **state)
{
	static const enum sandbox_role	 roles[] = { SANDBOX_SMTP_SESSION,
					    SANDBOX_POP3_LOGIN,
					    SANDBOX_IMAP_LOGIN };
	size_t				 i;

	(void)state;
	for (i = 0; i < sizeof(roles) / sizeof(roles[0]); i++) {
		expect_killed(roles[i], probe_open_create);
		expect_killed(roles[i], probe_socket_inet);
		expect_killed(roles[i], probe_connect);
		expect_killed(roles[i], probe_mkdir);
#ifndef FACTEUR_SANITIZER
		/* sanitizer builds may read files to report an error */
		expect_killed(roles[i], probe_open_read);
		expect_killed(roles[i], probe_stat_path);
#endif
	}
}

/* pop3session reads its Maildir and creates nothing. */
static void
test_pop3_session(void **state)
{
	(void)state;
	expect_allowed(SANDBOX_POP3_SESSION, probe_open_read);
	expect_killed(SANDBOX_POP3_SESSION, probe_open_create);
	expect_killed(SANDBOX_POP3_SESSION, probe_mkdir);
	expect_killed(SANDBOX_POP3_SESSION, probe_socket_inet);
	expect_killed(SANDBOX_POP3_SESSION, probe_connect);
}

/*
 * imapsession writes its Maildir++ and makes no connection; an
 * executable mapping (iconv's dlopen) fails instead of killing.
 */
static void
test_imap_session(void **state)
{
	(void)state;
	expect_allowed(SANDBOX_IMAP_SESSION, probe_open_read);
	expect_allowed(SANDBOX_IMAP_SESSION, probe_mmap_exec_eperm);
	expect_killed(SANDBOX_IMAP_SESSION, probe_socket_inet);
	expect_killed(SANDBOX_IMAP_SESSION, probe_connect);
	expect_killed(SANDBOX_IMAP_SESSION, probe_execve);
}

/* The delivery worker creates files, and makes no connection. */
static void
test_delivery(void **state)
{
	(void)state;
	expect_killed(SANDBOX_DELIVERY, probe_socket_inet);
	expect_killed(SANDBOX_DELIVERY, probe_connect);
}

static int
probe_socket_inet_ok(void)
{
	return syscall(SYS_socket, AF_INET, SOCK_STREAM, 0) >= 0 ? 0 : 1;
}

static int
probe_socket_netlink(void)
{
	(void)syscall(SYS_socket, AF_NETLINK, SOCK_RAW, 0);
	return 2;
}

/* The SMTP client connects out, over IPv4 and IPv6 only. */
static void
test_smtp_client(void **state)
{
	(void)state;
	expect_allowed(SANDBOX_SMTP_CLIENT, probe_socket_inet_ok);
	expect_killed(SANDBOX_SMTP_CLIENT, probe_socket_netlink);
	expect_killed(SANDBOX_SMTP_CLIENT, probe_open_create);
	expect_killed(SANDBOX_SMTP_CLIENT, probe_execve);
}

/* report: the child names the call, then dies of SIGSYS all the same. */
static void
test_report(void **state)
{
	struct outcome	 o;

	(void)state;
	run_probe(SANDBOX_SMTP_SESSION, SANDBOX_REPORT, 0, probe_execve, &o);
	assert_int_equal(o.seccomp, 2);
	assert_int_equal(o.nnp, 1);
	assert_int_equal(o.signal, SIGSYS);
	assert_non_null(strstr(o.err, "sandbox: smtp-session: forbidden "
	    "system call execve ("));
	run_probe(SANDBOX_POP3_SESSION, SANDBOX_REPORT, 0, probe_open_create,
	    &o);
	assert_int_equal(o.signal, SIGSYS);
	assert_non_null(strstr(o.err, "sandbox: pop3-session: forbidden "
	    "system call openat ("));
	/* an allowed call is not reported */
	run_probe(SANDBOX_POP3_SESSION, SANDBOX_REPORT, 0, probe_open_read,
	    &o);
	assert_int_equal(o.signal, 0);
	assert_int_equal(o.exited, 0);
	assert_null(strstr(o.err, "forbidden"));
}

/* off: NoNewPrivs only; the call is made. */
static void
test_off(void **state)
{
	struct outcome	 o;

	(void)state;
	run_probe(SANDBOX_SMTP_SESSION, SANDBOX_OFF, 0, probe_socket_inet_ok,
	    &o);
	assert_int_equal(o.seccomp, 0);
	assert_int_equal(o.nnp, 1);
	assert_int_equal(o.signal, 0);
	assert_int_equal(o.exited, 0);
	assert_non_null(strstr(o.err, "sandbox = off"));
}

/* A filter prepared before the fork is the one the child loads. */
static void
test_prepared(void **state)
{
	struct outcome	 o;

	(void)state;
	run_probe(SANDBOX_DELIVERY, SANDBOX_ENFORCE, 1, probe_write, &o);
	assert_int_equal(o.seccomp, 2);
	assert_int_equal(o.exited, 0);
	run_probe(SANDBOX_DELIVERY, SANDBOX_ENFORCE, 1, probe_execve, &o);
	assert_int_equal(o.signal, SIGSYS);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_modes),
		cmocka_unit_test(test_roles_build),
		cmocka_unit_test(test_never),
		cmocka_unit_test(test_sessions_open_nothing),
		cmocka_unit_test(test_pop3_session),
		cmocka_unit_test(test_imap_session),
		cmocka_unit_test(test_delivery),
		cmocka_unit_test(test_smtp_client),
		cmocka_unit_test(test_report),
		cmocka_unit_test(test_off),
		cmocka_unit_test(test_prepared),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
