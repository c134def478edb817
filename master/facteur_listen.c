/*
 * facteur_listen: the master's listening sockets.  Addresses are numeric
 * only (no name lookups): "127.0.0.1:2525", "[::1]:2525", "*:25" (every
 * IPv4 address), "[::]:25" (every IPv6 address, IPV6_V6ONLY set so it can
 * sit beside the IPv4 one).  On SIGHUP the set is rebuilt: sockets whose
 * address is still configured are kept, so no connection is refused while
 * the configuration is re-read.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "facteur.h"
#include "fdio.h"
#include "log.h"

int
listen_parse(const char *s, struct sockaddr_storage *ss, socklen_t *len)
{
	char		 host[64];
	const char	*port, *err = NULL;
	long long	 p;
	struct sockaddr_in  *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (s[0] == '[') {
		const char *end = strchr(s, ']');
		if (end == NULL || end[1] != ':' ||
		    (size_t)(end - s - 1) >= sizeof(host))
			return -1;
		memcpy(host, s + 1, (size_t)(end - s - 1));
		host[end - s - 1] = '\0';
		port = end + 2;
		p = strtonum(port, 1, 65535, &err);
		if (err != NULL || inet_pton(AF_INET6, host, &sin6->sin6_addr) != 1)
			return -1;
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)p);
		*len = sizeof(*sin6);
		return 0;
	}
	if ((port = strrchr(s, ':')) == NULL ||
	    (size_t)(port - s) >= sizeof(host))
		return -1;
	memcpy(host, s, (size_t)(port - s));
	host[port - s] = '\0';
	p = strtonum(port + 1, 1, 65535, &err);
	if (err != NULL)
		return -1;
	if (strcmp(host, "*") == 0)
		sin->sin_addr.s_addr = htonl(INADDR_ANY);
	else if (inet_pton(AF_INET, host, &sin->sin_addr) != 1)
		return -1;
	sin->sin_family = AF_INET;
	sin->sin_port = htons((uint16_t)p);
	*len = sizeof(*sin);
	return 0;
}

int
listen_open(const char *addr, int *fdp)
{
	struct sockaddr_storage ss;
	socklen_t	 len;
	int		 fd, on = 1;

	if (listen_parse(addr, &ss, &len) == -1) {
		log_warnx("bad listen address \"%s\"", addr);
		return -1;
	}
	if ((fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC |
	    SOCK_NONBLOCK, 0)) == -1) {
		log_warn("socket for %s", addr);
		return -1;
	}
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) == -1 ||
	    (ss.ss_family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6,
	    IPV6_V6ONLY, &on, sizeof(on)) == -1)) {
		log_warn("setsockopt for %s", addr);
		close(fd);
		return -1;
	}
	if (bind(fd, (struct sockaddr *)&ss, len) == -1 ||
	    listen(fd, 128) == -1) {
		log_warn("listen on %s", addr);
		close(fd);
		return -1;
	}
	*fdp = fd;
	return 0;
}

/* 1 if the service's program is there to be started. */
static int
listen_program_ok(const struct conf *conf, const struct service *svc)
{
	char	 path[1024];
	int	 r;

	r = snprintf(path, sizeof(path), "%s/%s", conf_str(conf,
	    "program_dir"), svc->program);
	return r > 0 && (size_t)r < sizeof(path) && access(path, X_OK) == 0;
}

/* Keeps sockets still configured, closes the others, opens new ones. */
void
listen_apply(const struct conf *conf)
{
	struct service	*svc;
	const char *const *want;
	size_t		 n, i;
	int		 j, k, fd;

	for (svc = master_services; svc->name != NULL; svc++) {
		int	 nfds = 0;
		int	 fds[MASTER_LISTEN_MAX];
		char	 addrs[MASTER_LISTEN_MAX][64];

		want = conf_list(conf, svc->listen_key, &n);
		if (n > 0 && !listen_program_ok(conf, svc)) {
			log_warnx("%s: %s/%s is not installed; not listening "
			    "on %s", svc->name, conf_str(conf, "program_dir"),
			    svc->program, svc->listen_key);
			n = 0;
		}
		if (n > MASTER_LISTEN_MAX) {
			log_warnx("%s: only the first %d addresses are used",
			    svc->listen_key, MASTER_LISTEN_MAX);
			n = MASTER_LISTEN_MAX;
		}
		for (i = 0; i < n; i++) {
			fd = -1;
			for (j = 0; j < svc->nfds; j++)
				if (svc->fds[j] != -1 &&
				    strcmp(svc->addrs[j], want[i]) == 0) {
					fd = svc->fds[j];
					svc->fds[j] = -1;
					break;
				}
			if (fd == -1 && listen_open(want[i], &fd) == -1)
				continue;
			fds[nfds] = fd;
			(void)strlcpy(addrs[nfds], want[i], sizeof(addrs[0]));
			nfds++;
			log_info("%s: listening on %s", svc->name, want[i]);
		}
		for (j = 0; j < svc->nfds; j++)
			if (svc->fds[j] != -1)
				close(svc->fds[j]);
		for (k = 0; k < nfds; k++) {
			svc->fds[k] = fds[k];
			memcpy(svc->addrs[k], addrs[k], sizeof(addrs[0]));
		}
		svc->nfds = nfds;
	}
}

void
listen_close_all(void)
{
	struct service	*svc;
	int		 j;

	for (svc = master_services; svc->name != NULL; svc++) {
		for (j = 0; j < svc->nfds; j++)
			if (svc->fds[j] != -1)
				close(svc->fds[j]);
		svc->nfds = 0;
	}
}
