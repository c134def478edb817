/*
 * lspawn: the local delivery spawner.  queued starts it with a pipe pair:
 * fd 0 brings jobs, fd 1 takes results back; stderr is inherited.  It
 * stays root (it is, with the master, the only long-running root part)
 * so that it can fork a child per delivery that becomes the recipient
 * (setgroups, setgid, setuid) and delivers in-process, without an exec
 * (lspawn_job.c, lib/deliver_maildir.c); started by another user it
 * delivers everything as that user (logged once).
 *
 * Frames are netstrings of NUL-separated fields (lib/netstring.h):
 *   in:  J, slot, queue id, sender, recipient, user, extension
 *   out: R, slot, K|Z|D, text (one printable line, at most 500 octets)
 * A malformed frame means queued is broken or not queued: lspawn exits 111
 * at once (queued restarts it; jobs in flight become temporary failures).
 * At EOF on fd 0 it finishes every job it accepted, reports them, exits 0.
 *
 * It trusts queued for the choice of user and address, not for their
 * form: every value is checked again before it reaches a path or an argv.
 * At most local_concurrency children run at once; more jobs wait, up to
 * LSPAWN_WAIT_MAX.  One poll(2) loop serves fd 0, the children's output
 * pipes and a SIGCHLD self-pipe.  Results are written with blocking
 * writes (each is small; queued reads them from its own poll loop).
 *
 * usage: lspawn [-d] [-C config]
 */
#include <sys/types.h>
#include <sys/wait.h>

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

static void
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
slot_in_use(const struct jobq *q, const char *slot)
{
	const struct job	*j;

	TAILQ_FOREACH(j, q, entry)
		if (strcmp(j->slot, slot) == 0)
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
	if (slot_in_use(&ls->waiting, slot) || slot_in_use(&ls->running, slot))
		protocol_fail("slot already in use");
}

/* One frame from queued: a job, queued until a child slot is free. */
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
	j->pid = -1;
	j->outfd = -1;
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
jobs_start(struct lspawn *ls)
{
	struct job		*j;
	struct job_result	 res;

	while (ls->nrunning < ls->concurrency &&
	    (j = TAILQ_FIRST(&ls->waiting)) != NULL) {
		TAILQ_REMOVE(&ls->waiting, j, entry);
		ls->nwaiting--;
		if (job_start(ls, j, &res) == -1) {
			result_send(j, &res);
			job_free(j);
			continue;
		}
		TAILQ_INSERT_TAIL(&ls->running, j, entry);
		ls->nrunning++;
	}
}

static void
children_reap(struct lspawn *ls)
{
	struct job		*j;
	struct job_result	 res;
	char			 drain[64];
	pid_t			 pid;
	int			 status;

	while (read(sigchld_pipe[0], drain, sizeof(drain)) > 0)
		continue;
	for (;;) {
		pid = waitpid(-1, &status, WNOHANG);
		if (pid == -1 && errno == EINTR)
			continue;
		if (pid <= 0)
			break;
		TAILQ_FOREACH(j, &ls->running, entry)
			if (j->pid == pid)
				break;
		if (j == NULL)
			continue;
		TAILQ_REMOVE(&ls->running, j, entry);
		ls->nrunning--;
		job_finish(j, status, &res);
		result_send(j, &res);
		job_free(j);
	}
}

static void
loop_run(struct lspawn *ls)
{
	static struct input	  in;
	struct pollfd		 *pfd;
	struct job		**pj, *j;
	size_t			  max = (size_t)ls->concurrency + 2, n, i;

	if ((pfd = reallocarray(NULL, max, sizeof(*pfd))) == NULL ||
	    (pj = reallocarray(NULL, max, sizeof(*pj))) == NULL)
		fatal("out of memory");
	for (;;) {
		jobs_start(ls);
		if (in.eof && ls->nrunning == 0 && ls->nwaiting == 0)
			break;
		n = 0;
		pfd[n].fd = sigchld_pipe[0];
		pfd[n++].events = POLLIN;
		pfd[n].fd = in.eof ? -1 : STDIN_FILENO;
		pfd[n++].events = POLLIN;
		TAILQ_FOREACH(j, &ls->running, entry) {
			if (j->outfd == -1 || n >= max)
				continue;
			pj[n] = j;
			pfd[n].fd = j->outfd;
			pfd[n++].events = POLLIN;
		}
		if (poll(pfd, n, -1) == -1) {
			if (errno == EINTR)
				continue;
			fatal("poll");
		}
		for (i = 2; i < n; i++)
			if (pfd[i].revents != 0)
				job_read_output(pj[i]);
		if (pfd[0].revents != 0)
			children_reap(ls);
		if (pfd[1].revents != 0)
			input_read(ls, &in);
	}
	free(pfd);
	free(pj);
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
	TAILQ_INIT(&ls->running);
	ls->queue_dir = conf_str(conf, "queue_dir");
	ls->users_file = conf_str(conf, "users_file");
	ls->virtual_user = conf_str(conf, "virtual_user");
	ls->maildir = conf_str(conf, "maildir");
	ls->system_users = conf_bool(conf, "system_users");
	ls->first_valid_uid = conf_int(conf, "first_valid_uid");
	ls->concurrency = (int)conf_int(conf, "local_concurrency");
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
	lspawn_setup(&ls, conf);
	signals_setup();
	loop_run(&ls);
	conf_free(conf);
	return 0;
}
