/*
 * master/store.h — what every store (master/..._store.c) answers a write with.
 * The stores hold all of the master's SQL; a command handler validates its
 * arguments, calls one store function and turns its result into the reply,
 * so a store never writes a reply and a handler never writes SQL.
 */
#ifndef OMNI_STORE_H
#define OMNI_STORE_H

enum store_rc {
	STORE_OK = 0,
	STORE_NOT_FOUND,	/* no such row */
	STORE_BUILTIN,		/* a built-in entry with no row of its own */
	STORE_IN_USE,		/* other rows still refer to it */
	STORE_CONFLICT,		/* the database refused the change (a unique key) */
	STORE_FAILED,		/* an SQL or crypto error */
	STORE_DEPENDENTS_FAILED,	/* removing the rows that refer to it failed */
};

/* db_delete_by_key's answer (1 gone, 0 none, -1 error) as a result. */
static inline enum store_rc
store_rc_of_delete(int deleted)
{
	return deleted > 0 ? STORE_OK : deleted == 0 ? STORE_NOT_FOUND : STORE_FAILED;
}

#endif
