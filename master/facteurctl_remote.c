/*
 * facteurctl_remote: what `facteurctl check` checks of the remote
 * delivery's settings, with the parsers queued and rspawn use
 * (lib/smtp/smtp_nexthop.h, smtp_policy.h): relayhost, the TLS level,
 * every line of transport_file and smtp_tls_policy_file, and the owner,
 * mode and lines of smtp_sasl_password_file (whose passwords are never
 * printed).
 */
#include <sys/stat.h>

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "facteurctl.h"
#include "smtp_nexthop.h"
#include "smtp_policy.h"
#include "table.h"

static unsigned	nerr;

static void
remote_error(void *arg, const char *msg)
{
	(void)arg;
	nerr++;
	fprintf(stderr, "%s\n", msg);
}

static void
remote_errorf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void
remote_errorf(const char *fmt, ...)
{
	va_list	ap;

	nerr++;
	va_start(ap, fmt);
	(void)vfprintf(stderr, fmt, ap);
	va_end(ap);
	(void)fputc('\n', stderr);
}

static struct table *
load(const char *path, enum table_format fmt)
{
	struct table	*t;

	if ((t = table_load(path, fmt, remote_error, NULL)) == NULL)
		remote_errorf("%s: table could not be loaded", path);
	return t;
}

unsigned
ctl_check_remote(const struct conf *conf)
{
	struct transport_entry	 e;
	struct smtp_nexthop	 nh;
	struct table		*t;
	struct stat		 sb;
	const char		*p, *key, *val, *why;
	size_t			 i;

	nerr = 0;
	if ((p = conf_str(conf, "relayhost"))[0] != '\0' &&
	    smtp_nexthop_parse(p, &nh, &why) == -1)
		remote_errorf("%s: relayhost \"%s\": %s", conf_path(conf), p,
		    why);
	if (tls_level_parse(conf_str(conf, "smtp_tls_security_level")) == -1)
		remote_errorf("%s: smtp_tls_security_level: \"%s\" is not none, "
		    "may, encrypt, verify or dane", conf_path(conf),
		    conf_str(conf, "smtp_tls_security_level"));
	if ((p = conf_str(conf, "transport_file"))[0] != '\0' &&
	    (t = load(p, TABLE_ADDRS)) != NULL) {
		for (i = 0; table_entry(t, i, &key, &val) == 0; i++)
			if (transport_parse(val, &e, &why) == -1)
				remote_errorf("%s: \"%.64s\": %s", p, key, why);
		table_free(t);
	}
	if ((p = conf_str(conf, "smtp_tls_policy_file"))[0] != '\0' &&
	    (t = load(p, TABLE_ADDRS)) != NULL) {
		for (i = 0; table_entry(t, i, &key, &val) == 0; i++)
			if (tls_level_parse(val) == -1)
				remote_errorf("%s: \"%.64s\": \"%.64s\" is not a "
				    "TLS level", p, key, val);
		table_free(t);
	}
	if ((p = conf_str(conf, "smtp_sasl_password_file"))[0] != '\0') {
		if (stat(p, &sb) == -1)
			remote_errorf("%s: cannot be read", p);
		else if (sb.st_uid != 0 || (sb.st_mode & 077) != 0)
			remote_errorf("%s: must belong to root, mode 0600 (rspawn "
			    "will not start)", p);
		if (geteuid() == 0 && (t = load(p, TABLE_SECRETS)) != NULL) {
			for (i = 0; table_entry(t, i, &key, &val) == 0; i++)
				if (strchr(val, ':') == NULL)
					remote_errorf("%s: \"%.64s\": not "
					    "user:password", p, key);
			table_free(t);
		}
	}
	return nerr;
}
