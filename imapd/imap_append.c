/*
 * imap_append: APPEND (RFC 9051 6.3.12) with flags, a date and a literal
 * or literal8 (RFC 3516), answered with APPENDUID (RFC 4315).  The
 * message is written to the destination's tmp/ in the stored form (LF
 * line ends: CRLF becomes LF, nothing else changes), fsynced, its time
 * set to the date given, then renamed into cur/ under the destination's
 * lock, which also gives its UID.  A literal over 64 kB was spooled by
 * imap_read to an unnamed file in the Maildir's tmp/ (append_spool) and
 * is copied from there.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "crlf.h"
#include "fdio.h"
#include "imapsession.h"
#include "log.h"
#include "maildir.h"

#define APPEND_CHUNK	(64 * 1024)

int
append_spool(void *arg)
{
	struct imap_session	*s = arg;
	char			 p[PATH_MAX];
	int			 fd;

	if (s->root == NULL || snprintf(p, sizeof(p), "%s/tmp", s->root) >=
	    (int)sizeof(p))
		return -1;
	fd = open(p, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd == -1)
		log_warn("user=<%s>: spool for APPEND in %s", s->user, p);
	return fd;
}

/* "dd-Mon-yyyy hh:mm:ss +zzzz" (RFC 9051 date-time): 0 and *t, or -1. */
static int
append_date(const char *p, size_t n, time_t *t)
{
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	struct tm	 tm;
	const char	*m;
	int		 day, mon, off, i = 0;
	time_t		 v;

	memset(&tm, 0, sizeof(tm));
	if (n == 26 && p[0] == ' ')
		i = 1;
	else if (n != 26)
		return -1;
	for (day = 0; i < 2; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		day = day * 10 + (p[i] - '0');
	}
	if (p[2] != '-' || p[6] != '-' || p[11] != ' ' || p[14] != ':' ||
	    p[17] != ':' || p[20] != ' ' || (p[21] != '+' && p[21] != '-'))
		return -1;
	for (m = months; *m != '\0'; m += 3)
		if (strncasecmp(m, p + 3, 3) == 0)
			break;
	if (*m == '\0')
		return -1;
#define D(k)	(p[k] >= '0' && p[k] <= '9' ? p[k] - '0' : -1000)
	tm.tm_mday = day;
	tm.tm_mon = (int)((m - months) / 3);
	tm.tm_year = D(7) * 1000 + D(8) * 100 + D(9) * 10 + D(10) - 1900;
	tm.tm_hour = D(12) * 10 + D(13);
	tm.tm_min = D(15) * 10 + D(16);
	tm.tm_sec = D(18) * 10 + D(19);
	off = (D(22) * 10 + D(23)) * 60 + D(24) * 10 + D(25);
#undef D
	if (day < 1 || day > 31 || tm.tm_year < 0 || tm.tm_hour < 0 ||
	    tm.tm_hour > 23 || tm.tm_min < 0 || tm.tm_min > 59 ||
	    tm.tm_sec < 0 || tm.tm_sec > 60 || off < 0 || off > 24 * 60)
		return -1;
	mon = tm.tm_mon;
	if (tm.tm_sec == 60)		/* a leap second: its minute's last */
		tm.tm_sec = 59;
	/* timegm() normalizes: a day past the month's end moves it. */
	if ((v = timegm(&tm)) == (time_t)-1 || tm.tm_mday != day ||
	    tm.tm_mon != mon)
		return -1;
	*t = p[21] == '+' ? v - off * 60 : v + off * 60;
	return 0;
}

/* CRLF to LF, across chunks (*cr: a CR ended the last chunk). */
static int
append_lf(const char *p, size_t n, int *cr, struct buf *out)
{
	size_t	 i;

	for (i = 0; i < n; i++) {
		if (*cr && p[i] != '\n' && buf_putc(out, '\r') == -1)
			return -1;
		*cr = p[i] == '\r';
		if (!*cr && buf_putc(out, p[i]) == -1)
			return -1;
	}
	return 0;
}

/* Writes the message into tmp/name, stored form.  Sizes out. */
static int
append_write(struct folder *d, const struct imap_arg *msg, const char *tmp,
    time_t date, uint64_t *raw, uint64_t *wire)
{
	struct crlf_state	 c;
	struct timespec		 ts[2];
	struct buf		 out;
	char			 b[APPEND_CHUNK];
	size_t			 off = 0, take;
	ssize_t			 r;
	int			 fd, cr = 0, save;

	fd = openat(d->dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC |
	    O_NOFOLLOW, 0600);
	if (fd == -1)
		return -1;
	buf_init(&out, 2 * APPEND_CHUNK + 2);
	crlf_init(&c);
	*raw = *wire = 0;
	if ((msg->flags & IMAP_ARGF_SPOOLED) &&
	    lseek(msg->fd, 0, SEEK_SET) == -1)
		goto fail;
	while (off < msg->len) {
		take = msg->len - off < sizeof(b) ? msg->len - off : sizeof(b);
		if (msg->flags & IMAP_ARGF_SPOOLED) {
			r = read(msg->fd, b, take);
			if (r == -1 && errno == EINTR)
				continue;
			if (r <= 0) {
				if (r == 0)
					errno = EIO;
				goto fail;
			}
			take = (size_t)r;
		} else
			memcpy(b, msg->s + off, take);
		off += take;
		buf_reset(&out);
		if (append_lf(b, take, &cr, &out) == -1 ||
		    (off == msg->len && cr && buf_putc(&out, '\r') == -1))
			goto fail;
		*wire += crlf_count(&c, out.data, out.len);
		*raw += out.len;
		if (fd_write_full(fd, out.data, out.len) == -1)
			goto fail;
	}
	*wire += crlf_count_end(&c);
	ts[0].tv_sec = ts[1].tv_sec = date;
	ts[0].tv_nsec = ts[1].tv_nsec = 0;
	if (futimens(fd, ts) == -1 || fsync(fd) == -1)
		goto fail;
	buf_free(&out);
	if (close(fd) == -1) {
		(void)unlinkat(d->dirfd, tmp, 0);
		return -1;
	}
	return 0;
fail:
	save = errno;
	buf_free(&out);
	(void)close(fd);
	(void)unlinkat(d->dirfd, tmp, 0);
	errno = save;
	return -1;
}

int
cmd_append(struct imap_session *s)
{
	const struct imap_arg	*mb = s->args, *a, *fl = NULL, *dt = NULL;
	struct folder		 d;
	char			 u[NAME_MAX + 1], name[NAME_MAX + 1];
	char			 tmp[PATH_MAX], to[PATH_MAX], ds[32];
	char			**kw = NULL;
	const char		*why, *uu;
	size_t			 nkw = 0, k, ulen;
	uint64_t		 raw, wire;
	uint32_t		 kwbits = 0, uid;
	uint8_t			 flags = 0;
	time_t			 date = time(NULL);
	int			 lockfd = -1, j = 0;

	if (mb == NULL || (a = imap_arg_next(&s->cmd, mb)) == NULL)
		return imap_bad(s, "APPEND takes a mailbox and a message");
	if (a->type == IMAP_ARG_LIST) {
		fl = a;
		a = imap_arg_next(&s->cmd, a);
	}
	if (a != NULL && a->type == IMAP_ARG_STRING &&
	    (a->flags & IMAP_ARGF_QUOTED)) {
		dt = a;
		a = imap_arg_next(&s->cmd, a);
	}
	if (a == NULL || a->next != 0 || a->type != IMAP_ARG_STRING ||
	    !(a->flags & IMAP_ARGF_LITERAL))
		return imap_bad(s, "APPEND takes a mailbox, optional flags and "
		    "date, and a literal");
	if (fl != NULL && flags_arg(s, fl, &flags, &kw, &nkw, &why) == -1)
		return imap_bad(s, "%s", why);
	/* "5-Jan-2026 ...": a one-digit day without its space, as some
	   clients send it, is read as " 5-Jan-2026". */
	ds[0] = ' ';
	if (dt != NULL && imap_arg_copy(dt, ds + (dt->len == 25),
	    sizeof(ds) - 1) == 0 && append_date(ds, dt->len == 25 ? 26 :
	    dt->len, &date) == 0)
		dt = NULL;	/* read */
	if (dt != NULL) {
		for (k = 0; k < nkw; k++)
			free(kw[k]);
		free(kw);
		return imap_bad(s, "bad date-time");
	}
	if (a->len == 0) {
		for (k = 0; k < nkw; k++)
			free(kw[k]);
		free(kw);
		return imap_no(s, "[CANNOT] an empty message");
	}
	if (copy_dest(s, mb, &d) == -1) {
		for (k = 0; k < nkw; k++)
			free(kw[k]);
		free(kw);
		return 0;
	}
	for (k = 0; k < nkw; k++) {
		if ((j = keywords_index(&d, kw[k], 1)) == -1)
			break;
		kwbits |= 1U << j;
	}
	for (k = 0; k < nkw; k++)
		free(kw[k]);
	free(kw);
	if (j == -1 && nkw > 0) {
		folder_close(&d);
		return imap_no(s, "[LIMIT] too many keywords in the mailbox");
	}
	if (maildir_unique(u, sizeof(u)) == -1 ||
	    snprintf(tmp, sizeof(tmp), "tmp/%s", u) >= (int)sizeof(tmp) ||
	    append_write(&d, a, tmp, date, &raw, &wire) == -1)
		goto fail;
	ulen = strlen(u);
	if (snprintf(u + ulen, sizeof(u) - ulen, ",S=%llu,W=%llu",
	    (unsigned long long)raw, (unsigned long long)wire) >=
	    (int)(sizeof(u) - ulen) ||
	    flags_name(u, strlen(u), flags, kwbits, name, sizeof(name)) == -1 ||
	    snprintf(to, sizeof(to), "cur/%s", name) >= (int)sizeof(to))
		goto fail_tmp;
	if ((lockfd = folder_lock(d.dirfd)) == -1 ||
	    folder_dest_ready(&d) == -1 ||
	    renameat(d.dirfd, tmp, d.dirfd, to) == -1)
		goto fail_tmp;
	uu = u;
	ulen = strlen(u);
	if (fsync_dir_at(d.dirfd, "cur") == -1 ||
	    uidlist_append(&d, &uu, &ulen, 1, &uid) == -1) {
		(void)unlinkat(d.dirfd, to, 0);
		goto fail;
	}
	folder_unlock(lockfd);
	(void)imap_ok(s, "[APPENDUID %u %u] APPEND completed", d.uidvalidity,
	    uid);
	folder_close(&d);
	return 0;
fail_tmp:
	(void)unlinkat(d.dirfd, tmp, 0);
fail:
	log_warn("user=<%s>: APPEND to %s", s->user, d.name);
	folder_unlock(lockfd);
	folder_close(&d);
	return imap_no(s, "[SERVERBUG] cannot store the message");
}
