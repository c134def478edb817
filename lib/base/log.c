/*
 * log: one place for every log line.  Lines go to syslog (LOG_MAIL) or,
 * in the foreground, to stderr with the program name, and to a log file
 * (instead of syslog) once one is open.  Control bytes are replaced
 * before anything is written.
 *
 * Trust: every argument may come from the network: control bytes are
 * replaced before a line is written.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

#define LOG_LINE_MAX	2048
#define LOG_TAG_MAX	64	/* "facteur/<progname>" */
#define LOG_HOST_MAX	256

static const char	*log_prog = "facteur";
static char		 log_tag[LOG_TAG_MAX] = "facteur";
static int		 log_stderr = 1;
static int		 log_debug_on;
static int		 log_tee;

/* The log file: its descriptor and what it must still be. */
static int		 log_fd = -1;
static dev_t		 log_dev;
static ino_t		 log_ino;
static char		 log_host[LOG_HOST_MAX] = "localhost";

static int	log_file_same(void);

/* "facteur/<prog>", cut to fit. */
static void
log_tag_make(char *out, size_t n, const char *prog)
{
	(void)snprintf(out, n, "facteur/%s", prog);
}

void
log_init(const char *progname, int to_stderr)
{
	log_prog = progname;
	log_stderr = to_stderr;
	log_tag_make(log_tag, sizeof(log_tag), progname);
	/*
	 * Load the time zone now: syslog(3) wants it for its time stamps,
	 * and after a chroot /etc/localtime is out of reach (each forked
	 * child would also read it again).
	 */
	tzset();
	if (!to_stderr)
		openlog(log_tag, LOG_PID | LOG_NDELAY, LOG_MAIL);
}

void
log_reopen(void)
{
	if (log_stderr)
		return;
	closelog();
	openlog(log_tag, LOG_PID | LOG_NDELAY, LOG_MAIL);
}

/* 1 if the file open on fd may take lines (see log_file_open). */
static int
log_file_ok(int fd, long long owner_uid, struct stat *sb)
{
	if (fstat(fd, sb) == -1)
		return 0;
	if (!S_ISREG(sb->st_mode) || sb->st_nlink != 1 ||
	    (sb->st_mode & (S_IWGRP | S_IWOTH)) != 0) {
		errno = EPERM;
		return 0;
	}
	if (owner_uid != LOG_OWNER_ANY && sb->st_uid != 0 && (owner_uid < 0 ||
	    (long long)sb->st_uid != owner_uid) && sb->st_uid != geteuid()) {
		errno = EPERM;
		return 0;
	}
	return 1;
}

int
log_file_open(const char *path, const char *host, long long owner_uid)
{
	struct stat	 sb;
	int		 fd, saved;

	if (path == NULL || path[0] != '/') {
		errno = EINVAL;
		return -1;
	}
	if ((fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC | O_NOFOLLOW |
	    O_NOCTTY | O_NONBLOCK)) == -1)
		return -1;
	if (!log_file_ok(fd, owner_uid, &sb)) {
		saved = errno;
		(void)close(fd);
		errno = saved;
		return -1;
	}
	if (log_fd != -1 && log_fd != fd)
		(void)close(log_fd);
	log_fd = fd;
	log_dev = sb.st_dev;
	log_ino = sb.st_ino;
	if (host != NULL && host[0] != '\0')
		log_sanitize(log_host, host, sizeof(log_host));
	/* a host name with a blank would shift pflogsumm's fields */
	for (saved = 0; log_host[saved] != '\0'; saved++)
		if (log_host[saved] == ' ')
			log_host[saved] = '_';
	return 0;
}

int
log_file_create(const char *path, long long uid, long long gid)
{
	int	 fd, saved;

	if (path == NULL || path[0] != '/') {
		errno = EINVAL;
		return -1;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW |
	    O_NOCTTY, 0640);
	if (fd == -1)
		return errno == EEXIST ? 0 : -1;
	if (geteuid() == 0 && fchown(fd, (uid_t)uid, (gid_t)gid) == -1) {
		saved = errno;
		(void)close(fd);
		(void)unlink(path);
		errno = saved;
		return -1;
	}
	return close(fd);
}

int
log_file_active(void)
{
	return log_fd != -1;
}

int
log_file_fd(void)
{
	return log_file_same() ? log_fd : -1;
}

void
log_file_moved(int fd)
{
	log_fd = fd;
	if (!log_file_same())
		log_fd = -1;
}

/* 1 if log_fd is still the file log_file_open checked. */
static int
log_file_same(void)
{
	struct stat	 sb;

	if (log_fd == -1)
		return 0;
	if (fstat(log_fd, &sb) == -1 || sb.st_dev != log_dev ||
	    sb.st_ino != log_ino) {
		/* closed, or the number now names another file: never ours */
		log_fd = -1;
		return 0;
	}
	return 1;
}

/* One line into the log file; 0, or -1 (then lines go elsewhere). */
static int
log_file_write(const char *tag, const char *line)
{
	char		 out[LOG_LINE_MAX + LOG_HOST_MAX + LOG_TAG_MAX + 96];
	char		 stamp[64], zone[16];
	struct timespec	 ts;
	struct tm	 tm;
	long		 off;
	int		 n;

	if (!log_file_same())
		return -1;
	if (clock_gettime(CLOCK_REALTIME, &ts) == -1 ||
	    localtime_r(&ts.tv_sec, &tm) == NULL ||
	    strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm) == 0)
		return -1;
	/* UTC offsets are within a day */
	off = (tm.tm_gmtoff / 60) % (24 * 60);
	(void)snprintf(zone, sizeof(zone), "%c%02d:%02d", off < 0 ? '-' :
	    '+', (int)((off < 0 ? -off : off) / 60),
	    (int)((off < 0 ? -off : off) % 60));
	n = snprintf(out, sizeof(out), "%s.%06ld%s %s %s[%ld]: %s\n", stamp,
	    ts.tv_nsec / 1000, zone, log_host, tag, (long)getpid(), line);
	if (n < 0)
		return -1;
	if ((size_t)n >= sizeof(out)) {
		n = (int)sizeof(out) - 1;
		out[n - 1] = '\n';
	}
	if (write(log_fd, out, (size_t)n) != n) {
		log_fd = -1;
		return -1;
	}
	return 0;
}

void
log_set_debug(int on)
{
	log_debug_on = on;
}

void
log_tee_stderr(int on)
{
	log_tee = on;
}

/* One line to descriptor 2 if it takes it now (at most PIPE_BUF octets). */
static void
log_tee_write(const char *line)
{
	struct pollfd	 pfd = { .fd = STDERR_FILENO, .events = POLLOUT };
	char		 out[LOG_LINE_MAX + 64];
	int		 n;

	if (poll(&pfd, 1, 0) != 1 || (pfd.revents & POLLOUT) == 0)
		return;
	n = snprintf(out, sizeof(out), "%s: %s\n", log_prog, line);
	if (n > 0 && (size_t)n >= sizeof(out)) {
		n = (int)sizeof(out) - 1;
		out[n - 1] = '\n';
	}
	if (n > 0 && write(STDERR_FILENO, out, (size_t)n) == -1) {
		/* the caller's loss */
	}
}

void
log_sanitize(char *dst, const char *src, size_t n)
{
	size_t	 i;

	if (n == 0)
		return;
	for (i = 0; i + 1 < n && src[i] != '\0'; i++) {
		unsigned char c = (unsigned char)src[i];
		dst[i] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
	}
	dst[i] = '\0';
}

static void
log_emit_as(const char *prog, int pri, const char *fmt, va_list ap,
    const char *suffix)
{
	char	 raw[LOG_LINE_MAX], line[LOG_LINE_MAX], tag[LOG_TAG_MAX];
	int	 saved = errno, filed;

	if (vsnprintf(raw, sizeof(raw), fmt, ap) < 0)
		(void)strlcpy(raw, "(unformattable log message)", sizeof(raw));
	if (suffix != NULL) {
		(void)strlcat(raw, ": ", sizeof(raw));
		(void)strlcat(raw, suffix, sizeof(raw));
	}
	log_sanitize(line, raw, sizeof(line));
	if (prog != NULL)
		log_tag_make(tag, sizeof(tag), prog);
	else
		(void)strlcpy(tag, log_tag, sizeof(tag));
	filed = log_file_write(tag, line) == 0;
	if (log_stderr) {
		char	out[LOG_LINE_MAX + 64];
		int	n;

		/* One write per line: no stdio, and lines stay whole. */
		n = snprintf(out, sizeof(out), "%s[%ld]: %s\n",
		    prog != NULL ? prog : log_prog, (long)getpid(), line);
		if (n > 0 && (size_t)n >= sizeof(out)) {
			n = (int)sizeof(out) - 1;
			out[n - 1] = '\n';
		}
		if (n > 0 && write(STDERR_FILENO, out, (size_t)n) == -1) {
			/* nowhere left to report it */
		}
	} else {
		if (!filed && prog != NULL) {
			/* syslog's tag is openlog's: this line's, then ours */
			closelog();
			openlog(tag, LOG_PID | LOG_NDELAY, LOG_MAIL);
			syslog(pri, "%s", line);
			closelog();
			openlog(log_tag, LOG_PID | LOG_NDELAY, LOG_MAIL);
		} else if (!filed)
			syslog(pri, "%s", line);
		if (log_tee && pri <= LOG_WARNING)
			log_tee_write(line);
	}
	errno = saved;
}

static void
log_emit(int pri, const char *fmt, va_list ap, const char *suffix)
{
	log_emit_as(NULL, pri, fmt, ap, suffix);
}

void
log_info_as(const char *prog, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_emit_as(prog, LOG_INFO, fmt, ap, NULL);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list	 ap;

	if (!log_debug_on)
		return;
	va_start(ap, fmt);
	log_emit(LOG_DEBUG, fmt, ap, NULL);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_emit(LOG_INFO, fmt, ap, NULL);
	va_end(ap);
}

void
log_warnx(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_emit(LOG_WARNING, fmt, ap, NULL);
	va_end(ap);
}

void
log_warn(const char *fmt, ...)
{
	va_list	 ap;
	const char *e = strerror(errno);

	va_start(ap, fmt);
	log_emit(LOG_WARNING, fmt, ap, e);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	va_list	 ap;
	const char *e = strerror(errno);

	va_start(ap, fmt);
	log_emit(LOG_CRIT, fmt, ap, e);
	va_end(ap);
	exit(111);
}

void
fatalx(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_emit(LOG_CRIT, fmt, ap, NULL);
	va_end(ap);
	exit(111);
}
