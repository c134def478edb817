/*
 * queue_owner: taking the identity of the queue's owner (queue_owner.h).
 * It trusts the directory descriptor its caller opened and nothing else.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "priv.h"
#include "queue_owner.h"

/* The owner's primary group, and a warning when it is not queue_user. */
static gid_t
owner_gid(const struct stat *st, const char *queue_user)
{
	struct passwd	*pw;

	if ((pw = getpwuid(st->st_uid)) == NULL)
		return st->st_gid;
	if (queue_user != NULL && strcmp(pw->pw_name, queue_user) != 0)
		log_warnx("queue_dir belongs to %s, not queue_user %s",
		    pw->pw_name, queue_user);
	return pw->pw_gid;
}

int
queue_owner_lookup(const char *queue_dir, struct queue_owner *o)
{
	struct stat	 st;

	memset(o, 0, sizeof(*o));
	if (stat(queue_dir, &st) == -1)
		return -1;
	o->uid = st.st_uid;
	o->gid = owner_gid(&st, NULL);
	o->known = 1;
	return 0;
}

int
queue_identity(const struct queue *q, const struct queue_owner *known,
    const char *queue_user)
{
	struct stat	 st;
	gid_t		 gid;

	if (fstatat(q->dirfd, ".", &st, 0) == -1) {
		log_warn("stat queue_dir");
		return -1;
	}
	if (!priv_is_root()) {
		if (st.st_uid == geteuid())
			return 0;
		errno = EPERM;
		return -1;
	}
	if (st.st_uid == 0)
		return 0;	/* a root-owned queue (tests): stay as we are */
	if (known != NULL && known->known && known->uid == st.st_uid)
		gid = known->gid;
	else
		gid = owner_gid(&st, queue_user);
	return priv_setids(st.st_uid, gid);
}
