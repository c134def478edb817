/*
 * imap_resp: the pieces of imapsession's responses: strings (quoted when
 * that is safe, literals otherwise), mailbox names in the client's form,
 * flag lists and dates.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "imap_parse.h"
#include "imap_quote.h"
#include "imapsession.h"

int
resp_string(struct buf *b, const char *s, size_t n, int utf8)
{
	return imap_quote_string(b, s, n, utf8 ? IMAP_FMT_UTF8 : 0);
}

int
resp_nstring(struct buf *b, const char *s, size_t n, int utf8)
{
	return imap_quote_nstring(b, s, n, utf8 ? IMAP_FMT_UTF8 : 0);
}

int
resp_mailbox(struct imap_session *s, struct buf *b, const char *name)
{
	char	 w[4 * MAILBOX_NAME_MAX + 8];

	if (mailbox_name_to_wire(name, s->utf8, w, sizeof(w)) == -1)
		return -1;
	return resp_string(b, w, strlen(w), s->utf8);
}

static const struct {
	uint8_t		 bit;
	const char	*name;
} sys_flags[] = {
	{ MSG_ANSWERED, "\\Answered" }, { MSG_FLAGGED, "\\Flagged" },
	{ MSG_DELETED, "\\Deleted" }, { MSG_SEEN, "\\Seen" },
	{ MSG_DRAFT, "\\Draft" }
};

int
resp_flags(struct imap_session *s, struct buf *b, size_t i)
{
	const struct msg	*m = &s->box.msgs[i];
	size_t			 k;
	int			 sp = 0;

	if (buf_putc(b, '(') == -1)
		return -1;
	for (k = 0; k < sizeof(sys_flags) / sizeof(sys_flags[0]); k++)
		if (m->flags & sys_flags[k].bit) {
			if (buf_printf(b, "%s%s", sp ? " " : "",
			    sys_flags[k].name) == -1)
				return -1;
			sp = 1;
		}
	if ((m->flags & MSG_RECENT) && !s->rev2) {
		if (buf_printf(b, "%s\\Recent", sp ? " " : "") == -1)
			return -1;
		sp = 1;
	}
	for (k = 0; k < s->box.nkw; k++)
		if (m->kw & (1U << k)) {
			if (buf_printf(b, "%s%s", sp ? " " : "",
			    s->box.kw[k]) == -1)
				return -1;
			sp = 1;
		}
	return buf_putc(b, ')');
}

int
resp_flag_list(struct imap_session *s, struct buf *b, int permanent)
{
	size_t	 k;

	if (buf_append_str(b, "(\\Answered \\Flagged \\Deleted \\Seen "
	    "\\Draft") == -1)
		return -1;
	for (k = 0; k < s->box.nkw; k++)
		if (buf_printf(b, " %s", s->box.kw[k]) == -1)
			return -1;
	if (permanent && s->box.nkw < STORE_KEYWORDS_MAX &&
	    buf_append_str(b, " \\*") == -1)
		return -1;
	return buf_putc(b, ')');
}

int
resp_date(struct buf *b, time_t t)
{
	static const char *const mon[] = { "Jan", "Feb", "Mar", "Apr", "May",
	    "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	struct tm	 tm;
	long		 off;

	if (localtime_r(&t, &tm) == NULL)
		return -1;
	off = tm.tm_gmtoff / 60;
	return buf_printf(b, "\"%02d-%s-%04d %02d:%02d:%02d %c%02ld%02ld\"",
	    tm.tm_mday, mon[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, off < 0 ? '-' : '+', (off < 0 ? -off : off) /
	    60, (off < 0 ? -off : off) % 60);
}

int
resp_send(struct imap_session *s, struct buf *b)
{
	int	 r;

	r = lineio_write(&s->io, b->data, b->len);
	buf_reset(b);
	return r;
}
