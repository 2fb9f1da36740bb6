/*
 * common/outcome_batch.h — the outcomes of relayed attempts, gathered by a
 * worker between two sends to the master. Attempts that agree on every key
 * field (status, proxy, level, scope, provider, model, connection, combo,
 * stage) and on the error text fold into one row with a call count, summed
 * bytes and mean latency, so the master writes a handful of proxy_logs rows
 * per batch however busy the relay is (a dead proxy under load included);
 * every distinct failure keeps a row with its error. Attempts that set up a
 * new egress also carry how long that took (connect_us: DNS, TCP, proxy
 * handshake and auth, TLS); a row gives the mean over those (connectUs) and
 * how many there were (connects). The JSON rows are the
 * "outcomes" line of the worker-master channel.
 */
#ifndef OMNI_OUTCOME_BATCH_H
#define OMNI_OUTCOME_BATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct json_object;

/* The row columns, in the order they travel (the master reads them so). */
enum outcome_column {
	OC_STATUS, OC_PROXY_ID, OC_LEVEL, OC_LEVEL_ID, OC_PROVIDER, OC_MODEL,
	OC_CONNECTION_ID, OC_COMBO_ID, OC_STAGE, OC_LATENCY_MS, OC_BYTES, OC_ERROR,
	OC_CALLS, OC_CONNECT_US, OC_CONNECTS,
	OC_COUNT,
};

/* The string fields that must agree for two successes to share a row. */
#define OUTCOME_KEY_FIELDS	9	/* OC_STATUS .. OC_STAGE */

/* One attempt as the relay reports it; NULL or "" strings mean "none". */
struct outcome {
	const char	*key[OUTCOME_KEY_FIELDS];	/* indexed by enum outcome_column */
	const char	*error;
	uint64_t	 latency_ms;
	uint64_t	 bytes;
	bool		 connected;	/* set up a new egress, which took connect_us */
	uint64_t	 connect_us;
};

#define OUTCOME_BATCH_ROWS	256

struct outcome_row {
	char		*key[OUTCOME_KEY_FIELDS];
	char		*error;
	uint32_t	 hash;
	uint64_t	 calls;
	uint64_t	 latency_sum_ms;
	uint64_t	 bytes;
	uint64_t	 connects;
	uint64_t	 connect_sum_us;
};

struct outcome_batch {
	struct outcome_row	 rows[OUTCOME_BATCH_ROWS];
	size_t			 nrows;
	uint64_t		 calls;		/* attempts in the batch */
};

/* Add an attempt; true when the batch is now full and must be sent. */
bool	outcome_batch_add(struct outcome_batch *b, const struct outcome *o);
/* The rows as a JSON array (new reference); NULL when the batch is empty. */
struct json_object *outcome_batch_rows(const struct outcome_batch *b);
/* Forget every row (the batch is reusable afterwards). */
void	outcome_batch_clear(struct outcome_batch *b);

#endif
