/*
 * libFuzzer target for imapsession as a whole: the input is what a
 * logged-in client sends, run through imap_session_loop against a copy
 * of a small Maildir++ (plain and multipart messages, a folder, flags),
 * so that every command's argument parser (SELECT, FETCH items and
 * sections, STORE flags, SEARCH keys, LIST patterns, APPEND, COPY, ...)
 * and every handler meets the bytes.  Checks, besides the sanitizers:
 * nothing is created outside the Maildir's directory.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "imapsession.h"
#include "log.h"

const char imap_server_id[] = "facteur-fuzz";

static char	 base[64];	/* holds home/ only */
static char	 tmpl[PATH_MAX], home[PATH_MAX];

static ssize_t
fz_read(void *ctx, void *p, size_t n)
{
	size_t	*left = ((size_t **)ctx)[0];
	const uint8_t *in = ((const uint8_t **)ctx)[1];
	size_t	 total = *((size_t **)ctx)[2];

	if (n > *left)
		n = *left;
	memcpy(p, in + (total - *left), n);
	*left -= n;
	return (ssize_t)n;
}

static ssize_t
fz_write(void *ctx, const void *p, size_t n)
{
	(void)ctx;
	(void)p;
	return (ssize_t)n;
}

static int
fz_pending(void *ctx)
{
	(void)ctx;
	return 1;
}

static void
put(const char *dir, const char *name, const char *text)
{
	char	 p[PATH_MAX];
	FILE	*f;

	(void)snprintf(p, sizeof(p), "%s/%s", dir, name);
	if ((f = fopen(p, "w")) == NULL)
		abort();
	fputs(text, f);
	fclose(f);
}

/* The tree under home/ goes: files and directories, deepest first. */
static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path) == -1 ? -1 : 0;
}

/* At exit (libFuzzer's end, a crash's report): the base goes. */
static void
cleanup(void)
{
	if (base[0] != '\0')
		(void)nftw(base, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void
setup(void)
{
	char	 p[PATH_MAX];

	/* On tmpfs when there is one: the session fsyncs what it writes. */
	(void)strlcpy(base, "/dev/shm/facteur-fuzz-XXXXXX", sizeof(base));
	if (mkdtemp(base) == NULL) {
		(void)strlcpy(base, "/tmp/facteur-fuzz-XXXXXX", sizeof(base));
		if (mkdtemp(base) == NULL)
			abort();
	}
	if (atexit(cleanup) != 0)
		abort();
	(void)snprintf(tmpl, sizeof(tmpl), "%s/tmpl", base);
	(void)snprintf(home, sizeof(home), "%s/home", base);
	(void)snprintf(p, sizeof(p), "mkdir -p %s/Maildir/cur %s/Maildir/new "
	    "%s/Maildir/tmp %s/Maildir/.Work/cur %s/Maildir/.Work/new "
	    "%s/Maildir/.Work/tmp", tmpl, tmpl, tmpl, tmpl, tmpl, tmpl);
	if (system(p) != 0)
		abort();
	(void)snprintf(p, sizeof(p), "%s/Maildir/cur", tmpl);
	put(p, "1600000001.M1P1.f:2,S", "From: A <a@b.c>\nTo: d@e.f\n"
	    "Subject: =?utf-8?q?caf=C3=A9?=\nDate: Tue, 1 Dec 2026 10:00:00 "
	    "+0100\n\nplain body\n");
	put(p, "1600000002.M1P1.f:2,Fa", "Subject: multi\nMIME-Version: 1.0\n"
	    "Content-Type: multipart/mixed; boundary=X\n\n--X\n"
	    "Content-Type: text/plain; charset=iso-8859-1\n"
	    "Content-Transfer-Encoding: quoted-printable\n\ncaf=E9\n--X\n"
	    "Content-Type: message/rfc822\n\nSubject: inner\n\ninner body\n"
	    "--X\nContent-Transfer-Encoding: base64\n\nAAEC\n--X--\n");
	(void)snprintf(p, sizeof(p), "%s/Maildir/new", tmpl);
	put(p, "1600000003.M1P1.f", "Subject: new\n\nnew\n");
	(void)snprintf(p, sizeof(p), "%s/Maildir", tmpl);
	put(p, "facteur-keywords", "$Junk");
}

static const char	*copy_from, *copy_to;

/* One entry of tmpl/ again under home/ (directories before their files). */
static int
cp_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	struct timespec	 ts[2];
	char		 to[PATH_MAX], buf[4096];
	ssize_t		 got;
	int		 in, out;

	(void)ftw;
	if (snprintf(to, sizeof(to), "%s%s", copy_to,
	    path + strlen(copy_from)) >= (int)sizeof(to))
		return -1;
	if (flag == FTW_D)
		return mkdir(to, st->st_mode & 07777) == -1 ? -1 : 0;
	if (flag != FTW_F)
		return -1;
	if ((in = open(path, O_RDONLY)) == -1)
		return -1;
	if ((out = open(to, O_WRONLY | O_CREAT | O_EXCL, st->st_mode &
	    07777)) == -1) {
		(void)close(in);
		return -1;
	}
	while ((got = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)got) != got)
			got = -1;
	(void)close(in);
	if (close(out) == -1 || got != 0)
		return -1;
	/* the internal date is the file's time, as cp -a kept it */
	ts[0] = st->st_atim;
	ts[1] = st->st_mtim;
	return utimensat(AT_FDCWD, to, ts, 0) == -1 ? -1 : 0;
}

/* home/ as tmpl/ was made: no process started, so a run costs little. */
static void
reset_home(void)
{
	struct stat	 st;

	if (lstat(home, &st) == 0 &&
	    nftw(home, rm_one, 16, FTW_DEPTH | FTW_PHYS) != 0)
		abort();
	copy_from = tmpl;
	copy_to = home;
	if (nftw(tmpl, cp_one, 16, FTW_PHYS) != 0)
		abort();
}

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
	static int		 devnull = -1;
	struct imap_session	 s;
	struct line_transport	 tr;
	size_t			 left = n, total = n;
	const void		*ctx[3];
	char			 dir[PATH_MAX];
	DIR			*d;
	struct dirent		*de;

	if (devnull == -1) {
		if ((devnull = open("/dev/null", O_RDWR)) == -1)
			abort();
		log_init("fuzz", 0);
		setup();
	}
	reset_home();
	memset(&s, 0, sizeof(s));
	s.box.dirfd = s.box.ifd = -1;
	s.user = "fuzz";
	s.error_limit = 50;
	s.timeout_s = 1;
	s.append_max = 4096;
	s.state = IMAP_AUTH;
	(void)snprintf(dir, sizeof(dir), "%s/Maildir", home);
	if ((s.root = strdup(dir)) == NULL ||
	    (s.rootfd = open(dir, O_RDONLY | O_DIRECTORY)) == -1)
		abort();
	ctx[0] = &left;
	ctx[1] = data;
	ctx[2] = &total;
	lineio_init(&s.io, devnull, devnull, 1000);
	tr.read = fz_read;
	tr.write = fz_write;
	tr.pending = fz_pending;
	tr.ctx = ctx;
	lineio_set_transport(&s.io, &tr);
	buf_init(&s.out, 1 << 24);
	s.rd.io = &s.io;
	s.rd.line_max = 1024;
	s.rd.literal_max = 1024;
	s.rd.append_max = 4096;
	s.rd.cmd_max = 8192;
	s.rd.spool = append_spool;
	s.rd.spool_arg = &s;
	if (imap_read_init(&s.rd) == -1 ||
	    imap_command_init(&s.cmd, IMAP_ARGS_MAX + 1) == -1)
		abort();
	(void)imap_session_loop(&s);
	select_close(&s);
	imap_seq_free(&s.saved);
	imap_read_free(&s.rd);
	imap_command_free(&s.cmd);
	lineio_free(&s.io);
	buf_free(&s.out);
	free(s.root);
	(void)close(s.rootfd);
	/* Only home/ and tmpl/ in the base: nothing got out. */
	if ((d = opendir(base)) == NULL)
		abort();
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0 &&
		    strcmp(de->d_name, "home") != 0 &&
		    strcmp(de->d_name, "tmpl") != 0)
			abort();
	(void)closedir(d);
	(void)snprintf(dir, sizeof(dir), "%s/home", base);
	if ((d = opendir(dir)) == NULL)
		abort();
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0 &&
		    strcmp(de->d_name, "Maildir") != 0)
			abort();
	(void)closedir(d);
	return 0;
}
