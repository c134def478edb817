/*
 * store_uidlist: facteur-uidlist, a folder's UIDVALIDITY, UIDNEXT and the
 * UID of each message, after Dovecot's dovecot-uidlist: records are only
 * ever appended, under the folder lock, and the file is rewritten
 * (temporary file, fsync, rename, fsync of the folder) to start a new
 * UIDVALIDITY or to drop the records of messages that are gone.  A
 * reader keeps its offset and reads only what was appended since; a
 * rename of a new file over it is seen by its inode.
 *
 * Records are NUL-ended fields, four to a record, so that no byte of a
 * file name can start another record:
 *
 *   "F" "1" <uidvalidity> <uidnext>        the header, first
 *   "U" <uid> <savedate> <unique name>     one message
 *
 * UIDs only grow along the file.  An append is fsynced before the UIDs
 * it gives are shown: after a crash a UID is never given to two messages.
 * A record cut short by a crash is ignored by readers and cut off by the
 * next append.
 */
#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "fdio.h"
#include "store.h"

#define UIDLIST_TMP	"facteur-uidlist.tmp"
#define UIDLIST_MAX	(256U * 1024 * 1024)	/* bytes of the file */
#define FIELD_MAX	255

/* A decimal field: 0 and *v, or -1. */
static int
uidlist_num(const char *s, size_t n, uint32_t *v)
{
	unsigned long long	 x = 0;
	size_t			 i;

	if (n == 0 || n > 10)
		return -1;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		x = x * 10 + (unsigned)(s[i] - '0');
	}
	if (x > UINT32_MAX)
		return -1;
	*v = (uint32_t)x;
	return 0;
}

int
uidlist_parse(struct folder *f, const char *p, size_t len, int header,
    uidlist_cb cb, void *arg, size_t *used)
{
	const char	*fld[4];
	size_t		 flen[4], pos = 0, k;
	const char	*nul;
	uint32_t	 uid, sd, v, next;
	uint32_t	 last = f->uidnext > 0 ? f->uidnext - 1 : 0;

	*used = 0;
	for (;;) {
		for (k = 0; k < 4; k++) {
			nul = memchr(p + pos, '\0', len - pos);
			if (nul == NULL)
				return 0;	/* a record cut short */
			fld[k] = p + pos;
			flen[k] = (size_t)(nul - (p + pos));
			if (flen[k] > FIELD_MAX)
				return -2;
			pos += flen[k] + 1;
		}
		if (header) {
			if (flen[0] != 1 || fld[0][0] != 'F' || flen[1] != 1 ||
			    fld[1][0] != '1' ||
			    uidlist_num(fld[2], flen[2], &v) == -1 || v == 0 ||
			    uidlist_num(fld[3], flen[3], &next) == -1 ||
			    next == 0)
				return -2;
			f->uidvalidity = v;
			f->uidnext = next;
			last = 0;	/* a rewritten list has UIDs below next */
			header = 0;
		} else {
			if (flen[0] != 1 || fld[0][0] != 'U' ||
			    uidlist_num(fld[1], flen[1], &uid) == -1 ||
			    uid <= last || uid == UINT32_MAX ||
			    uidlist_num(fld[2], flen[2], &sd) == -1 ||
			    flen[3] == 0 || memchr(fld[3], '/', flen[3]) ||
			    memchr(fld[3], ':', flen[3]))
				return -2;
			last = uid;
			if (uid >= f->uidnext)
				f->uidnext = uid + 1;
			if (cb(arg, uid, sd, fld[3], flen[3]) == -1)
				return -1;
		}
		*used = pos;
	}
}

int
uidlist_skip(void *arg, uint32_t uid, uint32_t savedate, const char *u,
    size_t ulen)
{
	(void)arg;
	(void)uid;
	(void)savedate;
	(void)u;
	(void)ulen;
	return 0;
}

int
uidlist_read(struct folder *f, uidlist_cb cb, void *arg, int *reloaded)
{
	struct stat	 st;
	char		*data = NULL;
	size_t		 want, used;
	ssize_t		 got;
	int		 fd, r = 0, save, from0;

	*reloaded = 0;
	fd = openat(f->dirfd, STORE_UIDLIST, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd == -1)
		return -1;
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		save = S_ISREG(st.st_mode) ? errno : EINVAL;
		(void)close(fd);
		errno = save;
		return -2;
	}
	from0 = f->uoff == 0 || st.st_dev != f->udev || st.st_ino != f->uino;
	if (from0) {
		*reloaded = f->uoff != 0;
		f->uoff = 0;
		f->udev = st.st_dev;
		f->uino = st.st_ino;
	}
	if ((off_t)st.st_size < f->uoff) {
		(void)close(fd);
		return -2;	/* shrank in place: not our format's doing */
	}
	if ((off_t)st.st_size == f->uoff || st.st_size > UIDLIST_MAX) {
		(void)close(fd);
		return st.st_size > UIDLIST_MAX ? -2 : 0;
	}
	want = (size_t)(st.st_size - f->uoff);
	if ((data = malloc(want)) == NULL) {
		(void)close(fd);
		return -1;
	}
	got = pread(fd, data, want, f->uoff);
	save = errno;
	(void)close(fd);
	if (got < 0) {
		free(data);
		errno = save;
		return -1;
	}
	r = uidlist_parse(f, data, (size_t)got, from0, cb, arg, &used);
	free(data);
	if (r == 0)
		f->uoff += (off_t)used;
	if (r == 0 && from0 && used == 0)
		return -2;	/* no header */
	return r;
}

static int
uidlist_record(struct buf *b, uint32_t uid, uint32_t sd, const char *u,
    size_t ulen)
{
	if (buf_printf(b, "U%c%u%c%u%c", 0, uid, 0, sd, 0) == -1 ||
	    buf_append(b, u, ulen) == -1 || buf_putc(b, 0) == -1)
		return -1;
	return 0;
}

/* Writes b as the new list, atomically.  0, or -1 with errno. */
static int
uidlist_replace(struct folder *f, const struct buf *b)
{
	struct stat	 st;
	int		 fd, save;

	fd = openat(f->dirfd, UIDLIST_TMP, O_WRONLY | O_CREAT | O_TRUNC |
	    O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd == -1)
		return -1;
	if (fd_write_full(fd, b->data, b->len) == -1 || fsync(fd) == -1 ||
	    fstat(fd, &st) == -1) {
		save = errno;
		(void)close(fd);
		(void)unlinkat(f->dirfd, UIDLIST_TMP, 0);
		errno = save;
		return -1;
	}
	if (close(fd) == -1 ||
	    renameat(f->dirfd, UIDLIST_TMP, f->dirfd, STORE_UIDLIST) == -1 ||
	    fsync(f->dirfd) == -1) {
		save = errno;
		(void)unlinkat(f->dirfd, UIDLIST_TMP, 0);
		errno = save;
		return -1;
	}
	f->udev = st.st_dev;
	f->uino = st.st_ino;
	f->uoff = (off_t)b->len;
	f->udead = 0;
	return 0;
}

/*
 * The next UIDVALIDITY of the user's Maildir: the time, but never one
 * given before to any folder (STORE_UIDVALIDITY in the Maildir keeps the
 * last, as Dovecot's dovecot-uidvalidity does), so that a folder made
 * again under an old name, or a list rebuilt, never looks the same.
 */
static uint32_t
uidlist_next_validity(struct folder *f)
{
	char		 b[16];
	uint32_t	 v = (uint32_t)time(NULL), last = 0;
	ssize_t		 n;
	int		 rootfd, fd, i, own = 0;

	if (v <= f->uidvalidity)
		v = f->uidvalidity + 1;
	if (f->name != NULL && strcmp(f->name, "INBOX") == 0)
		rootfd = f->dirfd;
	else if ((rootfd = openat(f->dirfd, "..", O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) == -1)
		return v;
	else
		own = 1;
	fd = openat(rootfd, STORE_UIDVALIDITY, O_RDWR | O_CREAT | O_CLOEXEC |
	    O_NOFOLLOW, 0600);
	if (fd != -1 && flock(fd, LOCK_EX) == 0 &&
	    (n = pread(fd, b, sizeof(b) - 1, 0)) >= 0) {
		for (i = 0; i < n && b[i] >= '0' && b[i] <= '9' &&
		    last < 400000000U; i++)
			last = last * 10 + (uint32_t)(b[i] - '0');
		if (v <= last)
			v = last + 1;
		n = snprintf(b, sizeof(b), "%u", v);
		/* A failed write costs little: the clock still moves on. */
		if (ftruncate(fd, 0) == 0 && pwrite(fd, b, (size_t)n, 0) == n)
			(void)fsync(fd);
	}
	if (fd != -1)
		(void)close(fd);
	if (own)
		(void)close(rootfd);
	return v;
}

int
uidlist_create(struct folder *f)
{
	struct buf	 b;
	uint32_t	 v = uidlist_next_validity(f);
	int		 r;

	buf_init(&b, 256);
	r = buf_printf(&b, "F%c1%c%u%c1%c", 0, 0, v, 0, 0);
	if (r == 0 && (r = uidlist_replace(f, &b)) == 0) {
		f->uidvalidity = v;
		f->uidnext = 1;
	}
	buf_free(&b);
	return r;
}

int
uidlist_append(struct folder *f, const char *const *u, const size_t *ulen,
    size_t n, uint32_t *first_uid)
{
	struct stat	 st;
	struct buf	 b;
	uint32_t	 sd = (uint32_t)time(NULL), uid = f->uidnext;
	size_t		 i;
	int		 fd, save;

	if (n == 0)
		return 0;
	if (uid == 0 || (uint64_t)uid + n >= UINT32_MAX) {
		errno = EOVERFLOW;
		return -1;
	}
	buf_init(&b, UIDLIST_MAX);
	for (i = 0; i < n; i++)
		if (uidlist_record(&b, uid + (uint32_t)i, sd, u[i],
		    ulen[i]) == -1) {
			buf_free(&b);
			return -1;
		}
	fd = openat(f->dirfd, STORE_UIDLIST, O_WRONLY | O_CLOEXEC |
	    O_NOFOLLOW);
	if (fd == -1)
		goto fail;
	/* Only what was read may precede: a cut record goes. */
	if (fstat(fd, &st) == -1 || st.st_dev != f->udev ||
	    st.st_ino != f->uino || st.st_size < f->uoff) {
		errno = ESTALE;
		goto fail;
	}
	if ((st.st_size > f->uoff && ftruncate(fd, f->uoff) == -1) ||
	    lseek(fd, f->uoff, SEEK_SET) == -1 ||
	    fd_write_full(fd, b.data, b.len) == -1 || fdatasync(fd) == -1)
		goto fail;
	if (close(fd) == -1) {
		fd = -1;
		goto fail;
	}
	f->uoff += (off_t)b.len;
	f->uidnext = uid + (uint32_t)n;
	*first_uid = uid;
	buf_free(&b);
	return 0;
fail:
	save = errno;
	if (fd != -1)
		(void)close(fd);
	buf_free(&b);
	errno = save;
	return -1;
}

int
uidlist_rewrite(struct folder *f)
{
	struct buf	 b;
	size_t		 i;
	int		 r = -1;

	buf_init(&b, UIDLIST_MAX);
	if (buf_printf(&b, "F%c1%c%u%c%u%c", 0, 0, f->uidvalidity, 0,
	    f->uidnext, 0) == -1)
		goto out;
	for (i = 0; i < f->n; i++)
		if (!(f->msgs[i].state & MSGS_GONE) &&
		    uidlist_record(&b, f->msgs[i].uid, f->msgs[i].savedate,
		    f->names + f->msgs[i].name, f->msgs[i].ulen) == -1)
			goto out;
	r = uidlist_replace(f, &b);
out:
	buf_free(&b);
	return r;
}
