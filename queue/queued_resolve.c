/*
 * queued_resolve: envelope recipients to delivery jobs.
 *
 * Every address first goes through virtual_alias_maps (queued_alias.c);
 * an address found there is replaced by its targets, each resolved
 * again, and an address of a virtual_alias_domains domain that is not
 * found bounces.  An address of a virtual_mailbox_domains domain is a
 * job for the users_file entry local@domain (lspawn looks it up), with
 * no aliases.  A recipient whose domain is in local_domains, or routed
 * `local` by transport_file (queued_route.c), or that has no domain, is
 * local: its local part goes through the aliases table (queued_alias.c:
 * names, addresses, |commands, /files, :include:); targets with a
 * domain are resolved again (at most
 * ALIASES_DEPTH_MAX times, so a loop through domains ends), bare names
 * are local users.  Without an alias, a local part "user+ext" (any
 * character of recipient_delimiter) is tried as an alias "user" and then
 * delivered to user "user" with extension "ext".  User names are folded
 * to lower case.  A recipient in another domain becomes a non-local job
 * (user "").  The same user+extension, or the same non-local address,
 * gets one job per message however many ways it was reached.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aliases.h"
#include "log.h"
#include "lroute.h"
#include "queue_env.h"
#include "queued_resolve.h"
#include "users.h"

static int
seen_cmp(struct seen *a, struct seen *b)
{
	return strcmp(a->key, b->key);
}

RB_PROTOTYPE(seen_tree, seen, entry, seen_cmp)
RB_GENERATE(seen_tree, seen, entry, seen_cmp)

static void
lower(char *s)
{
	for (; *s != '\0'; s++)
		*s = (char)tolower((unsigned char)*s);
}

/* 1 when key is new (and now remembered), 0 when seen, -1 on error. */
static int
seen_add(struct resolve *r, const char *kind, const char *a, const char *b)
{
	struct seen	*s;
	size_t		 n;

	n = strlen(kind) + strlen(a) + strlen(b) + 3;
	if ((s = malloc(sizeof(*s) + n)) == NULL)
		return -1;
	(void)snprintf(s->key, n, "%s:%s\001%s", kind, a, b);
	lower(s->key);
	if (RB_INSERT(seen_tree, &r->seen, s) != NULL) {
		free(s);
		return 0;
	}
	return 1;
}

static void
seen_clear(struct resolve *r)
{
	struct seen	*s, *n;

	RB_FOREACH_SAFE(s, seen_tree, &r->seen, n) {
		RB_REMOVE(seen_tree, &r->seen, s);
		free(s);
	}
}

void
resolve_fail(struct resolve *r, const char *why)
{
	if (r->why == NULL)
		r->why = why;
}

void
resolve_job(struct resolve *r, const char *kind, const char *rcpt,
    const char *user, const char *ext)
{
	int	n;

	n = seen_add(r, kind, strcmp(kind, "l") == 0 || kind[0] == 'a' ?
	    user : rcpt, ext);
	if (n == -1) {
		resolve_fail(r, "4.3.0 out of memory");
		return;
	}
	if (n == 0)
		return;
	if (queue_state_add(r->st, rcpt, r->orig, user, ext) == NULL)
		resolve_fail(r, errno == E2BIG ? "5.5.3 too many recipients "
		    "after alias expansion" : errno == EINVAL ? "5.1.3 alias "
		    "target not fit for the queue" : "4.3.0 out of memory");
}

static void
job_add(struct resolve *r, const char *rcpt, const char *user,
    const char *ext)
{
	resolve_job(r, user[0] != '\0' ? "l" : "r", rcpt, user, ext);
}

/* "local" without quotes: "a b"@x -> a b; backslash pairs kept simple. */
static void
resolve_local_part(const char *in, size_t n, char *out, size_t outsz)
{
	size_t	i, o = 0;

	if (n >= 2 && in[0] == '"' && in[n - 1] == '"') {
		for (i = 1; i + 1 < n && o + 1 < outsz; i++) {
			if (in[i] == '\\' && i + 2 < n)
				i++;
			out[o++] = in[i];
		}
		out[o] = '\0';
		return;
	}
	if (n >= outsz)
		n = outsz - 1;
	memcpy(out, in, n);
	out[n] = '\0';
}

void
resolve_user(struct resolve *r, const char *name, const char *rcpt)
{
	char	 user[USER_NAME_MAX + 1], ext[QUEUE_ADDR_MAX + 1];
	char	 addr[QUEUE_ADDR_MAX + 1];
	const char *d;
	size_t	 ulen;
	char	 delim;
	int	 k;

	ext[0] = '\0';
	ulen = lroute_split(r->q->conf, name, &d, &delim);
	if (ulen == 0 || ulen > USER_NAME_MAX) {
		resolve_fail(r, "5.1.1 no such local user");
		return;
	}
	memcpy(user, name, ulen);
	user[ulen] = '\0';
	lower(user);
	if (d != NULL)
		strlcpy(ext, d, sizeof(ext));
	if (rcpt == NULL) {
		k = snprintf(addr, sizeof(addr), "%s@%s", name,
		    conf_myhostname(r->q->conf));
		if (k < 0 || (size_t)k >= sizeof(addr)) {
			resolve_fail(r, "5.1.3 address too long");
			return;
		}
		rcpt = addr;
	}
	job_add(r, rcpt, user, ext);
}

/*
 * A user of a virtual_mailbox_domains domain: lspawn finds the users_file
 * entry "user@domain" from the recipient's domain.
 */
static void
resolve_vmailbox(struct resolve *r, const char *addr, const char *local)
{
	char		 user[USER_NAME_MAX + 1];
	const char	*ext;
	size_t		 ulen;
	char		 delim;

	ulen = lroute_split(r->q->conf, local, &ext, &delim);
	if (ulen == 0 || ulen > USER_NAME_MAX) {
		resolve_fail(r, "5.1.1 no such user in a virtual mailbox "
		    "domain");
		return;
	}
	memcpy(user, local, ulen);
	user[ulen] = '\0';
	lower(user);
	resolve_job(r, "v", addr, user, ext != NULL ? ext : "");
}

/* Local part `local` of a local address `addr` (NULL: alias-made). */
static void
resolve_local(struct resolve *r, const char *local, const char *addr)
{
	if (alias_resolve(r, local, addr) == 0)
		resolve_user(r, local, addr);
}

void
resolve_addr(struct resolve *r, const char *addr, int flags)
{
	char		 local[QUEUE_ADDR_MAX + 1];
	const char	*at, *domain;
	enum lroute_class class;

	if (++r->depth > ALIASES_DEPTH_MAX) {
		resolve_fail(r, "5.4.6 alias loop through domains");
		r->depth--;
		return;
	}
	at = strrchr(addr, '@');
	domain = at != NULL ? at + 1 : "";
	if (at != NULL && *domain != '\0' && !(flags & RESOLVE_NO_VIRTUAL) &&
	    valias_resolve(r, addr)) {
		r->depth--;
		return;
	}
	class = lroute_class(r->q->conf, domain);
	if (at != NULL && (class == LROUTE_VALIAS ||
	    class == LROUTE_VMAILBOX)) {
		resolve_local_part(addr, (size_t)(at - addr), local,
		    sizeof(local));
		if (class == LROUTE_VALIAS)
			resolve_fail(r, "5.1.1 no such user in the virtual "
			    "alias table");
		else
			resolve_vmailbox(r, addr, local);
		r->depth--;
		return;
	}
	if (at != NULL && *domain != '\0' &&
	    !route_is_local(r->q, domain)) {
		job_add(r, addr, "", "");
		r->depth--;
		return;
	}
	resolve_local_part(addr, at != NULL ? (size_t)(at - addr) : strlen(addr),
	    local, sizeof(local));
	if (local[0] == '\0')
		resolve_fail(r, "5.1.3 empty local part");
	else
		resolve_local(r, local, at != NULL && *domain != '\0' ? addr :
		    NULL);
	r->depth--;
}

int
resolve_all(struct queued *q, struct queue_state *st, char *const *rcpt,
    size_t nrcpt)
{
	struct resolve	 r;
	struct queue_job *j;
	size_t		 i;
	int		 ret = 0;

	memset(&r, 0, sizeof(r));
	r.q = q;
	r.st = st;
	RB_INIT(&r.seen);
	for (i = 0; i < nrcpt; i++) {
		r.orig = rcpt[i];
		r.why = NULL;
		r.depth = 0;
		r.name = "";
		r.addr = NULL;
		resolve_addr(&r, rcpt[i], 0);
		if (r.why == NULL)
			continue;
		if (strncmp(r.why, "4.3.0", 5) == 0) {
			ret = -1;	/* out of memory: try the whole later */
			break;
		}
		/*
		 * The targets that resolved keep their jobs (as sendmail and
		 * Postfix do); the failure gets a job that owes a bounce.
		 */
		if ((j = queue_state_add(st, rcpt[i], rcpt[i], "", "")) ==
		    NULL || queue_job_set_reason(j, r.why) == -1) {
			ret = -1;
			break;
		}
		j->status = QJ_BOUNCE;
		log_info("%s: to=<%s>, relay=none, delay=0, status=bounced "
		    "(%s)", st->id, rcpt[i], r.why);
	}
	seen_clear(&r);
	return ret;
}
