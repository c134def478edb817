/*
 * imapd_session: the start of imapsession in the session process that
 * lib/login/login_split has forked from the monitor and dropped to the
 * mailbox owner.  It execs program_dir/imapsession with the connection to
 * the login process on fds 0 and 1 and the settings the session needs on
 * its command line, so that the session keeps none of the monitor's
 * pages: no OpenSSL, PAM or crypt(3) mapping, no configuration or TLS
 * material on its heap.
 */
#include <sys/types.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "child.h"
#include "conf.h"
#include "fdio.h"
#include "imapd.h"
#include "log.h"
#include "users.h"

extern char **environ;

static void
imap_session_num(char *out, size_t n, const struct conf *conf,
    const char *key)
{
	(void)snprintf(out, n, "%lld", conf_int(conf, key));
}

int
imap_session_exec(const struct conf *conf, const struct user_entry *u,
    int fd, void *arg)
{
	const struct login_opts	*opts = arg;
	static const char	 no[] = "* BYE [UNAVAILABLE] cannot start the "
				    "session\r\n";
	char			 path[PATH_MAX], flags[8];
	char			 limit[24], timeout[24], line[24], lit[24];
	char			 append[24];
	char			*argv[24];
	int			 n = 0, r, fds[3];

	r = snprintf(path, sizeof(path), "%s/imapsession",
	    conf_str(conf, "program_dir"));
	if (r < 0 || (size_t)r >= sizeof(path)) {
		log_warnx("program_dir too long");
		(void)fd_write_full(fd, no, sizeof(no) - 1);
		return 111;
	}
	(void)snprintf(flags, sizeof(flags), "-%s%s%s%s",
	    opts->debug ? "d" : "", conf_bool(conf, "log_debug") ? "D" : "",
	    conf_bool(conf, "imap_literal_plus") ? "" : "m",
	    conf_bool(conf, "imap_special_use_folders") ? "S" : "");
	imap_session_num(limit, sizeof(limit), conf, "imap_error_limit");
	imap_session_num(timeout, sizeof(timeout), conf, "imap_timeout");
	imap_session_num(line, sizeof(line), conf, "imap_line_max");
	imap_session_num(lit, sizeof(lit), conf, "imap_literal_max");
	imap_session_num(append, sizeof(append), conf, "imap_append_limit");
	argv[n++] = "imapsession";
	if (flags[1] != '\0')
		argv[n++] = flags;
	argv[n++] = "-e";
	argv[n++] = limit;
	argv[n++] = "-t";
	argv[n++] = timeout;
	argv[n++] = "-l";
	argv[n++] = line;
	argv[n++] = "-L";
	argv[n++] = lit;
	argv[n++] = "-A";
	argv[n++] = append;
	argv[n++] = "-s";
	argv[n++] = (char *)conf_str(conf, "sandbox");
	argv[n++] = "--";
	argv[n++] = (char *)u->name;
	argv[n++] = (char *)u->home;
	argv[n++] = (char *)conf_str(conf, "maildir");
	argv[n] = NULL;
	/* The relay on 0 and 1, the log on 2; nothing else goes along. */
	fds[0] = fds[1] = fd;
	fds[2] = 2;
	if (child_fds(fds, 3) == -1) {
		log_warn("session for %s: descriptors", u->name);
		(void)fd_write_full(fd, no, sizeof(no) - 1);
		return 111;
	}
	log_reopen();
	(void)execve(path, argv, environ);
	log_warn("session for %s: exec %s", u->name, path);
	(void)fd_write_full(1, no, sizeof(no) - 1);
	return 111;
}
