/*
 * store_sync: bringing an open folder in step with its directories and
 * its UID list, whoever changed them (another session, a delivery, mutt,
 * pop3d).
 *
 * A sync reads new/ and cur/ only when something may have changed: an
 * inotify event on either directory, or without inotify a modification
 * time that differs from the last scan's (or lies too close to it to be
 * trusted).  With inotify, it looks only at the names the events gave
 * (up to STORE_EVENTS_MAX of them; more, a lost event or a directory
 * moved reads the directories): each name there now is a file to know,
 * a known message is unchanged unless its events left a file of its
 * unique name; when they left none and its last name is gone too, the
 * directories are read (it is gone, or renamed by a rename whose second
 * event is still to come).  So a delivery into a big folder, or a flag
 * changed by another session, costs a few fstatat, not a reading of
 * every name.  Files without a UID get theirs under the folder lock, in
 * order of arrival, after the list has been read again under the lock,
 * so that two sessions never give one file two UIDs.  A message that was
 * given a UID by someone else before this session's highest UID (a file
 * moved from new/ to cur/ between two readings) cannot be shown without
 * renumbering: it stays hidden until the folder is selected again.
 */
#include <sys/file.h>
#include <sys/inotify.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fdio.h"
#include "maildir_name.h"
#include "store.h"
#include "store_cache.h"

#define MTIME_TRUST_MS	2000	/* a directory changed this recently may change
				   again within its timestamp's resolution */
#define UIDLIST_DEAD_MIN 1024	/* dead records before a rewrite */

static int
folder_mtimes(const struct folder *f, struct timespec *cur,
    struct timespec *nw)
{
	struct stat	 st;

	if (fstatat(f->dirfd, "cur", &st, 0) == -1)
		return -1;
	*cur = st.st_mtim;
	if (fstatat(f->dirfd, "new", &st, 0) == -1)
		memset(nw, 0, sizeof(*nw));
	else
		*nw = st.st_mtim;
	return 0;
}

static long long
ts_ms(const struct timespec *t)
{
	return (long long)t->tv_sec * 1000 + t->tv_nsec / 1000000;
}

static void
events_clear(struct folder *f)
{
	free(f->ev);
	f->ev = NULL;
	f->evlen = f->evcap = f->nev = 0;
}

/* Keeps the names of n bytes of inotify events (or sets dirty). */
static void
events_add(struct folder *f, const char *b, size_t n)
{
	const struct inotify_event	*e;
	size_t				 off, len, ncap;
	char				*nb;

	for (off = 0; off + sizeof(*e) <= n; off += sizeof(*e) + e->len) {
		e = (const struct inotify_event *)(const void *)(b + off);
		if (f->dirty)
			continue;
		len = e->len > 0 ? strnlen(e->name, e->len) : 0;
		if ((e->mask & (IN_Q_OVERFLOW | IN_IGNORED | IN_DELETE_SELF |
		    IN_MOVE_SELF)) || (e->wd != f->wd_cur &&
		    e->wd != f->wd_new) || len == 0 || len > NAME_MAX ||
		    f->nev >= STORE_EVENTS_MAX) {
			f->dirty = 1;
			continue;
		}
		if (f->evcap - f->evlen < len + 2) {
			ncap = f->evcap ? f->evcap * 2 : 4096;
			while (ncap - f->evlen < len + 2)
				ncap *= 2;
			if ((nb = realloc(f->ev, ncap)) == NULL) {
				f->dirty = 1;
				continue;
			}
			f->ev = nb;
			f->evcap = ncap;
		}
		f->ev[f->evlen] = e->wd == f->wd_new ? 'n' : 'c';
		memcpy(f->ev + f->evlen + 1, e->name, len);
		f->ev[f->evlen + 1 + len] = '\0';
		f->evlen += len + 2;
		f->nev++;
	}
	if (f->dirty)
		events_clear(f);
}

/* 1 when new/ or cur/ may have changed since the last scan. */
static int
folder_changed(struct folder *f)
{
	struct timespec	 cur, nw;
	char		 ev[8192] __attribute__((aligned(
			    __alignof__(struct inotify_event))));
	ssize_t		 r;
	long long	 wall;

	if (f->ifd != -1) {
		while ((r = read(f->ifd, ev, sizeof(ev))) > 0)
			events_add(f, ev, (size_t)r);
		if (r == -1 && errno != EAGAIN && errno != EINTR) {
			/* Watching broke: fall back to the clock. */
			(void)close(f->ifd);
			f->ifd = -1;
			f->dirty = 1;
		}
		return f->dirty || f->nev > 0;
	}
	if (f->dirty)
		return 1;
	if (folder_mtimes(f, &cur, &nw) == -1)
		return 1;
	if (cur.tv_sec != f->mt_cur.tv_sec ||
	    cur.tv_nsec != f->mt_cur.tv_nsec ||
	    nw.tv_sec != f->mt_new.tv_sec || nw.tv_nsec != f->mt_new.tv_nsec)
		return 1;
	wall = (long long)time(NULL) * 1000;
	return wall - ts_ms(&cur) < MTIME_TRUST_MS ||
	    wall - ts_ms(&nw) < MTIME_TRUST_MS;
}

struct match_ctx {
	struct scan	*s;
	size_t		 records;
	size_t		 matched;
};

static int
match_cb(void *arg, uint32_t uid, uint32_t sd, const char *u, size_t ulen)
{
	struct match_ctx	*m = arg;
	struct scan_ent		*e;

	m->records++;
	if ((e = scan_find(m->s, u, ulen)) == NULL)
		return 0;
	m->matched++;
	if (e->uid == 0) {
		e->uid = uid;
		e->savedate = sd;
	}
	return 0;
}

static const struct scan *sort_scan;

/* The microseconds of a name "<sec>.M<usec>P...", or 0. */
static unsigned long
name_usec(const char *n)
{
	unsigned long	 v = 0;

	while (*n >= '0' && *n <= '9')
		n++;
	if (n[0] != '.' || n[1] != 'M')
		return 0;
	for (n += 2; *n >= '0' && *n <= '9' && v < 100000000UL; n++)
		v = v * 10 + (unsigned long)(*n - '0');
	return v;
}

/* Order of arrival: seconds, then microseconds, then the name. */
static int
arrival_cmp(const void *a, const void *b)
{
	const struct scan_ent	*x = &sort_scan->e[*(const uint32_t *)a];
	const struct scan_ent	*y = &sort_scan->e[*(const uint32_t *)b];
	const char		*nx = sort_scan->names + x->name;
	const char		*ny = sort_scan->names + y->name;
	unsigned long long	 sx = maildir_name_sec(nx);
	unsigned long long	 sy = maildir_name_sec(ny);
	int			 c;

	if (sx != sy)
		return sx < sy ? -1 : 1;
	if (name_usec(nx) != name_usec(ny))
		return name_usec(nx) < name_usec(ny) ? -1 : 1;
	c = memcmp(nx, ny, x->ulen < y->ulen ? x->ulen : y->ulen);
	return c != 0 ? c : (int)x->ulen - (int)y->ulen;
}

static int
uid_cmp(const void *a, const void *b)
{
	uint32_t	 x = sort_scan->e[*(const uint32_t *)a].uid;
	uint32_t	 y = sort_scan->e[*(const uint32_t *)b].uid;

	return x < y ? -1 : x > y;
}

#define ENT_MATCHED	0x1

/*
 * Under the lock: reads the list again and gives the entries still
 * without a UID theirs.  0; 1 when the list was started anew under
 * messages already shown; -1 with errno.
 */
static int
folder_assign(struct folder *f, struct scan *s, struct match_ctx *mc)
{
	uint32_t	*idx = NULL, first;
	const char	**u = NULL;
	size_t		*ul = NULL, k, n = 0;
	uint32_t	 oldv = f->uidvalidity;
	int		 lockfd, r, reloaded, ret = -1;

	if ((lockfd = folder_lock(f->dirfd)) == -1)
		return -1;
	r = uidlist_read(f, match_cb, mc, &reloaded);
	if ((r == -1 && errno == ENOENT) || r == -2) {
		if (r == -2)
			f->uoff = 0;
		if (uidlist_create(f) == -1)
			goto out;
		for (k = 0; k < s->n; k++)
			s->e[k].uid = 0;
		if (f->n > 0) {
			ret = 1;
			goto out;
		}
	} else if (r == -1)
		goto out;
	else if (reloaded && oldv != 0 && f->uidvalidity != oldv) {
		ret = 1;
		goto out;
	}
	for (k = 0; k < s->n; k++)
		if (s->e[k].uid == 0)
			n++;
	if (n > 0) {
		idx = reallocarray(NULL, n, sizeof(*idx));
		u = reallocarray(NULL, n, sizeof(*u));
		ul = reallocarray(NULL, n, sizeof(*ul));
		if (idx == NULL || u == NULL || ul == NULL)
			goto out;
		n = 0;
		for (k = 0; k < s->n; k++)
			if (s->e[k].uid == 0)
				idx[n++] = (uint32_t)k;
		sort_scan = s;
		qsort(idx, n, sizeof(*idx), arrival_cmp);
		for (k = 0; k < n; k++) {
			u[k] = s->names + s->e[idx[k]].name;
			ul[k] = s->e[idx[k]].ulen;
		}
		if (uidlist_append(f, u, ul, n, &first) == -1)
			goto out;
		for (k = 0; k < n; k++) {
			s->e[idx[k]].uid = first + (uint32_t)k;
			s->e[idx[k]].savedate = (uint32_t)time(NULL);
		}
	}
	ret = 0;
out:
	k = (size_t)errno;
	folder_unlock(lockfd);
	free(idx);
	free(u);
	free(ul);
	errno = (int)k;
	return ret;
}

/* Moves new messages to cur/, as a reader of the folder does. */
static void
folder_take_new(struct folder *f, size_t i)
{
	char		 from[PATH_MAX], to[PATH_MAX], nn[NAME_MAX + 1];
	const char	*name = folder_msg_name(f, i);
	int		 r;

	r = snprintf(nn, sizeof(nn), "%s%s", name,
	    strchr(name, ':') != NULL ? "" : ":2,");
	if (r < 0 || (size_t)r >= sizeof(nn) ||
	    snprintf(from, sizeof(from), "new/%s", name) >= (int)sizeof(from) ||
	    snprintf(to, sizeof(to), "cur/%s", nn) >= (int)sizeof(to))
		return;
	if (renameat(f->dirfd, from, f->dirfd, to) == -1) {
		f->dirty = 1;	/* moved by someone else: seen next time */
		return;
	}
	if (folder_set_name(f, i, nn) == 0)
		f->msgs[i].state &= ~MSGS_NEW;
}

/* The first UID no session has shown as \Recent yet (1: none). */
static uint32_t
folder_first_recent(const struct folder *f)
{
	char		 b[16];
	ssize_t		 n;
	uint32_t	 v = 0;
	int		 fd, i;

	fd = openat(f->dirfd, STORE_RECENT, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd == -1)
		return 1;
	n = read(fd, b, sizeof(b) - 1);
	(void)close(fd);
	for (i = 0; i < n && b[i] >= '0' && b[i] <= '9' && v < 400000000U; i++)
		v = v * 10 + (uint32_t)(b[i] - '0');
	return v == 0 ? 1 : v;
}

/*
 * Messages from index `from` on with a UID no session has shown yet are
 * \Recent (RFC 3501 2.3.2) to this one; a session that selected the
 * folder read-write claims them, so that no other session shows them so.
 */
static void
folder_recent(struct folder *f, size_t from)
{
	char		 b[16];
	uint32_t	 first;
	size_t		 i;
	int		 lockfd = -1, fd, n;

	if (from >= f->n)
		return;
	if (!f->readonly && (lockfd = folder_lock(f->dirfd)) == -1)
		return;
	first = folder_first_recent(f);
	for (i = from; i < f->n; i++)
		if (f->msgs[i].uid >= first) {
			f->msgs[i].flags |= MSG_RECENT;
			f->recent++;
		}
	if (!f->readonly && f->maxuid >= first) {
		n = snprintf(b, sizeof(b), "%u", f->maxuid + 1);
		fd = openat(f->dirfd, STORE_RECENT, O_WRONLY | O_CREAT |
		    O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (fd != -1) {
			(void)fd_write_full(fd, b, (size_t)n);
			(void)close(fd);
		}
	}
	folder_unlock(lockfd);
}

/* Adds the new entries (UID above what this session shows). */
static int
folder_add_new(struct folder *f, struct scan *s, size_t *hidden)
{
	uint32_t	*idx;
	size_t		 k, n = 0, ncap;
	struct msg	*m;
	struct scan_ent	*e;

	*hidden = 0;
	for (k = 0; k < s->n; k++)
		if (!(s->e[k].matched & ENT_MATCHED) && s->e[k].uid != 0) {
			if (s->e[k].uid > f->maxuid)
				n++;
			else
				(*hidden)++;
		}
	if (n == 0)
		return 0;
	if (f->n + n > STORE_MSGS_MAX) {
		errno = E2BIG;
		return -1;
	}
	if (f->n + n > f->cap) {
		ncap = f->cap ? f->cap : 64;
		while (ncap < f->n + n)
			ncap *= 2;
		if ((m = reallocarray(f->msgs, ncap, sizeof(*m))) == NULL)
			return -1;
		f->msgs = m;
		f->cap = ncap;
	}
	if ((idx = reallocarray(NULL, n, sizeof(*idx))) == NULL)
		return -1;
	n = 0;
	for (k = 0; k < s->n; k++)
		if (!(s->e[k].matched & ENT_MATCHED) &&
		    s->e[k].uid > f->maxuid)
			idx[n++] = (uint32_t)k;
	sort_scan = s;
	qsort(idx, n, sizeof(*idx), uid_cmp);
	for (k = 0; k < n; k++) {
		e = &s->e[idx[k]];
		m = &f->msgs[f->n++];
		memset(m, 0, sizeof(*m));
		m->uid = e->uid;
		m->name = e->name;
		m->ulen = e->ulen;
		m->savedate = e->savedate;
		m->cache = MCACHE_NONE;
		flags_from_name(f->names + e->name, &m->flags, &m->kw);
		if (e->in_new)
			m->state |= MSGS_NEW;
		f->maxuid = m->uid;
	}
	free(idx);
	return 0;
}

/* 1 when the file of message i is no longer where this session saw it. */
static int
folder_msg_vanished(const struct folder *f, size_t i)
{
	char		 p[PATH_MAX];
	struct stat	 st;

	if (snprintf(p, sizeof(p), "%s/%s", folder_msg_sub(f, i),
	    folder_msg_name(f, i)) >= (int)sizeof(p))
		return 1;
	return fstatat(f->dirfd, p, &st, AT_SYMLINK_NOFOLLOW) == -1 &&
	    errno == ENOENT;
}

int
folder_sync(struct folder *f)
{
	struct scan		 s, touched;
	struct scan_ent		*e;
	struct match_ctx	 mc;
	struct timespec		 mcur, mnew;
	uint8_t			 fl;
	uint32_t		 kw, off, oldv;
	size_t			 i, hidden, n_before = f->n;
	int			 r, reloaded, lockfd, partial;

	if (!folder_changed(f))
		return 0;
again:
	if (folder_mtimes(f, &mcur, &mnew) == -1)
		return -1;
	/* Only the names the events gave, when they are all there is. */
	partial = !f->dirty && f->ifd != -1 && f->nev > 0 && n_before > 0;
	memset(&touched, 0, sizeof(touched));
	if (partial && scan_names(&s, &touched, f->dirfd, f->ev,
	    f->evlen) == -1)
		partial = 0;
	if (!partial && scan_dirs(&s, f->dirfd, 0) == -1)
		return -1;
	events_clear(f);
	f->dirty = 0;
	/*
	 * A known message the events named that is neither among their
	 * files nor where it was: gone, or moved by a rename whose second
	 * event is not read yet.  Only the directories can tell.
	 */
	for (i = 0; partial && i < f->n; i++)
		if (!(f->msgs[i].state & MSGS_GONE) && scan_find(&s,
		    f->names + f->msgs[i].name, f->msgs[i].ulen) == NULL &&
		    scan_find(&touched, f->names + f->msgs[i].name,
		    f->msgs[i].ulen) != NULL && folder_msg_vanished(f, i)) {
			scan_free(&s);
			scan_free(&touched);
			f->dirty = 1;
			goto again;
		}
	f->mt_cur = mcur;
	f->mt_new = mnew;
	f->scanned_at = fd_now_ms();

	/* What this session knows already. */
	for (i = 0; i < f->n; i++) {
		if (f->msgs[i].state & MSGS_GONE)
			continue;
		e = scan_find(&s, f->names + f->msgs[i].name,
		    f->msgs[i].ulen);
		if (e != NULL) {
			e->uid = f->msgs[i].uid;
			e->savedate = f->msgs[i].savedate;
		}
	}
	memset(&mc, 0, sizeof(mc));
	mc.s = &s;
	oldv = f->uidvalidity;
	r = uidlist_read(f, match_cb, &mc, &reloaded);
	if (r == -1 && errno != ENOENT)
		goto fail;
	if (r == 0 && reloaded && n_before > 0 && f->uidvalidity != oldv) {
		/* Replaced with another UIDVALIDITY: our UIDs mean nothing. */
		scan_free(&s);
		scan_free(&touched);
		return 1;
	}

	for (i = 0; i < s.n; i++)
		if (s.e[i].uid == 0)
			break;
	if (r != 0 || i < s.n) {
		r = folder_assign(f, &s, &mc);
		if (r != 0) {
			scan_free(&s);
			scan_free(&touched);
			return r;
		}
	}

	/* Merge: known messages, then the new ones. */
	for (i = 0; i < f->n; i++) {
		struct msg *m = &f->msgs[i];

		if (m->state & MSGS_GONE)
			e = NULL;
		else
			e = scan_find(&s, f->names + m->name, m->ulen);
		if (partial && e == NULL && !(m->state & MSGS_GONE)) {
			/* Not in the events, or still where it was. */
			if (store_names_append(&s.names, &s.nameslen,
			    &s.namescap, f->names + m->name, &off) == -1)
				goto fail;
			m->name = off;
			continue;
		}
		if (e == NULL || e->uid != m->uid) {
			if (store_names_append(&s.names, &s.nameslen, &s.namescap,
			    f->names + m->name, &off) == -1)
				goto fail;
			m->name = off;
			if (!(m->state & MSGS_GONE))
				m->state |= MSGS_GONE;
			if (e != NULL)
				e->matched |= ENT_MATCHED;
			continue;
		}
		e->matched |= ENT_MATCHED;
		m->name = e->name;
		if (e->in_new)
			m->state |= MSGS_NEW;
		else
			m->state &= ~MSGS_NEW;
		flags_from_name(s.names + e->name, &fl, &kw);
		if (fl != (m->flags & MSG_SYSFLAGS) || kw != m->kw) {
			m->flags = (uint8_t)((m->flags & ~MSG_SYSFLAGS) | fl);
			m->kw = kw;
			m->state |= MSGS_CHANGED;
		}
	}
	free(f->names);
	f->names = s.names;
	f->nameslen = s.nameslen;
	f->namescap = s.namescap;
	s.names = NULL;
	if (folder_add_new(f, &s, &hidden) == -1)
		goto fail;
	if (!partial && (mc.records > 0 || reloaded))
		f->udead = mc.records > mc.matched ? mc.records - mc.matched :
		    0;
	scan_free(&s);
	scan_free(&touched);

	/* Letters another session named since: their names, read again. */
	for (i = 0; i < f->n; i++)
		if (f->msgs[i].kw >> f->nkw) {
			(void)keywords_load(f);
			break;
		}
	if (!f->readonly)
		for (i = 0; i < f->n; i++)
			if (f->msgs[i].state & MSGS_NEW)
				folder_take_new(f, i);
	if (f->n > n_before) {
		folder_recent(f, n_before);
		(void)mcache_index(f, n_before);
	}

	/* Records of files long gone: rewrite, when this view is whole. */
	if (!partial && !f->readonly && hidden == 0 &&
	    f->udead > UIDLIST_DEAD_MIN &&
	    f->udead > f->n && (lockfd = folder_lock(f->dirfd)) != -1) {
		off_t	 before = f->uoff;

		if (uidlist_read(f, uidlist_skip, NULL, &reloaded) == 0 &&
		    !reloaded && f->uoff == before)
			(void)uidlist_rewrite(f);
		folder_unlock(lockfd);
	}
	return 0;
fail:
	r = errno;
	scan_free(&s);
	scan_free(&touched);
	errno = r;
	return -1;
}

