/*
 * facteurctl_explain_log: reads the log for `facteurctl explain`.  A line
 * is taken in any of the forms a facteur line reaches a file in:
 *
 *   2026-12-07T10:11:12.123456+01:00 HOST facteur/queued[123]: ID: text
 *   Dec  7 10:11:12 HOST facteur/queued[123]: ID: text
 *
 * (log_file and rsyslog's RFC 3339 form; the traditional syslog form,
 * which journalctl -o short also prints).  Only lines whose tag starts
 * "facteur/" and whose text starts with a queue ID of interest are kept.
 *
 * Trust: the log may hold anything a client managed to get logged
 * (facteur replaces control bytes before it writes, but another program
 * may write there too): lines are bounded (XLOG_LINE_MAX), counted
 * (XLOG_LINES_MAX) and their control bytes shown as '?'.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "facteurctl_explain.h"

static int
xlog_want(const struct xlog *x, const char *id)
{
	size_t	 i;

	for (i = 0; i < x->nids; i++)
		if (strcmp(x->ids[i], id) == 0)
			return 1;
	return 0;
}

/* "2026-12-07T10:11:12[.frac](+01:00|Z)": seconds since the epoch. */
static double
xlog_time_3339(const char *s, const char **end)
{
	struct tm	 tm;
	const char	*p;
	double		 frac = 0, scale = 0.1;
	long		 off = 0;
	time_t		 t;

	memset(&tm, 0, sizeof(tm));
	if ((p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm)) == NULL)
		return -1;
	if (*p == '.')
		for (p++; *p >= '0' && *p <= '9'; p++, scale /= 10)
			frac += (*p - '0') * scale;
	if (*p == 'Z')
		p++;
	else if ((*p == '+' || *p == '-') && strlen(p) >= 6 && p[3] == ':') {
		off = ((p[1] - '0') * 10 + (p[2] - '0')) * 3600 +
		    ((p[4] - '0') * 10 + (p[5] - '0')) * 60;
		if (*p == '-')
			off = -off;
		p += 6;
	} else
		return -1;
	if ((t = timegm(&tm)) == (time_t)-1)
		return -1;
	*end = p;
	return (double)(t - off) + frac;
}

/* "Dec  7 10:11:12": this year's (or last year's, if in the future). */
static double
xlog_time_syslog(const char *s, const char **end)
{
	struct tm	 tm, now;
	time_t		 t, n = time(NULL);
	const char	*p;

	memset(&tm, 0, sizeof(tm));
	if ((p = strptime(s, "%b %e %H:%M:%S", &tm)) == NULL ||
	    localtime_r(&n, &now) == NULL)
		return -1;
	tm.tm_year = now.tm_year;
	tm.tm_isdst = -1;
	if ((t = mktime(&tm)) == (time_t)-1)
		return -1;
	if (t > n + 86400) {
		tm.tm_year--;
		tm.tm_isdst = -1;
		t = mktime(&tm);
	}
	*end = p;
	return (double)t;
}

/* One line: kept in x when it is facteur's about an ID of interest. */
static int
xlog_line(struct xlog *x, char *line)
{
	struct xlog_line *l, *nv;
	const char	*p = line;
	char		*tag, *text, *q, *notice;
	double		 t;
	size_t		 k, ncap;

	if ((t = xlog_time_3339(line, &p)) < 0 &&
	    (t = xlog_time_syslog(line, &p)) < 0)
		return 0;
	/* " HOST facteur/PROG[PID]: " */
	if ((tag = strstr(p, " facteur/")) == NULL)
		return 0;
	tag += strlen(" facteur/");
	if ((text = strstr(tag, ": ")) == NULL)
		return 0;
	*text = '\0';
	text += 2;
	if ((q = strchr(tag, '[')) != NULL)
		*q = '\0';
	if (strlen(text) < QUEUEID_LEN + 2 || text[QUEUEID_LEN] != ':' ||
	    text[QUEUEID_LEN + 1] != ' ')
		return 0;
	text[QUEUEID_LEN] = '\0';
	if (!queueid_valid(text) || !xlog_want(x, text))
		return 0;
	if (x->n >= XLOG_LINES_MAX)
		return 0;
	if (x->n == x->cap) {
		ncap = x->cap ? x->cap * 2 : 64;
		if ((nv = reallocarray(x->v, ncap, sizeof(*nv))) == NULL)
			return -1;
		x->v = nv;
		x->cap = ncap;
	}
	l = &x->v[x->n];
	memset(l, 0, sizeof(*l));
	l->t = t;
	(void)strlcpy(l->prog, tag, sizeof(l->prog));
	(void)strlcpy(l->id, text, sizeof(l->id));
	if ((l->text = strdup(text + QUEUEID_LEN + 2)) == NULL)
		return -1;
	for (k = 0; l->text[k] != '\0'; k++)
		if ((unsigned char)l->text[k] < 0x20 || l->text[k] == 0x7f)
			l->text[k] = '?';
	x->n++;
	/* a notice about our message: its own lines are wanted too */
	if (strcmp(l->id, x->ids[0]) == 0 &&
	    (notice = strstr(l->text, " notification: ")) != NULL &&
	    strncmp(l->text, "sender ", 7) == 0 && x->nids < XLOG_IDS_MAX) {
		notice += strlen(" notification: ");
		if (queueid_valid(notice) && !xlog_want(x, notice))
			(void)strlcpy(x->ids[x->nids++], notice,
			    sizeof(x->ids[0]));
	}
	return 0;
}

int
xlog_read(FILE *f, const char *id, struct xlog *x)
{
	char	*line = NULL;
	size_t	 cap = 0;
	ssize_t	 n;

	memset(x, 0, sizeof(*x));
	(void)strlcpy(x->ids[0], id, sizeof(x->ids[0]));
	x->nids = 1;
	while ((n = getline(&line, &cap, f)) != -1) {
		if ((size_t)n > XLOG_LINE_MAX) {
			x->skipped++;
			continue;
		}
		if (n > 0 && line[n - 1] == '\n')
			line[n - 1] = '\0';
		if (xlog_line(x, line) == -1) {
			free(line);
			return -1;
		}
	}
	free(line);
	return ferror(f) ? -1 : 0;
}

void
xlog_free(struct xlog *x)
{
	size_t	 i;

	for (i = 0; i < x->n; i++)
		free(x->v[i].text);
	free(x->v);
	memset(x, 0, sizeof(*x));
}

int
xlog_field(const char *text, const char *key, char *out, size_t n)
{
	const char	*p = text, *e;
	size_t		 kl = strlen(key), len;

	for (;;) {
		if ((p = strstr(p, key)) == NULL)
			return -1;
		/* at the start, or after ", " or " " */
		if ((p == text || p[-1] == ' ') && p[kl] == '=')
			break;
		p += kl;
	}
	p += kl + 1;
	if (*p == '<') {
		if ((e = strchr(p, '>')) == NULL)
			return -1;
		p++;
	} else if ((e = strstr(p, ", ")) == NULL)
		e = p + strlen(p);
	len = (size_t)(e - p);
	if (len >= n)
		len = n - 1;
	memcpy(out, p, len);
	out[len] = '\0';
	return 0;
}
