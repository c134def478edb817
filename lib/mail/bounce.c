/*
 * bounce: builds the text of a delivery status notification for failed
 * recipients (RFC 3464, RFC 3462 multipart/report, RFC 3834
 * Auto-Submitted).  Pure text in, text out, so it has a golden-file test;
 * queued feeds the result to enqueue with a null sender.
 *
 * Trust: the original headers are a stranger's (copied as text, never
 * parsed into fields); every value put into a header is checked for
 * control bytes.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bounce.h"

static int
text_ok(const char *s)
{
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c < 0x20 || c == 0x7f)
			return 0;
	}
	return 1;
}

static int
text_ascii(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s >= 0x80)
			return 0;
	return 1;
}

int
bounce_date(char *out, size_t n, long long t)
{
	static const char *const day[] = { "Sun", "Mon", "Tue", "Wed", "Thu",
	    "Fri", "Sat" };
	static const char *const mon[] = { "Jan", "Feb", "Mar", "Apr", "May",
	    "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	struct tm	 tm;
	time_t		 tt = (time_t)t;
	int		 r;

	if (gmtime_r(&tt, &tm) == NULL || tm.tm_wday < 0 || tm.tm_wday > 6 ||
	    tm.tm_mon < 0 || tm.tm_mon > 11) {
		errno = EINVAL;
		return -1;
	}
	r = snprintf(out, n, "%s, %d %s %d %02d:%02d:%02d +0000",
	    day[tm.tm_wday], tm.tm_mday, mon[tm.tm_mon], tm.tm_year + 1900,
	    tm.tm_hour, tm.tm_min, tm.tm_sec);
	if (r < 0 || (size_t)r >= n) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

void
bounce_boundary(char *out, size_t n, const char *id)
{
	int	r;

	r = snprintf(out, n, "=_facteur_%.20s_%08x", id, arc4random());
	if (r < 0 || (size_t)r >= n)
		out[0] = '\0';
}

static int
digits(const char *s, size_t *len)
{
	size_t	i = 0;

	while (i < 3 && s[i] >= '0' && s[i] <= '9')
		i++;
	*len = i;
	return i > 0;
}

const char *
bounce_status_class(const char *diag, int cls, char *code, size_t n)
{
	const char	*p = diag;
	size_t		 a, b;
	int		 r;

	if ((p[0] == '2' || p[0] == '4' || p[0] == '5') && p[1] == '.' &&
	    digits(p + 2, &a) && p[2 + a] == '.' &&
	    digits(p + 3 + a, &b) &&
	    (p[3 + a + b] == ' ' || p[3 + a + b] == '\0')) {
		/* the report's class, whatever the diagnostic said */
		r = snprintf(code, n, "%c.%.*s", cls, (int)(a + 1 + b), p + 2);
		if (r > 0 && (size_t)r < n) {
			p += 3 + a + b;
			while (*p == ' ')
				p++;
			return p;
		}
	}
	(void)snprintf(code, n, "%c.0.0", cls);
	return diag;
}

const char *
bounce_status(const char *diag, char *code, size_t n)
{
	/* a report of failure is always class 5 */
	return bounce_status_class(diag, '5', code, n);
}

/* What each kind says: its Subject, its first words, its class. */
static const struct {
	const char	*subject;
	const char	*text;
	const char	*action;
	int		 cls;
} bounce_kinds[] = {
	[BOUNCE_FAILED] = { "Undelivered Mail Returned to Sender",
	    "I'm sorry to have to inform you that your message could not\n"
	    "be delivered to one or more recipients.  The reasons are below.\n",
	    "failed", '5' },
	[BOUNCE_DELAYED] = { "Delayed Mail (still being retried)",
	    "This is a warning only: you need not send your message again.\n"
	    "\n"
	    "Your message has not been delivered yet to the recipients\n"
	    "below.  It stays in the queue and will be tried again until\n"
	    "the time given for each; you will be told if it fails.\n",
	    "delayed", '4' },
	[BOUNCE_DELIVERED] = { "Successful Mail Delivery Report",
	    "Your message was delivered to the recipients below, as you\n"
	    "asked to be told.  \"delivered\" means it is in their mailbox;\n"
	    "\"relayed\" means it went on to a system that sends no such\n"
	    "reports, and you may still hear from systems further on.\n",
	    "delivered", '2' },
};

size_t
bounce_headers_len(const char *msg, size_t n, size_t max, int *cut)
{
	size_t	i, lim;

	*cut = 0;
	lim = n < max ? n : max;
	for (i = 0; i < lim; i++) {
		if (msg[i] != '\n')
			continue;
		/* an empty line: LF LF or LF CR LF */
		if (i + 1 < n && msg[i + 1] == '\n')
			return i + 2 <= lim ? i + 2 : i + 1;
		if (i + 2 < n && msg[i + 1] == '\r' && msg[i + 2] == '\n')
			return i + 3 <= lim ? i + 3 : i + 1;
	}
	if (n <= max)
		return n;
	/* too long: cut after the last whole line within max */
	*cut = 1;
	for (i = lim; i > 0; i--)
		if (msg[i - 1] == '\n')
			return i;
	return 0;
}

int
bounce_remote_reply(const char *text, char *mta, size_t n, size_t *off,
    size_t *len)
{
	const char	*name, *br, *said, *end, *p;

	if (strncmp(text, "host ", 5) != 0)
		return 0;
	name = text + 5;
	if ((br = strchr(name, '[')) == NULL || br == name ||
	    (said = strstr(br, "] said: ")) == NULL ||
	    (size_t)(br - name) >= n)
		return 0;
	for (p = name; p < br; p++)
		if (*p == ' ')
			return 0;
	said += strlen("] said: ");
	/* the last " (in reply to ": a reply may hold the words itself */
	end = NULL;
	for (p = said; (p = strstr(p, " (in reply to ")) != NULL; p++)
		end = p;
	if (end == NULL || end == said)
		return 0;
	memcpy(mta, name, (size_t)(br - name));
	mta[br - name] = '\0';
	*off = (size_t)(said - text);
	*len = (size_t)(end - said);
	return 1;
}

static int
put_headers(struct buf *b, const struct bounce_info *bi, const char *cs)
{
	char	date[64];

	if (bounce_date(date, sizeof(date), bi->now) == -1)
		return -1;
	if (buf_printf(b,
	    "From: Mail Delivery System <MAILER-DAEMON@%s>\n"
	    "To: <%s>\n"
	    "Subject: %s\n"
	    "Date: %s\n"
	    "Message-ID: <%lld.%s.bounce@%s>\n"
	    "Auto-Submitted: auto-replied\n"
	    "MIME-Version: 1.0\n"
	    "Content-Type: multipart/report; report-type=delivery-status;\n"
	    "\tboundary=\"%s\"\n"
	    "\n"
	    "This is a MIME-encapsulated message.\n"
	    "\n"
	    "--%s\n"
	    "Content-Description: Notification\n"
	    "Content-Type: text/plain; charset=%s\n"
	    "\n"
	    "This is the mail system at host %s.\n"
	    "\n"
	    "%s"
	    "\n",
	    bi->myhostname, bi->sender, bounce_kinds[bi->kind].subject, date,
	    bi->now, bi->id, bi->myhostname, bi->boundary, bi->boundary, cs,
	    bi->myhostname, bounce_kinds[bi->kind].text) == -1)
		return -1;
	return 0;
}

static int
put_status(struct buf *b, const struct bounce_info *bi)
{
	const struct bounce_rcpt *r;
	const char	*text, *action;
	char		 date[64], code[16], until[64], mta[256];
	size_t		 i, off, len;

	if (bounce_date(date, sizeof(date), bi->arrival) == -1)
		return -1;
	if (buf_printf(b,
	    "--%s\n"
	    "Content-Description: Delivery report\n"
	    "Content-Type: message/delivery-status\n"
	    "\n", bi->boundary) == -1)
		return -1;
	if (bi->envid != NULL && buf_printf(b, "Original-Envelope-Id: %s\n",
	    bi->envid) == -1)
		return -1;
	if (buf_printf(b,
	    "Reporting-MTA: dns; %s\n"
	    "X-Facteur-Queue-ID: %s\n"
	    "Arrival-Date: %s\n",
	    bi->myhostname, bi->id, date) == -1)
		return -1;
	for (i = 0; i < bi->nrcpt; i++) {
		r = &bi->rcpt[i];
		text = bounce_status_class(r->diag, bounce_kinds[bi->kind].cls,
		    code, sizeof(code));
		if (bi->kind == BOUNCE_DELIVERED)
			(void)strlcpy(code, "2.0.0", sizeof(code));
		if (r->status != NULL)
			strlcpy(code, r->status, sizeof(code));
		action = r->action != NULL ? r->action :
		    bounce_kinds[bi->kind].action;
		if (buf_printf(b, "\nFinal-Recipient: rfc822; %s\n",
		    r->rcpt) == -1)
			return -1;
		if (r->orcpt != NULL) {
			if (buf_printf(b, "Original-Recipient: %s\n",
			    r->orcpt) == -1)
				return -1;
		} else if (r->orig != NULL && strcmp(r->orig, r->rcpt) != 0 &&
		    buf_printf(b, "Original-Recipient: rfc822; %s\n",
		    r->orig) == -1)
			return -1;
		if (bounce_remote_reply(text, mta, sizeof(mta), &off, &len)) {
			if (buf_printf(b, "Action: %s\nStatus: %s\n"
			    "Remote-MTA: dns; %s\n"
			    "Diagnostic-Code: smtp; %.*s\n", action, code, mta,
			    (int)len, text + off) == -1)
				return -1;
		} else if (buf_printf(b, "Action: %s\nStatus: %s\n"
		    "Diagnostic-Code: X-Facteur; %s\n", action, code,
		    text) == -1)
			return -1;
		if (bi->kind == BOUNCE_DELAYED && bi->retry_until > 0) {
			if (bounce_date(until, sizeof(until),
			    bi->retry_until) == -1 ||
			    buf_printf(b, "Will-Retry-Until: %s\n",
			    until) == -1)
				return -1;
		}
	}
	return 0;
}

int
bounce_build(struct buf *b, const struct bounce_info *bi)
{
	const struct bounce_rcpt *r;
	const char	*cs = "us-ascii";
	size_t		 i, hl;
	int		 cut = 0;

	if (bi->nrcpt == 0 || bi->nrcpt > BOUNCE_RCPT_MAX ||
	    bi->kind < BOUNCE_FAILED || bi->kind > BOUNCE_DELIVERED ||
	    (bi->envid != NULL && !text_ok(bi->envid)) ||
	    !text_ok(bi->id) || !text_ok(bi->myhostname) ||
	    !text_ok(bi->sender) || !text_ok(bi->boundary) ||
	    bi->boundary[0] == '\0' ||
	    strlen(bi->boundary) > BOUNCE_BOUNDARY_MAX) {
		errno = EINVAL;
		return -1;
	}
	for (i = 0; i < bi->nrcpt; i++) {
		r = &bi->rcpt[i];
		if (!text_ok(r->rcpt) || !text_ok(r->diag) ||
		    (r->orig != NULL && !text_ok(r->orig)) ||
		    (r->orcpt != NULL && !text_ok(r->orcpt)) ||
		    (r->action != NULL && !text_ok(r->action)) ||
		    (r->status != NULL && !text_ok(r->status))) {
			errno = EINVAL;
			return -1;
		}
		if (!text_ascii(r->rcpt) || !text_ascii(r->diag) ||
		    (r->orig != NULL && !text_ascii(r->orig)))
			cs = "utf-8";
	}
	if (put_headers(b, bi, cs) == -1)
		return -1;
	for (i = 0; i < bi->nrcpt; i++) {
		r = &bi->rcpt[i];
		if (buf_printf(b, "<%s>: %s\n", r->rcpt, r->diag) == -1)
			return -1;
		if (r->orig != NULL && strcmp(r->orig, r->rcpt) != 0 &&
		    buf_printf(b, "    (sent to <%s>)\n", r->orig) == -1)
			return -1;
	}
	if (buf_putc(b, '\n') == -1 || put_status(b, bi) == -1)
		return -1;
	if (bi->full && bi->headers != NULL) {
		/* the whole message, as the sender asked (RET=FULL) */
		if (buf_printf(b, "\n--%s\n"
		    "Content-Description: Undelivered Message\n"
		    "Content-Type: message/rfc822\n"
		    "\n", bi->boundary) == -1 ||
		    buf_append(b, bi->headers, bi->hlen) == -1)
			return -1;
		if (bi->hlen > 0 && bi->headers[bi->hlen - 1] != '\n' &&
		    buf_putc(b, '\n') == -1)
			return -1;
		if (buf_printf(b, "\n--%s--\n", bi->boundary) == -1)
			return -1;
		return 0;
	}
	if (buf_printf(b, "\n--%s\n"
	    "Content-Description: %s\n"
	    "Content-Type: text/rfc822-headers\n"
	    "\n", bi->boundary, bi->kind == BOUNCE_FAILED ?
	    "Undelivered Message Headers" : "Message Headers") == -1)
		return -1;
	if (bi->headers != NULL && bi->hlen > 0) {
		hl = bounce_headers_len(bi->headers, bi->hlen,
		    BOUNCE_HEADERS_MAX, &cut);
		if (buf_append(b, bi->headers, hl) == -1)
			return -1;
		if (hl > 0 && bi->headers[hl - 1] != '\n' &&
		    buf_putc(b, '\n') == -1)
			return -1;
		if (cut && buf_append_str(b,
		    "X-Facteur-Note: header section cut here\n") == -1)
			return -1;
	}
	if (buf_printf(b, "\n--%s--\n", bi->boundary) == -1)
		return -1;
	return 0;
}
