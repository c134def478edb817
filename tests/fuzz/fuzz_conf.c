/*
 * libFuzzer target for lib/conf/conf.c and lib/conf/conf_value.c: parses the input
 * as facteur.conf with conf_load_buf and checks what callers rely on:
 * every message is one clean line naming the file, a config comes back
 * only when no error was reported (a warning, a key set twice, does not
 * count), and every key of a loaded config
 * reads back in range (numbers within their limits, list words non-empty
 * and clean).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"

static void
check_clean(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			abort();
}

static void
check_error(void *arg, const char *msg)
{
	size_t	*n = arg;

	(*n)++;
	if (strncmp(msg, "fuzz.conf:", 10) != 0)
		abort();
	check_clean(msg);
}

/* A warning (a key set twice): a clean line, "fuzz.conf:N: warning: ". */
static void
check_warning(void *arg, const char *msg)
{
	const char	*w;

	(void)arg;
	if (strncmp(msg, "fuzz.conf:", 10) != 0 ||
	    (w = strchr(msg + 10, ':')) == NULL ||
	    strncmp(w, ": " CONF_WARNING, 2 + strlen(CONF_WARNING)) != 0)
		abort();
	check_clean(msg);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct conf		*c;
	const char *const	*w;
	const struct conf_key	*k;
	size_t			 nerr = 0, n, i;
	long long		 v;

	c = conf_load_buf_warn((const char *)data, size, "fuzz.conf",
	    check_error, check_warning, &nerr);
	if (c == NULL) {
		if (nerr == 0)
			abort();
		return 0;
	}
	if (nerr != 0)
		abort();
	for (k = conf_keys; k->name != NULL; k++) {
		check_clean(conf_str(c, k->name));
		switch (k->type) {
		case CONF_INT:
		case CONF_SIZE:
		case CONF_TIME:
			v = conf_int(c, k->name);
			if (v < k->min || v > k->max)
				abort();
			break;
		case CONF_BOOL:
			if (conf_bool(c, k->name) != 0 &&
			    conf_bool(c, k->name) != 1)
				abort();
			break;
		case CONF_LIST:
			w = conf_list(c, k->name, &n);
			for (i = 0; i < n; i++) {
				if (w[i] == NULL || w[i][0] == '\0' ||
				    strpbrk(w[i], ", \t") != NULL)
					abort();
				check_clean(w[i]);
				if (!conf_list_has(c, k->name, w[i]))
					abort();
			}
			if (w[n] != NULL)
				abort();
			break;
		case CONF_STR:
			break;
		}
	}
	check_clean(conf_myhostname(c));
	(void)conf_is_local_domain(c, "example.org.");
	conf_free(c);
	return 0;
}
