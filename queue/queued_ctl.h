/*
 * queued_ctl: queued's side of the control socket (lib/queue/queue_ctl.h
 * has the protocol): the listening socket and its clients
 * (queued_ctl.c), and the answers (queued_ctl_answer.c).  Private to
 * queued.
 */
#ifndef FACTEUR_QUEUED_CTL_H
#define FACTEUR_QUEUED_CTL_H
#include <sys/types.h>

#include "chan.h"
#include "queue_ctl.h"
#include "queue_env.h"
#include "queued.h"

/* Output queued for one client before more of its answer is made. */
#define CTL_OUT_BATCH	(64 * 1024)

enum ctl_state { CL_FREE, CL_READ, CL_ANSWER, CL_DRAIN };

struct ctl_client {
	struct chan	 ch;		/* CHAN_STREAM on the accepted socket */
	enum ctl_state	 state;
	uid_t		 uid;		/* SO_PEERCRED */
	int		 admin;		/* root or the queue's owner */
	long long	 deadline;	/* fd_now_ms() */
	struct qctl_req	 req;
	/* an answer in pieces: where it stands */
	char		 cursor[QUEUEID_LEN + 1];	/* last message done */
	int		 stage;		/* SHOW: which part */
	size_t		 idx;		/* the next job, recipient, octet */
	size_t		 count;		/* messages so far */
	struct queue_env env;		/* SHOW: the envelope */
	int		 have_env;
	char		*head;		/* SHOW: the header section */
	size_t		 hlen;
};

struct ctl {
	int		 fd;		/* listening; -1: none */
	struct ctl_client cl[QCTL_CLIENTS_MAX];
};

/*
 * queued_ctl_answer.c: makes more of cl's answer, up to CTL_OUT_BATCH
 * octets waiting; 1 once its last frame (K or X) is queued, 0 when more
 * is to come, -1 when the client is to be dropped.
 */
int	ctl_answer(struct queued *, struct ctl_client *);
/* Frees what an answer in pieces holds. */
void	ctl_answer_free(struct ctl_client *);

#endif
