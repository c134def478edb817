/*
 * sasl: server-side PLAIN and LOGIN and the strict base64 they travel in.
 * Shared by smtpd (AUTH), pop3d (AUTH) and imapd (AUTHENTICATE) so that
 * the three refuse the same malformed input in the same way.  The decoded
 * bytes are wiped as soon as they are split into fields.
 *
 * Trust: every byte is the client's: lengths, base64 and fields are
 * checked strictly; nothing decoded outlives its use.
 */
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "sasl.h"

#define SASL_DECODED_MAX	(SASL_LINE_MAX / 4 * 3)

/* base64 of "Username:" and "Password:", as every LOGIN server sends. */
#define LOGIN_USER_CHALLENGE	"VXNlcm5hbWU6"
#define LOGIN_PASS_CHALLENGE	"UGFzc3dvcmQ6"

static const char b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int
b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

ssize_t
sasl_b64_decode(const char *in, size_t len, unsigned char *out,
    size_t outsize)
{
	size_t		 i, o = 0, pad = 0;
	int		 v[4], k;
	unsigned long	 w;

	if (len % 4 != 0)
		return -1;
	if (len > 0 && in[len - 1] == '=')
		pad = (len > 1 && in[len - 2] == '=') ? 2 : 1;
	if (len / 4 * 3 - pad > outsize)
		return -1;
	for (i = 0; i < len; i += 4) {
		for (k = 0; k < 4; k++) {
			if (i + (size_t)k >= len - pad) {
				v[k] = 0;	/* a padding position */
				continue;
			}
			if ((v[k] = b64_value((unsigned char)in[i + k])) < 0)
				return -1;
		}
		w = ((unsigned long)v[0] << 18) | ((unsigned long)v[1] << 12) |
		    ((unsigned long)v[2] << 6) | (unsigned long)v[3];
		if (i + 4 < len || pad == 0) {
			out[o++] = (unsigned char)(w >> 16);
			out[o++] = (unsigned char)(w >> 8);
			out[o++] = (unsigned char)w;
		} else if (pad == 1) {
			if (w & 0xff)		/* bits that encode nothing */
				return -1;
			out[o++] = (unsigned char)(w >> 16);
			out[o++] = (unsigned char)(w >> 8);
		} else {
			if (w & 0xffff)
				return -1;
			out[o++] = (unsigned char)(w >> 16);
		}
	}
	return (ssize_t)o;
}

ssize_t
sasl_b64_encode(const unsigned char *in, size_t len, char *out,
    size_t outsize)
{
	size_t		 i, o = 0, need;
	unsigned long	 w;

	if (len > (SIZE_MAX - 1) / 4 * 3 - 3)
		return -1;
	need = (len + 2) / 3 * 4 + 1;
	if (need > outsize)
		return -1;
	for (i = 0; i < len; i += 3) {
		w = (unsigned long)in[i] << 16;
		if (i + 1 < len)
			w |= (unsigned long)in[i + 1] << 8;
		if (i + 2 < len)
			w |= in[i + 2];
		out[o++] = b64_alphabet[(w >> 18) & 63];
		out[o++] = b64_alphabet[(w >> 12) & 63];
		out[o++] = i + 1 < len ? b64_alphabet[(w >> 6) & 63] : '=';
		out[o++] = i + 2 < len ? b64_alphabet[w & 63] : '=';
	}
	out[o] = '\0';
	return (ssize_t)o;
}

void
sasl_init(struct sasl *s)
{
	memset(s, 0, sizeof(*s));
	s->mech = SASL_MECH_NONE;
	s->err = SASL_ERR_NONE;
}

void
sasl_clear(struct sasl *s)
{
	explicit_bzero(s, sizeof(*s));
	s->mech = SASL_MECH_NONE;
}

static enum sasl_status
sasl_fail(struct sasl *s, enum sasl_err err)
{
	explicit_bzero(&s->creds, sizeof(s->creds));
	s->err = err;
	s->mech = SASL_MECH_NONE;
	s->challenge[0] = '\0';
	return SASL_ERROR;
}

/* A name field: 1..SASL_NAME_MAX bytes (0 allowed when may_be_empty). */
static enum sasl_err
sasl_name(char *dst, const unsigned char *src, size_t len, int may_be_empty)
{
	size_t	i;

	if (len == 0 && !may_be_empty)
		return SASL_ERR_SYNTAX;
	if (len > SASL_NAME_MAX)
		return SASL_ERR_TOO_LONG;
	for (i = 0; i < len; i++)
		if (src[i] < 0x20 || src[i] == 0x7f)
			return SASL_ERR_SYNTAX;	/* NUL, CR, LF among them */
	memcpy(dst, src, len);
	dst[len] = '\0';
	return SASL_ERR_NONE;
}

static enum sasl_err
sasl_password(char *dst, const unsigned char *src, size_t len)
{
	if (len == 0)
		return SASL_ERR_SYNTAX;		/* RFC 4616: 1*SAFE */
	if (len > SASL_PASS_MAX)
		return SASL_ERR_TOO_LONG;
	if (memchr(src, '\0', len) != NULL)
		return SASL_ERR_SYNTAX;
	memcpy(dst, src, len);
	dst[len] = '\0';
	return SASL_ERR_NONE;
}

/* message = [authzid] UTF8NUL authcid UTF8NUL passwd (RFC 4616 2). */
static enum sasl_err
sasl_plain(struct sasl_creds *c, const unsigned char *m, size_t n)
{
	const unsigned char	*n1, *n2;
	enum sasl_err		 e;

	if ((n1 = memchr(m, '\0', n)) == NULL)
		return SASL_ERR_SYNTAX;
	if ((n2 = memchr(n1 + 1, '\0', n - (size_t)(n1 + 1 - m))) == NULL)
		return SASL_ERR_SYNTAX;
	if ((e = sasl_name(c->authzid, m, (size_t)(n1 - m), 1)) != 0 ||
	    (e = sasl_name(c->authcid, n1 + 1, (size_t)(n2 - n1 - 1), 0)) != 0 ||
	    (e = sasl_password(c->password, n2 + 1,
	    n - (size_t)(n2 + 1 - m))) != 0)
		return e;
	if (c->authzid[0] != '\0' && strcmp(c->authzid, c->authcid) != 0)
		return SASL_ERR_AUTHZID;
	return SASL_ERR_NONE;
}

/* Feeds one decoded response to the mechanism. */
static enum sasl_status
sasl_feed(struct sasl *s, const unsigned char *m, size_t n)
{
	enum sasl_err	e;

	switch (s->mech) {
	case SASL_MECH_PLAIN:
		if ((e = sasl_plain(&s->creds, m, n)) != SASL_ERR_NONE)
			return sasl_fail(s, e);
		break;
	case SASL_MECH_LOGIN:
		if (s->step == 0) {
			if ((e = sasl_name(s->creds.authcid, m, n, 0)) != 0)
				return sasl_fail(s, e);
			s->step = 1;
			(void)strlcpy(s->challenge, LOGIN_PASS_CHALLENGE,
			    sizeof(s->challenge));
			return SASL_CONTINUE;
		}
		if ((e = sasl_password(s->creds.password, m, n)) != 0)
			return sasl_fail(s, e);
		break;
	default:
		return sasl_fail(s, SASL_ERR_STATE);
	}
	s->mech = SASL_MECH_NONE;	/* done: no further step */
	s->challenge[0] = '\0';
	s->err = SASL_ERR_NONE;
	return SASL_DONE;
}

/* Decodes one line (already checked for length) and feeds it. */
static enum sasl_status
sasl_decode_feed(struct sasl *s, const char *line, size_t len)
{
	unsigned char		 buf[SASL_DECODED_MAX];
	ssize_t			 n;
	enum sasl_status	 r;

	if ((n = sasl_b64_decode(line, len, buf, sizeof(buf))) < 0)
		return sasl_fail(s, SASL_ERR_BASE64);
	r = sasl_feed(s, buf, (size_t)n);
	explicit_bzero(buf, (size_t)n);
	return r;
}

int
sasl_mech_known(const char *mech)
{
	return strcasecmp(mech, "PLAIN") == 0 || strcasecmp(mech, "LOGIN") == 0;
}

enum sasl_status
sasl_start(struct sasl *s, const char *mech, const char *initial)
{
	size_t	len;

	sasl_init(s);
	if (strcasecmp(mech, "PLAIN") == 0)
		s->mech = SASL_MECH_PLAIN;
	else if (strcasecmp(mech, "LOGIN") == 0)
		s->mech = SASL_MECH_LOGIN;
	else
		return sasl_fail(s, SASL_ERR_MECH);
	if (initial == NULL) {
		/* PLAIN's first challenge is empty; LOGIN asks for a name. */
		(void)strlcpy(s->challenge, s->mech == SASL_MECH_LOGIN ?
		    LOGIN_USER_CHALLENGE : "", sizeof(s->challenge));
		return SASL_CONTINUE;
	}
	if ((len = strnlen(initial, SASL_LINE_MAX + 1)) > SASL_LINE_MAX)
		return sasl_fail(s, SASL_ERR_TOO_LONG);
	if (strcmp(initial, "=") == 0)
		return sasl_feed(s, (const unsigned char *)"", 0);
	return sasl_decode_feed(s, initial, len);
}

enum sasl_status
sasl_step(struct sasl *s, const char *line, size_t len)
{
	if (s->mech == SASL_MECH_NONE)
		return sasl_fail(s, SASL_ERR_STATE);
	if (len > SASL_LINE_MAX)
		return sasl_fail(s, SASL_ERR_TOO_LONG);
	if (len == 1 && line[0] == '*')
		return sasl_fail(s, SASL_ERR_CANCELLED);
	return sasl_decode_feed(s, line, len);
}

const char *
sasl_challenge(const struct sasl *s)
{
	return s->challenge;
}

enum sasl_err
sasl_error(const struct sasl *s)
{
	return s->err;
}

const char *
sasl_strerror(enum sasl_err e)
{
	switch (e) {
	case SASL_ERR_NONE:
		return "no error";
	case SASL_ERR_MECH:
		return "unknown authentication mechanism";
	case SASL_ERR_BASE64:
		return "malformed base64";
	case SASL_ERR_CANCELLED:
		return "authentication cancelled";
	case SASL_ERR_SYNTAX:
		return "malformed authentication message";
	case SASL_ERR_TOO_LONG:
		return "authentication exchange line too long";
	case SASL_ERR_AUTHZID:
		return "authorization identity differs from the user";
	case SASL_ERR_STATE:
		return "no authentication exchange in progress";
	}
	return "unknown error";
}

const char *
sasl_smtp_reply(enum sasl_err e)
{
	switch (e) {
	case SASL_ERR_MECH:
		return "504 5.5.4 Unrecognized authentication type";
	case SASL_ERR_BASE64:
		return "501 5.5.2 Cannot decode response";
	case SASL_ERR_CANCELLED:
		return "501 5.0.0 Authentication cancelled";
	case SASL_ERR_SYNTAX:
		return "501 5.5.2 Malformed authentication response";
	case SASL_ERR_TOO_LONG:
		return "500 5.5.6 Authentication Exchange line is too long";
	case SASL_ERR_AUTHZID:
		return "535 5.7.8 Authentication credentials invalid";
	case SASL_ERR_NONE:
	case SASL_ERR_STATE:
		break;
	}
	return "503 5.5.1 Bad sequence of commands";
}
