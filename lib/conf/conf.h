/*
 * conf: facteur.conf, `key = value` lines.  '#' starts a comment line;
 * blank lines are ignored; a value runs to the end of the line with
 * surrounding blanks removed.  Every key is declared once in conf_keys.c
 * (name, type, default, limits, one line of documentation) and documented
 * in facteur.conf(5); an unknown key or a malformed or out-of-range value
 * is an error reported as "FILE:LINE: problem".  All errors of a file are
 * reported, not only the first.  A key set twice takes its last value
 * (so settings appended to a file win, as in Postfix's main.cf) and is
 * reported as a warning ("FILE:LINE: warning: ..."); a warning does not
 * stop the file from loading.
 *
 * Value syntax by type: STR any text without control bytes; INT a decimal
 * number; SIZE a number with an optional k, m or g suffix (powers of 1024);
 * TIME a number with an optional s, m, h, d or w suffix (seconds); BOOL
 * yes/no/true/false/on/off/1/0; LIST words separated by commas and/or blanks.
 *
 * Trust: see conf.c.
 */
#ifndef FACTEUR_CONF_H
#define FACTEUR_CONF_H
#include <stdarg.h>
#include <stddef.h>

#define CONF_FILE_MAX	(1024 * 1024)	/* bytes in facteur.conf */
#define CONF_LINE_MAX	4096		/* bytes in one line, without the newline */
/* What a warning's text starts with, after "FILE:LINE: ". */
#define CONF_WARNING	"warning: "

enum conf_type { CONF_STR, CONF_INT, CONF_SIZE, CONF_TIME, CONF_BOOL, CONF_LIST };

struct conf_key {
	const char	*name;
	enum conf_type	 type;
	const char	*def;		/* default as it would be written */
	long long	 min, max;	/* for INT, SIZE, TIME */
	const char	*doc;
};

extern const struct conf_key conf_keys[];	/* ends with name == NULL */

struct conf;

typedef void conf_error_fn(void *arg, const char *msg);

/*
 * Reports one problem as "NAME:LINE: text" ("NAME: text" for line 0)
 * through errfn; conf and the tables report every error this way.
 */
void		 conf_vreport(conf_error_fn *errfn, void *arg, const char *name,
		    size_t line, const char *fmt, va_list ap)
		    __attribute__((format(printf, 5, 0)));

/*
 * NULL (after reporting every error through errfn) or the config.
 * Warnings go through errfn too, their text starting with CONF_WARNING
 * after "NAME:LINE: ", for programs that only log what they are told;
 * with conf_load_warn they go through warnfn instead, for a caller that
 * must tell them from errors (the text of an error may quote the file's
 * bytes, that prefix included).
 */
struct conf	*conf_load(const char *path, conf_error_fn *errfn, void *arg);
struct conf	*conf_load_warn(const char *path, conf_error_fn *errfn,
		    conf_error_fn *warnfn, void *arg);
/*
 * The file's text, as conf_load reads it (a regular file of at most
 * CONF_FILE_MAX bytes), NUL-terminated in *text (free it): 0, or -1
 * after reporting through errfn.  conf_load is this, then conf_load_buf.
 */
int		 conf_read_text(const char *path, conf_error_fn *errfn,
		    void *arg, char **text, size_t *textlen);
/*
 * The same from memory: `data` (len bytes, need not be NUL-terminated) is
 * the file text and `name` is used in error messages.  For tests and fuzzing.
 */
struct conf	*conf_load_buf(const char *data, size_t len, const char *name,
		    conf_error_fn *errfn, void *arg);
struct conf	*conf_load_buf_warn(const char *data, size_t len,
		    const char *name, conf_error_fn *errfn,
		    conf_error_fn *warnfn, void *arg);
/* Every key at its default. */
struct conf	*conf_defaults(void);
void		 conf_free(struct conf *);
const char	*conf_path(const struct conf *);	/* "" for defaults */

/*
 * Lookups abort with fatalx() on a key missing from conf_keys (a bug).
 * conf_str works on a key of any type and gives the value as written,
 * except that a LIST gives its words joined by ", ".
 */
const char	*conf_str(const struct conf *, const char *key);
long long	 conf_int(const struct conf *, const char *key);	/* INT/SIZE/TIME */
int		 conf_bool(const struct conf *, const char *key);
/* NULL-terminated array of words, valid as long as the conf. */
const char *const *conf_list(const struct conf *, const char *key, size_t *n);
/* 1 if `word` is in the LIST key (ASCII case-insensitive), else 0. */
int		 conf_list_has(const struct conf *, const char *key, const char *word);

/*
 * myhostname, or when it is empty the name gethostname(3) gives (taken as
 * fully qualified when it has a dot; no DNS lookup is made), or "localhost"
 * when that fails.  Computed once per conf.
 */
const char	*conf_myhostname(const struct conf *);
/*
 * 1 if domain is one of local_domains, else 0: ASCII case-insensitive, one
 * trailing dot ignored on either side, the word $myhostname standing for
 * conf_myhostname().
 */
int		 conf_is_local_domain(const struct conf *, const char *domain);

/*
 * Handing a validated configuration to a program (conf_handoff.c): the
 * master, and queued for lspawn, start their programs with -F fd, the
 * text they accepted in a sealed memfd, so that a child never re-reads a
 * file its parent refused.  Started by hand, inetd or systemd, a program
 * reads the file itself.
 *
 * conf_text_fd: a sealed, close-on-exec memfd holding text; -1 with errno.
 * conf_load_start: the configuration a program starts on: the text on fd
 * when fd is not -1 (the descriptor is closed once read), else the file
 * path; path names it in messages and conf_path() either way.  With textp
 * not NULL, the text is kept in *textp (free it), for a program that
 * passes it on.  NULL after reporting every error through errfn.
 * conf_fd_option: the argument of -F, a descriptor number from 3 to 1023,
 * or -1 when it is anything else.
 */
int		 conf_text_fd(const char *text, size_t len);
struct conf	*conf_load_start(const char *path, int fd,
		    conf_error_fn *errfn, void *arg, char **textp,
		    size_t *lenp);
int		 conf_fd_option(const char *);

/*
 * Finds the config file path the way every program does: an explicit path
 * (-C) first, then $FACTEUR_CONF when use_env (never in a set-id process:
 * secure_getenv(3)), then FACTEUR_CONF_DEFAULT.  Empty strings are skipped.
 */
const char	*conf_find_path(const char *explicit_path, int use_env);

#endif
