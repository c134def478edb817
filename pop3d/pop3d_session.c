/*
 * pop3d_session: the start of pop3session in the session process that
 * lib/login_split has forked from the monitor and dropped to the mailbox
 * owner.  It execs program_dir/pop3session with the connection to the
 * login process on fds 0 and 1 and the settings the session needs on its
 * command line, so that the session keeps none of the monitor's pages:
 * no OpenSSL, PAM or crypt(3) mapping, no configuration or TLS material
 * on its heap.
 */
#include <sys/types.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "fdio.h"
#include "log.h"
#include "pop3d.h"
#include "users.h"

extern char **environ;

/* Marks every descriptor from 3 up close-on-exec (or closes them). */
static void
pop3_session_fds(void)
{
#ifdef CLOSE_RANGE_CLOEXEC
	if (close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) == 0)
		return;
#endif
	(void)close_range(3, ~0U, 0);
}

int
pop3_session_exec(const struct conf *conf, const struct user_entry *u,
    int fd, void *arg)
{
	const struct login_opts	*opts = arg;
	static const char	 no[] = "-ERR [SYS/TEMP] cannot start the "
				    "session\r\n";
	char			 path[PATH_MAX], flags[8];
	char			 limit[24], timeout[24];
	char			*argv[14];
	int			 n = 0, r;

	r = snprintf(path, sizeof(path), "%s/pop3session",
	    conf_str(conf, "program_dir"));
	if (r < 0 || (size_t)r >= sizeof(path)) {
		log_warnx("program_dir too long");
		(void)fd_write_full(fd, no, sizeof(no) - 1);
		return 111;
	}
	(void)snprintf(flags, sizeof(flags), "-%s%s%s",
	    opts->debug ? "d" : "", conf_bool(conf, "log_debug") ? "D" : "",
	    conf_bool(conf, "pop3_mark_seen") ? "S" : "");
	(void)snprintf(limit, sizeof(limit), "%lld",
	    conf_int(conf, "pop3_error_limit"));
	(void)snprintf(timeout, sizeof(timeout), "%lld",
	    conf_int(conf, "pop3_timeout"));
	argv[n++] = "pop3session";
	if (flags[1] != '\0')
		argv[n++] = flags;
	argv[n++] = "-e";
	argv[n++] = limit;
	argv[n++] = "-t";
	argv[n++] = timeout;
	argv[n++] = "-s";
	argv[n++] = (char *)conf_str(conf, "sandbox");
	argv[n++] = "--";
	argv[n++] = (char *)u->name;
	argv[n++] = (char *)u->home;
	argv[n++] = (char *)conf_str(conf, "maildir");
	argv[n] = NULL;
	if (dup2(fd, 0) == -1 || dup2(fd, 1) == -1) {
		log_warn("session for %s: dup2", u->name);
		(void)fd_write_full(fd, no, sizeof(no) - 1);
		return 111;
	}
	pop3_session_fds();
	(void)execve(path, argv, environ);
	log_warn("session for %s: exec %s", u->name, path);
	(void)fd_write_full(1, no, sizeof(no) - 1);
	return 111;
}
