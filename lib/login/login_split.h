/*
 * login_split: the three processes of a mailbox server connection (pop3d
 * now, imapd next), as OpenSSH's privilege separation splits a login.
 *
 *   monitor  the process that was started (root when started as root).
 *            Never reads a network byte: it forks the login process, then
 *            answers its credential requests with auth_check (lib/auth),
 *            and on success forks the session process.
 *   login    chroot to login_chroot, uid login_user.  TLS, greeting,
 *            capabilities, STARTTLS and the login commands, through the
 *            protocol's own code (proto->login).  Credentials go to the
 *            monitor as one netstring frame over a SOCK_SEQPACKET pair;
 *            a malformed frame gets the login process killed.  After a
 *            login it only relays bytes between the client and the
 *            session (login_split_relay).
 *   session  the mailbox owner (uid 0 and uids below first_valid_uid are
 *            refused), in its home directory; speaks the mailbox protocol
 *            over a socketpair whose other end the monitor hands to the
 *            login process (SCM_RIGHTS).  It never sees TLS, keys or the
 *            password database.
 *
 * When not started as root the same processes run without chroot or uid
 * changes (lib/priv logs that once).
 *
 * Time: a connection must be logged in within login_timeout of its start,
 * TLS handshake included, whatever the client sends.  The login process
 * sets the deadline on its lineio (login_split_deadline) and says why it
 * closes; the monitor kills a login process that is still there without
 * a login LOGIN_KILL_GRACE_MS after the deadline, so a protocol's login
 * code cannot outlive it even if it forgets.  After a login the relay has
 * no deadline: the session process keeps its own idle timeout.
 *
 * Frames, login -> monitor:  netstring("A" NUL user NUL password)
 *        monitor -> login:   netstring("K") with the session descriptor,
 *                            netstring("N" NUL kind) with kind "bad",
 *                            "temp" or "close" (too many failures).
 *
 * Trust: see login_split.c.
 */
#ifndef FACTEUR_LOGIN_SPLIT_H
#define FACTEUR_LOGIN_SPLIT_H
#include <sys/types.h>

#include "users.h"

#define LOGIN_FRAME_MAX	2048	/* bytes of one frame's payload */
#define LOGIN_ADDR_MAX	64	/* numeric client address */
#define LOGIN_KILL_GRACE_MS 3000 /* after the deadline: LINEIO_GRACE_MS + 1 s */

struct conf;
struct tls_server;
struct lineio;
struct chan_msg;

enum login_status {
	LOGIN_OK,		/* *session_fd is the session's stream */
	LOGIN_BAD,		/* bad credentials: say so, go on */
	LOGIN_TEMP,		/* could not check now: [SYS/TEMP] */
	LOGIN_CLOSE		/* too many failures: say so and close */
};

struct login_split;

struct login_proto {
	const char	*name;		/* program name for titles and logs */
	/*
	 * The login process, already chrooted and unprivileged; the client
	 * is on fds 0 and 1.  Returns the exit code.
	 */
	int	(*login)(struct login_split *, void *arg);
	/*
	 * The session process as the mailbox owner, in its home; fd is the
	 * protocol stream (its first reply answers the login command).
	 * Returns the exit code.
	 */
	int	(*session)(const struct conf *, const struct user_entry *,
		    int fd, void *arg);
	void	*arg;
};

struct login_split {
	const struct conf	*conf;
	const struct login_proto *proto;
	struct tls_server	*tls;		/* the login process's; or NULL */
	char			 client_addr[LOGIN_ADDR_MAX];
	int			 mon_fd;	/* login <-> monitor */
	long long		 deadline;	/* fd_now_ms(): login_timeout */
};

/*
 * The checks a server makes before it talks: login_chroot, when set and
 * running as root, is fit for a chroot (priv_chroot_check).  0, or -1
 * with the reason in err; the server then answers that it cannot serve.
 */
int	login_split_check(const struct conf *, char *err, size_t errlen);
/*
 * Runs a connection: fills client_addr from fd 0, forks the login
 * process (which owns tls from then on; the monitor frees its copy),
 * serves it, and returns the exit code once both children are done.
 */
int	login_split_run(const struct conf *, const struct login_proto *,
	    struct tls_server *tls);
/*
 * In the login process: puts the login deadline on l (the connection
 * with the client), and returns the milliseconds left (at least 0), for
 * waits that are not l's (a TLS handshake before l exists).
 */
long long login_split_deadline(const struct login_split *, struct lineio *l);
/* In the login process: asks the monitor.  The password is not kept. */
enum login_status login_split_auth(struct login_split *, const char *user,
	    const char *password, int *session_fd);
/*
 * Parses one received frame, data[0..n): exactly one netstring of at
 * most LOGIN_FRAME_MAX bytes, split into 1..maxf NUL-separated fields
 * (pointers into data, NUL-ended in place).  Returns the field count, or
 * -1 when malformed.  Writes only inside data[0..n).
 */
int	login_split_parse(char *data, size_t n, char **fields, int maxf);
/*
 * The monitor's verdict on what it received from the login process: r
 * is chan_recv's answer and m the frame; session is 1 once a session was
 * started, closed 1 once the monitor answered "close" (too many
 * failures).  1: credentials to check, [A, user, password] with no
 * descriptor, no session yet and not closed; 0: end of file; -1 with
 * *why (for the log): anything else, and the login process must be
 * killed.
 */
int	login_split_take(int r, const struct chan_msg *m, int session,
	    int closed, const char **why);
/*
 * In the login process after LOGIN_OK: relays bytes both ways between
 * the client (l, plain or TLS) and the session until either side ends.
 * Input l had buffered goes to the session first; l's deadline is lifted
 * first.  0 when the session ended, -1 when the client went away or
 * failed.
 */
int	login_split_relay(struct lineio *l, int session_fd);

#endif
