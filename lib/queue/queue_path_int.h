/*
 * queue_path_int: what queue_path.c shares with queue_layout.c, the two
 * files that spell the queue's names.  Not for other files.
 */
#ifndef FACTEUR_QUEUE_PATH_INT_H
#define FACTEUR_QUEUE_PATH_INT_H
#include <sys/stat.h>

#include "queue_path.h"

#define QUEUE_TRIGGER	"trigger"
#define QUEUE_LOCK	"queued.lock"

extern const char *const queue_sub_names[QUEUE_NSUB];

/*
 * 1 when st (of a directory opened O_NOFOLLOW) is a directory of owner
 * that nobody else may write; else 0, logged as what, errno set.
 */
int	queue_dir_trusted(const struct stat *st, uid_t owner, const char *what);

#endif
