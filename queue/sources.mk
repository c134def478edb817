# queue/: the programs that write, manage and front the queue.
# Each program lists its own files; lib/ comes from libfacteur.a.

PROGS += enqueue queued sendmail

SRCS_enqueue  = queue/enqueue.c queue/enqueue_caller.c
SRCS_queued   = $(addprefix queue/,queued.c queued_alias.c queued_bounce.c \
                queued_keeper.c queued_free.c queued_local.c queued_msg.c queued_remote.c \
                queued_resolve.c queued_route.c queued_scan.c queued_notice.c \
                queued_admin.c queued_ctl.c queued_ctl_answer.c)
SRCS_sendmail = $(addprefix queue/,sendmail.c sendmail_fields.c \
                sendmail_header.c sendmail_input.c sendmail_run.c \
                sendmail_smtp.c sendmail_queue.c)
