/*
 * common/multipart.h — just enough of multipart/form-data (RFC 7578) for the
 * relay: the boundary of a Content-Type, and where a named field's value lies
 * in a body, so an audio upload's "model" can be routed and rewritten while
 * every other byte (the file) passes through untouched. Pure functions.
 */
#ifndef OMNI_MULTIPART_H
#define OMNI_MULTIPART_H

#include <stddef.h>

/* The boundary parameter of a multipart/form-data media type. 0 ok, -1 none/bad. */
int	multipart_boundary(const char *content_type, size_t len, char *out, size_t outlen);

/*
 * Find the part whose Content-Disposition is form-data with name="name" and
 * give the offset and length of its value in body. 0 found, -1 absent or the
 * body is not well-formed multipart up to that part, -2 when more than one
 * part names that field: also in a form a laxer reader takes for it (the
 * parameter in another case, NAME="name"; unquoted, name=name; with a
 * quoted-pair, name="na\me"), since readers differ on which one counts.
 */
int	multipart_find_field(const char *body, size_t len, const char *boundary,
	    const char *name, size_t *value_off, size_t *value_len);

#endif
