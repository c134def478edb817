/*
 * deliver_maildir: the Maildir delivery of one message to one recipient,
 * shared by lspawn's delivery workers (already running as the
 * recipient, many deliveries per process) and the standalone
 * deliver(8).  Every path returns a qmail-local exit code and one line
 * of text; nothing here exits, logs on success or keeps state between
 * calls, and every descriptor it opens is closed before it returns.
 *
 * Trust: the message is a stranger's (stored byte for byte); the values
 * of the job come from lspawn and are checked again here.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "deliver_maildir.h"
#include "fdio.h"
#include "header_scan.h"
#include "maildir.h"
#include "queue_env.h"
#include "queueid.h"

#define READ_CHUNK	65536

struct dm_out {
	char	*text;
	size_t	 textsz;
};

static int __attribute__((format(printf, 3, 4)))
dm_result(struct dm_out *o, int code, const char *fmt, ...)
{
	va_list	ap;
	int	n;
	size_t	i, len;

	if (o->textsz == 0)
		return code;
	va_start(ap, fmt);
	n = vsnprintf(o->text, o->textsz, fmt, ap);
	va_end(ap);
	if (n < 0)
		o->text[0] = '\0';
	/* Truncation is fine: the line is capped by design. */
	len = strlen(o->text);
	for (i = 0; i < len; i++)
		if ((unsigned char)o->text[i] < 0x20 || o->text[i] == 0x7f)
			o->text[i] = '?';
	return code;
}

/* Only a broken Maildir is permanent; disk full, EIO and the rest are not. */
static int
dm_create_code(int e)
{
	return (e == ENOTDIR || e == EEXIST) ? DELIVER_PERM : DELIVER_TEMP;
}

static int
dm_deliver_code(int e)
{
	return e == ENOTDIR ? DELIVER_PERM : DELIVER_TEMP;
}

/* 1 if s is at most max octets and holds no control byte. */
static int
dm_text_ok(const char *s, size_t max)
{
	size_t	i;

	for (i = 0; s[i] != '\0'; i++)
		if (i >= max || (unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 0;
	return 1;
}

static int
dm_check(const struct delivery *d, struct dm_out *o)
{
	if (d->sender == NULL || d->rcpt == NULL || d->id == NULL ||
	    d->maildir == NULL)
		return dm_result(o, DELIVER_TEMP, "missing delivery values");
	if (!queueid_valid(d->id))
		return dm_result(o, DELIVER_PERM, "invalid queue id");
	if (!queue_value_ok(d->sender, strlen(d->sender)))
		return dm_result(o, DELIVER_PERM, "invalid sender address");
	if (d->rcpt[0] == '\0' || !queue_value_ok(d->rcpt, strlen(d->rcpt)))
		return dm_result(o, DELIVER_PERM, "invalid recipient address");
	if (d->maildir[0] != '/' || !dm_text_ok(d->maildir, DELIVER_PATH_MAX))
		return dm_result(o, DELIVER_PERM, "invalid maildir path");
	return DELIVER_OK;
}

/*
 * Reads the message from msgfd into head, after what head holds already
 * (off octets), until the end of its header section, HEADER_SCAN_MAX
 * octets or EOF.  Sets *scan to how many octets belong to the header
 * section to scan.
 */
static int
dm_header_read(int msgfd, struct buf *head, size_t off, size_t *scan,
    struct dm_out *o)
{
	size_t	 got = 0, body, want;
	ssize_t	 r;
	int	 eof = 0;

	while (got < HEADER_SCAN_MAX) {
		want = HEADER_SCAN_MAX - got;
		if (want > READ_CHUNK)
			want = READ_CHUNK;
		if (buf_reserve(head, want) == -1)
			return dm_result(o, DELIVER_TEMP,
			    "out of memory reading the message");
		r = read(msgfd, head->data + head->len, want);
		if (r == -1) {
			if (errno == EINTR)
				continue;
			return dm_result(o, DELIVER_TEMP,
			    "cannot read the message: %s", strerror(errno));
		}
		if (r == 0) {
			eof = 1;
			break;
		}
		head->len += (size_t)r;
		head->data[head->len] = '\0';
		got += (size_t)r;
		if (header_section_end(head->data + off, got, &body)) {
			*scan = body;
			return DELIVER_OK;
		}
	}
	if (!eof) {
		/* Cut at the limit: the last, partial line is not scanned. */
		while (got > 0 && head->data[off + got - 1] != '\n')
			got--;
	}
	*scan = got;
	return DELIVER_OK;
}

static int
dm_maildir_create(const char *dir, struct dm_out *o)
{
	if (maildir_create(dir, 0700) == -1)
		return dm_result(o, dm_create_code(errno),
		    "cannot create maildir %s: %s", dir, strerror(errno));
	return DELIVER_OK;
}

/*
 * Checks the Maildir path; sets *exists when it is a directory already
 * (the usual case: then nothing is created unless a delivery finds tmp/
 * or new/ missing).  Creates a missing Maildir (mkdir -p, 0700).
 */
static int
dm_maildir_check(const char *dir, int *exists, struct dm_out *o)
{
	struct stat	st;

	*exists = 0;
	if (stat(dir, &st) == 0) {
		if (!S_ISDIR(st.st_mode))
			return dm_result(o, DELIVER_PERM, "maildir path exists "
			    "and is not a directory: %s", dir);
		*exists = 1;
		return DELIVER_OK;
	} else if (errno == ENOTDIR) {
		return dm_result(o, DELIVER_PERM, "a parent of the maildir "
		    "path is not a directory: %s", dir);
	} else if (errno != ENOENT) {
		return dm_result(o, DELIVER_TEMP, "cannot stat maildir %s: %s",
		    dir, strerror(errno));
	}
	return dm_maildir_create(dir, o);
}

static int
dm_run(const struct delivery *d, int msgfd, struct buf *head,
    struct dm_out *o)
{
	struct maildir_put put;
	struct stat	 st;
	size_t		 prefix, scan = 0, size;
	off_t		 start;
	char		 name[MAILDIR_NAME_MAX + 1], qname[MAILDIR_NAME_MAX + 1];
	int		 code, exists, r, already = 0;

	if ((code = dm_check(d, o)) != DELIVER_OK)
		return code;
	if (getuid() == 0 || geteuid() == 0)
		return dm_result(o, DELIVER_PERM, "refusing to deliver as root");
	if (fstat(msgfd, &st) == -1 ||
	    !(S_ISREG(st.st_mode) || S_ISFIFO(st.st_mode)))
		return dm_result(o, DELIVER_TEMP, "no message to deliver");
	if (buf_printf(head, "Return-Path: <%s>\nDelivered-To: %s\n",
	    d->sender, d->rcpt) == -1)
		return dm_result(o, DELIVER_TEMP, "out of memory");
	prefix = head->len;
	if ((code = dm_header_read(msgfd, head, prefix, &scan, o)) !=
	    DELIVER_OK)
		return code;
	if (header_count_value(head->data + prefix, scan, "Delivered-To",
	    d->rcpt) > 0)
		return dm_result(o, DELIVER_PERM,
		    "mail loop: already delivered to %s", d->rcpt);
	if ((code = dm_maildir_check(d->maildir, &exists, o)) != DELIVER_OK)
		return code;
	/* A pipe cannot be read twice: complete the Maildir first. */
	if ((start = lseek(msgfd, 0, SEEK_CUR)) == -1 && exists &&
	    (code = dm_maildir_create(d->maildir, o)) != DELIVER_OK)
		return code;
	/* one name at every attempt: a second one after a lost result finds it */
	if (maildir_queue_name(qname, sizeof(qname), d->id, d->rcpt) == -1)
		return dm_result(o, DELIVER_TEMP, "cannot name the file: %s",
		    strerror(errno));
	memset(&put, 0, sizeof(put));
	put.name = qname;
	put.check = d->check;
	put.gsync = d->gsync;
	put.window_ms = d->window_ms;
	/* The rest of the message follows what head already holds. */
	r = maildir_deliver_put(d->maildir, &put, head->data, head->len, msgfd,
	    name, sizeof(name), &size, &already);
	if (r == -1 && errno == ENOENT && exists && start != -1) {
		/* tmp/ or new/ missing: complete the Maildir, try once more */
		if ((code = dm_maildir_create(d->maildir, o)) != DELIVER_OK)
			return code;
		if (lseek(msgfd, start, SEEK_SET) == -1)
			return dm_result(o, DELIVER_TEMP, "cannot rewind the "
			    "message: %s", strerror(errno));
		r = maildir_deliver_put(d->maildir, &put, head->data,
		    head->len, msgfd, name, sizeof(name), &size, &already);
	}
	if (r == -1)
		return dm_result(o, dm_deliver_code(errno),
		    "cannot deliver to maildir %s: %s", d->maildir,
		    strerror(errno));
	if (already)
		return dm_result(o, DELIVER_OK, "already delivered to maildir "
		    "as %s", name);
	return dm_result(o, DELIVER_OK, "delivered to maildir");
}

int
deliver_maildir(const struct delivery *d, int msgfd, char *text,
    size_t textsz)
{
	struct dm_out	 o = { text, textsz };
	struct buf	 head;
	int		 code;

	if (textsz > 0)
		text[0] = '\0';
	buf_init(&head, HEADER_SCAN_MAX + 2 * QUEUE_ADDR_MAX + 64);
	code = dm_run(d, msgfd, &head, &o);
	buf_free(&head);
	return code;
}

int
deliver_report(int fd, const char *text)
{
	char	line[DELIVER_TEXT_MAX + 2];
	size_t	len;

	len = strlcpy(line, text, sizeof(line) - 1);
	if (len > sizeof(line) - 2)
		len = sizeof(line) - 2;
	line[len++] = '\n';
	return fd_write_full(fd, line, len) == -1 ? -1 : 0;
}
