/*
 * deliver: local delivery of one queued message to one recipient's
 * Maildir.
 *
 * Started by lspawn only, already running as the recipient (uid, gid and
 * the one supplementary group set by lspawn), with the environment
 * PATH=/usr/bin:/bin and:
 *   fd 0     the message (queue_dir/msg/<id>, opened read-only by lspawn),
 *   fd 1, 2  a pipe to lspawn; the first line written is the result text.
 *   argv     deliver -f SENDER -r RECIPIENT -i QUEUEID -m MAILDIR
 *
 * It reads the header section (at most HEADER_SCAN_MAX octets) and refuses
 * the message when a Delivered-To: field already names RECIPIENT (a mail
 * loop), creates the Maildir when it is missing (0700), and writes
 * "Return-Path: <SENDER>" and "Delivered-To: RECIPIENT" followed by the
 * message byte for byte (tmp/, fsync, link into new/, fsync of new/).
 * Line endings are kept as stored.
 *
 * Exit status (qmail-local's): 0 delivered, 100 permanent failure,
 * 111 temporary failure.  It trusts its argv only after checking it
 * again (no control bytes, an absolute Maildir path, a valid queue ID);
 * it does not trust the message.  It never runs as root.
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
#include "fdio.h"
#include "header_scan.h"
#include "maildir.h"
#include "queue_env.h"
#include "queueid.h"

#define EXIT_DONE	0
#define EXIT_PERM	100
#define EXIT_TEMP	111

#define DELIVER_TEXT_MAX	500	/* octets of the result line */
#define DELIVER_PATH_MAX	4096	/* octets of the Maildir path */
#define READ_CHUNK		65536

struct delivery {
	const char	*sender;
	const char	*rcpt;
	const char	*id;
	const char	*maildir;
};

static void __attribute__((noreturn, format(printf, 2, 3)))
finish(int code, const char *fmt, ...)
{
	char	line[DELIVER_TEXT_MAX + 2];
	va_list	ap;
	int	n;
	size_t	i, len;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		len = 0;
	else if ((size_t)n >= sizeof(line) - 1)
		len = sizeof(line) - 2;
	else
		len = (size_t)n;
	for (i = 0; i < len; i++)
		if ((unsigned char)line[i] < 0x20 || line[i] == 0x7f)
			line[i] = '?';
	line[len++] = '\n';
	if (fd_write_full(STDOUT_FILENO, line, len) == -1) {
		/* lspawn is gone; the exit status still tells the outcome. */
	}
	exit(code);
}

/* Only a broken Maildir is permanent; disk full, EIO and the rest are not. */
static int
create_exit(int e)
{
	return (e == ENOTDIR || e == EEXIST) ? EXIT_PERM : EXIT_TEMP;
}

static int
deliver_exit(int e)
{
	return e == ENOTDIR ? EXIT_PERM : EXIT_TEMP;
}

/* 1 if s is at most max octets and holds no control byte. */
static int
text_ok(const char *s, size_t max)
{
	size_t	i;

	for (i = 0; s[i] != '\0'; i++)
		if (i >= max || (unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 0;
	return 1;
}

static void __attribute__((noreturn))
usage(void)
{
	finish(EXIT_TEMP, "usage: deliver -f sender -r recipient -i queueid "
	    "-m maildir");
}

static void
args_parse(int argc, char *argv[], struct delivery *d)
{
	int	ch;

	memset(d, 0, sizeof(*d));
	/* '+': no argument permutation; a value after -f is never an option. */
	while ((ch = getopt(argc, argv, "+f:r:i:m:")) != -1) {
		switch (ch) {
		case 'f':
			d->sender = optarg;
			break;
		case 'r':
			d->rcpt = optarg;
			break;
		case 'i':
			d->id = optarg;
			break;
		case 'm':
			d->maildir = optarg;
			break;
		default:
			usage();
		}
	}
	if (optind != argc || d->sender == NULL || d->rcpt == NULL ||
	    d->id == NULL || d->maildir == NULL)
		usage();
	if (!queueid_valid(d->id))
		finish(EXIT_PERM, "invalid queue id");
	if (!queue_value_ok(d->sender, strlen(d->sender)))
		finish(EXIT_PERM, "invalid sender address");
	if (d->rcpt[0] == '\0' || !queue_value_ok(d->rcpt, strlen(d->rcpt)))
		finish(EXIT_PERM, "invalid recipient address");
	if (d->maildir[0] != '/' || !text_ok(d->maildir, DELIVER_PATH_MAX))
		finish(EXIT_PERM, "invalid maildir path");
}

/*
 * Reads the message from fd 0 into head, after what head holds already,
 * until the end of its header section, HEADER_SCAN_MAX octets or EOF.
 * Returns how many octets of head belong to the header section to scan.
 */
static size_t
header_read(struct buf *head, size_t off)
{
	size_t	 got = 0, body, scan;
	ssize_t	 r;
	int	 eof = 0;

	while (got < HEADER_SCAN_MAX) {
		size_t want = HEADER_SCAN_MAX - got;
		if (want > READ_CHUNK)
			want = READ_CHUNK;
		if (buf_reserve(head, want) == -1)
			finish(EXIT_TEMP, "out of memory reading the message");
		r = read(STDIN_FILENO, head->data + head->len, want);
		if (r == -1) {
			if (errno == EINTR)
				continue;
			finish(EXIT_TEMP, "cannot read the message: %s",
			    strerror(errno));
		}
		if (r == 0) {
			eof = 1;
			break;
		}
		head->len += (size_t)r;
		head->data[head->len] = '\0';
		got += (size_t)r;
		if (header_section_end(head->data + off, got, &body))
			return body;
	}
	scan = got;
	if (!eof) {
		/* Cut at the limit: the last, partial line is not scanned. */
		while (scan > 0 && head->data[off + scan - 1] != '\n')
			scan--;
	}
	return scan;
}

static void
maildir_check(const char *dir)
{
	struct stat	st;

	if (stat(dir, &st) == 0) {
		if (!S_ISDIR(st.st_mode))
			finish(EXIT_PERM, "maildir path exists and is not a "
			    "directory: %s", dir);
	} else if (errno == ENOTDIR) {
		finish(EXIT_PERM, "a parent of the maildir path is not a "
		    "directory: %s", dir);
	} else if (errno != ENOENT) {
		finish(EXIT_TEMP, "cannot stat maildir %s: %s", dir,
		    strerror(errno));
	}
	if (maildir_create(dir, 0700) == -1)
		finish(create_exit(errno), "cannot create maildir %s: %s", dir,
		    strerror(errno));
}

int
main(int argc, char *argv[])
{
	struct delivery	 d;
	struct buf	 head;
	struct stat	 st;
	size_t		 prefix, scan, size;
	char		 name[MAILDIR_NAME_MAX + 1];

	umask(077);
	args_parse(argc, argv, &d);
	if (getuid() == 0 || geteuid() == 0)
		finish(EXIT_PERM, "refusing to deliver as root");
	if (fstat(STDIN_FILENO, &st) == -1 ||
	    !(S_ISREG(st.st_mode) || S_ISFIFO(st.st_mode)))
		finish(EXIT_TEMP, "no message on standard input");

	buf_init(&head, HEADER_SCAN_MAX + 2 * QUEUE_ADDR_MAX + 64);
	if (buf_printf(&head, "Return-Path: <%s>\nDelivered-To: %s\n",
	    d.sender, d.rcpt) == -1)
		finish(EXIT_TEMP, "out of memory");
	prefix = head.len;
	scan = header_read(&head, prefix);
	if (header_count_value(head.data + prefix, scan, "Delivered-To",
	    d.rcpt) > 0)
		finish(EXIT_PERM, "mail loop: already delivered to %s", d.rcpt);

	maildir_check(d.maildir);
	/* The rest of the message follows what head already holds. */
	if (maildir_deliver(d.maildir, head.data, head.len, STDIN_FILENO,
	    name, sizeof(name), &size) == -1)
		finish(deliver_exit(errno), "cannot deliver to maildir %s: %s",
		    d.maildir, strerror(errno));
	buf_free(&head);
	finish(EXIT_DONE, "delivered to maildir");
}
