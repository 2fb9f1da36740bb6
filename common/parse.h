/*
 * common/parse.h — the one result vocabulary of every pure parser in omniroute
 * (HTTP heads, control lines, SOCKS5 and CONNECT replies): the bytes seen so far
 * are a whole message, not yet a whole message, or can never become one.
 */
#ifndef OMNI_PARSE_H
#define OMNI_PARSE_H

enum parse {
	PARSE_DONE = 0,
	PARSE_MORE = 1,
	PARSE_INVALID = -1,
};

#endif
