/*
 * log: syslog (LOG_MAIL) by default, stderr when log_init(..., 1), and
 * a log file instead of syslog once log_file_open() opened one (the
 * log_file key).  Every byte below 0x20 or equal to 0x7f in a formatted
 * message is replaced with '?' before it is written, so nothing from the
 * network can add a line to the log.  Lines for one message start with
 * its queue ID: log_info("%s: from=<%s>, size=%zu, nrcpt=%d", id, ...).
 *
 * Syslog's tag and the log file's are "facteur/<progname>[pid]", as
 * Postfix writes "postfix/smtpd[pid]", so that pflogsumm --syslog-name=
 * facteur reads the lines; a log file line is
 *
 *   2026-12-07T10:11:12.123456+01:00 HOST facteur/queued[123]: TEXT
 *
 * (RFC 3339 time, as rsyslog writes it), one write(2) per line on a
 * descriptor opened O_APPEND, so lines of several processes never mix.
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
/*
 * Writes the lines to the file at path from now on (and in this
 * process's forked children, which keep the descriptor), with host in
 * each line.  The file must exist (log_file_create makes it), be a
 * regular file with one link, that only its owner may write, owned by
 * root or by owner_uid (the queue's owner, whose set-uid enqueue writes
 * it too).  0, or -1 with errno, and the lines stay where they went.
 * Before each line the descriptor is checked to be that file still (a
 * child that closed its descriptors never writes into another file);
 * if not, or if a write fails, lines go back to syslog (or stderr).
 */
int	log_file_open(const char *path, const char *host, long long owner_uid);
/* owner_uid for a process that cannot look the queue's owner up */
#define LOG_OWNER_ANY	(-2LL)
/*
 * As root (the master and queued, before they open it): makes the file
 * when it is missing, mode 0640, owned by uid:gid.  0, or -1 with errno.
 */
int	log_file_create(const char *path, long long uid, long long gid);
/* 1 while lines go to a log file. */
int	log_file_active(void);
/*
 * The log file's descriptor (-1: none), and where it was moved to by a
 * child that laid out its descriptors (lib/ipc/child.c, child_fds).
 */
int	log_file_fd(void);
void	log_file_moved(int fd);
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
/*
 * An info line under another program name ("facteur/<prog>"): enqueue
 * writes the line of a local submission as Postfix's pickup does, which
 * pflogsumm counts as a message received.
 */
void	log_info_as(const char *prog, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
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
