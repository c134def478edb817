/*
 * sandbox: entering a role (sandbox.h): NoNewPrivs, then the role's
 * seccomp filter, built with libseccomp from the lists of its file
 * (sandbox_role_*.c) and loaded.  Everything not listed kills the
 * process (enforce) or is reported by it before it dies (report).
 *
 * Building a filter costs more than loading it (about 70 and 30 us of
 * CPU here), so a process that forks sessions builds it once
 * (sandbox_prepare, in a child of its own) and each session only loads
 * the BPF it inherited.
 */
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <linux/filter.h>
#include <linux/seccomp.h>

#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "sandbox_int.h"

/* Far more than a role needs (they are about 100 instructions). */
#define SANDBOX_BPF_MAX	1024

struct sandbox_bpf {
	unsigned short		 len;		/* 0: not built */
	struct sock_filter	 insns[SANDBOX_BPF_MAX];
};

static enum sandbox_mode	 sandbox_current = SANDBOX_ENFORCE;
/*
 * enforce: each role's filter, built once (sandbox_prepare or the first
 * sandbox_enter); in static storage, so that a session forked after
 * sandbox_prepare reads a page or two its parent shares.  report: the
 * process's own.
 */
static struct sandbox_bpf	 sandbox_progs[SANDBOX_ROLES];
static struct sandbox_bpf	 sandbox_own;

static const char *const sandbox_mode_names[] = {
	[SANDBOX_ENFORCE] = "enforce",
	[SANDBOX_REPORT] = "report",
	[SANDBOX_OFF] = "off",
};

static const struct sandbox_role_def *const sandbox_roles[SANDBOX_ROLES] = {
	[SANDBOX_SMTP_SESSION] = &sandbox_role_smtp_session,
	[SANDBOX_POP3_LOGIN] = &sandbox_role_pop3_login,
	[SANDBOX_POP3_SESSION] = &sandbox_role_pop3_session,
	[SANDBOX_DELIVERY] = &sandbox_role_delivery,
	[SANDBOX_SMTP_CLIENT] = &sandbox_role_smtp_client,
	[SANDBOX_IMAP_LOGIN] = &sandbox_role_imap_login,
	[SANDBOX_IMAP_SESSION] = &sandbox_role_imap_session,
};

int
sandbox_mode_parse(const char *word, enum sandbox_mode *mode)
{
	size_t	 i;

	for (i = 0; i < sizeof(sandbox_mode_names) /
	    sizeof(sandbox_mode_names[0]); i++)
		if (strcmp(word, sandbox_mode_names[i]) == 0) {
			*mode = (enum sandbox_mode)i;
			return 0;
		}
	return -1;
}

int
sandbox_configure(const char *word)
{
	enum sandbox_mode	 mode;

	if (sandbox_mode_parse(word, &mode) == -1) {
		log_warnx("sandbox: \"%s\" is not enforce, report or off",
		    word);
		return -1;
	}
	sandbox_current = mode;
	if (mode == SANDBOX_OFF)
		log_warnx("sandbox = off: sessions run without their system "
		    "call filters");
	return 0;
}

enum sandbox_mode
sandbox_mode(void)
{
	return sandbox_current;
}

const char *
sandbox_mode_name(enum sandbox_mode mode)
{
	return (unsigned)mode < sizeof(sandbox_mode_names) /
	    sizeof(sandbox_mode_names[0]) ? sandbox_mode_names[mode] : "?";
}

const struct sandbox_role_def *
sandbox_role_def(enum sandbox_role role)
{
	return (unsigned)role < SANDBOX_ROLES ? sandbox_roles[role] : NULL;
}

const char *
sandbox_role_name(enum sandbox_role role)
{
	const struct sandbox_role_def	*def = sandbox_role_def(role);

	return def != NULL ? def->name : "?";
}

/* One entry of a list as rules.  0, or a negative errno. */
static int
sandbox_add(scmp_filter_ctx ctx, const struct sandbox_call *c, pid_t self)
{
	static const int	 fcntl_cmds[] = { F_GETFD, F_SETFD, F_GETFL,
				    F_SETFL };
	const scmp_datum_t	 writes = O_WRONLY | O_RDWR | O_CREAT |
				    O_TRUNC | O_APPEND |
				    (O_TMPFILE & ~O_DIRECTORY);
	size_t			 i;
	int			 r;

	/* EQ ignores the second datum; it is given for -Wextra's sake */
	switch (c->arg) {
	case SB_ANY:
		return seccomp_rule_add(ctx, SCMP_ACT_ALLOW, c->nr, 0);
	case SB_NOEXEC:
		return seccomp_rule_add(ctx, SCMP_ACT_ALLOW, c->nr, 1,
		    SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
	case SB_RDONLY:
		return seccomp_rule_add(ctx, SCMP_ACT_ALLOW, c->nr, 1,
		    SCMP_A2(SCMP_CMP_MASKED_EQ, writes, 0));
	case SB_FDONLY:
		return seccomp_rule_add(ctx, SCMP_ACT_ALLOW, c->nr, 1,
		    SCMP_A3(SCMP_CMP_MASKED_EQ, AT_EMPTY_PATH,
		    AT_EMPTY_PATH));
	case SB_SELF:
		return seccomp_rule_add(ctx, SCMP_ACT_ALLOW, c->nr, 1,
		    SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)self, 0));
	case SB_FCNTL:
		for (i = 0; i < sizeof(fcntl_cmds) / sizeof(fcntl_cmds[0]);
		    i++)
			if ((r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, c->nr, 1,
			    SCMP_A1(SCMP_CMP_EQ,
			    (scmp_datum_t)fcntl_cmds[i], 0))) < 0)
				return r;
		return 0;
	case SB_SOCK_UNIX_EACCES:
		return seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EACCES), c->nr, 1,
		    SCMP_A0(SCMP_CMP_EQ, AF_UNIX, 0));
	case SB_EXEC_EPERM:
		return seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), c->nr, 1,
		    SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, PROT_EXEC));
	case SB_SOCK_INET:
		if ((r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, c->nr, 1,
		    SCMP_A0(SCMP_CMP_EQ, AF_INET, 0))) < 0)
			return r;
		return seccomp_rule_add(ctx, SCMP_ACT_ALLOW, c->nr, 1,
		    SCMP_A0(SCMP_CMP_EQ, AF_INET6, 0));
	}
	return -EINVAL;
}

static int
sandbox_add_list(scmp_filter_ctx ctx, const struct sandbox_list *l,
    const char *role, pid_t self)
{
	size_t	 i;
	int	 r;

	for (i = 0; i < l->n; i++) {
		r = sandbox_add(ctx, &l->calls[i], self);
		/* a call this architecture does not have (SCMP_SYS gave a
		 * negative pseudo number) is nothing to allow */
		if (r == -EDOM || (r < 0 && l->calls[i].nr < 0))
			continue;
		if (r < 0) {
			errno = -r;
			log_warn("sandbox: %s: list %s, call %d", role,
			    l->name, l->calls[i].nr);
			return -1;
		}
	}
	return 0;
}

scmp_filter_ctx
sandbox_filter(const struct sandbox_role_def *def, unsigned int def_action,
    pid_t self)
{
	scmp_filter_ctx	 ctx;
	size_t		 i;
	int		 r;

	if ((ctx = seccomp_init(def_action)) == NULL) {
		log_warnx("sandbox: %s: seccomp_init failed", def->name);
		return NULL;
	}
	/*
	 * A call of another ABI (i386, x32) is no more allowed.  The rules
	 * are a binary tree rather than a list: each call, and the kernel's
	 * check of the filter when it is loaded, walks a few of them.
	 */
	if ((r = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH,
	    def_action)) < 0 ||
	    (r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2)) < 0) {
		errno = -r;
		log_warn("sandbox: %s: seccomp_attr_set", def->name);
		goto fail;
	}
	for (i = 0; def->lists[i] != NULL; i++)
		if (sandbox_add_list(ctx, def->lists[i], def->name,
		    self) == -1)
			goto fail;
#ifdef FACTEUR_SANITIZER
	if (sandbox_add_list(ctx, &sandbox_list_sanitizer, def->name,
	    self) == -1)
		goto fail;
#endif
	if (self != 0 && sandbox_add_list(ctx, &sandbox_list_raise, def->name,
	    self) == -1)
		goto fail;
	return ctx;
fail:
	seccomp_release(ctx);
	return NULL;
}

/* Reads a BPF program from fd (to its end) into b.  0, or -1. */
static int
sandbox_bpf_read(int fd, struct sandbox_bpf *b)
{
	char	*p = (char *)b->insns;
	size_t	 got = 0, cap = sizeof(b->insns);
	ssize_t	 n;

	for (;;) {
		n = read(fd, p + got, cap - got);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if ((got += (size_t)n) == cap) {
			errno = E2BIG;
			return -1;
		}
	}
	if (n == -1 || got == 0 || got % sizeof(struct sock_filter) != 0) {
		if (n != -1)
			errno = EINVAL;
		return -1;
	}
	b->len = (unsigned short)(got / sizeof(struct sock_filter));
	return 0;
}

/* The role's filter as BPF, written to fd.  0, or -1 (logged). */
static int
sandbox_export(const struct sandbox_role_def *def, unsigned int def_action,
    pid_t self, int fd)
{
	scmp_filter_ctx	 ctx;
	int		 r;

	if ((ctx = sandbox_filter(def, def_action, self)) == NULL)
		return -1;
	if ((r = seccomp_export_bpf(ctx, fd)) < 0) {
		errno = -r;
		log_warn("sandbox: %s: seccomp_export_bpf", def->name);
	}
	seccomp_release(ctx);
	return r < 0 ? -1 : 0;
}

/*
 * The role's filter as BPF, into b, built here (libseccomp 2.5 writes
 * BPF only to a descriptor).  0, or -1 (logged).
 */
static int
sandbox_compile(const struct sandbox_role_def *def, unsigned int def_action,
    pid_t self, struct sandbox_bpf *b)
{
	int	 fd, r = -1;

	if ((fd = memfd_create("sandbox", MFD_CLOEXEC)) == -1) {
		log_warn("sandbox: %s: memfd_create", def->name);
		return -1;
	}
	if (sandbox_export(def, def_action, self, fd) == 0) {
		if (lseek(fd, 0, SEEK_SET) == 0 && sandbox_bpf_read(fd, b) == 0)
			r = 0;
		else
			log_warn("sandbox: %s: reading the filter back",
			    def->name);
	}
	(void)close(fd);
	return r;
}

/*
 * The same, built in a child: libseccomp's many small allocations then
 * never touch this process's heap, which the sessions forked from it
 * inherit (they would copy its pages and consolidate its free chunks).
 */
static int
sandbox_compile_apart(const struct sandbox_role_def *def,
    struct sandbox_bpf *b)
{
	pid_t	 pid;
	int	 p[2], r, saved;

	if (pipe2(p, O_CLOEXEC) == -1)
		return -1;
	if ((pid = fork()) == -1) {
		saved = errno;
		(void)close(p[0]);
		(void)close(p[1]);
		errno = saved;
		return -1;
	}
	if (pid == 0) {
		(void)close(p[0]);
		_exit(sandbox_export(def, SCMP_ACT_KILL_PROCESS, 0,
		    p[1]) == 0 ? 0 : 1);
	}
	(void)close(p[1]);
	r = sandbox_bpf_read(p[0], b);
	saved = errno;
	(void)close(p[0]);
	/* the program is judged by what came through the pipe; reaped here
	 * unless SIGCHLD is ignored */
	(void)waitpid(pid, NULL, 0);
	errno = saved;
	return r;
}

void
sandbox_prepare(enum sandbox_role role)
{
	const struct sandbox_role_def	*def = sandbox_role_def(role);

	if (def == NULL)
		fatalx("sandbox: no role %d", (int)role);
	if (sandbox_current != SANDBOX_ENFORCE ||
	    sandbox_progs[role].len != 0)
		return;
	if (sandbox_compile_apart(def, &sandbox_progs[role]) == -1)
		fatal("sandbox: %s: the filter cannot be built", def->name);
}

void
sandbox_enter(enum sandbox_role role)
{
	const struct sandbox_role_def	*def;
	struct sandbox_bpf		*b;
	struct sock_fprog		 prog;

	/*
	 * The path of a prepared filter touches as little as it can (two
	 * prctl calls and the program, in pages the parent shares): it runs
	 * in every session.
	 */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1 ||
	    prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1)
		fatal("sandbox: %s: PR_SET_NO_NEW_PRIVS",
		    sandbox_role_name(role));
	if (sandbox_current == SANDBOX_OFF)
		return;
	if ((def = sandbox_role_def(role)) == NULL)
		fatalx("sandbox: no role %d", (int)role);
	if (sandbox_current == SANDBOX_REPORT) {
		/* built here: the handler's raise(3) names this process */
		b = &sandbox_own;
		if (sandbox_report_install(def->name) == -1 ||
		    sandbox_compile(def, SCMP_ACT_TRAP, getpid(), b) == -1)
			fatalx("sandbox: %s: the filter cannot be built",
			    def->name);
	} else if ((b = &sandbox_progs[role])->len == 0) {
		if (sandbox_compile(def, SCMP_ACT_KILL_PROCESS, 0, b) == -1)
			fatalx("sandbox: %s: the filter cannot be built",
			    def->name);
		/* libseccomp's garbage: this process forks nothing after */
		(void)malloc_trim(0);
	}
	prog.len = b->len;
	prog.filter = b->insns;
	/* nothing is logged on success: a delivery worker's output is the
	 * text of its job's result */
	if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0) == -1)
		fatal("sandbox: %s: loading the filter", def->name);
}
