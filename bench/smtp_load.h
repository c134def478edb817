/*
 * smtp_load.h: what the two files of bench's SMTP load generator share:
 * smtp_load.c (options, threads, messages, the report) and
 * smtp_load_conn.c (one client connection: connect, TLS, replies).
 */
#ifndef SMTP_LOAD_H
#define SMTP_LOAD_H
#include <sys/socket.h>
#include <sys/time.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#define REPLY_MAX	8192
#define TLS_NONE	0
#define TLS_STARTTLS	1
#define TLS_IMPLICIT	2

struct opts {
	const char	*host;
	int		 port;
	int		 conc;
	long		 total;
	int		 per_conn;
	size_t		 size;
	const char	*from;
	const char	*rcpt;
	const char	*helo;
	int		 pipelining;
	int		 tls;
	int		 tls12;
	int		 timeout;
	const char	*out;
	int		 idle;
};

struct conn {
	int		 fd;
	SSL		*ssl;
	char		 buf[REPLY_MAX];
	size_t		 len;
	size_t		 off;
	int		 has_starttls;
	int		 has_pipelining;
};

struct rec {
	int64_t		 start_ns;
	int64_t		 end_ns;
	int64_t		 start_mono;
	int64_t		 end_mono;
};


extern struct opts		 o;
extern SSL_CTX			*ctx;
extern atomic_long		 n_resumed;
extern atomic_int		 no_starttls;
extern _Thread_local SSL_SESSION *tl_ticket;

int	conn_write(struct conn *, const char *, size_t);
int	conn_reply(struct conn *);
int	conn_cmd(struct conn *, const char *line, int want);
int	tls_new_session(SSL *, SSL_SESSION *);
void	conn_close(struct conn *, SSL_SESSION **);
int	session_open(struct conn *, SSL_SESSION **);

#endif
