/*
 * smtp_cmd: SMTP command line parsing for smtpd.  Everything here works on
 * a line whose terminator smtpd already checked and removed; it refuses
 * rather than repairs, and every refusal carries the reply to send.
 *
 * Trust: every byte is the client's (fuzzed).
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "addr.h"
#include "smtp_cmd.h"

static int
smtp_err_set(struct smtp_err *err, int code, const char *enh, const char *text)
{
	if (err != NULL) {
		err->code = code;
		err->enh = enh;
		err->text = text;
	}
	return -1;
}

int
smtp_cmd_split(const char *line, size_t n, struct smtp_cmd *cmd,
    struct smtp_err *err)
{
	size_t	 i, v;

	memset(cmd, 0, sizeof(*cmd));
	cmd->arg = "";
	if (n > SMTP_CMD_LINE_MAX - 2)
		return smtp_err_set(err, 500, "5.5.2", "Line too long");
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)line[i];

		if (c == '\0')
			return smtp_err_set(err, 500, "5.5.2",
			    "NUL in command refused");
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return smtp_err_set(err, 500, "5.5.2",
			    "Control character in command refused");
	}
	for (v = 0; v < n && isalpha((unsigned char)line[v]); v++) {
		if (v >= SMTP_VERB_MAX)
			return smtp_err_set(err, 500, "5.5.2",
			    "Command unrecognized");
		cmd->verb[v] = (char)toupper((unsigned char)line[v]);
	}
	cmd->verb[v] = '\0';
	if (v == 0 || (v < n && line[v] != ' ' && line[v] != '\t'))
		return smtp_err_set(err, 500, "5.5.2", "Command unrecognized");
	i = v;
	while (i < n && (line[i] == ' ' || line[i] == '\t'))
		i++;
	/* Trailing blanks are dropped: several clients send them. */
	while (n > i && (line[n - 1] == ' ' || line[n - 1] == '\t'))
		n--;
	cmd->arg = line + i;
	cmd->arglen = n - i;
	return 0;
}

/* Matches "KEYWORD:" case-insensitively, then skips blanks. */
static int
smtp_prefix(const char *arg, size_t n, const char *kw, size_t *used)
{
	size_t	 k = strlen(kw), i;

	if (n < k || strncasecmp(arg, kw, k) != 0)
		return -1;
	i = k;
	while (i < n && arg[i] == ' ')
		i++;
	*used = i;
	return 0;
}

struct smtp_param {
	const char	*key;
	size_t		 keylen;
	const char	*val;	/* NULL when no '=' */
	size_t		 vallen;
};

/*
 * Splits "k[=v] k[=v] ..." (RFC 5321 4.1.2 esmtp-param).  keyword is
 * ALPHA / DIGIT then ALPHA / DIGIT / '-'; value is printable ASCII except
 * '=' and SP.
 */
static int
smtp_params_split(const char *s, size_t n, struct smtp_param *p, size_t *np,
    struct smtp_err *err)
{
	size_t	 i = 0, cnt = 0;

	while (i < n) {
		size_t	 start;

		if (s[i] == ' ') {
			i++;
			continue;
		}
		if (cnt >= SMTP_PARAMS_MAX)
			return smtp_err_set(err, 501, "5.5.4",
			    "Too many parameters");
		start = i;
		if (!isalnum((unsigned char)s[i]))
			return smtp_err_set(err, 501, "5.5.4",
			    "Syntax error in parameters");
		while (i < n && (isalnum((unsigned char)s[i]) || s[i] == '-'))
			i++;
		p[cnt].key = s + start;
		p[cnt].keylen = i - start;
		p[cnt].val = NULL;
		p[cnt].vallen = 0;
		if (i < n && s[i] == '=') {
			i++;
			start = i;
			while (i < n && s[i] > 0x20 && s[i] < 0x7f &&
			    s[i] != '=')
				i++;
			p[cnt].val = s + start;
			p[cnt].vallen = i - start;
			if (p[cnt].vallen == 0)
				return smtp_err_set(err, 501, "5.5.4",
				    "Empty parameter value");
		}
		if (i < n && s[i] != ' ')
			return smtp_err_set(err, 501, "5.5.4",
			    "Syntax error in parameters");
		cnt++;
	}
	*np = cnt;
	return 0;
}

static int
smtp_param_is(const struct smtp_param *p, const char *key)
{
	return p->keylen == strlen(key) &&
	    strncasecmp(p->key, key, p->keylen) == 0;
}

static int
smtp_val_is(const struct smtp_param *p, const char *val)
{
	return p->val != NULL && p->vallen == strlen(val) &&
	    strncasecmp(p->val, val, p->vallen) == 0;
}

/* Parses "<path>" then requires a blank or the end of the argument. */
static int
smtp_path_at(const char *s, size_t n, int flags, struct mailpath *mp,
    size_t *used, struct smtp_err *err)
{
	const char	*why = NULL;

	if (n == 0 || s[0] != '<')
		return smtp_err_set(err, 501, "5.5.4",
		    "Syntax: path must be in angle brackets");
	if (path_parse(s, n, flags, mp, used, &why) == -1 || *used > n)
		return smtp_err_set(err, 501, "5.1.7",
		    why != NULL ? why : "Bad address syntax");
	if (*used < n && s[*used] != ' ')
		return smtp_err_set(err, 501, "5.5.4",
		    "Syntax error after the path");
	return 0;
}

int
smtp_mail_parse(const char *arg, size_t n, struct smtp_mail_args *ma,
    struct smtp_err *err)
{
	struct smtp_param	 p[SMTP_PARAMS_MAX];
	char			 tmp[DSN_ENVID_MAX + 1];
	size_t			 i, used, np, k;
	int			 seen_size = 0, seen_body = 0;

	memset(ma, 0, sizeof(*ma));
	ma->size = -1;
	ma->body = SMTP_BODY_NONE;
	if (smtp_prefix(arg, n, "FROM:", &i) == -1)
		return smtp_err_set(err, 501, "5.5.4", "Syntax: MAIL FROM:<address>");
	if (smtp_path_at(arg + i, n - i, PATH_ALLOW_NULL | PATH_ALLOW_UTF8,
	    &ma->path, &used, err) == -1)
		return -1;
	i += used;
	if (smtp_params_split(arg + i, n - i, p, &np, err) == -1)
		return -1;
	for (k = 0; k < np; k++) {
		if (smtp_param_is(&p[k], "SIZE")) {
			char		 num[21];
			const char	*errstr = NULL;

			if (seen_size++ || p[k].val == NULL ||
			    p[k].vallen >= sizeof(num))
				return smtp_err_set(err, 501, "5.5.4",
				    "Bad SIZE parameter");
			memcpy(num, p[k].val, p[k].vallen);
			num[p[k].vallen] = '\0';
			if (strspn(num, "0123456789") != p[k].vallen)
				return smtp_err_set(err, 501, "5.5.4",
				    "Bad SIZE parameter");
			ma->size = strtonum(num, 0, 999999999999999999LL, &errstr);
			if (errstr != NULL)
				return smtp_err_set(err, 501, "5.5.4",
				    "Bad SIZE parameter");
		} else if (smtp_param_is(&p[k], "BODY")) {
			if (seen_body++)
				return smtp_err_set(err, 501, "5.5.4",
				    "Repeated BODY parameter");
			if (smtp_val_is(&p[k], "7BIT"))
				ma->body = SMTP_BODY_7BIT;
			else if (smtp_val_is(&p[k], "8BITMIME"))
				ma->body = SMTP_BODY_8BITMIME;
			else if (smtp_val_is(&p[k], "BINARYMIME"))
				ma->body = SMTP_BODY_BINARYMIME;
			else
				return smtp_err_set(err, 501, "5.5.4",
				    "Bad BODY parameter");
		} else if (smtp_param_is(&p[k], "SMTPUTF8")) {
			if (ma->smtputf8++ || p[k].val != NULL)
				return smtp_err_set(err, 501, "5.5.4",
				    "Bad SMTPUTF8 parameter");
		} else if (smtp_param_is(&p[k], "RET")) {
			if (ma->ret != DSN_RET_NONE || p[k].val == NULL ||
			    dsn_ret_parse(p[k].val, p[k].vallen,
			    &ma->ret) == -1)
				return smtp_err_set(err, 501, "5.5.4",
				    "Bad RET parameter");
		} else if (smtp_param_is(&p[k], "ENVID")) {
			if (ma->envid[0] != '\0' || p[k].val == NULL ||
			    p[k].vallen > DSN_ENVID_MAX ||
			    dsn_envid_parse(p[k].val, p[k].vallen, tmp,
			    sizeof(tmp)) == -1)
				return smtp_err_set(err, 501, "5.5.4",
				    "Bad ENVID parameter");
			memcpy(ma->envid, p[k].val, p[k].vallen);
			ma->envid[p[k].vallen] = '\0';
		} else
			return smtp_err_set(err, 555, "5.5.4",
			    "Unsupported parameter");
	}
	if (ma->path.utf8 && !ma->smtputf8)
		return smtp_err_set(err, 553, "5.6.7",
		    "Non-ASCII address needs SMTPUTF8");
	return 0;
}

int
smtp_rcpt_parse(const char *arg, size_t n, int utf8, struct mailpath *mp,
    struct smtp_err *err)
{
	struct smtp_rcpt_args	 ra;

	if (smtp_rcpt_parse_args(arg, n, utf8, &ra, err) == -1) {
		memset(mp, 0, sizeof(*mp));
		return -1;
	}
	*mp = ra.path;
	return 0;
}

int
smtp_rcpt_parse_args(const char *arg, size_t n, int utf8,
    struct smtp_rcpt_args *ra, struct smtp_err *err)
{
	struct smtp_param	 p[SMTP_PARAMS_MAX];
	struct mailpath		*mp = &ra->path;
	char			 tmp[DSN_ORCPT_MAX + 1];
	size_t			 i, used, np, k;

	memset(ra, 0, sizeof(*ra));
	if (smtp_prefix(arg, n, "TO:", &i) == -1)
		return smtp_err_set(err, 501, "5.5.4", "Syntax: RCPT TO:<address>");
	if (smtp_path_at(arg + i, n - i, PATH_ALLOW_UTF8 | PATH_ALLOW_NO_DOMAIN,
	    mp, &used, err) == -1)
		return -1;
	if (mp->null)
		return smtp_err_set(err, 501, "5.1.3", "Null recipient refused");
	i += used;
	if (smtp_params_split(arg + i, n - i, p, &np, err) == -1)
		return -1;
	for (k = 0; k < np; k++) {
		if (smtp_param_is(&p[k], "NOTIFY")) {
			if (ra->notify != 0 || p[k].val == NULL ||
			    dsn_notify_parse(p[k].val, p[k].vallen,
			    &ra->notify) == -1)
				return smtp_err_set(err, 501, "5.5.4",
				    "Bad NOTIFY parameter");
		} else if (smtp_param_is(&p[k], "ORCPT")) {
			if (ra->orcpt[0] != '\0' || p[k].val == NULL ||
			    p[k].vallen > DSN_ORCPT_MAX ||
			    dsn_orcpt_parse(p[k].val, p[k].vallen, tmp,
			    sizeof(tmp)) == -1)
				return smtp_err_set(err, 501, "5.5.4",
				    "Bad ORCPT parameter");
			memcpy(ra->orcpt, p[k].val, p[k].vallen);
			ra->orcpt[p[k].vallen] = '\0';
		} else
			return smtp_err_set(err, 555, "5.5.4",
			    "Unsupported parameter");
	}
	if (mp->utf8 && !utf8)
		return smtp_err_set(err, 553, "5.6.7",
		    "Non-ASCII address needs SMTPUTF8");
	return 0;
}

int
smtp_bdat_parse(const char *arg, size_t n, unsigned long long max,
    unsigned long long *size, int *last, struct smtp_err *err)
{
	size_t			 i = 0;
	unsigned long long	 v = 0;

	*size = 0;
	*last = 0;
	if (n == 0 || !isdigit((unsigned char)arg[0]))
		return smtp_err_set(err, 501, "5.5.4", "Syntax: BDAT size [LAST]");
	for (; i < n && isdigit((unsigned char)arg[i]); i++) {
		v = v * 10 + (unsigned long long)(arg[i] - '0');
		if (i >= 18 || v > max)
			return smtp_err_set(err, 552, "5.3.4",
			    "Chunk exceeds the message size limit");
	}
	while (i < n && arg[i] == ' ')
		i++;
	if (i < n) {
		if (n - i != 4 || strncasecmp(arg + i, "LAST", 4) != 0)
			return smtp_err_set(err, 501, "5.5.4",
			    "Syntax: BDAT size [LAST]");
		*last = 1;
	}
	*size = v;
	return 0;
}

int
smtp_helo_parse(const char *arg, size_t n, char *out, struct smtp_err *err)
{
	size_t	 i;

	if (n == 0)
		return smtp_err_set(err, 501, "5.5.4", "Syntax: EHLO hostname");
	if (n > SMTP_HELO_MAX)
		return smtp_err_set(err, 501, "5.5.4", "Hostname too long");
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)arg[i];

		if (c <= 0x20 || c >= 0x7f)
			return smtp_err_set(err, 501, "5.5.4",
			    "Syntax: EHLO hostname");
	}
	memcpy(out, arg, n);
	out[n] = '\0';
	return 0;
}

int
smtp_is_postmaster(const char *local)
{
	return strcasecmp(local, "postmaster") == 0;
}
