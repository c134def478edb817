/*
 * imap_copy: the commands that add messages to a folder from another:
 * COPY and MOVE (RFC 9051 6.4.7, 6.4.8; UID forms; COPYUID of RFC 4315).
 * APPEND, which adds them from the client, is imap_append.c's.
 *
 * A copy is a hard link of the message file under a new unique name
 * (the content is the same and never changes), or a copy of its bytes
 * where linking is not possible; a move is a rename.  Either way the
 * file appears in the destination's cur/ whole, with its flags in its
 * name, and gets its UID under the destination's lock, taken before the
 * file appears, so that no other session gives it another.  Keywords are
 * named in the destination's facteur-keywords before the lock is taken.
 * A COPY or MOVE that fails leaves the destination as it was (and a MOVE
 * the source).  Names carry Dovecot's ",S=" and ",W=" sizes, so that
 * RFC822.SIZE of a copy needs no reading.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "fdio.h"
#include "imapsession.h"
#include "log.h"
#include "maildir.h"
#include "maildir_name.h"
#include "store_cache.h"

#define COPY_CHUNK	(64 * 1024)

struct copied {
	char		 name[NAME_MAX + 1];	/* in the destination's cur/ */
	size_t		 ulen;
	uint32_t	 src;			/* the source index */
};

int
fsync_dir_at(int dirfd, const char *sub)
{
	int	 fd, r;

	if ((fd = openat(dirfd, sub, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return -1;
	r = fsync(fd);
	(void)close(fd);
	return r;
}

/* The destination folder of a command: -1 after a reply. */
int
copy_dest(struct imap_session *s, const struct imap_arg *a, struct folder *d)
{
	char	 name[MAILBOX_NAME_MAX + 1], path[PATH_MAX];

	if (mbox_arg(s, a, name, sizeof(name)) == -1)
		return -1;
	if (!mbox_exists(s, name)) {
		(void)imap_no(s, "[TRYCREATE] no such mailbox");
		return -1;
	}
	if (mbox_path(s, name, path, sizeof(path)) == -1 ||
	    folder_open_dest(d, name, path) == -1) {
		log_warn("user=<%s>: open %s", s->user, name);
		(void)imap_no(s, "[SERVERBUG] cannot open the mailbox");
		return -1;
	}
	return 0;
}

/* A new name for a file of raw octets (wire, when known). */
static int
copy_name(char *out, size_t n, uint64_t raw, uint64_t wire, uint8_t flags,
    uint32_t kw, size_t *ulen)
{
	char	 u[NAME_MAX + 1];
	size_t	 len;
	int	 r;

	if (maildir_unique(u, sizeof(u)) == -1)
		return -1;
	len = strlen(u);
	r = wire != 0 ? snprintf(u + len, sizeof(u) - len, ",S=%llu,W=%llu",
	    (unsigned long long)raw, (unsigned long long)wire) :
	    snprintf(u + len, sizeof(u) - len, ",S=%llu",
	    (unsigned long long)raw);
	if (r < 0 || (size_t)r >= sizeof(u) - len) {
		errno = ENAMETOOLONG;
		return -1;
	}
	*ulen = strlen(u);
	return flags_name(u, *ulen, flags & MSG_SYSFLAGS, kw, out, n);
}

/* Maps source keyword bits to the destination's (naming them there). */
static int
copy_keywords(struct folder *src, struct folder *dst, uint32_t used,
    uint32_t map[STORE_KEYWORDS_MAX])
{
	size_t	 k;
	int	 j;

	for (k = 0; k < STORE_KEYWORDS_MAX; k++) {
		map[k] = 0;
		if (!(used & (1U << k)) || k >= src->nkw)
			continue;
		if ((j = keywords_index(dst, src->kw[k], 1)) == -1)
			return -1;
		map[k] = 1U << j;
	}
	return 0;
}

static uint32_t
copy_kw(uint32_t kw, const uint32_t map[STORE_KEYWORDS_MAX])
{
	uint32_t	 out = 0;
	size_t		 k;

	for (k = 0; k < STORE_KEYWORDS_MAX; k++)
		if (kw & (1U << k))
			out |= map[k];
	return out;
}

/* Copies the bytes of fd into a new file at dst/cur/name. */
static int
copy_bytes(int fd, struct folder *d, const char *name)
{
	char	 tmp[PATH_MAX], to[PATH_MAX], b[COPY_CHUNK];
	ssize_t	 r;
	int	 out, save;

	if (snprintf(tmp, sizeof(tmp), "tmp/%s", name) >= (int)sizeof(tmp) ||
	    snprintf(to, sizeof(to), "cur/%s", name) >= (int)sizeof(to)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	out = openat(d->dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC |
	    O_NOFOLLOW, 0600);
	if (out == -1 || lseek(fd, 0, SEEK_SET) == -1)
		goto fail;
	while ((r = read(fd, b, sizeof(b))) != 0) {
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1 || fd_write_full(out, b, (size_t)r) == -1)
			goto fail;
	}
	if (fsync(out) == -1 || close(out) == -1) {
		out = -1;
		goto fail;
	}
	out = -1;
	if (renameat(d->dirfd, tmp, d->dirfd, to) == -1)
		goto fail;
	return 0;
fail:
	save = errno;
	if (out != -1)
		(void)close(out);
	(void)unlinkat(d->dirfd, tmp, 0);
	errno = save;
	return -1;
}

/* Gives the new files UIDs: [COPYUID] text into b.  0 or -1. */
static int
copy_uids(struct imap_session *s, struct folder *d, struct copied *c,
    size_t n, struct buf *b)
{
	const char	**u;
	size_t		*ul, k;
	uint32_t	 first;
	struct imap_seq	 src;
	int		 r = -1;

	u = reallocarray(NULL, n, sizeof(*u));
	ul = reallocarray(NULL, n, sizeof(*ul));
	memset(&src, 0, sizeof(src));
	if (u == NULL || ul == NULL)
		goto out;
	for (k = 0; k < n; k++) {
		u[k] = c[k].name;
		ul[k] = c[k].ulen;
	}
	if (uidlist_append(d, u, ul, n, &first) == -1)
		goto out;
	for (k = 0; k < n; k++)
		if (imap_seq_add(&src, s->box.msgs[c[k].src].uid,
		    s->box.msgs[c[k].src].uid) == -1)
			goto out;
	/* The source UIDs in order; the new ones follow the same order. */
	if (buf_printf(b, "[COPYUID %u ", d->uidvalidity) == -1)
		goto out;
	for (k = 0; k < n; k++)
		if (buf_printf(b, "%s%u", k ? "," : "",
		    s->box.msgs[c[k].src].uid) == -1)
			goto out;
	r = n == 1 ? buf_printf(b, " %u]", first) :
	    buf_printf(b, " %u:%u]", first, first + (uint32_t)n - 1);
out:
	imap_seq_free(&src);
	free(u);
	free(ul);
	return r;
}

static int
copy_or_move(struct imap_session *s, int move)
{
	struct folder		*f = &s->box, d;
	const struct imap_arg	*set = s->args, *mb;
	struct imap_seq		 idx;
	struct copied		*c = NULL;
	struct mcache_rec	 cr;
	struct stat		 st;
	struct buf		 b;
	char			 from[PATH_MAX], to[PATH_MAX];
	uint32_t		 map[STORE_KEYWORDS_MAX], used = 0, i;
	size_t			 n = 0, cap = 0, k, w;
	uint64_t		 wire;
	int			 lockfd = -1, fd, ok = 0, gone = 0;
	const char		*cmd = move ? "MOVE" : "COPY";

	mb = imap_arg_next(&s->cmd, set);
	if (set == NULL || mb == NULL || mb->next != 0)
		return imap_bad(s, "%s takes a sequence set and a mailbox", cmd);
	if (seq_arg(s, set, &idx) == -1)
		return 0;
	if (move && f->readonly) {
		imap_seq_free(&idx);
		return imap_no(s, "[READ-ONLY] the mailbox is read-only");
	}
	if (copy_dest(s, mb, &d) == -1) {
		imap_seq_free(&idx);
		return 0;
	}
	buf_init(&b, 1024 * 1024);
	for (k = 0; k < idx.n; k++)
		for (i = idx.r[k].lo; i <= idx.r[k].hi; i++)
			if (!(f->msgs[i].state & MSGS_GONE))
				used |= f->msgs[i].kw;
	if (copy_keywords(f, &d, used, map) == -1 ||
	    (lockfd = folder_lock(d.dirfd)) == -1 || folder_dest_ready(&d) == -1)
		goto fail;
	for (k = 0; k < idx.n; k++)
		for (i = idx.r[k].lo; ; i++) {
			struct msg *m = &f->msgs[i];

			if (m->state & MSGS_GONE) {
				gone = 1;
				goto next;
			}
			if (n == cap) {
				struct copied *nc;

				cap = cap ? cap * 2 : 64;
				if ((nc = reallocarray(c, cap, sizeof(*c))) ==
				    NULL)
					goto fail;
				c = nc;
			}
			if ((fd = folder_msg_open(f, i)) == -1) {
				if (errno == ENOENT) {
					gone = 1;
					goto next;
				}
				goto fail;
			}
			wire = 0;
			if (mcache_get(f, i, &cr) == 1 && (cr.have & MCF_WIRE))
				wire = cr.wire;
			else if (maildir_name_wire_size(folder_msg_name(f, i),
			    m->ulen, &w))
				wire = w;
			if (fstat(fd, &st) == -1 || copy_name(c[n].name,
			    sizeof(c[n].name), (uint64_t)st.st_size, wire,
			    m->flags, copy_kw(m->kw, map), &c[n].ulen) == -1 ||
			    snprintf(from, sizeof(from), "%s/%s",
			    folder_msg_sub(f, i), folder_msg_name(f, i)) >=
			    (int)sizeof(from) ||
			    snprintf(to, sizeof(to), "cur/%s", c[n].name) >=
			    (int)sizeof(to)) {
				(void)close(fd);
				goto fail;
			}
			if (move ? renameat(f->dirfd, from, d.dirfd, to) :
			    linkat(f->dirfd, from, d.dirfd, to, 0)) {
				if (errno == ENOENT) {
					(void)close(fd);
					gone = 1;
					goto next;
				}
				if (move || copy_bytes(fd, &d, c[n].name) == -1) {
					(void)close(fd);
					goto fail;
				}
				if (move && unlinkat(f->dirfd, from, 0) == -1)
					log_warn("user=<%s>: remove %s",
					    s->user, from);
			}
			(void)close(fd);
			c[n++].src = i;
next:
			if (i == idx.r[k].hi)
				break;
		}
	if (n > 0 && (fsync_dir_at(d.dirfd, "cur") == -1 ||
	    copy_uids(s, &d, c, n, &b) == -1))
		goto fail;
	ok = 1;
	folder_unlock(lockfd);
	lockfd = -1;
	if (move) {
		for (k = 0; k < n; k++)
			f->msgs[c[k].src].state |= MSGS_GONE;
		if (n > 0 && lineio_printf(&s->io, "* OK %s Moved\r\n",
		    b.data) == -1)
			goto out;
	}
out:
	free(c);
	imap_seq_free(&idx);
	folder_close(&d);
	if (!ok) {
		buf_free(&b);
		return -1;
	}
	if (gone && n == 0)
		(void)imap_no(s, "[EXPUNGEISSUED] the messages were expunged "
		    "meanwhile");
	else if (move)
		(void)imap_ok(s, "MOVE completed");
	else
		(void)imap_ok(s, "%s COPY completed", n > 0 ? b.data : "");
	buf_free(&b);
	return 0;
fail:
	log_warn("user=<%s>: %s to %s", s->user, cmd, d.name);
	/* Undo: the destination as it was, a move's files back. */
	for (k = 0; k < n; k++) {
		(void)snprintf(to, sizeof(to), "cur/%s", c[k].name);
		if (move) {
			(void)snprintf(from, sizeof(from), "%s/%s",
			    folder_msg_sub(f, c[k].src),
			    folder_msg_name(f, c[k].src));
			(void)renameat(d.dirfd, to, f->dirfd, from);
		} else
			(void)unlinkat(d.dirfd, to, 0);
	}
	folder_unlock(lockfd);
	free(c);
	imap_seq_free(&idx);
	folder_close(&d);
	buf_free(&b);
	return imap_no(s, "[SERVERBUG] %s failed; nothing was %s", cmd,
	    move ? "moved" : "copied");
}

int
cmd_copy(struct imap_session *s)
{
	return copy_or_move(s, 0);
}

int
cmd_move(struct imap_session *s)
{
	return copy_or_move(s, 1);
}
