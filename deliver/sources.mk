# deliver/: local delivery.  lspawn (root) and its per-user delivery
# workers share one program; deliver is the standalone Maildir writer.

PROGS += lspawn deliver

SRCS_lspawn  = $(addprefix deliver/,lspawn.c lspawn_job.c lspawn_pool.c \
               lspawn_worker.c deliver_wire.c)
SRCS_deliver = deliver/deliver.c
