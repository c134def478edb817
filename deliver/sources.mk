# deliver/: local delivery.  lspawn (root), its per-user delivery workers
# and its local delivery children (local*.c) share one program; deliver
# is the standalone Maildir writer.

PROGS += lspawn deliver

SRCS_lspawn  = $(addprefix deliver/,lspawn.c lspawn_alias.c lspawn_job.c \
               lspawn_local.c lspawn_out.c lspawn_pool.c lspawn_route.c \
               lspawn_worker.c \
               deliver_wire.c local.c local_command.c local_forward.c \
               local_mbox.c local_resubmit.c)
SRCS_deliver = deliver/deliver.c
