/*
 * libFuzzer target for what an smtpd session can ask its monitor (root):
 * the frames of smtpd.h's session <-> monitor channel, as a per-connection
 * monitor and as the resident receive them (MAIL, RCPT, MSGSTART,
 * MSGEND, MSGABORT, AUTH, and STARTTLS with the client's descriptor, the
 * handoff from smtpsession).  Each frame goes through a real
 * SOCK_SEQPACKET pair and chan_recv at SMTPD_CHAN_MAX (fuzz_chan.h), then
 * through monitor_check (smtpd/monitor_check.c), the function
 * monitor_request runs before any handler: its verdict is the request's
 * type, or -1, and then the session is killed.
 *
 * Input: two state bytes, a descriptor byte, a kinds byte (fuzz_chan.h),
 * then the frame.  State bits, first byte: 0-1 the mode (0 mx, 1
 * submission, 2 smtps, 3 mx), 2 AUTH done, 3 in the resident (else a
 * monitor of its own), 4 a message being queued, 5 the session came from
 * smtpsession, 6 an AUTH check pending, 7 a queue reply owed (5-7:
 * resident only); second byte: 0 a sender approved (MAIL), 1 that MAIL
 * said UTF8, 2-3 the recipients approved (0, 1, smtpd_recipient_limit - 1
 * or smtpd_recipient_limit), 4 auth_fail_limit failures, 5 (a monitor of
 * its own) the envelope pipe still open.  The client's connection is
 * fuzz_chan.h's fz_conn(); a descriptor of kind FZ_FD_CONN is that
 * socket.
 *
 * Checked against a reference written here from smtpd.h's table: bytes
 * that are not one frame within SMTPD_CHAN_MAX, or that come with more
 * than two descriptors, never reach a handler (chan_recv refuses them,
 * and the monitor kills on that); a frame is accepted exactly when it is
 * a request of the table with its field count and descriptors, allowed in
 * the state, with fields of the documented form: MAIL with a path that
 * lib/mail's path_parse takes whole (the null path too; UTF-8 if the
 * second field says UTF8, which is UTF8 or ASCII) and a RET and ENVID that
 * lib/dsn parses or "", RCPT with one that has a local part (the domain
 * may be missing, for postmaster) and a NOTIFY and ORCPT that lib/dsn
 * parses or "", a queue ID of
 * 14 Crockford base32 characters, a user name of at most 255 octets
 * without control byte, a STARTTLS error count in decimal without sign or
 * leading zero up to smtpd_error_limit, "H" and a host name of at most
 * 255, and the connection's own socket.  No descriptor stays open.
 */
#include <sys/socket.h>
#include <sys/stat.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "chan.h"
#include "conf.h"
#include "dsn.h"
#include "fuzz_chan.h"
#include "smtpd.h"
#include "smtpd_monitor.h"
#include "smtpd_resident.h"

static struct chan_msg	 msg;

/* No control byte from octet skip on, at most max octets after it. */
static int
ref_text(const struct fz_frame *fr, int i, size_t skip, size_t max)
{
	size_t	 k;

	if (fr->len[i] < skip || fr->len[i] - skip > max)
		return 0;
	for (k = skip; k < fr->len[i]; k++)
		if (fr->f[i][k] < 0x20 || fr->f[i][k] == 0x7f)
			return 0;
	return 1;
}

/* A path lib/mail's parser takes whole, with these flags (and a local
 * part for a recipient). */
static int
ref_path(const struct fz_frame *fr, int flags, int rcpt)
{
	struct mailpath	 p;
	const char	*why = NULL;
	size_t		 used = 0;

	if (fr->len[1] > ADDR_TEXT_MAX + 2 ||
	    path_parse((const char *)fr->f[1], fr->len[1], flags, &p, &used,
	    &why) == -1 || used != fr->len[1])
		return 0;
	return !rcpt || (!p.null && p.local[0] != '\0');
}

/*
 * RFC 3461's fields (i, i + 1) as the session sends them, as sent or "":
 * for MAIL, RET and ENVID; for RCPT, NOTIFY and ORCPT.  lib/dsn's
 * parsers decide, with ENVID at most DSN_ENVID_MAX octets and ORCPT at
 * most DSN_ORCPT_MAX as sent.
 */
static int
ref_dsn(const struct fz_frame *fr, int i, int rcpt)
{
	char	 out[DSN_ORCPT_MAX + 1];
	int	 v;

	if (fr->len[i] > 0 && (rcpt ?
	    dsn_notify_parse((const char *)fr->f[i], fr->len[i], &v) :
	    dsn_ret_parse((const char *)fr->f[i], fr->len[i], &v)) == -1)
		return 0;
	if (fr->len[i + 1] == 0)
		return 1;
	if (fr->len[i + 1] > (rcpt ? DSN_ORCPT_MAX : DSN_ENVID_MAX))
		return 0;
	return (rcpt ? dsn_orcpt_parse((const char *)fr->f[i + 1],
	    fr->len[i + 1], out, sizeof(out)) :
	    dsn_envid_parse((const char *)fr->f[i + 1], fr->len[i + 1], out,
	    sizeof(out))) == 0;
}

struct ref_state {
	int	 mode, authed, resident, queueing, handoff, auth_pending, owed;
	int	 tx_open, tx_utf8, too_many;
	size_t	 nrcpt, limit;
};

/* The type the reference accepts the frame as, or -1. */
static int
ref_request(const struct ref_state *st, const struct fz_frame *fr,
    const struct fz_fds *d, long long error_limit)
{
	static const struct {
		const char	*name;
		int		 type, nf, nfds;
	} table[] = {
		{ "MAIL", MREQ_MAIL, 5, 0 },
		{ "RCPT", MREQ_RCPT, 4, 0 },
		{ "MSGSTART", MREQ_MSGSTART, 2, 0 },
		{ "MSGEND", MREQ_MSGEND, 1, 0 },
		{ "MSGABORT", MREQ_MSGABORT, 1, 0 },
		{ "AUTH", MREQ_AUTH, 3, 0 },
		{ "STARTTLS", MREQ_STARTTLS, 3, 1 },
	};
	long long	 errors;
	size_t		 i;
	int		 t = -1, needs_auth, utf8;

	if (st->resident && (st->auth_pending || st->owed))
		return -1;
	for (i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (fz_field_is(fr, 0, table[i].name)) {
			if (fr->nf != table[i].nf || d->n != table[i].nfds)
				return -1;
			t = table[i].type;
		}
	needs_auth = st->mode != SMTPD_MX && !st->authed;
	switch (t) {
	case MREQ_MAIL:
		utf8 = fz_field_is(fr, 2, "UTF8");
		if (needs_auth || st->queueing ||
		    (!utf8 && !fz_field_is(fr, 2, "ASCII")) ||
		    !ref_path(fr, PATH_ALLOW_NULL | (utf8 ? PATH_ALLOW_UTF8 : 0),
		    0) || !ref_dsn(fr, 3, 0))
			return -1;
		break;
	case MREQ_RCPT:
		if (needs_auth || !st->tx_open || st->queueing ||
		    st->nrcpt >= st->limit ||
		    !ref_path(fr, PATH_ALLOW_NO_DOMAIN |
		    (st->tx_utf8 ? PATH_ALLOW_UTF8 : 0), 1) || !ref_dsn(fr, 2, 1))
			return -1;
		break;
	case MREQ_MSGSTART:
		if (st->queueing || !st->tx_open || st->nrcpt == 0 ||
		    needs_auth || !fz_field_queueid(fr, 1))
			return -1;
		break;
	case MREQ_MSGEND:
	case MREQ_MSGABORT:
		if (!st->queueing)
			return -1;
		break;
	case MREQ_AUTH:
		if (st->authed || st->too_many || !ref_text(fr, 1, 0, 255))
			return -1;
		break;
	case MREQ_STARTTLS:
		if (!st->resident || !st->handoff || st->queueing ||
		    st->authed || !fz_field_num(fr, 1, 0, error_limit, &errors) ||
		    fr->len[2] < 1 || fr->f[2][0] != 'H' ||
		    !ref_text(fr, 2, 1, 255) || d->kind[0] != FZ_FD_CONN)
			return -1;
		break;
	default:
		return -1;
	}
	return t;
}

/* The resident's record of the client's connection (resident_conn.c). */
static void
conn_identify(struct rconn *rc)
{
	struct stat	 st;

	if (fstat(fz_conn(), &st) == -1)
		abort();
	rc->sock_dev = st.st_dev;
	rc->sock_ino = st.st_ino;
	rc->peerlen = sizeof(rc->peer);
	if (getpeername(fz_conn(), (struct sockaddr *)&rc->peer,
	    &rc->peerlen) == -1)
		rc->peerlen = 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct conf	*conf;
	static struct rconn	 rc;
	struct monitor		 m;
	struct smtpd_opts	 opts;
	struct ref_state	 st;
	struct fz_fdset		 fdset;
	struct fz_frame		 fr;
	struct fz_fds		 d;
	const char		*why = NULL;
	uint8_t			 sb, sb2;
	int			 r, t, ref;

	if (conf == NULL && (conf = conf_defaults()) == NULL)
		abort();
	if (!fz_begin(size, &fdset))
		return 0;
	sb = fz_byte(&data, &size);
	sb2 = fz_byte(&data, &size);

	memset(&st, 0, sizeof(st));
	st.mode = (sb & 3) == 1 ? SMTPD_SUBMISSION : (sb & 3) == 2 ?
	    SMTPD_SMTPS : SMTPD_MX;
	st.authed = (sb >> 2) & 1;
	st.resident = (sb >> 3) & 1;
	st.queueing = (sb >> 4) & 1;
	if (st.resident) {
		st.handoff = (sb >> 5) & 1;
		st.auth_pending = (sb >> 6) & 1;
		st.owed = st.queueing && ((sb >> 7) & 1);
	} else if ((sb2 >> 5) & 1)
		st.queueing = 1;
	st.tx_open = sb2 & 1;
	st.tx_utf8 = (sb2 >> 1) & 1;
	st.limit = (size_t)conf_int(conf, "smtpd_recipient_limit");
	switch ((sb2 >> 2) & 3) {
	case 0:
		st.nrcpt = 0;
		break;
	case 1:
		st.nrcpt = 1;
		break;
	case 2:
		st.nrcpt = st.limit - 1;
		break;
	default:
		st.nrcpt = st.limit;
	}
	st.too_many = (sb2 >> 4) & 1;

	memset(&opts, 0, sizeof(opts));
	opts.mode = st.mode;
	memset(&m, 0, sizeof(m));
	memset(&rc, 0, sizeof(rc));
	m.conf = conf;
	m.opts = &opts;
	m.authed = st.authed;
	m.enqueue = m.env_w = -1;
	m.tx_open = st.tx_open;
	m.tx_utf8 = st.tx_utf8;
	m.tx_nrcpt = st.nrcpt;
	m.fails = st.too_many ?
	    (unsigned)conf_int(conf, "auth_fail_limit") : 0;
	rc.auth_pid = rc.q_child = -1;
	rc.spawned = 0;
	rc.auth_fd = rc.q_writer = -1;
	if (st.resident) {
		/* numbers only: monitor_check never uses them as descriptors */
		rc.q_on = st.queueing;
		rc.spawned = st.handoff != 0;
		rc.auth_fd = st.auth_pending ? 1001 : -1;
		rc.q_owed = st.owed ? 'E' : 0;
		conn_identify(&rc);
		m.rc = &rc;
	} else if ((sb >> 4) & 1)
		m.enqueue = 99999;
	else if (st.queueing)
		m.env_w = 1002;

	r = fz_packet_input(data, size, SMTPD_CHAN_MAX, &d, &msg, &fr);
	if (r == 1) {
		t = monitor_check(&m, &msg, &why);
		ref = ref_request(&st, &fr, &d,
		    conf_int(conf, "smtpd_error_limit"));
		if (t != ref || (t == -1 && (why == NULL || why[0] == '\0')))
			abort();
		if (t != -1 && strcmp(monitor_reqname(t), msg.f[0]) != 0)
			abort();
		/* what monitor_request and the handlers do with descriptors */
		chan_msg_wipe(&msg);
	}
	fz_fds_same(&fdset);
	return 0;
}
