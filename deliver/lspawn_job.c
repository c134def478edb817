/*
 * lspawn_job: one local delivery job of lspawn, before any worker sees
 * it.  Takes the job's frame from queued (job_take: the form of the frame
 * and its slot; anything else means queued is broken), checks the values
 * that came with it (job_check), looks the user up (users_file, then the
 * system accounts; for a virtual_mailbox_domains domain the users_file
 * entry user@domain only), refuses uid 0 and uids below first_valid_uid,
 * and opens the message itself (the queue is not readable by the user):
 * a regular file of the queue's owner, with one link, in the msg/ that
 * lspawn opened and checked at start.  A job for an alias's commands and
 * files (user ":NAME") goes to lspawn_alias.c instead, and a user's job
 * through lspawn_route.c, which chooses a Maildir worker or a local
 * delivery child.  lspawn_pool.c then hands the job to a process running
 * as that uid and gid.  job_take and job_check are what the fuzz target
 * fuzz_lspawn_job drives.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fdio.h"
#include "log.h"
#include "lroute.h"
#include "queue_env.h"
#include "queueid.h"
#include "users.h"
#include "lspawn.h"

#define ID_NONE		((uid_t)-1)	/* users_file entry without a uid */

int
result_set(struct job_result *res, char status, const char *fmt, ...)
{
	va_list	ap;
	int	n;

	res->status = status;
	va_start(ap, fmt);
	n = vsnprintf(res->text, sizeof(res->text), fmt, ap);
	va_end(ap);
	if (n < 0)
		(void)strlcpy(res->text, "(unformattable text)",
		    sizeof(res->text));
	/* Truncation (n >= size) is fine: the text is capped by design. */
	log_sanitize(res->text, res->text, sizeof(res->text));
	return -1;
}

static int
field_ok(const char *s)
{
	return queue_value_ok(s, strlen(s));
}

/* 1 if s holds no control byte (a path from users_file and the config). */
static int
text_clean(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 0;
	return 1;
}

/* Finds uid, gid and the Maildir of the job's user. */
static int
target_find(struct lspawn *ls, struct job *j, struct target *t,
    struct job_result *res)
{
	struct user_entry	 u;
	struct passwd		*pw;
	const char		*at = strrchr(j->rcpt, '@');
	char			 key[USER_NAME_MAX + 1];
	int			 r, n;

	memset(t, 0, sizeof(*t));
	if (j->user[0] == '\0' || strlen(j->user) > USER_NAME_MAX)
		return result_set(res, 'D', "5.1.1 no such user");
	if (at != NULL && lroute_class(ls->conf, at + 1) == LROUTE_VMAILBOX) {
		/* users_file's entry user@domain, and nothing else */
		n = snprintf(key, sizeof(key), "%s%s", j->user, at);
		if (n < 0 || (size_t)n >= sizeof(key))
			return result_set(res, 'D', "5.1.1 no such user");
		for (n = 0; key[n] != '\0'; n++)
			key[n] = (char)tolower((unsigned char)key[n]);
		r = users_lookup(ls->users_file, 0, key, &u);
		t->vmailbox = 1;
	} else
		r = users_lookup(ls->users_file, ls->system_users, j->user, &u);
	explicit_bzero(u.hash, sizeof(u.hash));	/* never needed here */
	if (r == -1)
		return result_set(res, 'Z', "4.3.0 cannot read the users table");
	if (r == 0)
		return result_set(res, 'D', "5.1.1 no such user");
	t->uid = u.uid;
	t->gid = u.gid;
	if (ls->root && (t->uid == ID_NONE || t->gid == (gid_t)ID_NONE)) {
		if (ls->virtual_user[0] == '\0')
			return result_set(res, 'D',
			    "5.3.0 no uid for user and no virtual_user");
		errno = 0;
		if ((pw = getpwnam(ls->virtual_user)) == NULL)
			return result_set(res, 'Z', "virtual_user %s "
			    "does not exist", ls->virtual_user);
		t->uid = pw->pw_uid;
		t->gid = pw->pw_gid;
	}
	/*
	 * The table's uid is checked whatever lspawn runs as: mail for uid 0
	 * or a system account is refused, never delivered as someone else.
	 */
	if (t->uid != ID_NONE) {
		if (t->uid == 0)
			return result_set(res, 'D', "5.7.1 refusing to deliver "
			    "as root; use an alias");
		if ((long long)t->uid < ls->first_valid_uid)
			return result_set(res, 'D',
			    "5.7.1 uid below first_valid_uid");
	}
	if (!ls->root) {
		t->uid = getuid();
		t->gid = getgid();
	}
	if (u.home[0] != '/')
		return result_set(res, 'D', "5.3.0 home directory is "
		    "not an absolute path");
	(void)strlcpy(t->home, u.home, sizeof(t->home));
	if (!text_clean(t->home))
		return result_set(res, 'D', "5.3.0 home has control bytes");
	n = snprintf(t->maildir, sizeof(t->maildir), "%s/%s", u.home,
	    ls->maildir);
	if (n < 0 || (size_t)n >= sizeof(t->maildir))
		return result_set(res, 'D', "5.3.0 maildir path too long");
	if (!text_clean(t->maildir))
		return result_set(res, 'D', "5.3.0 maildir path has control bytes");
	return 0;
}

static int
message_open(struct lspawn *ls, struct job *j, struct job_result *res)
{
	struct queue_loc l;
	int		 fd;

	if (queue_path(&ls->queue, QUEUE_MSG, j->id, &l) == -1)
		return result_set(res, 'D', "invalid queue id");
	fd = openat(l.at, l.name, O_RDONLY | O_NOFOLLOW | O_NOCTTY |
	    O_CLOEXEC | O_NONBLOCK);
	if (fd == -1)
		return result_set(res, 'Z', "cannot open message %s: %s",
		    j->id, strerror(errno));
	/*
	 * Root hands this descriptor to a recipient's worker: only a file
	 * of the queue's owner with one link is a message (queued's user
	 * cannot have root open another file for a recipient to read).
	 */
	if (!queue_file_ok(&ls->queue, fd)) {
		(void)close(fd);
		return result_set(res, 'Z', "message %s is not a regular "
		    "file of the queue's owner with one link", j->id);
	}
	if (fd_set_nonblock(fd, 0) == -1) {
		(void)close(fd);
		return result_set(res, 'Z', "message %s: %s", j->id,
		    strerror(errno));
	}
	return fd;
}

/* 1 if a job of lspawn's, waiting or with a worker, holds slot. */
static int
slot_in_use(const struct lspawn *ls, const char *slot)
{
	const struct job	*j;
	const struct worker	*w;

	TAILQ_FOREACH(j, &ls->waiting, entry)
		if (strcmp(j->slot, slot) == 0)
			return 1;
	TAILQ_FOREACH(w, &ls->busy, entry)
		if (w->job != NULL && strcmp(w->job->slot, slot) == 0)
			return 1;
	TAILQ_FOREACH(w, &ls->gone, entry)
		if (w->job != NULL && strcmp(w->job->slot, slot) == 0)
			return 1;
	return 0;
}

static const char *
slot_check(const struct lspawn *ls, const char *slot)
{
	size_t	i, n = strlen(slot);

	if (n == 0 || n > 6 || (n > 1 && slot[0] == '0'))
		return "bad slot";
	for (i = 0; i < n; i++)
		if (slot[i] < '0' || slot[i] > '9')
			return "bad slot";
	if (slot_in_use(ls, slot))
		return "slot already in use";
	return NULL;
}

int
job_take(struct lspawn *ls, const struct chan_msg *m, struct job **jp,
    const char **why)
{
	struct job	*j;
	char		*f[JOB_FIELDS];
	int		 i;

	*jp = NULL;
	if (m->nf != JOB_FIELDS) {
		*why = "wrong number of fields";
		return -1;
	}
	if (strcmp(m->f[0], "J") != 0) {
		*why = "not a job";
		return -1;
	}
	if ((*why = slot_check(ls, m->f[1])) != NULL)
		return -1;
	/* 1: an earlier attempt's result may be lost, look in the Maildir */
	if (strcmp(m->f[7], "0") != 0 && strcmp(m->f[7], "1") != 0) {
		*why = "bad check field";
		return -1;
	}
	if ((j = calloc(1, sizeof(*j))) == NULL ||
	    (j->frame = malloc(m->len + 1)) == NULL)
		fatal("out of memory");
	j->msgfd = -1;
	/* the job keeps its own copy; its fields point into it */
	memcpy(j->frame, m->data, m->len + 1);
	for (i = 0; i < JOB_FIELDS; i++)
		f[i] = j->frame + (m->f[i] - m->data);
	(void)strlcpy(j->slot, f[1], sizeof(j->slot));
	j->id = f[2];
	j->sender = f[3];
	j->rcpt = f[4];
	j->user = f[5];
	j->ext = f[6];
	j->check = f[7][0] == '1';
	*jp = j;
	if (ls->nwaiting >= LSPAWN_WAIT_MAX)
		return 1;
	TAILQ_INSERT_TAIL(&ls->waiting, j, entry);
	ls->nwaiting++;
	return 0;
}

int
job_check(const struct job *j, struct job_result *res)
{
	if (!queueid_valid(j->id))
		return result_set(res, 'D', "invalid queue id");
	if (!field_ok(j->sender) || !field_ok(j->user) || !field_ok(j->ext))
		return result_set(res, 'D', "control bytes in a field");
	if (j->rcpt[0] == '\0' || !field_ok(j->rcpt))
		return result_set(res, 'D', "invalid recipient");
	return 0;
}

int
job_prepare(struct lspawn *ls, struct job *j, struct job_result *res)
{
	struct target	 t;

	if (job_check(j, res) == -1)
		return -1;
	if (j->user[0] == ':') {
		if (alias_prepare(ls, j, res) == -1)
			return -1;
	} else {
		if (target_find(ls, j, &t, res) == -1 ||
		    route_user(ls, j, &t, res) == -1)
			return -1;
		if ((j->maildir = strdup(t.maildir)) == NULL)
			return result_set(res, 'Z', "out of memory");
		j->uid = t.uid;
		j->gid = t.gid;
	}
	if ((j->msgfd = message_open(ls, j, res)) == -1)
		return -1;
	j->ready = 1;
	return 0;
}

void
job_free(struct job *j)
{
	if (j == NULL)
		return;
	if (j->msgfd != -1 && close(j->msgfd) == -1)
		log_warn("%s: close", j->id);
	route_local_free(j->local);
	free(j->maildir);
	free(j->frame);
	free(j);
}
