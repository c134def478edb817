/*
 * facteurctl_explain: `facteurctl explain ID` (facteurctl_explain.c)
 * and its reader of the log (facteurctl_explain_log.c).  Private to
 * facteurctl.
 */
#ifndef FACTEURCTL_EXPLAIN_H
#define FACTEURCTL_EXPLAIN_H
#include <stdio.h>

#include "queueid.h"

#define XLOG_LINE_MAX	16384	/* a longer log line is skipped */
#define XLOG_LINES_MAX	100000	/* lines kept for one message */
#define XLOG_IDS_MAX	16	/* the message and its notices */

struct xlog_line {
	double		 t;		/* seconds since the epoch; 0: unknown */
	char		 prog[32];	/* "smtpd", "queued", "pickup", ... */
	char		 id[QUEUEID_LEN + 1];
	char		*text;		/* after "ID: ", control bytes as '?' */
};

struct xlog {
	struct xlog_line *v;
	size_t		 n, cap;
	char		 ids[XLOG_IDS_MAX][QUEUEID_LEN + 1];
	size_t		 nids;		/* ids[0] is the message's */
	size_t		 skipped;	/* lines over XLOG_LINE_MAX */
};

/*
 * Reads a log (facteur's log_file, a syslog file, or journalctl -o short
 * output) and keeps, in order, the lines of facteur's programs about id
 * and about the notices queued sent for it ("sender ... notification:
 * NEWID" adds NEWID).  0, or -1 (errno).
 */
int	xlog_read(FILE *, const char *id, struct xlog *);
void	xlog_free(struct xlog *);
/* The value of "key=" in text, up to ", " (or ")" when it starts "<"). */
int	xlog_field(const char *text, const char *key, char *out, size_t n);

#endif
