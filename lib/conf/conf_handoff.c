/*
 * conf_handoff: the text of a configuration handed from the process that
 * validated it (the master; queued for lspawn) to the programs it
 * starts, so that they run on exactly what it accepted and never re-read
 * a file it refused: after a SIGHUP with a broken facteur.conf, new
 * sessions and restarted servers keep the configuration in force.
 *
 * The text travels in a sealed memfd (no write, grow or shrink, ever), and
 * every reader takes it with pread from offset 0, so one descriptor
 * serves any number of children, at once or one after another.
 *
 * Trust: the descriptor comes from the parent that started us, trusted as
 * the -C path it would otherwise give; the text is parsed as strictly as
 * the file (conf_load_buf).  A set-id program never takes one.
 */
#include <sys/mman.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "fdio.h"

#define CONF_FD_MAX	1023	/* highest descriptor -F takes */

int
conf_text_fd(const char *text, size_t len)
{
	int	 fd, saved;

	if (len > CONF_FILE_MAX) {
		errno = EFBIG;
		return -1;
	}
	fd = memfd_create("facteur.conf", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd == -1)
		return -1;
	if (fd_write_full(fd, text, len) == -1 ||
	    fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW |
	    F_SEAL_WRITE | F_SEAL_SEAL) == -1) {
		saved = errno;
		(void)close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

/* The whole of fd from offset 0, at most CONF_FILE_MAX bytes: 0 or -1. */
static int
conf_text_read(int fd, char **text, size_t *textlen, const char **why)
{
	struct stat	 st;
	char		*data;
	size_t		 len = 0;
	ssize_t		 r;

	*why = NULL;
	if (fstat(fd, &st) == -1)
		return -1;
	if (!S_ISREG(st.st_mode)) {
		*why = "not a file or memfd";
		return -1;
	}
	if ((data = malloc(CONF_FILE_MAX + 1)) == NULL)
		return -1;
	/* One byte past the limit tells a text that is too large. */
	while (len < CONF_FILE_MAX + 1) {
		r = pread(fd, data + len, CONF_FILE_MAX + 1 - len, (off_t)len);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			free(data);
			return -1;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	if (len > CONF_FILE_MAX) {
		free(data);
		*why = "larger than the limit";
		return -1;
	}
	data[len] = '\0';
	*text = data;
	*textlen = len;
	return 0;
}

struct conf *
conf_load_start(const char *path, int fd, conf_error_fn *errfn, void *arg,
    char **textp, size_t *lenp)
{
	struct conf	*c;
	const char	*why;
	char		*text, msg[128];
	size_t		 len;

	if (fd == -1) {
		if (conf_read_text(path, errfn, arg, &text, &len) == -1)
			return NULL;
	} else {
		if (conf_text_read(fd, &text, &len, &why) == -1) {
			if (errfn != NULL) {
				(void)snprintf(msg, sizeof(msg),
				    "%s: the configuration on descriptor %d: "
				    "%s", path, fd, why != NULL ? why :
				    strerror(errno));
				errfn(arg, msg);
			}
			(void)close(fd);
			return NULL;
		}
		(void)close(fd);
	}
	c = conf_load_buf(text, len, path, errfn, arg);
	if (c != NULL && textp != NULL) {
		*textp = text;
		*lenp = len;
	} else
		free(text);
	return c;
}

int
conf_fd_option(const char *s)
{
	const char	*err = NULL;
	long long	 v;

	v = strtonum(s, 3, CONF_FD_MAX, &err);
	return err != NULL ? -1 : (int)v;
}
