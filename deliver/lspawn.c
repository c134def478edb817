/*
 * lspawn: the local delivery spawner.  queued starts it with a pipe pair:
 * fd 0 brings jobs, fd 1 takes results back; stderr is inherited.  It
 * stays root (it is, with the master, the only long-running root part)
 * so that it can fork delivery workers that become one recipient each
 * (setgroups, setgid, setuid) and deliver in-process, without an exec
 * (lspawn_worker.c, lib/maildir/deliver_maildir.c); started by another user it
 * delivers everything as that user (logged once).
 *
 * Frames are netstrings of NUL-separated fields (lib/base/netstring.h):
 *   in:  J, slot, queue id, sender, recipient, user, extension
 *   out: R, slot, K|Z|D, text (one printable line, at most 500 octets)
 * A malformed frame means queued is broken or not queued: lspawn exits 111
 * at once (queued restarts it; jobs in flight become temporary failures).
 * At EOF on fd 0 it finishes every job it accepted, reports them, retires
 * its workers, waits for them and exits 0.
 *
 * It trusts queued for the choice of user and address, not for their
 * form: every value is checked again before it reaches a path or an argv
 * (lspawn_job.c).  A job goes to a worker already running as its uid and
 * gid, or to a new one; at most local_concurrency workers exist, busy or
 * idle, and more jobs wait, up to LSPAWN_WAIT_MAX (lspawn_pool.c).  One
 * poll(2) loop serves fd 0, the workers' channels and output pipes, and
 * a SIGCHLD self-pipe, with a timeout for the next idle worker to
 * retire.  Results are written with blocking writes (each is small;
 * queued reads them from its own poll loop).
 *
 * usage: lspawn [-d] [-C config]
 */
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "conf.h"
#include "fdio.h"
#include "log.h"
#include "netstring.h"
#include "sandbox.h"
#include "lspawn.h"

#define LSPAWN_FIELDS	7
#define INBUF_MAX	(LSPAWN_FRAME_MAX + NETSTRING_DIGITS_MAX + 2)

static int	sigchld_pipe[2] = { -1, -1 };

struct input {
	char	buf[INBUF_MAX];
	size_t	len;
	int	eof;
};

static void
on_sigchld(int sig)
{
	int	saved = errno;

	(void)sig;
	if (write(sigchld_pipe[1], "c", 1) == -1) {
		/* full pipe: a wakeup is pending already */
	}
	errno = saved;
}

static void __attribute__((noreturn))
usage(void)
{
	(void)fprintf(stderr, "usage: lspawn [-d] [-C config]\n");
	exit(111);
}

static void
conf_error(void *arg, const char *msg)
{
	(void)arg;
	log_warnx("%s", msg);
}

static void __attribute__((noreturn))
protocol_fail(const char *why)
{
	log_warnx("malformed frame from queued (%s); exiting", why);
	exit(111);
}

static const char *
status_word(char status)
{
	switch (status) {
	case 'K':
		return "delivered";
	case 'D':
		return "bounced";
	default:
		return "deferred";
	}
}

void
result_send(const struct job *j, const struct job_result *res)
{
	static int	 warned;
	struct buf	 out;
	char		 status[2] = { res->status, '\0' };
	const char	*fields[] = { "R", j->slot, status, res->text };

	log_info("%s: to=<%s>, user=%s%s%s, status=%s (%s)", j->id, j->rcpt,
	    j->user, j->ext[0] != '\0' ? ", ext=" : "", j->ext,
	    status_word(res->status), res->text);
	buf_init(&out, LSPAWN_FRAME_MAX);
	if (frame_encode(&out, fields, 4) == -1 ||
	    fd_write_full(STDOUT_FILENO, out.data, out.len) == -1) {
		if (!warned)
			log_warn("cannot send results to queued");
		warned = 1;
	}
	buf_free(&out);
}

static int
slot_in_use(const struct lspawn *ls, const char *slot)
{
	const struct job	*j;
	const struct worker	*w;

	TAILQ_FOREACH(j, &ls->waiting, entry)
		if (strcmp(j->slot, slot) == 0)
			return 1;
	TAILQ_FOREACH(w, &ls->busy, entry)
		if (w->job != NULL && strcmp(w->job->slot, slot) == 0)
			return 1;
	TAILQ_FOREACH(w, &ls->gone, entry)
		if (w->job != NULL && strcmp(w->job->slot, slot) == 0)
			return 1;
	return 0;
}

static void
slot_check(struct lspawn *ls, const char *slot)
{
	size_t	i, n = strlen(slot);

	if (n == 0 || n > 6 || (n > 1 && slot[0] == '0'))
		protocol_fail("bad slot");
	for (i = 0; i < n; i++)
		if (slot[i] < '0' || slot[i] > '9')
			protocol_fail("bad slot");
	if (slot_in_use(ls, slot))
		protocol_fail("slot already in use");
}

/* One frame from queued: a job, waiting until a worker takes it. */
static void
frame_handle(struct lspawn *ls, const char *data, size_t dlen)
{
	struct job		*j;
	struct job_result	 res;
	char			*f[LSPAWN_FIELDS + 1];
	int			 nf;

	if ((j = calloc(1, sizeof(*j))) == NULL ||
	    (j->frame = malloc(dlen + 1)) == NULL)
		fatal("out of memory");
	j->msgfd = -1;
	memcpy(j->frame, data, dlen);
	j->frame[dlen] = '\0';
	nf = frame_split(j->frame, dlen, f, LSPAWN_FIELDS + 1);
	if (nf != LSPAWN_FIELDS)
		protocol_fail("wrong number of fields");
	if (strcmp(f[0], "J") != 0)
		protocol_fail("not a job");
	slot_check(ls, f[1]);
	(void)strlcpy(j->slot, f[1], sizeof(j->slot));
	j->id = f[2];
	j->sender = f[3];
	j->rcpt = f[4];
	j->user = f[5];
	j->ext = f[6];
	if (ls->nwaiting >= LSPAWN_WAIT_MAX) {
		res.status = 'Z';
		(void)strlcpy(res.text, "too many jobs waiting in lspawn",
		    sizeof(res.text));
		result_send(j, &res);
		job_free(j);
		return;
	}
	TAILQ_INSERT_TAIL(&ls->waiting, j, entry);
	ls->nwaiting++;
}

static void
input_read(struct lspawn *ls, struct input *in)
{
	const char	*data;
	size_t		 dlen, used, off = 0;
	ssize_t		 r;
	int		 d;

	r = read(STDIN_FILENO, in->buf + in->len, sizeof(in->buf) - in->len);
	if (r == -1 && (errno == EINTR || errno == EAGAIN))
		return;
	if (r <= 0) {
		if (r == -1)
			log_warn("reading jobs from queued");
		if (in->len > 0)
			log_warnx("partial frame at end of input ignored");
		in->eof = 1;
		return;
	}
	in->len += (size_t)r;
	while ((d = netstring_decode(in->buf + off, in->len - off,
	    LSPAWN_FRAME_MAX, &data, &dlen, &used)) == 1) {
		frame_handle(ls, data, dlen);
		off += used;
	}
	if (d == -1)
		protocol_fail("bad netstring");
	memmove(in->buf, in->buf + off, in->len - off);
	in->len -= off;
}

static void
sigchld_drain(void)
{
	char	drain[64];

	while (read(sigchld_pipe[0], drain, sizeof(drain)) > 0)
		continue;
}

static void
loop_run(struct lspawn *ls)
{
	static struct input	  in;
	struct pollfd		 *pfd;
	struct worker		**pw;
	size_t			  max = 2 * (size_t)ls->concurrency + 2, n, i;
	int			  timeout;

	if ((pfd = reallocarray(NULL, max, sizeof(*pfd))) == NULL ||
	    (pw = reallocarray(NULL, max, sizeof(*pw))) == NULL)
		fatal("out of memory");
	for (;;) {
		pool_start_jobs(ls);
		timeout = pool_expire(ls);
		if (in.eof && ls->nwaiting == 0) {
			pool_retire_idle(ls);
			if (ls->nworkers == 0)
				break;
		}
		n = 0;
		pfd[n].fd = sigchld_pipe[0];
		pfd[n++].events = POLLIN;
		pfd[n].fd = in.eof ? -1 : STDIN_FILENO;
		pfd[n++].events = POLLIN;
		n += pool_pollfds(ls, pfd + n, pw + n, max - n);
		if (poll(pfd, n, timeout) == -1) {
			if (errno == EINTR)
				continue;
			fatal("poll");
		}
		/* results before deaths: a worker may send one, then die */
		for (i = 2; i < n; i++)
			if (pfd[i].revents != 0)
				pool_ready(ls, pw[i], &pfd[i]);
		if (pfd[0].revents != 0) {
			sigchld_drain();
			pool_reap(ls);
		}
		if (pfd[1].revents != 0)
			input_read(ls, &in);
	}
	free(pfd);
	free(pw);
}

static void
signals_setup(void)
{
	struct sigaction	sa;

	if (pipe2(sigchld_pipe, O_NONBLOCK | O_CLOEXEC) == -1)
		fatal("pipe");
	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = SIG_IGN;
	if (sigaction(SIGPIPE, &sa, NULL) == -1 ||
	    sigaction(SIGHUP, &sa, NULL) == -1)
		fatal("sigaction");
	sa.sa_handler = on_sigchld;
	sa.sa_flags = SA_RESTART | SA_NOCLDSTOP;
	if (sigaction(SIGCHLD, &sa, NULL) == -1)
		fatal("sigaction");
}

static void
lspawn_setup(struct lspawn *ls, const struct conf *conf)
{
	memset(ls, 0, sizeof(*ls));
	TAILQ_INIT(&ls->waiting);
	TAILQ_INIT(&ls->idle);
	TAILQ_INIT(&ls->busy);
	TAILQ_INIT(&ls->gone);
	ls->queue_dir = conf_str(conf, "queue_dir");
	ls->users_file = conf_str(conf, "users_file");
	ls->virtual_user = conf_str(conf, "virtual_user");
	ls->maildir = conf_str(conf, "maildir");
	ls->system_users = conf_bool(conf, "system_users");
	ls->first_valid_uid = conf_int(conf, "first_valid_uid");
	ls->concurrency = (int)conf_int(conf, "local_concurrency");
	ls->max_jobs = (unsigned long)conf_int(conf, "local_worker_max_jobs");
	ls->idle_ms = conf_int(conf, "local_worker_idle") * 1000;
	ls->job_ms = conf_int(conf, "local_delivery_timeout") * 1000;
	ls->root = geteuid() == 0;
	if ((ls->qfd = open(ls->queue_dir, O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) == -1)
		fatal("queue directory %s", ls->queue_dir);
	if (!ls->root)
		log_info("not running as root: delivering everything as "
		    "uid %lu", (unsigned long)getuid());
}

int
main(int argc, char *argv[])
{
	struct lspawn	 ls;
	struct conf	*conf;
	const char	*cpath = NULL;
	int		 ch, debug = 0;

	while ((ch = getopt(argc, argv, "C:d")) != -1) {
		switch (ch) {
		case 'C':
			cpath = optarg;
			break;
		case 'd':
			debug = 1;
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	log_init("lspawn", debug);
	if (fd_ensure_std() == -1)
		fatal("standard descriptors");
	if ((conf = conf_load(conf_find_path(cpath, 1), conf_error,
	    NULL)) == NULL)
		fatalx("cannot load the configuration");
	log_set_debug(conf_bool(conf, "log_debug"));
	if (sandbox_configure(conf_str(conf, "sandbox")) == -1)
		fatalx("cannot load the configuration");
	sandbox_prepare(SANDBOX_DELIVERY);
	lspawn_setup(&ls, conf);
	signals_setup();
	loop_run(&ls);
	conf_free(conf);
	return 0;
}
