/*
 * sandbox_role_smtp_client: remote delivery's SMTP client
 * (remote/smtp_worker.c), entered in each client right after rspawn
 * forked it (remote/rspawn_pool.c): it is already smtp_user in
 * smtp_chroot, holds only its socket to rspawn (fd 3) and stderr, and
 * has its TLS context (built by rspawn, which read the CA file before the
 * chroot) and its destination's credential, if any.  rspawn prepares the
 * filter once, before it forks any client.
 *
 * What it does from then on: TCP connections to the hosts rspawn names
 * (IPv4 and IPv6 sockets only: socket, connect, SO_ERROR, TCP_NODELAY),
 * TLS over them, reading the message whose descriptor comes with each
 * request (lseek to its start, read), and requests, results and log
 * lines over fd 3 (frames with a descriptor: sendmsg, recvmsg).  The DNS
 * is rspawn's: the client sends no query.  It opens no file, binds and
 * listens nowhere, and starts nothing.
 */
#include "sandbox_int.h"

SB_LIST_PRIVATE(smtp_client_net, "inet-client",
	SB_IF(socket, SB_SOCK_INET), SB(connect), SB(getsockopt),
	SB(setsockopt), SB(shutdown));

/* the message, read from its start for each try */
SB_LIST_PRIVATE(smtp_client_msg, "message",
	SB(lseek));

const struct sandbox_role_def sandbox_role_smtp_client = {
	"smtp-client",
	{ &sandbox_list_base, &sandbox_list_chan, &sandbox_list_tls,
	  &smtp_client_net, &smtp_client_msg, NULL }
};
