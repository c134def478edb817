/*
 * log: syslog (LOG_MAIL) by default, stderr when log_init(..., 1).
 * Every byte below 0x20 or equal to 0x7f in a formatted message is
 * replaced with '?' before it is written, so nothing from the network
 * can add a line to the log.  Lines for one message start with its queue
 * ID: log_info("%s: from=<%s>, size=%zu, nrcpt=%d", id, ...).
 *
 * Trust: see log.c.
 */
#ifndef FACTEUR_LOG_H
#define FACTEUR_LOG_H

void	log_init(const char *progname, int to_stderr);
/*
 * Opens the syslog connection again, as log_init did (for a child that
 * closed every descriptor); the time zone stays loaded.
 */
void	log_reopen(void);
void	log_set_debug(int on);
/*
 * With syslog: also write warnings and worse to descriptor 2, as
 * "progname: line", for a program whose caller should see why it
 * failed (enqueue).  A line is dropped rather than waited for when
 * descriptor 2 cannot take it at once (a caller that never reads).
 */
void	log_tee_stderr(int on);
void	log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_warnx(const char *, ...) __attribute__((format(printf, 1, 2)));
/* log_warn appends ": strerror(errno)". */
void	log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
/* Setup failures and can't-happen states only; exit(111) (temporary). */
void	fatal(const char *, ...)
	    __attribute__((format(printf, 1, 2), noreturn));
void	fatalx(const char *, ...)
	    __attribute__((format(printf, 1, 2), noreturn));
/* Copies src into dst (size n) replacing control bytes with '?'. */
void	log_sanitize(char *dst, const char *src, size_t n);

#endif
