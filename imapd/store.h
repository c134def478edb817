/*
 * store: one user's mail as imapsession sees it: a Maildir++ tree
 * (INBOX is the Maildir, folder "A.B" is the directory ".A.B" beside its
 * cur/ new/ tmp/, named in modified UTF-7 as Courier and Dovecot name
 * them), and for each folder the IMAP state kept beside the messages:
 *
 *   facteur-uidlist      UIDVALIDITY, UIDNEXT and the UID and save date
 *                        of each message's unique name (store_uidlist.c)
 *   facteur-uidlist.lock flock(2)ed while UIDs are given or files renamed
 *                        into the folder by IMAP (COPY, MOVE, APPEND)
 *   facteur-keywords     the keyword names; a message's keywords are the
 *                        letters a..z of its file name's info, as Dovecot
 *                        writes them (store_keywords.c)
 *   facteur-cache        sizes, dates, ENVELOPE and BODYSTRUCTURE of
 *                        messages by unique name (store_cache.c)
 *   facteur-recent       the first UID that no session has shown as
 *                        \Recent yet (IMAP4rev1 only)
 *
 * and in the Maildir itself, for all its folders: facteur-uidvalidity
 * (the last UIDVALIDITY given) and facteur-subscriptions.
 *
 * The system flags live in the file name's info ":2,DFRST" (Maildir), so
 * mutt, pop3d, deliver and Dovecot see the same flags.  A message's
 * unique name (the file name up to ':') never changes, whatever renames
 * its flags or moves it from new/ to cur/; everything above is keyed by
 * it, and a file's content never changes (Maildir's rule), so what was
 * cached for a unique name stays true.
 *
 * Trust: the files of the folder are the user's own (this process runs
 * as the mailbox owner), written by other programs too: names and
 * records are checked, and a malformed state file is rebuilt, never
 * followed outside the folder.
 */
#ifndef FACTEUR_STORE_H
#define FACTEUR_STORE_H
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "buf.h"

#define STORE_UIDLIST		"facteur-uidlist"
#define STORE_UIDLIST_LOCK	"facteur-uidlist.lock"
#define STORE_KEYWORDS		"facteur-keywords"
#define STORE_CACHE		"facteur-cache"
#define STORE_RECENT		"facteur-recent"	/* first UID not
							   yet \Recent */
#define STORE_SUBSCRIPTIONS	"facteur-subscriptions"
#define STORE_UIDVALIDITY	"facteur-uidvalidity"	/* in the Maildir:
							   the last given */
#define STORE_MSGS_MAX		1000000	/* messages in one folder */
#define STORE_KEYWORDS_MAX	26	/* letters a..z */
#define STORE_KEYWORD_LEN	128	/* octets of a keyword */
#define STORE_LOCK_WAIT_MS	30000	/* longest wait for the folder lock */
#define STORE_EVENTS_MAX	512	/* inotify names looked at one by one;
					   more: the directories are read */

/* System flags, in a message's flags byte. */
#define MSG_SEEN	0x01	/* S */
#define MSG_ANSWERED	0x02	/* R */
#define MSG_FLAGGED	0x04	/* F */
#define MSG_DELETED	0x08	/* T */
#define MSG_DRAFT	0x10	/* D */
#define MSG_SYSFLAGS	0x1f
/* Session state, never in a file name. */
#define MSG_RECENT	0x20	/* \Recent in this session */

/* The msg state byte. */
#define MSGS_NEW	0x01	/* the file is in new/ */
#define MSGS_GONE	0x02	/* the file vanished: EXPUNGE to send */
#define MSGS_CHANGED	0x04	/* flags changed by another: FETCH to send */
#define MSGS_SEEN_SCAN	0x08	/* (during a scan) found again */

#define MCACHE_NONE	UINT32_MAX

/* One message of a folder; the array is sorted by uid (seq = index + 1). */
struct msg {
	uint32_t	 uid;
	uint32_t	 name;		/* offset of the file name in names */
	uint32_t	 kw;		/* keyword bits, index 0 = 'a' */
	uint32_t	 cache;		/* offset of its cache record */
	uint32_t	 savedate;	/* seconds; 0 when unknown */
	uint16_t	 ulen;		/* length of the unique part */
	uint8_t		 flags;		/* MSG_* */
	uint8_t		 state;		/* MSGS_* */
};

/* facteur-cache, mapped read-only; new records wait in pending. */
struct mcache {
	const char	*map;
	size_t		 maplen;
	dev_t		 dev;
	ino_t		 ino;
	struct buf	 pending;	/* records to append */
	size_t		 live;		/* bytes of records in use */
	int		 loaded;	/* mapped and indexed once */
};

struct folder {
	char		*name;		/* "INBOX", "A.B" (UTF-8) */
	char		*path;		/* the folder's directory */
	int		 dirfd;
	int		 readonly;	/* EXAMINE */
	struct msg	*msgs;
	size_t		 n, cap;
	char		*names;		/* NUL-ended file names */
	size_t		 nameslen, namescap;
	uint32_t	 uidvalidity;
	uint32_t	 uidnext;
	uint32_t	 maxuid;	/* highest UID this session shows */
	/* facteur-uidlist as last read */
	dev_t		 udev;
	ino_t		 uino;
	off_t		 uoff;
	size_t		 udead;		/* records of files that are gone */
	/* keywords */
	char		*kw[STORE_KEYWORDS_MAX];
	size_t		 nkw;
	/* change detection */
	int		 ifd;		/* inotify, or -1 */
	int		 wd_cur, wd_new;	/* its watches */
	char		*ev;		/* names inotify gave since the last
					   sync: 'c' or 'n', the name, NUL */
	size_t		 evlen, evcap, nev;
	int		 dirty;		/* read the directories at the next
					   sync (not only the names in ev) */
	struct timespec	 mt_cur, mt_new;
	long long	 scanned_at;	/* fd_now_ms of the last scan */
	struct mcache	 cache;
	size_t		 recent;	/* messages with MSG_RECENT */
};

/* store_folder.c (and store_sync.c: folder_sync): a folder */
int	folder_open(struct folder *, const char *name, const char *path,
	    int readonly);
void	folder_close(struct folder *);
/*
 * Opens a folder only to add messages to it (COPY, MOVE, APPEND): no
 * listing.  Then, under folder_lock: folder_dest_ready reads the UID
 * list to its end (starting one if there is none), so that
 * uidlist_append gives the new files their UIDs.
 */
int	folder_open_dest(struct folder *, const char *name, const char *path);
int	folder_dest_ready(struct folder *);
/*
 * Rescans new/ and cur/ if they may have changed, gives UIDs to new
 * files (under the lock) and merges: new messages are appended (n grows),
 * vanished ones get MSGS_GONE, flags changed by others MSGS_CHANGED.
 * 0, or -1 with errno; 1 when the UID list was replaced under us with
 * another UIDVALIDITY (the session must end: RFC 9051 2.3.1.1).
 */
int	folder_sync(struct folder *);
/* The current file name of msgs[i] and its directory ("cur" or "new"). */
const char *folder_msg_name(const struct folder *, size_t i);
const char *folder_msg_sub(const struct folder *, size_t i);
/* Opens message i read-only, following a rename.  fd, or -1 (ENOENT). */
int	folder_msg_open(struct folder *, size_t i);
/*
 * Sets message i's flags and keywords (rename of its file).  0, or -1
 * with errno (ENOENT: the message is gone).
 */
int	folder_msg_set_flags(struct folder *, size_t i, uint8_t flags,
	    uint32_t kw);
/* Unlinks message i's file; a message already gone counts as removed. */
int	folder_msg_remove(struct folder *, size_t i);
/* Drops the messages marked MSGS_GONE; returns how many went. */
size_t	folder_drop_gone(struct folder *);
/* The file's time (INTERNALDATE) and size; 0, or -1. */
int	folder_msg_stat(struct folder *, size_t i, time_t *mtime,
	    off_t *size);
/* Sets the names block's name of msgs[i] (appending to the block). */
int	folder_set_name(struct folder *, size_t i, const char *name);
/* Index of the message with uid, or -1. */
ssize_t	folder_find_uid(const struct folder *, uint32_t uid);
/* Appends name to a names block; its offset in *off.  0 or -1. */
int	store_names_append(char **blk, size_t *len, size_t *cap,
	    const char *name, uint32_t *off);
/* Lock and unlock the folder (facteur-uidlist.lock). */
int	folder_lock(int dirfd);
void	folder_unlock(int lockfd);

/* store_scan.c: reading a folder's directories */
struct scan_ent {
	uint32_t	 name;		/* offset in the scan's names */
	uint32_t	 uid;		/* 0: none yet */
	uint32_t	 savedate;
	uint16_t	 ulen;
	uint8_t		 in_new;
	uint8_t		 matched;
};
struct scan {
	struct scan_ent	*e;
	size_t		 n, cap;
	char		*names;
	size_t		 nameslen, namescap;
	uint32_t	*hash;		/* open addressing: index + 1 */
	size_t		 hcap;
};
int	scan_dirs(struct scan *, int dirfd, int skip_new);
/*
 * The files among the names of an event list (struct folder's ev) that
 * are there now, into s; every message name of the list, there or not,
 * into touched.  0, or -1 with errno (then read the directories).
 */
int	scan_names(struct scan *s, struct scan *touched, int dirfd,
	    const char *ev, size_t evlen);
/* The entry with that unique name, or NULL. */
struct scan_ent *scan_find(struct scan *, const char *u, size_t ulen);
void	scan_free(struct scan *);

/* store_uidlist.c */
struct uidlist_hdr {
	uint32_t	 validity;
	uint32_t	 next;
};
typedef int (*uidlist_cb)(void *arg, uint32_t uid, uint32_t savedate,
	    const char *u, size_t ulen);
/*
 * Parses p[0..len), records of facteur-uidlist (the header first when
 * header is set): whole records only, calling cb for each message
 * record; *used gets the bytes of the whole records.  0; -2 when
 * malformed (a bad field, UIDs not growing); -1 when cb failed.
 */
int	uidlist_parse(struct folder *, const char *p, size_t len, int header,
	    uidlist_cb, void *arg, size_t *used);
/* A uidlist_cb that keeps nothing (to read the list to its end). */
int	uidlist_skip(void *arg, uint32_t uid, uint32_t savedate, const char *u,
	    size_t ulen);
/*
 * Reads the records of facteur-uidlist from the folder's uoff (0: the
 * header too) to the end, calling cb for each; reloads from the start
 * when the file was replaced (*reloaded = 1).  0; -1 with errno (ENOENT:
 * there is no list yet); -2 when it is malformed (rebuild it).
 */
int	uidlist_read(struct folder *, uidlist_cb, void *arg, int *reloaded);
/*
 * Under the lock: appends records for n unique names, giving them UIDs
 * from f->uidnext on, with savedate now.  Writes the header first when
 * there is no list (new UIDVALIDITY).  0, or -1 with errno.
 */
int	uidlist_append(struct folder *, const char *const *u,
	    const size_t *ulen, size_t n, uint32_t *first_uid);
/* Under the lock: rewrites the list with the folder's messages only. */
int	uidlist_rewrite(struct folder *);
/* Starts a new list (new UIDVALIDITY), under the lock. */
int	uidlist_create(struct folder *);

/* store_keywords.c */
int	keywords_load(struct folder *);
/* The file's bytes: the names up to the first that is not one.  0, or -1. */
int	keywords_parse(struct folder *, const char *, size_t);
/* The index of keyword name, adding it when add is set (under lock). */
int	keywords_index(struct folder *, const char *name, int add);
void	keywords_free(struct folder *);
/* 1 when s[0..n) is a valid keyword (an atom, not a system flag). */
int	keyword_valid(const char *s, size_t n);

/* store_flags.c: flags in file names */
/* Flags and keywords from a file name's info. */
void	flags_from_name(const char *name, uint8_t *flags, uint32_t *kw);
/*
 * The file name with its info set to flags and kw, other info letters
 * kept: 0, or -1 (ENAMETOOLONG).
 */
int	flags_name(const char *name, size_t ulen, uint8_t flags, uint32_t kw,
	    char *out, size_t outlen);

#endif
