/*
 * log: one place for every log line.  Lines go to syslog (LOG_MAIL) or,
 * in the foreground, to stderr with the program name.  Control bytes are
 * replaced before anything is written.
 *
 * Trust: every argument may come from the network: control bytes are
 * replaced before a line is written.
 */
#include <errno.h>
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

static const char	*log_prog = "facteur";
static int		 log_stderr = 1;
static int		 log_debug_on;
static int		 log_tee;

void
log_init(const char *progname, int to_stderr)
{
	log_prog = progname;
	log_stderr = to_stderr;
	/*
	 * Load the time zone now: syslog(3) wants it for its time stamps,
	 * and after a chroot /etc/localtime is out of reach (each forked
	 * child would also read it again).
	 */
	tzset();
	if (!to_stderr)
		openlog(progname, LOG_PID | LOG_NDELAY, LOG_MAIL);
}

void
log_reopen(void)
{
	if (log_stderr)
		return;
	closelog();
	openlog(log_prog, LOG_PID | LOG_NDELAY, LOG_MAIL);
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
log_emit(int pri, const char *fmt, va_list ap, const char *suffix)
{
	char	 raw[LOG_LINE_MAX], line[LOG_LINE_MAX];
	int	 saved = errno;

	if (vsnprintf(raw, sizeof(raw), fmt, ap) < 0)
		(void)strlcpy(raw, "(unformattable log message)", sizeof(raw));
	if (suffix != NULL) {
		(void)strlcat(raw, ": ", sizeof(raw));
		(void)strlcat(raw, suffix, sizeof(raw));
	}
	log_sanitize(line, raw, sizeof(line));
	if (log_stderr) {
		char	out[LOG_LINE_MAX + 64];
		int	n;

		/* One write per line: no stdio, and lines stay whole. */
		n = snprintf(out, sizeof(out), "%s[%ld]: %s\n", log_prog,
		    (long)getpid(), line);
		if (n > 0 && (size_t)n >= sizeof(out)) {
			n = (int)sizeof(out) - 1;
			out[n - 1] = '\n';
		}
		if (n > 0 && write(STDERR_FILENO, out, (size_t)n) == -1) {
			/* nowhere left to report it */
		}
	} else {
		syslog(pri, "%s", line);
		if (log_tee && pri <= LOG_WARNING)
			log_tee_write(line);
	}
	errno = saved;
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
