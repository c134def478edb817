/*
 * queued_ctl: queued's control socket, control_dir/queued (protocol in
 * lib/queue/queue_ctl.h).  Made at start, while queued is still root: the
 * directory (root's, mode 0755, when missing), then the socket, bound,
 * owned by queue_user and mode 0666, so that any local user can connect;
 * who did is read from the socket (SO_PEERCRED), and a user that is
 * neither root nor the queue's owner is answered about its own messages
 * only (queued_ctl_answer.c).  At most QCTL_CLIENTS_MAX connections at
 * once (more are closed at once); each has QCTL_DEADLINE_MS for the whole
 * exchange.  Everything is non-blocking, in queued's one poll loop: a
 * client that never reads holds CTL_OUT_BATCH octets of queued's memory
 * until its deadline, never queued itself.
 *
 * Trust: none of the client's bytes: one request frame, parsed by
 * qctl_req_parse; anything else ends the connection.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fdio.h"
#include "log.h"
#include "priv.h"
#include "queued_ctl.h"

/*
 * control_dir: made when missing (0755); refused when it is not a
 * directory of root's or ours that no one else may write (a socket in a
 * directory another user controls could be swapped).  0 or -1 (logged).
 */
static int
ctl_dir(const char *dir)
{
	struct stat	 sb;

	if (dir[0] != '/') {
		log_warnx("control_dir %s: not an absolute path; no control "
		    "socket", dir);
		return -1;
	}
	if (mkdir(dir, 0755) == -1 && errno != EEXIST) {
		log_warn("control_dir %s: mkdir; no control socket", dir);
		return -1;
	}
	if (lstat(dir, &sb) == -1) {
		log_warn("control_dir %s; no control socket", dir);
		return -1;
	}
	if (!S_ISDIR(sb.st_mode) || (sb.st_mode & (S_IWGRP | S_IWOTH)) ||
	    (sb.st_uid != 0 && sb.st_uid != geteuid())) {
		log_warnx("control_dir %s: not a directory of root's that "
		    "only its owner may write; no control socket", dir);
		return -1;
	}
	return 0;
}

void
ctl_open(struct queued *q)
{
	struct sockaddr_un sun;
	struct stat	 sb;
	const char	*dir = conf_str(q->conf, "control_dir");
	uid_t		 uid;
	gid_t		 gid;
	size_t		 i;
	int		 fd;

	if ((q->ctl = calloc(1, sizeof(*q->ctl))) == NULL)
		fatal("control socket");
	q->ctl->fd = -1;
	for (i = 0; i < QCTL_CLIENTS_MAX; i++)
		chan_init(&q->ctl->cl[i].ch, -1, CHAN_STREAM, CHAN_FRAME_MAX);
	if (ctl_dir(dir) == -1)
		return;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (qctl_path(dir, sun.sun_path, sizeof(sun.sun_path)) == -1) {
		log_warnx("control_dir %s: too long for a socket's path; no "
		    "control socket", dir);
		return;
	}
	/* what a queued before us left; never anything but a socket */
	if (lstat(sun.sun_path, &sb) == 0) {
		if (!S_ISSOCK(sb.st_mode)) {
			log_warnx("%s is not a socket; no control socket",
			    sun.sun_path);
			return;
		}
		if (unlink(sun.sun_path) == -1) {
			log_warn("unlink %s; no control socket", sun.sun_path);
			return;
		}
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
	    0)) == -1) {
		log_warn("control socket");
		return;
	}
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1 ||
	    listen(fd, QCTL_CLIENTS_MAX) == -1) {
		log_warn("control socket %s", sun.sun_path);
		(void)close(fd);
		return;
	}
	/* anyone may connect: queued asks the socket who did */
	if ((geteuid() == 0 &&
	    priv_lookup(conf_str(q->conf, "queue_user"), &uid, &gid) == 0 &&
	    lchown(sun.sun_path, uid, gid) == -1) ||
	    chmod(sun.sun_path, 0666) == -1) {
		log_warn("control socket %s", sun.sun_path);
		(void)close(fd);
		(void)unlink(sun.sun_path);
		return;
	}
	q->ctl->fd = fd;
	log_debug("control socket %s", sun.sun_path);
}

static void
ctl_drop(struct ctl_client *cl)
{
	ctl_answer_free(cl);
	chan_close(&cl->ch);
	cl->state = CL_FREE;
}

void
ctl_close(struct queued *q)
{
	size_t	 i;

	if (q->ctl == NULL)
		return;
	for (i = 0; i < QCTL_CLIENTS_MAX; i++)
		if (q->ctl->cl[i].state != CL_FREE)
			ctl_drop(&q->ctl->cl[i]);
	if (q->ctl->fd != -1)
		(void)close(q->ctl->fd);
	free(q->ctl);
	q->ctl = NULL;
}

static void
ctl_accept(struct queued *q)
{
	struct ctl_client *cl = NULL;
	struct ucred	 cred;
	socklen_t	 len = sizeof(cred);
	size_t		 i;
	int		 fd;

	while ((fd = accept4(q->ctl->fd, NULL, NULL, SOCK_NONBLOCK |
	    SOCK_CLOEXEC)) != -1) {
		for (i = 0; i < QCTL_CLIENTS_MAX; i++)
			if (q->ctl->cl[i].state == CL_FREE) {
				cl = &q->ctl->cl[i];
				break;
			}
		if (cl == NULL ||
		    getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == -1) {
			/* busy (or no credentials): the client sees EOF */
			log_warnx("control: %s; connection closed", cl == NULL ?
			    "too many clients" : "no peer credentials");
			(void)close(fd);
			continue;
		}
		memset(cl, 0, sizeof(*cl));
		chan_init(&cl->ch, fd, CHAN_STREAM, CHAN_FRAME_MAX);
		cl->uid = cred.uid;
		cl->admin = cred.uid == 0 || cred.uid == geteuid();
		cl->deadline = fd_now_ms() + QCTL_DEADLINE_MS;
		cl->state = CL_READ;
		cl = NULL;
	}
	if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR &&
	    errno != ECONNABORTED)
		log_warn("control: accept");
}

/* The one request: parsed, or the client dropped. */
static void
ctl_read(struct queued *q, struct ctl_client *cl)
{
	struct chan_msg	*m;
	int		 r;

	(void)q;
	if ((m = malloc(sizeof(*m))) == NULL) {
		ctl_drop(cl);
		return;
	}
	r = chan_recv_nowait(&cl->ch, m);
	if (r == 2) {
		free(m);
		return;
	}
	if (r != 1 || qctl_req_parse(m->f, m->nf, &cl->req) == -1) {
		if (r != 0)
			log_info("control: malformed request from uid %lu; "
			    "connection closed", (unsigned long)cl->uid);
		chan_msg_close_fds(m);
		free(m);
		ctl_drop(cl);
		return;
	}
	free(m);
	log_debug("control: uid %lu: %s", (unsigned long)cl->uid,
	    qctl_verb_name(cl->req.verb));
	cl->state = CL_ANSWER;
}

/* Makes and writes what the client's answer has next. */
static void
ctl_write(struct queued *q, struct ctl_client *cl)
{
	int	 r;

	while (cl->state == CL_ANSWER && chan_pending(&cl->ch) < CTL_OUT_BATCH) {
		if ((r = ctl_answer(q, cl)) == -1) {
			ctl_drop(cl);
			return;
		}
		if (r == 1)
			cl->state = CL_DRAIN;
	}
	if ((r = chan_flush(&cl->ch)) == -1) {
		ctl_drop(cl);
		return;
	}
	if (r == 1 && cl->state == CL_DRAIN)
		ctl_drop(cl);		/* all said: queued closes */
}

size_t
ctl_pollfds(struct queued *q, struct pollfd *pfd, size_t max)
{
	size_t	 i, n = 0;

	if (q->ctl == NULL || max == 0)
		return 0;
	pfd[n].fd = q->ctl->fd;
	pfd[n].events = POLLIN;
	n++;
	for (i = 0; i < QCTL_CLIENTS_MAX && n < max; i++) {
		struct ctl_client *cl = &q->ctl->cl[i];

		pfd[n].fd = cl->state == CL_FREE ? -1 : cl->ch.fd;
		pfd[n].events = cl->state == CL_READ ? POLLIN : POLLOUT;
		pfd[n].revents = 0;
		n++;
	}
	return n;
}

void
ctl_events(struct queued *q, const struct pollfd *pfd, size_t n)
{
	long long	 now = fd_now_ms();
	size_t		 i;

	if (q->ctl == NULL || n == 0)
		return;
	if (q->ctl->fd != -1 && (pfd[0].revents & POLLIN))
		ctl_accept(q);
	for (i = 0; i < QCTL_CLIENTS_MAX && i + 1 < n; i++) {
		struct ctl_client *cl = &q->ctl->cl[i];

		if (cl->state == CL_FREE || pfd[i + 1].fd != cl->ch.fd)
			continue;
		if (now >= cl->deadline) {
			log_info("control: uid %lu too slow; connection closed",
			    (unsigned long)cl->uid);
			ctl_drop(cl);
			continue;
		}
		if (cl->state == CL_READ &&
		    (pfd[i + 1].revents & (POLLIN | POLLHUP | POLLERR)))
			ctl_read(q, cl);
		/* a request just read is answered at once */
		if (cl->state == CL_ANSWER || (cl->state == CL_DRAIN &&
		    (pfd[i + 1].revents & (POLLOUT | POLLHUP | POLLERR))))
			ctl_write(q, cl);
	}
}

long long
ctl_timeout_ms(const struct queued *q)
{
	long long	 t = -1, now = fd_now_ms(), w;
	size_t		 i;

	if (q->ctl == NULL)
		return -1;
	for (i = 0; i < QCTL_CLIENTS_MAX; i++) {
		if (q->ctl->cl[i].state == CL_FREE)
			continue;
		w = q->ctl->cl[i].deadline - now;
		if (w < 0)
			w = 0;
		if (t == -1 || w < t)
			t = w;
	}
	return t;
}
