/*
 * pop3session_cmd: the TRANSACTION and UPDATE states (RFC 1939 5, 6) of
 * pop3session, which runs as the mailbox owner and talks to the client
 * only through pop3d's login process.
 *
 * At the start it takes the mailbox lock (flock of POP3_LOCK_FILE in the
 * Maildir, waited for up to POP3_LOCK_WAIT_MS; a second session gets
 * [IN-USE], RFC 2449 8.1.1), moves new/
 * into cur/ and lists cur/ once: messages that arrive later are not seen
 * by this session and are never touched by it.  DELE only marks; the
 * files go at QUIT (UPDATE); a session that ends any other way deletes
 * nothing, and ends as soon as its connection does (end of file from
 * the login process's relay, which closes when the client's connection
 * closes), releasing the lock.
 */
#include <sys/file.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <malloc.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fdio.h"
#include "log.h"
#include "maildir.h"
#include "pop3session.h"

/* Message a->msg (1-based) if it exists and is not deleted, else NULL. */
static int
pop3_msg(struct pop3 *p, size_t msg, size_t *i)
{
	if (msg == 0 || msg > p->box.n || p->deleted[msg - 1]) {
		(void)pop3_err(&p->c, "no such message");
		return -1;
	}
	*i = msg - 1;
	return 0;
}

static int
pop3_cmd_noop(struct pop3 *p, const struct pop3_args *a)
{
	(void)a;
	return pop3_ok(&p->c, "%s", "");
}

void
pop3_totals(const struct pop3 *p, size_t *n, unsigned long long *octets)
{
	size_t	 i;

	*n = 0;
	*octets = 0;
	for (i = 0; i < p->box.n; i++)
		if (!p->deleted[i]) {
			(*n)++;
			*octets += p->box.msgs[i].size;
		}
}

static int
pop3_cmd_stat(struct pop3 *p, const struct pop3_args *a)
{
	size_t			 n;
	unsigned long long	 octets;

	(void)a;
	pop3_totals(p, &n, &octets);
	return pop3_ok(&p->c, "%zu %llu", n, octets);
}

static int
pop3_cmd_list(struct pop3 *p, const struct pop3_args *a)
{
	size_t			 i, n;
	unsigned long long	 octets;

	if (a->msg != 0) {
		if (pop3_msg(p, a->msg, &i) == -1)
			return 0;
		return pop3_ok(&p->c, "%zu %zu", a->msg, p->box.msgs[i].size);
	}
	pop3_totals(p, &n, &octets);
	if (pop3_ok(&p->c, "%zu messages (%llu octets)", n, octets) == -1)
		return -1;
	for (i = 0; i < p->box.n; i++)
		if (!p->deleted[i] && lineio_printf(&p->c.io, "%zu %zu\r\n",
		    i + 1, p->box.msgs[i].size) == -1)
			return -1;
	return lineio_printf(&p->c.io, ".\r\n");
}

static int
pop3_cmd_uidl(struct pop3 *p, const struct pop3_args *a)
{
	char	 u[MAILDIR_UIDL_MAX + 1];
	size_t	 i;

	if (a->msg != 0) {
		if (pop3_msg(p, a->msg, &i) == -1)
			return 0;
		maildir_list_uidl(&p->box, i, u, sizeof(u));
		return pop3_ok(&p->c, "%zu %s", a->msg, u);
	}
	if (pop3_ok(&p->c, "%s", "") == -1)
		return -1;
	for (i = 0; i < p->box.n; i++) {
		if (p->deleted[i])
			continue;
		maildir_list_uidl(&p->box, i, u, sizeof(u));
		if (lineio_printf(&p->c.io, "%zu %s\r\n", i + 1, u) == -1)
			return -1;
	}
	return lineio_printf(&p->c.io, ".\r\n");
}

static int
pop3_cmd_dele(struct pop3 *p, const struct pop3_args *a)
{
	size_t	 i;

	if (a->msg >= 1 && a->msg <= p->box.n && p->deleted[a->msg - 1])
		return pop3_err(&p->c, "message %zu already deleted", a->msg);
	if (pop3_msg(p, a->msg, &i) == -1)
		return 0;
	p->deleted[i] = 1;
	p->ndeleted++;
	return pop3_ok(&p->c, "message %zu deleted", a->msg);
}

static int
pop3_cmd_rset(struct pop3 *p, const struct pop3_args *a)
{
	size_t			 n;
	unsigned long long	 octets;

	(void)a;
	if (p->box.n > 0)
		memset(p->deleted, 0, p->box.n);
	p->ndeleted = 0;
	pop3_totals(p, &n, &octets);
	return pop3_ok(&p->c, "%zu messages (%llu octets)", n, octets);
}

/* The UPDATE state: the marked messages go.  0, or -1 if some stayed. */
static int
pop3_update(struct pop3 *p)
{
	size_t	 i, gone = 0;
	int	 r = 0;

	for (i = 0; i < p->box.n; i++) {
		if (!p->deleted[i])
			continue;
		if (maildir_list_remove(&p->box, i) == -1) {
			log_warn("remove %s", maildir_list_name(&p->box, i));
			r = -1;
		} else
			gone++;
	}
	log_info("update: %zu deleted, %zu kept", gone, p->box.n - gone);
	return r;
}

static int
pop3_cmd_quit(struct pop3 *p, const struct pop3_args *a)
{
	int	 r;

	(void)a;
	p->c.done = 1;
	r = pop3_update(p);
	/* Unlocked before the reply: a client may log in again at once. */
	if (p->lockfd != -1) {
		(void)close(p->lockfd);
		p->lockfd = -1;
	}
	if (r == -1)
		return lineio_printf(&p->c.io,
		    "-ERR [SYS/TEMP] some deleted messages not removed\r\n");
	return pop3_ok(&p->c, "facteur POP3 server signing off");
}

/*
 * The lock that makes a second session of the mailbox [IN-USE].  A lock
 * held is waited for up to POP3_LOCK_WAIT_MS: a client that dropped its
 * connection and logs in again at once must not find the lock of its own
 * old session, which ends (without UPDATE) a moment after the login
 * process has seen the connection close.
 */
static int
pop3_lock(const char *dir)
{
	char		 path[PATH_MAX];
	long long	 end = fd_now_ms() + POP3_LOCK_WAIT_MS;
	int		 fd, r;

	r = snprintf(path, sizeof(path), "%s/%s", dir, POP3_LOCK_FILE);
	if (r < 0 || (size_t)r >= sizeof(path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd == -1)
		return -1;
	while (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		r = errno;
		if (r == EWOULDBLOCK && fd_now_ms() < end) {
			(void)poll(NULL, 0, 50);
			continue;
		}
		(void)close(fd);
		errno = r == EWOULDBLOCK ? EBUSY : r;
		return -1;
	}
	return fd;
}

static int
pop3_cmd_capa(struct pop3 *p, const struct pop3_args *a)
{
	(void)a;
	return pop3_capa_reply(&p->c, "");
}

/* The commands of the TRANSACTION state; the others are pop3d's. */
const pop3_handler pop3_session_handlers[VERB_COUNT] = {
	[VERB_CAPA] = pop3_cmd_capa,
	[VERB_QUIT] = pop3_cmd_quit,
	[VERB_NOOP] = pop3_cmd_noop,
	[VERB_STAT] = pop3_cmd_stat,
	[VERB_LIST] = pop3_cmd_list,
	[VERB_UIDL] = pop3_cmd_uidl,
	[VERB_RETR] = pop3_cmd_retr,
	[VERB_TOP] = pop3_cmd_top,
	[VERB_DELE] = pop3_cmd_dele,
	[VERB_RSET] = pop3_cmd_rset,
};

int
pop3_open_box(struct pop3 *p, const char *user, const char *home,
    const char *md)
{
	char		 dir[PATH_MAX];
	int		 r;

	p->lockfd = -1;
	/* As in delivery (lspawn): the Maildir is always under the home. */
	if (home[0] != '/')
		return pop3_err(&p->c, "[SYS/PERM] no home directory"), -1;
	r = snprintf(dir, sizeof(dir), "%s/%s", home, md);
	if (r < 0 || (size_t)r >= sizeof(dir))
		return pop3_err(&p->c, "[SYS/PERM] mailbox path too long"), -1;
	/* A user who has had no mail yet has an empty mailbox, not an error. */
	if (maildir_create(dir, 0700) == -1) {
		log_warn("user=<%s>: create %s", user, dir);
		return pop3_err(&p->c, "[SYS/TEMP] cannot open the "
		    "mailbox"), -1;
	}
	if ((p->lockfd = pop3_lock(dir)) == -1) {
		if (errno == EBUSY)
			return pop3_err(&p->c, "[IN-USE] mailbox in use by "
			    "another POP3 session"), -1;
		log_warn("user=<%s>: lock %s", user, dir);
		return pop3_err(&p->c, "[SYS/TEMP] cannot open the "
		    "mailbox"), -1;
	}
	if (maildir_list_take_new(dir) == -1)
		log_warn("user=<%s>: moving new/ to cur/", user);
	if (maildir_list_scan(&p->box, dir) == -1) {
		log_warn("user=<%s>: listing %s", user, dir);
		return pop3_err(&p->c, "[SYS/TEMP] cannot list the "
		    "mailbox"), -1;
	}
	if ((p->deleted = calloc(p->box.n + 1, 1)) == NULL) {
		log_warn("calloc");
		return pop3_err(&p->c, "[SYS/TEMP] out of memory"), -1;
	}
	/* The size cache was read and dropped: give its pages back. */
	(void)malloc_trim(0);
	return 0;
}

void
pop3_close_box(struct pop3 *p, const char *user)
{
	if (!p->c.done && p->box.n > 0)
		log_info("session of %s ended without QUIT: nothing deleted",
		    user);
	maildir_list_free(&p->box);
	free(p->deleted);
	p->deleted = NULL;
	if (p->lockfd != -1)
		(void)close(p->lockfd);
	p->lockfd = -1;
}
