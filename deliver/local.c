/*
 * local: the local delivery child's own process (see local.h).  lspawn
 * forks it for one job with the job's struct local_job in memory, one end
 * of a SOCK_SEQPACKET channel (fd 0 after the layout), a pipe to lspawn
 * for its log lines (fds 1 and 2) and the message (fd 3, read-only).
 *
 * It drops to the identity lspawn chose, as a delivery worker does
 * (setgroups to the one gid, setresgid, setresuid, each checked, uid 0
 * shown to be unrecoverable, not dumpable), with one difference: for an
 * mbox in mail_spool_directory, the spool's group is kept as the saved
 * gid only, taken as the effective gid while the dotlock is made and
 * removed and the mailbox opened (local_mbox.c), and given up for good
 * before any command runs (local_command.c).  Then, in Postfix local(8)'s
 * order: the Delivered-To loop check; for an alias job, its commands and
 * files; for a user, ~/.forward (local_forward.c) or else the mailbox
 * (mailbox_command, an mbox file, or the Maildir).  It sends one result
 * (R, K|Z|D, text) and exits 0; any failure of the drop exits 111 and
 * lspawn defers the job.
 *
 * Outcome of several deliveries: any temporary failure defers the job
 * (queued retries it, and the deliveries that worked are made again, as
 * Postfix does: a command or file cannot be checkpointed); otherwise any
 * permanent failure bounces it; otherwise it is delivered.
 */
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <grp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "buf.h"
#include "chan.h"
#include "child.h"
#include "deliver_maildir.h"
#include "deliver_wire.h"
#include "fdio.h"
#include "header_scan.h"
#include "local.h"
#include "log.h"

#define LOCAL_MSGFD	3

/* The outcomes of a job's deliveries, combined. */
struct local_tally {
	int			 z, d;
	struct local_result	 first;		/* the first failure */
	char			 done[LOCAL_TEXT_MAX + 1];	/* successes */
};

static void __attribute__((noreturn))
local_fail(const char *what)
{
	char	line[256];
	int	n;

	n = snprintf(line, sizeof(line), "lspawn-local: %s: %s\n", what,
	    strerror(errno));
	if (n > 0 && (size_t)n < sizeof(line) &&
	    fd_write_full(STDERR_FILENO, line, (size_t)n) == -1) {
		/* lspawn reads the exit status anyway */
	}
	_exit(111);
}

void
local_log(const struct local_job *lj, const char *fmt, ...)
{
	char	text[LOCAL_TEXT_MAX + 1], line[LOCAL_TEXT_MAX + 64];
	va_list	ap;
	int	n;

	va_start(ap, fmt);
	if (vsnprintf(text, sizeof(text), fmt, ap) < 0)
		text[0] = '\0';
	va_end(ap);
	n = snprintf(line, sizeof(line), "%s: %s", lj->id, text);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(line) - 1)
		n = (int)sizeof(line) - 2;
	log_sanitize(line, line, (size_t)n + 1);
	line[n] = '\n';
	(void)fd_write_full(STDERR_FILENO, line, (size_t)n + 1);
}

char
local_set(struct local_result *res, char status, const char *fmt, ...)
{
	va_list	ap;

	res->status = status;
	va_start(ap, fmt);
	if (vsnprintf(res->text, sizeof(res->text), fmt, ap) < 0)
		(void)strlcpy(res->text, "(no text)", sizeof(res->text));
	va_end(ap);
	log_sanitize(res->text, res->text, sizeof(res->text));
	return status;
}

int
local_prefix(const struct local_job *lj, int from_line, char *buf,
    size_t bufsz)
{
	size_t	n = 0;
	int	k;

	if (from_line) {
		if (local_from_line(lj->sender, time(NULL), buf, bufsz) == -1)
			return -1;
		n = strlen(buf);
	}
	k = snprintf(buf + n, bufsz - n, "Return-Path: <%s>\nDelivered-To: "
	    "%s\n", lj->sender, lj->rcpt);
	if (k < 0 || (size_t)k >= bufsz - n)
		return -1;
	return (int)(n + (size_t)k);
}

/*
 * Becomes the job's identity for good (see the file's comment): groups
 * the one gid, the spool's group as the saved gid when an mbox spool
 * needs it.
 */
static void
local_drop(const struct local_job *lj, int chan, int out, int msgfd)
{
	const int	 fds[4] = { chan, out, out, msgfd };
	uid_t		 r, e, s;
	gid_t		 rg, eg, sg;

	users_cache_wipe();
	closelog();
	if (child_fds(fds, 4) == -1)
		local_fail("descriptors");
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == -1)
		local_fail("prctl");
	/* a command that stops reading is EPIPE, not a signal */
	if (signal(SIGPIPE, SIG_IGN) == SIG_ERR ||
	    signal(SIGHUP, SIG_DFL) == SIG_ERR ||
	    signal(SIGTERM, SIG_DFL) == SIG_ERR)
		local_fail("signal");
	if (geteuid() == 0) {
		if (lj->uid == 0) {
			errno = EPERM;
			local_fail("refusing to deliver as root");
		}
		if (setgroups(1, &lj->gid) == -1)
			local_fail("setgroups");
		if (setresgid(lj->gid, lj->gid, lj->spool_gid) == -1)
			local_fail("setresgid");
		if (setresuid(lj->uid, lj->uid, lj->uid) == -1)
			local_fail("setresuid");
		if (getresuid(&r, &e, &s) == -1 || r != lj->uid ||
		    e != lj->uid || s != lj->uid ||
		    getresgid(&rg, &eg, &sg) == -1 || rg != lj->gid ||
		    eg != lj->gid || sg != lj->spool_gid)
			local_fail("ids not changed");
		if (setuid(0) != -1) {
			errno = EPERM;
			local_fail("uid 0 could be regained");
		}
	}
	if (prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) != 0) {
		errno = EPERM;
		local_fail("still dumpable");
	}
	umask(077);
	if (chdir("/") == -1)
		local_fail("chdir /");
}

/* 1 when the message already has "Delivered-To: RCPT" (res set). */
static int
local_loop(const struct local_job *lj, int msgfd, struct local_result *res)
{
	struct buf	 head;
	size_t		 body = 0;
	ssize_t		 r;
	int		 loop = 0;

	buf_init(&head, HEADER_SCAN_MAX);
	if (lseek(msgfd, 0, SEEK_SET) == -1 ||
	    buf_reserve(&head, HEADER_SCAN_MAX) == -1) {
		buf_free(&head);
		local_set(res, 'Z', "4.3.0 cannot read the message: %s",
		    strerror(errno));
		return 1;
	}
	r = fd_read_full(msgfd, head.data, HEADER_SCAN_MAX);
	if (r == -1) {
		buf_free(&head);
		local_set(res, 'Z', "4.3.0 cannot read the message: %s",
		    strerror(errno));
		return 1;
	}
	if (!header_section_end(head.data, (size_t)r, &body))
		body = (size_t)r;
	if (header_count_value(head.data, body, "Delivered-To", lj->rcpt) > 0) {
		local_set(res, 'D', "5.4.6 mail forwarding loop for %s",
		    lj->rcpt);
		loop = 1;
	}
	buf_free(&head);
	return loop;
}

static void
tally_add(struct local_tally *t, const struct local_result *res)
{
	if (res->status == 'K') {
		if (t->done[0] != '\0')
			(void)strlcat(t->done, "; ", sizeof(t->done));
		(void)strlcat(t->done, res->text, sizeof(t->done));
		return;
	}
	if (t->z == 0 && t->d == 0)
		t->first = *res;
	if (res->status == 'Z')
		t->z++;
	else
		t->d++;
}

static void
tally_refused(struct local_tally *t, const char *refused)
{
	struct local_result	 res;

	if (refused[0] == '\0')
		return;
	local_set(&res, 'D', "%s", refused);
	tally_add(t, &res);
}

static void
tally_end(const struct local_tally *t, struct local_result *res)
{
	if (t->z > 0 || t->d > 0) {
		*res = t->first;
		res->status = t->z > 0 ? 'Z' : 'D';
		return;
	}
	local_set(res, 'K', "%s", t->done[0] != '\0' ? t->done :
	    "delivered");
}

/* The Maildir, for a user's own mailbox or a /path/ target. */
static void
local_maildir(const struct local_job *lj, const char *dir, int msgfd,
    struct local_result *res)
{
	struct delivery	 d = { lj->sender, lj->rcpt, lj->id, dir, 0, NULL,
			    0 };
	char		 text[DELIVER_TEXT_MAX + 1];
	int		 code;

	if (lseek(msgfd, 0, SEEK_SET) == -1) {
		local_set(res, 'Z', "4.3.0 cannot rewind the message: %s",
		    strerror(errno));
		return;
	}
	code = deliver_maildir(&d, msgfd, text, sizeof(text));
	local_set(res, deliver_status(code), "%s", text);
}

/* A /file target: an mbox file, a Maildir when it ends in '/'. */
static void
local_file(const struct local_job *lj, const char *path, int msgfd,
    struct local_result *res)
{
	size_t	n = strlen(path);

	if (strcmp(path, "/dev/null") == 0) {
		local_set(res, 'K', "delivered to file: /dev/null");
		return;
	}
	if (n > 1 && path[n - 1] == '/') {
		local_maildir(lj, path, msgfd, res);
		if (res->status == 'K')
			local_set(res, 'K', "delivered to maildir: %s", path);
		return;
	}
	local_mbox(lj, path, 0, msgfd, res);
}

/* The user's own mailbox: mailbox_command, an mbox or the Maildir. */
static void
local_mailbox(const struct local_job *lj, int msgfd,
    struct local_result *res)
{
	const char	*cmd = conf_str(lj->conf, "mailbox_command");

	if (cmd[0] != '\0')
		local_command(lj, cmd, msgfd, res);
	else if (lj->mbox)
		local_mbox(lj, lj->mailbox, 1, msgfd, res);
	else
		local_maildir(lj, lj->mailbox, msgfd, res);
}

static void
local_alias(const struct local_job *lj, int msgfd, struct local_result *res)
{
	struct local_tally	 t;
	struct local_result	 one;
	size_t			 i;

	memset(&t, 0, sizeof(t));
	tally_refused(&t, lj->refused);
	for (i = 0; i < lj->ntarget; i++) {
		if (lj->target[i].kind == '|')
			local_command(lj, lj->target[i].value, msgfd, &one);
		else
			local_file(lj, lj->target[i].value, msgfd, &one);
		tally_add(&t, &one);
	}
	tally_end(&t, res);
}

static void
local_plan_run(const struct local_job *lj, const struct local_plan *p,
    int msgfd, struct local_result *res)
{
	struct local_tally	 t;
	struct local_result	 one;
	size_t			 i;

	memset(&t, 0, sizeof(t));
	tally_refused(&t, p->refused);
	for (i = 0; i < p->ncommand; i++) {
		local_command(lj, p->command[i], msgfd, &one);
		tally_add(&t, &one);
	}
	for (i = 0; i < p->nfile; i++) {
		local_file(lj, p->file[i], msgfd, &one);
		tally_add(&t, &one);
	}
	if (p->self) {
		local_mailbox(lj, msgfd, &one);
		tally_add(&t, &one);
	}
	if (p->naddress > 0) {
		local_resubmit(lj, p->address, p->naddress, msgfd, &one);
		tally_add(&t, &one);
	}
	tally_end(&t, res);
}

static void
local_run(struct local_job *lj, int msgfd, struct local_result *res)
{
	struct local_plan	 plan;
	int			 r = 0;

	if (local_loop(lj, msgfd, res))
		return;
	if (lj->alias) {
		local_alias(lj, msgfd, res);
		return;
	}
	memset(&plan, 0, sizeof(plan));
	if (lj->forward && (r = local_forward_read(lj, &plan, res)) == -1)
		return;
	if (r == 1)
		local_plan_run(lj, &plan, msgfd, res);
	else
		local_mailbox(lj, msgfd, res);
	local_plan_free(&plan);
}

void
local_main(struct local_job *lj, int chan, int out, int msgfd)
{
	const char		*f[DELIVER_RESULT_FIELDS];
	struct local_result	 res;
	struct chan		 c;
	char			 st[2];

	local_drop(lj, chan, out, msgfd);
	memset(&res, 0, sizeof(res));
	local_run(lj, LOCAL_MSGFD, &res);
	if (res.text[0] == '\0')
		(void)strlcpy(res.text, "(no text)", sizeof(res.text));
	chan_init(&c, STDIN_FILENO, CHAN_PACKET, DELIVER_WIRE_MAX);
	if (deliver_result_fields(res.status, res.text, st, f) == -1)
		local_fail("result");
	if (chan_send(&c, f, DELIVER_RESULT_FIELDS, NULL, 0) == -1)
		local_fail("sending the result");
	_exit(0);
}
