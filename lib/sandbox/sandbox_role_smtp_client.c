/*
 * sandbox_role_smtp_client: remote delivery's SMTP client (being written;
 * its developer calls sandbox_enter(SANDBOX_SMTP_CLIENT) and adjusts this
 * list).  Meant to be entered after the process has dropped to its user,
 * read its configuration and CA certificates, and built its TLS context,
 * before it talks to the first server.
 *
 * What it does from then on: TCP connections to mail servers (IPv4 and
 * IPv6 sockets only: connect, the socket's options and addresses), TLS,
 * DNS over UDP and TCP to the configured resolver if the lookups are made
 * in this process, and its jobs and results over the channel from its
 * spawner.  It opens no file and starts nothing.
 */
#include "sandbox_int.h"

SB_LIST_PRIVATE(smtp_client_net, "inet-client",
	SB_IF(socket, SB_SOCK_INET), SB(connect), SB(getsockopt),
	SB(setsockopt), SB(getsockname), SB(getpeername), SB(shutdown));

const struct sandbox_role_def sandbox_role_smtp_client = {
	"smtp-client",
	{ &sandbox_list_base, &sandbox_list_chan, &sandbox_list_tls,
	  &smtp_client_net, NULL }
};
