/*
 * conf_log: opening and making the log file that log_file names
 * (conf_log.h).
 *
 * Trust: the configuration (checked by conf.c); the file itself is
 * checked by lib/base/log.c before a line goes into it.
 */
#include <errno.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include "conf_log.h"
#include "log.h"
#include "priv.h"

int
conf_log_open(const struct conf *c)
{
	const char	*path = conf_str(c, "log_file");
	uid_t		 uid;
	gid_t		 gid;
	long long	 owner = -1;

	if (path[0] == '\0')
		return 0;
	if (priv_lookup(conf_str(c, "queue_user"), &uid, &gid) == 0)
		owner = (long long)uid;
	if (log_file_open(path, conf_myhostname(c), owner) == -1) {
		log_warn("log_file %s: cannot write to it; logging as before",
		    path);
		return -1;
	}
	return 0;
}

int
conf_log_create(const struct conf *c)
{
	const char	*path = conf_str(c, "log_file");
	uid_t		 uid;
	gid_t		 gid;

	if (path[0] == '\0')
		return 0;
	if (path[0] != '/') {
		log_warnx("log_file %s: not an absolute path", path);
		return -1;
	}
	if (priv_lookup(conf_str(c, "queue_user"), &uid, &gid) == -1) {
		uid = geteuid();
		gid = getegid();
	}
	if (log_file_create(path, (long long)uid, (long long)gid) == -1) {
		log_warn("log_file %s: cannot make it", path);
		return -1;
	}
	return 0;
}
