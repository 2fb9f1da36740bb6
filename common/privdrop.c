/*
 * common/privdrop.c — the privilege drop of `user = NAME` and the data
 * directory's checks: look the user up, create a missing data directory 0700
 * owned by it, decide whether an existing directory or file is private enough,
 * and drop every id (supplementary groups, real/effective/saved gid and uid)
 * so that none can be regained. See privdrop.h for the order of things.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "privdrop.h"

int
priv_lookup_user(const char *name, struct priv_user *u, char *err, size_t errlen)
{
	struct passwd pw, *res = NULL;
	char buf[4096];
	int e;

	memset(u, 0, sizeof(*u));
	if (name == NULL || *name == '\0' || strlen(name) >= sizeof(u->name)) {
		snprintf(err, errlen, "user: '%s' is not a user name", name ? name : "");
		return -1;
	}
	e = getpwnam_r(name, &pw, buf, sizeof(buf), &res);
	if (res == NULL) {
		if (e != 0 && e != ENOENT && e != ESRCH)
			snprintf(err, errlen, "user %s: cannot look it up: %s", name,
			    strerror(e));
		else
			snprintf(err, errlen, "user %s: no such user", name);
		return -1;
	}
	snprintf(u->name, sizeof(u->name), "%s", name);
	u->uid = pw.pw_uid;
	u->gid = pw.pw_gid;
	return 0;
}

int
priv_check_data_dir(const char *path, const struct stat *sb, uid_t want_owner,
    char *err, size_t errlen)
{
	if (!S_ISDIR(sb->st_mode)) {
		snprintf(err, errlen, "data directory %s is not a directory", path);
		return -1;
	}
	if ((sb->st_mode & (S_IWGRP | S_IWOTH)) != 0) {
		snprintf(err, errlen, "data directory %s has mode %04o: it is group- "
		    "or world-writable; refusing to start (chmod 0700 %s)", path,
		    (unsigned)(sb->st_mode & 07777), path);
		return -1;
	}
	if (want_owner != (uid_t)-1 && sb->st_uid != want_owner) {
		snprintf(err, errlen, "data directory %s is owned by uid %u, not by "
		    "the user omnirouted runs as (uid %u); chown -R it", path,
		    (unsigned)sb->st_uid, (unsigned)want_owner);
		return -1;
	}
	return 0;
}

bool
priv_file_too_open(const struct stat *sb)
{
	return S_ISREG(sb->st_mode) && (sb->st_mode & 077) != 0;
}

int
priv_make_data_dir(const char *path, const struct priv_user *u, bool *created,
    char *err, size_t errlen)
{
	char buf[PATH_MAX];
	size_t i, len = strlen(path);
	bool leaf;

	*created = false;
	if (len == 0 || len >= sizeof(buf)) {
		snprintf(err, errlen, "data directory '%s': bad path", path);
		return -1;
	}
	memcpy(buf, path, len + 1);
	while (len > 1 && buf[len - 1] == '/')
		buf[--len] = '\0';
	for (i = 1; i <= len; i++) {
		if (buf[i] != '/' && buf[i] != '\0')
			continue;
		leaf = i == len;
		buf[i] = '\0';
		if (mkdir(buf, leaf ? 0700 : 0755) == 0) {
			/* the umask (077 in the master) must not narrow a parent */
			if (chmod(buf, leaf ? 0700 : 0755) == -1 ||
			    (leaf && u != NULL && chown(buf, u->uid, u->gid) == -1)) {
				snprintf(err, errlen, "cannot set up data directory %s: %s",
				    buf, strerror(errno));
				return -1;
			}
			if (leaf)
				*created = true;
		} else if (errno != EEXIST) {
			snprintf(err, errlen, "cannot create data directory %s: %s", buf,
			    strerror(errno));
			return -1;
		}
		if (!leaf)
			buf[i] = '/';
	}
	return 0;
}

int
priv_drop(const struct priv_user *u, char *err, size_t errlen)
{
	uid_t ruid, euid, suid;
	gid_t rgid, egid, sgid;

	if (getresuid(&ruid, &euid, &suid) == -1 || getresgid(&rgid, &egid, &sgid) == -1) {
		snprintf(err, errlen, "getresuid: %s", strerror(errno));
		return -1;
	}
	if (euid != 0) {
		if (ruid == u->uid && euid == u->uid && suid == u->uid &&
		    rgid == u->gid && egid == u->gid && sgid == u->gid)
			return 0;	/* started as that user already */
		snprintf(err, errlen, "cannot switch to user %s (uid %u): running as "
		    "uid %u, not root", u->name, (unsigned)u->uid, (unsigned)euid);
		return -1;
	}
	if (initgroups(u->name, u->gid) == -1) {
		snprintf(err, errlen, "user %s: cannot set the supplementary groups: %s",
		    u->name, strerror(errno));
		return -1;
	}
	if (setresgid(u->gid, u->gid, u->gid) == -1) {
		snprintf(err, errlen, "user %s: cannot set gid %u: %s", u->name,
		    (unsigned)u->gid, strerror(errno));
		return -1;
	}
	if (setresuid(u->uid, u->uid, u->uid) == -1) {
		snprintf(err, errlen, "user %s: cannot set uid %u: %s", u->name,
		    (unsigned)u->uid, strerror(errno));
		return -1;
	}
	/* check: every id is the user's, and root cannot come back */
	if (getresuid(&ruid, &euid, &suid) == -1 || getresgid(&rgid, &egid, &sgid) == -1 ||
	    ruid != u->uid || euid != u->uid || suid != u->uid ||
	    rgid != u->gid || egid != u->gid || sgid != u->gid ||
	    (u->uid != 0 && (setuid(0) != -1 || seteuid(0) != -1)) ||
	    (u->uid != 0 && u->gid != 0 && (setgid(0) != -1 || setegid(0) != -1))) {
		snprintf(err, errlen, "user %s: the privilege drop did not hold", u->name);
		return -1;
	}
	return 0;
}
