/*
 * facteurctl_check: `facteurctl check` loads facteur.conf and every table
 * it names (users_file, aliases_file) with the same parsers the daemons
 * use, and prints each mistake as "FILE:LINE: problem" on standard error.
 * It also reads users_file's password fields the way the login monitors
 * will (lib/passwd_check) and names the entries that could never log in.
 * Local routing (lib/route): the values of its keys, virtual_alias_maps,
 * default_privs (an account, never root) and, for mailbox_format = mbox,
 * a mail_spool_directory that exists.  As root, the chroot directories
 * of the configured services (facteur_chroot.c).
 * Exit 0 and "PATH: ok" on standard output when there is no error, else 1.
 * Warnings (accounts that are refused by design, a key set twice) do not
 * change the exit.
 */
#include <sys/stat.h>

#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "facteur.h"
#include "facteurctl.h"
#include "lroute.h"
#include "passwd_check.h"
#include "netaddr.h"
#include "sandbox.h"
#include "table.h"

struct check {
	unsigned	nerr;
};

static void
check_error(void *arg, const char *msg)
{
	struct check	*c = arg;

	c->nerr++;
	fprintf(stderr, "%s\n", msg);
}

/* "FILE:LINE: warning: ..." (a key set twice): said, not counted. */
static void
check_warning(void *arg, const char *msg)
{
	(void)arg;
	fprintf(stderr, "%s\n", msg);
}

/* uid field of a passwd-file line: -1 when empty, -2 when no number. */
static long long
check_uid(const char *f, size_t len)
{
	char		 tmp[16];
	const char	*err;
	long long	 v;

	if (len == 0)
		return -1;
	if (len >= sizeof(tmp))
		return -2;
	memcpy(tmp, f, len);
	tmp[len] = '\0';
	v = strtonum(tmp, 0, 4294967294LL, &err);
	return err == NULL ? v : -2;
}

/* One users_file line (no LF): the password field, and the uid. */
static void
check_user_line(struct check *c, const struct conf *conf, const char *path,
    size_t lineno, char *line)
{
	char		*pw, *uidf, *end;
	const char	*why;
	long long	 uid;

	if (line[0] == '#' || line[strspn(line, " \t")] == '\0')
		return;
	if ((pw = strchr(line, ':')) == NULL)
		return;		/* table_load has said so */
	*pw++ = '\0';
	uidf = NULL;
	if ((end = strchr(pw, ':')) != NULL) {
		*end = '\0';
		uidf = end + 1;
	}
	if ((why = passwd_scheme_problem(pw,
	    conf_bool(conf, "auth_allow_plain_hashes"))) != NULL) {
		c->nerr++;
		fprintf(stderr, "%s:%zu: user %.64s: %s\n", path, lineno, line,
		    why);
	}
	if (uidf == NULL)
		return;
	uid = check_uid(uidf, strcspn(uidf, ":"));
	if (uid == -1 && conf_str(conf, "virtual_user")[0] == '\0')
		fprintf(stderr, "%s:%zu: warning: user %.64s has no uid and "
		    "virtual_user is empty: no delivery, no login\n", path,
		    lineno, line);
	else if (uid == 0)
		fprintf(stderr, "%s:%zu: warning: user %.64s has uid 0: "
		    "deliveries and logins as root are always refused\n",
		    path, lineno, line);
	else if (uid > 0 && uid < conf_int(conf, "first_valid_uid"))
		fprintf(stderr, "%s:%zu: warning: user %.64s has a uid below "
		    "first_valid_uid: always refused\n", path, lineno, line);
}

static void
check_users(struct check *c, const struct conf *conf, const char *path)
{
	FILE	*fp;
	char	*line = NULL;
	size_t	 cap = 0, lineno = 0;
	ssize_t	 n;

	if ((fp = fopen(path, "r")) == NULL)
		return;		/* table_load has said why */
	while ((n = getline(&line, &cap, fp)) != -1) {
		lineno++;
		if ((size_t)n > TABLE_LINE_MAX + 2)
			continue;	/* reported by table_load */
		if (n > 0 && line[n - 1] == '\n')
			line[--n] = '\0';
		if (n > 0 && line[n - 1] == '\r')
			line[--n] = '\0';
		if (strlen(line) != (size_t)n)
			continue;	/* a NUL: reported by table_load */
		check_user_line(c, conf, path, lineno, line);
	}
	if (ferror(fp)) {
		c->nerr++;
		fprintf(stderr, "%s: read error: %s\n", path, strerror(errno));
	}
	if (line != NULL)
		explicit_bzero(line, cap);	/* it held password hashes */
	free(line);
	(void)fclose(fp);	/* read-only */
}

static void
check_table(struct check *c, const char *path, enum table_format fmt)
{
	struct table	*t;

	if ((t = table_load(path, fmt, check_error, c)) == NULL && c->nerr == 0)
		check_error(c, "table could not be loaded");
	table_free(t);
}

/* Every word of mynetworks must be an address or a CIDR block. */
static void
check_networks(struct check *c, const struct conf *conf)
{
	const char *const	*w;
	struct netaddr		 n;
	size_t			 nw, i;
	char			 msg[512];

	w = conf_list(conf, "mynetworks", &nw);
	for (i = 0; i < nw; i++) {
		if (netaddr_parse(w[i], &n) == 0)
			continue;
		(void)snprintf(msg, sizeof(msg), "%s: mynetworks: not an "
		    "address or CIDR block: %s", conf_path(conf), w[i]);
		check_error(c, msg);
	}
}

/* The keys and the table of local routing. */
static void
check_routing(struct check *c, const struct conf *conf)
{
	const char	*spool = conf_str(conf, "mail_spool_directory");
	struct passwd	*pw;
	struct stat	 st;
	char		 err[256], msg[512];

	if (lroute_conf_check(conf, err, sizeof(err)) == -1) {
		(void)snprintf(msg, sizeof(msg), "%s: %s", conf_path(conf),
		    err);
		check_error(c, msg);
	}
	if (conf_str(conf, "virtual_alias_maps")[0] != '\0')
		check_table(c, conf_str(conf, "virtual_alias_maps"),
		    TABLE_ADDRS);
	if ((pw = getpwnam(conf_str(conf, "default_privs"))) == NULL ||
	    pw->pw_uid == 0) {
		(void)snprintf(msg, sizeof(msg), "%s: default_privs: %s is %s",
		    conf_path(conf), conf_str(conf, "default_privs"),
		    pw == NULL ? "no account" : "root");
		check_error(c, msg);
	}
	if (strcmp(conf_str(conf, "mailbox_format"), "mbox") == 0 &&
	    (stat(spool, &st) == -1 || !S_ISDIR(st.st_mode))) {
		(void)snprintf(msg, sizeof(msg), "%s: mail_spool_directory: %s "
		    "is not a directory", conf_path(conf), spool);
		check_error(c, msg);
	}
}

/* sandbox must name a mode (lib/sandbox); off works but is said. */
static void
check_sandbox(struct check *c, const struct conf *conf)
{
	enum sandbox_mode	 mode;
	const char		*word = conf_str(conf, "sandbox");
	char			 msg[512];

	if (sandbox_mode_parse(word, &mode) == -1) {
		(void)snprintf(msg, sizeof(msg), "%s: sandbox: \"%.64s\" is "
		    "not enforce, report or off", conf_path(conf), word);
		check_error(c, msg);
	} else if (mode == SANDBOX_OFF)
		fprintf(stderr, "%s: warning: sandbox = off: sessions run "
		    "without their system call filters\n", conf_path(conf));
}

int
ctl_check(const char *conf_path, int argc, char **argv)
{
	struct check	 c = { 0 };
	struct conf	*conf;
	const char	*users, *aliases;

	(void)argv;
	if (argc != 1) {
		fprintf(stderr, "usage: facteurctl [-C file] check\n");
		return CTL_EX_USAGE;
	}
	if ((conf = conf_load_warn(conf_path, check_error, check_warning,
	    &c)) == NULL) {
		if (c.nerr == 0)
			check_error(&c, "facteur.conf could not be loaded");
		return CTL_EX_FAIL;
	}
	users = conf_str(conf, "users_file");
	aliases = conf_str(conf, "aliases_file");
	if (users[0] != '\0') {
		check_table(&c, users, TABLE_PASSWD);
		check_users(&c, conf, users);
	}
	if (aliases[0] != '\0')
		check_table(&c, aliases, TABLE_ALIASES);
	if (conf_str(conf, "sender_login_file")[0] != '\0')
		check_table(&c, conf_str(conf, "sender_login_file"), TABLE_MAP);
	check_networks(&c, conf);
	c.nerr += ctl_check_remote(conf);
	(void)chroot_check_all(conf, check_error, &c);
	check_routing(&c, conf);
	check_sandbox(&c, conf);
	conf_free(conf);
	if (c.nerr > 0)
		return CTL_EX_FAIL;
	if (printf("%s: ok\n", conf_path) < 0 || fflush(stdout) == EOF)
		return CTL_EX_FAIL;
	return CTL_EX_OK;
}
