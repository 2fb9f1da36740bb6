/*
 * common/privdrop.h — running as an unprivileged user (`user = NAME`) and
 * keeping the data directory private.
 *
 * The master, started as root, binds what needs root (listen sockets, the
 * control socket), creates a missing data directory 0700 owned by the user,
 * then calls priv_drop(): supplementary groups, then real/effective/saved gid,
 * then uid, and checks that none can be regained. Workers are forked after
 * that and inherit the dropped ids.
 *
 * The decisions (is this data directory acceptable, must this file be
 * tightened) are pure functions over a struct stat, unit-tested; the calls that
 * change the process live beside them.
 */
#ifndef OMNI_PRIVDROP_H
#define OMNI_PRIVDROP_H

#include <sys/stat.h>
#include <sys/types.h>

#include <stdbool.h>
#include <stddef.h>

struct priv_user {
	char	name[64];
	uid_t	uid;
	gid_t	gid;
};

/* Look NAME up in the user database; -1 with "unknown user" and the like in err. */
int	priv_lookup_user(const char *name, struct priv_user *u, char *err,
	    size_t errlen);

/*
 * May omnirouted use this existing data directory? sb is its stat(2);
 * want_owner is the uid that must own it, or (uid_t)-1 for any owner.
 * Refused: not a directory, group- or world-writable (message names path and
 * mode), owned by another uid than want_owner. Pure; 0 or -1 with err.
 */
int	priv_check_data_dir(const char *path, const struct stat *sb, uid_t want_owner,
	    char *err, size_t errlen);

/* A regular file of ours whose mode lets group or others in: to be set 0600. Pure. */
bool	priv_file_too_open(const struct stat *sb);

/*
 * Create path if missing: missing parents 0755, the directory itself 0700,
 * chowned to u when u is not NULL. *created tells whether it was made now.
 * -1 with err naming the directory.
 */
int	priv_make_data_dir(const char *path, const struct priv_user *u, bool *created,
	    char *err, size_t errlen);

/*
 * Drop to u for good: setgroups/initgroups, setresgid, setresuid, then check
 * getresuid/getresgid and that setuid(0)/setgid(0) now fail. Must run as root
 * (or already as u: then a check only). -1 with err.
 */
int	priv_drop(const struct priv_user *u, char *err, size_t errlen);

#endif
