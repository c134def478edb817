/*
 * smtp_load: an SMTP load generator for bench/smtp_bench.py (`make bench`).
 *
 * C threads share N messages; each thread opens a connection, sends EHLO,
 * then up to M messages (MAIL, RCPT, DATA with a message of S octets),
 * then QUIT, and starts again until the N messages are taken.  Optionally
 * PIPELINING (MAIL, RCPT and DATA in one write), STARTTLS, or implicit TLS
 * (smtps); TLS sessions are kept per thread and offered again on the next
 * connection, so resumption works when the server allows it.
 *
 * Every message carries X-Bench-Tag: <tag> and X-Bench-Start: <ns since
 * the epoch, taken just before connect() of its connection>, so that a
 * delivered copy can be matched to the moment its connection began.
 *
 * Output (stdout), one line:
 *   sent=K failed=F conns=X resumed=R elapsed=SECONDS rate=MSG/S
 *   p50=SECONDS p99=SECONDS
 * where the latency is from just before connect() to the 250 after the
 * final dot, and rate is K / (time from the first connect to the last 250).
 * With -o FILE, one line per accepted message: "tag start_ns end_ns".
 *
 * Idle mode (-I): one connection, greeting, EHLO, then "ready" on stdout;
 * waits for a line (or EOF) on stdin, sends QUIT and exits.  Used to
 * measure the memory of an idle session.
 *
 * Exit: 0 when all N were accepted, 1 when some failed, 2 on usage or
 * setup errors, 3 when STARTTLS was asked for and not offered.
 */
#include "smtp_load.h"

struct opts		 o;
SSL_CTX			*ctx;
static atomic_long	 next_msg;
static atomic_long	 n_conns;
atomic_long		 n_resumed;
atomic_int		 no_starttls;
static struct rec	*recs;
_Thread_local SSL_SESSION *tl_ticket;
static char		*pad;
static size_t		 pad_len;


static int64_t
now_ns(clockid_t clk)
{
	struct timespec	ts;

	if (clock_gettime(clk, &ts) == -1)
		return 0;
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void
usage(void)
{
	fprintf(stderr, "usage: smtp_load -p port -r rcpt [-H host] [-c conc] "
	    "[-n total] [-m per_conn] [-s size] [-f from] [-e helo] [-P] "
	    "[-t | -T] [-2] [-w timeout] [-o file] [-I]\n");
	exit(2);
}

static long
num(const char *s, long lo, long hi)
{
	char	*end;
	long	 v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *s == '\0' || *end != '\0' || v < lo || v > hi) {
		fprintf(stderr, "smtp_load: bad number %s\n", s);
		exit(2);
	}
	return v;
}

static int
message_send(struct conn *c, long idx, int64_t start_ns)
{
	char	cmds[1024], hdr[1024];
	int	mail, rcpt, n, h;
	size_t	body;

	mail = snprintf(cmds, sizeof(cmds), "MAIL FROM:<%s>\r\n", o.from);
	if (mail < 0 || (size_t)mail >= sizeof(cmds))
		return -1;
	rcpt = snprintf(cmds + mail, sizeof(cmds) - (size_t)mail,
	    "RCPT TO:<%s>\r\n", o.rcpt);
	if (rcpt < 0 || (size_t)rcpt >= sizeof(cmds) - (size_t)mail)
		return -1;
	n = snprintf(cmds + mail + rcpt, sizeof(cmds) - (size_t)(mail + rcpt),
	    "DATA\r\n");
	if (n < 0 || (size_t)n >= sizeof(cmds) - (size_t)(mail + rcpt))
		return -1;
	if (c->has_pipelining) {
		if (conn_write(c, cmds, (size_t)(mail + rcpt + n)) == -1 ||
		    conn_reply(c) != 250 || conn_reply(c) != 250 ||
		    conn_reply(c) != 354)
			return -1;
	} else {
		if (conn_write(c, cmds, (size_t)mail) == -1 ||
		    conn_reply(c) != 250 ||
		    conn_write(c, cmds + mail, (size_t)rcpt) == -1 ||
		    conn_reply(c) != 250 ||
		    conn_write(c, cmds + mail + rcpt, (size_t)n) == -1 ||
		    conn_reply(c) != 354)
			return -1;
	}
	h = snprintf(hdr, sizeof(hdr), "From: <%s>\r\nTo: <%s>\r\n"
	    "Subject: bench %ld\r\nDate: Thu, 27 Nov 2025 10:00:00 +0000\r\n"
	    "Message-ID: <bench-%ld@bench.test>\r\nX-Bench-Tag: m%ld\r\n"
	    "X-Bench-Start: %lld\r\n\r\n", o.from, o.rcpt, idx, idx, idx,
	    (long long)start_ns);
	if (h < 0 || (size_t)h >= sizeof(hdr))
		return -1;
	body = o.size > (size_t)h + 3 ? o.size - (size_t)h - 3 : 0;
	/* whole lines of the pad, then the final dot */
	body -= body % 78;
	if (conn_write(c, hdr, (size_t)h) == -1 ||
	    conn_write(c, pad, body < pad_len ? body : pad_len) == -1 ||
	    conn_write(c, ".\r\n", 3) == -1)
		return -1;
	return conn_reply(c) == 250 ? 0 : -1;
}

static void *
worker(void *arg)
{
	SSL_SESSION	*sess = NULL;
	struct conn	*c;
	int64_t		 start_ns, start_mono;
	long		 idx;
	int		 i, ok;

	(void)arg;
	if ((c = malloc(sizeof(*c))) == NULL)
		return NULL;
	for (;;) {
		idx = atomic_fetch_add(&next_msg, 1);
		if (idx >= o.total)
			break;
		start_ns = now_ns(CLOCK_REALTIME);
		start_mono = now_ns(CLOCK_MONOTONIC);
		atomic_fetch_add(&n_conns, 1);
		ok = session_open(c, &sess) == 0;
		for (i = 0; ok; i++) {
			if (message_send(c, idx, start_ns) == -1) {
				ok = 0;
				break;
			}
			recs[idx].start_ns = start_ns;
			recs[idx].start_mono = start_mono;
			recs[idx].end_ns = now_ns(CLOCK_REALTIME);
			recs[idx].end_mono = now_ns(CLOCK_MONOTONIC);
			if (i + 1 >= o.per_conn)
				break;
			idx = atomic_fetch_add(&next_msg, 1);
			if (idx >= o.total)
				break;
		}
		if (ok)
			ok = conn_cmd(c, "QUIT\r\n", 221) == 0;
		conn_close(c, &sess);
		if (atomic_load(&no_starttls))
			break;
	}
	if (sess != NULL)
		SSL_SESSION_free(sess);
	if (tl_ticket != NULL)
		SSL_SESSION_free(tl_ticket);
	free(c);
	return NULL;
}

static int
cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

static int
idle_session(void)
{
	SSL_SESSION	*sess = NULL;
	struct conn	 c;
	char		 line[64];

	if (session_open(&c, &sess) == -1) {
		fprintf(stderr, "smtp_load: idle session failed\n");
		return atomic_load(&no_starttls) ? 3 : 1;
	}
	printf("ready\n");
	(void)fflush(stdout);
	if (fgets(line, sizeof(line), stdin) == NULL && ferror(stdin))
		fprintf(stderr, "smtp_load: stdin error\n");
	(void)conn_cmd(&c, "QUIT\r\n", 221);
	conn_close(&c, NULL);
	return 0;
}

static int
report(void)
{
	int64_t	*lat, first = INT64_MAX, last = 0;
	long	 i, k = 0;
	FILE	*f = NULL;
	double	 el;

	if ((lat = calloc((size_t)o.total, sizeof(*lat))) == NULL)
		return 2;
	if (o.out != NULL && (f = fopen(o.out, "w")) == NULL) {
		perror(o.out);
		free(lat);
		return 2;
	}
	for (i = 0; i < o.total; i++) {
		if (recs[i].end_ns == 0)
			continue;
		lat[k++] = recs[i].end_mono - recs[i].start_mono;
		if (recs[i].start_mono < first)
			first = recs[i].start_mono;
		if (recs[i].end_mono > last)
			last = recs[i].end_mono;
		if (f != NULL)
			fprintf(f, "m%ld %lld %lld\n", i,
			    (long long)recs[i].start_ns, (long long)recs[i].end_ns);
	}
	if (f != NULL && fclose(f) != 0) {
		perror(o.out);
		free(lat);
		return 2;
	}
	qsort(lat, (size_t)k, sizeof(*lat), cmp_i64);
	el = k > 0 ? (double)(last - first) / 1e9 : 0.0;
	printf("sent=%ld failed=%ld conns=%ld resumed=%ld elapsed=%.3f "
	    "rate=%.1f p50=%.4f p99=%.4f\n", k, o.total - k,
	    atomic_load(&n_conns), atomic_load(&n_resumed), el,
	    el > 0 ? (double)k / el : 0.0,
	    k > 0 ? (double)lat[k / 2] / 1e9 : 0.0,
	    k > 0 ? (double)lat[k * 99 / 100 < k ? k * 99 / 100 : k - 1] / 1e9 :
	    0.0);
	free(lat);
	if (atomic_load(&no_starttls)) {
		fprintf(stderr, "smtp_load: STARTTLS not offered\n");
		return 3;
	}
	return k == o.total ? 0 : 1;
}

int
main(int argc, char *argv[])
{
	pthread_t	*th;
	int		 ch, i;
	size_t		 j;

	o.host = "127.0.0.1";
	o.conc = 1;
	o.total = 100;
	o.per_conn = 1;
	o.size = 4096;
	o.from = "bench@bench.test";
	o.helo = "bench.test";
	o.timeout = 60;
	while ((ch = getopt(argc, argv, "H:p:c:n:m:s:f:r:e:Pt2Tw:o:I")) != -1) {
		switch (ch) {
		case 'H': o.host = optarg; break;
		case 'p': o.port = (int)num(optarg, 1, 65535); break;
		case 'c': o.conc = (int)num(optarg, 1, 1000); break;
		case 'n': o.total = num(optarg, 1, 10000000); break;
		case 'm': o.per_conn = (int)num(optarg, 1, 1000000); break;
		case 's': o.size = (size_t)num(optarg, 64, 100000000); break;
		case 'f': o.from = optarg; break;
		case 'r': o.rcpt = optarg; break;
		case 'e': o.helo = optarg; break;
		case 'P': o.pipelining = 1; break;
		case 't': o.tls = TLS_STARTTLS; break;
		case 'T': o.tls = TLS_IMPLICIT; break;
		case '2': o.tls12 = 1; break;
		case 'w': o.timeout = (int)num(optarg, 1, 3600); break;
		case 'o': o.out = optarg; break;
		case 'I': o.idle = 1; break;
		default: usage();
		}
	}
	if (optind != argc || o.port == 0 || (o.rcpt == NULL && !o.idle) ||
	    (o.rcpt != NULL && strpbrk(o.rcpt, "\r\n<>") != NULL) ||
	    strpbrk(o.from, "\r\n<>") != NULL || strpbrk(o.helo, "\r\n") != NULL)
		usage();
	if (o.rcpt == NULL)
		o.rcpt = "nobody@bench.test";
	(void)signal(SIGPIPE, SIG_IGN);

	if (o.tls != TLS_NONE) {
		if ((ctx = SSL_CTX_new(TLS_client_method())) == NULL)
			return 2;
		/* a bench against a self-signed certificate: no verification */
		SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
		SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT |
		    SSL_SESS_CACHE_NO_INTERNAL_STORE);
		SSL_CTX_sess_set_new_cb(ctx, tls_new_session);
		if (o.tls12 && SSL_CTX_set_max_proto_version(ctx,
		    TLS1_2_VERSION) != 1)
			return 2;
	}
	if (o.idle)
		return idle_session();

	/* 76 x's and CRLF per line: no line starts with a dot */
	pad_len = o.size;
	if ((pad = malloc(pad_len + 78)) == NULL)
		return 2;
	for (j = 0; j + 78 <= pad_len + 78; j += 78) {
		memset(pad + j, 'x', 76);
		pad[j + 76] = '\r';
		pad[j + 77] = '\n';
	}
	if ((recs = calloc((size_t)o.total, sizeof(*recs))) == NULL ||
	    (th = calloc((size_t)o.conc, sizeof(*th))) == NULL)
		return 2;
	for (i = 0; i < o.conc; i++)
		if (pthread_create(&th[i], NULL, worker, NULL) != 0) {
			fprintf(stderr, "smtp_load: pthread_create failed\n");
			return 2;
		}
	for (i = 0; i < o.conc; i++)
		if (pthread_join(th[i], NULL) != 0)
			return 2;
	return report();
}
