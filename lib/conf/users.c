/*
 * users: finds a mail user in the passwd-file table (users_file) and then,
 * when allowed, in the system accounts.  Loaded tables are kept per path
 * and reloaded when the file changes, because lspawn and the POP3/IMAP
 * monitor run for days and look a user up per delivery or login.
 *
 * Trust: the users table (root's file, parsed strictly by table.c) and
 * the system's passwd database; the name asked for may be a stranger's
 * and is checked before it is looked up.
 */
#include <sys/stat.h>

#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "table.h"
#include "users.h"

#define USERS_CACHE_MAX	4		/* passwd-files kept loaded at once */
#define USERS_PWBUF_MAX	(1024 * 1024)	/* getpwnam_r buffer, at most */

struct users_cache {
	char		 path[PATH_MAX];
	dev_t		 dev;
	ino_t		 ino;
	off_t		 size;
	struct timespec	 mtime;
	struct table	*t;
	unsigned long	 used;
};

static struct users_cache	users_cache[USERS_CACHE_MAX];
static unsigned long		users_tick;
static pid_t			users_owner;	/* the process that loaded them */

/*
 * The tables' arenas are not inherited by a fork (table.c): in a child,
 * the cache's pointers lead nowhere, so it is forgotten, never touched.
 */
static void
users_cache_check_owner(void)
{
	pid_t	 me = getpid();

	if (users_owner == me)
		return;
	if (users_owner != 0) {
		explicit_bzero(users_cache, sizeof(users_cache));
		users_tick = 0;
	}
	users_owner = me;
}

static void
users_table_error(void *arg, const char *msg)
{
	(void)arg;
	log_warnx("%s", msg);
}

/* The loaded table for path, loading it if new or changed; NULL on error. */
static struct table *
users_table(const char *path)
{
	struct users_cache	*c, *victim = &users_cache[0];
	struct stat		 st;
	struct table		*t;
	size_t			 i;

	if (strlen(path) >= sizeof(users_cache[0].path)) {
		log_warnx("users: path too long");
		return NULL;
	}
	users_cache_check_owner();
	if (stat(path, &st) == -1) {
		log_warn("users: %s", path);
		return NULL;
	}
	for (i = 0; i < USERS_CACHE_MAX; i++) {
		c = &users_cache[i];
		if (c->t != NULL && strcmp(c->path, path) == 0)
			break;
		if (c->t == NULL || (victim->t != NULL && c->used < victim->used))
			victim = c;
	}
	if (i < USERS_CACHE_MAX) {
		if (c->dev == st.st_dev && c->ino == st.st_ino &&
		    c->size == st.st_size &&
		    c->mtime.tv_sec == st.st_mtim.tv_sec &&
		    c->mtime.tv_nsec == st.st_mtim.tv_nsec) {
			c->used = ++users_tick;
			return c->t;
		}
		victim = c;
	}
	/*
	 * Stat first, load second: a change made while loading leaves the
	 * old stat in the cache and is picked up on the next call.
	 */
	if ((t = table_load(path, TABLE_PASSWD, users_table_error, NULL)) == NULL)
		return NULL;
	table_free(victim->t);
	(void)strlcpy(victim->path, path, sizeof(victim->path));
	victim->dev = st.st_dev;
	victim->ino = st.st_ino;
	victim->size = st.st_size;
	victim->mtime = st.st_mtim;
	victim->t = t;
	victim->used = ++users_tick;
	return t;
}

void
users_cache_wipe(void)
{
	size_t	i;

	users_cache_check_owner();
	for (i = 0; i < USERS_CACHE_MAX; i++) {
		table_free(users_cache[i].t);	/* wipes the table's data */
		explicit_bzero(&users_cache[i], sizeof(users_cache[i]));
	}
	users_tick = 0;
}

/* Parses a decimal id (validated by table.c) or "" into *id. */
static int
users_id(const char *s, size_t n, long long *id)
{
	char		 tmp[16];
	const char	*err;

	if (n == 0) {
		*id = -1;
		return 0;
	}
	if (n >= sizeof(tmp))
		return -1;
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	*id = strtonum(tmp, 0, 4294967294LL, &err);
	return err == NULL ? 0 : -1;
}

/* Fills e from a passwd-file line; 0, or -1 if a field does not fit. */
static int
users_parse(const char *line, struct user_entry *e)
{
	const char	*f[7] = { "", "", "", "", "", "", "" };
	size_t		 fl[7] = { 0 }, nf = 0;
	const char	*q = line, *c;
	long long	 uid, gid;

	while (nf < 7) {
		c = nf < 6 ? strchr(q, ':') : NULL;
		f[nf] = q;
		fl[nf] = c == NULL ? strlen(q) : (size_t)(c - q);
		nf++;
		if (c == NULL)
			break;
		q = c + 1;
	}
	if (fl[0] > USER_NAME_MAX || fl[1] >= sizeof(e->hash) ||
	    fl[5] >= sizeof(e->home))
		return -1;
	if (users_id(f[2], fl[2], &uid) == -1 ||
	    users_id(f[3], fl[3], &gid) == -1)
		return -1;
	memset(e, 0, sizeof(*e));
	memcpy(e->name, f[0], fl[0]);
	memcpy(e->hash, f[1], fl[1]);
	memcpy(e->home, f[5], fl[5]);
	if (uid == -1 || gid == -1) {
		e->uid = (uid_t)-1;
		e->gid = (gid_t)-1;
	} else {
		e->uid = (uid_t)uid;
		e->gid = (gid_t)gid;
	}
	e->system = 0;
	return 0;
}

int
users_system_lookup(const char *name, struct user_entry *e)
{
	struct passwd	 pw, *res = NULL;
	char		*buf = NULL, *nb;
	size_t		 size = 16384;
	int		 r;

	for (;;) {
		if ((nb = realloc(buf, size)) == NULL) {
			log_warn("users: getpwnam");
			free(buf);
			return -1;
		}
		buf = nb;
		r = getpwnam_r(name, &pw, buf, size, &res);
		if (r != ERANGE || size >= USERS_PWBUF_MAX)
			break;
		size *= 2;
	}
	if (res == NULL) {
		free(buf);
		/* Not found, as getpwnam_r(3) lists the ways to say it. */
		if (r == 0 || r == ENOENT || r == ESRCH || r == EBADF ||
		    r == EPERM)
			return 0;
		errno = r;
		log_warn("users: getpwnam_r");
		return -1;
	}
	if (strlen(pw.pw_dir) >= sizeof(e->home)) {
		log_warnx("users: home of a system account too long");
		free(buf);
		return -1;
	}
	memset(e, 0, sizeof(*e));
	(void)strlcpy(e->name, name, sizeof(e->name));
	(void)strlcpy(e->home, pw.pw_dir, sizeof(e->home));
	e->uid = pw.pw_uid;
	e->gid = pw.pw_gid;
	e->system = 1;
	/* pw_passwd may be a hash when there is no shadow file */
	explicit_bzero(buf, size);
	free(buf);
	return 1;
}

static int
users_name_ok(const char *name)
{
	size_t	n = strlen(name), i;

	if (n == 0 || n > USER_NAME_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)name[i] <= 0x20 || name[i] == 0x7f ||
		    name[i] == ':' || name[i] == '/')
			return 0;
	return 1;
}

int
users_lookup(const char *path, int use_system, const char *name,
    struct user_entry *e)
{
	struct table	*t;
	const char	*line;

	if (!users_name_ok(name))
		return 0;
	if (path != NULL && *path != '\0') {
		if ((t = users_table(path)) == NULL)
			return -1;
		if ((line = table_get(t, name)) != NULL) {
			if (users_parse(line, e) == -1) {
				log_warnx("users: %s: entry of a user does "
				    "not fit", path);
				return -1;
			}
			return 1;
		}
	}
	if (use_system)
		return users_system_lookup(name, e);
	return 0;
}
