/*
 * worker/models.h — GET /v1/models and GET /v1/models/{provider/model}: the
 * models a client can name, asked of each provider through the egress its
 * calls would use; the pure pieces that turn a provider's answer into ours
 * are in common/model_list.h.
 */
#ifndef OMNI_MODELS_H
#define OMNI_MODELS_H

#include "model_list.h"

struct http_conn;
struct models_call;

/* Serve GET /v1/models or /v1/models/{id}; the answer comes from the loop. */
void	models_start(struct http_conn *c);
/* The client went away: drop every upstream fetch at once. */
void	models_abort(struct models_call *call);

#endif
