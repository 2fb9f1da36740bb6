/*
 * master/migrations.h — the schema migrations embedded at build time
 * (schema/embed.sh generates master/schema_sql.c from schema/NNNN_*.sql).
 */
#ifndef OMNI_MIGRATIONS_H
#define OMNI_MIGRATIONS_H

struct migration {
	int		 version;
	const char	*name;
	const char	*sql;
};

/* Ordered by version; ends with { 0, NULL, NULL }. */
extern const struct migration migrations[];

#endif
