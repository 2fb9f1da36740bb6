/*
 * ctl/grammar.h — omnirctl's argv grammar: one table maps the words a user
 * types ("proxy add --name US --host p.example --port 8080") to one control
 * command and its JSON arguments (proxy.add {"name":"US",...}). The usage text
 * is generated from the same table, so the two cannot drift apart.
 *
 * The grammar only shapes arguments. It checks what a command line can get
 * wrong on its own (a missing word, an unknown option, an integer option that
 * is not an integer, a word too many); what the values mean is the master's
 * business, so every other check is left to its reply.
 */
#ifndef OMNI_GRAMMAR_H
#define OMNI_GRAMMAR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <json-c/json.h>

enum grammar_value {
	VALUE_STRING,		/* sent as a JSON string */
	VALUE_INT,		/* a JSON integer; any other word is a usage error */
	VALUE_INT_OR_STRING,	/* a JSON integer when the word is one, else the word
				   itself, for the master to name the problem */
	VALUE_FLAG,		/* takes no value; sends true */
	VALUE_FALSE_FLAG,	/* takes no value; sends false */
	VALUE_HEADER,		/* "Name: value"; repeatable, collected into one
				   JSON object field */
};

struct grammar_option {
	const char		*flag;		/* "--limit" */
	const char		*field;		/* "limit" */
	enum grammar_value	 type;
	const char		*metavar;	/* "N"; NULL for a flag */
};

enum grammar_arg {
	ARG_STRING,		/* one word, sent as a string field */
	ARG_SCOPE_ID,		/* one word, sent as a string field; absent when
				   the "scope" field is global */
	ARG_SCOPE_ID_LIST,	/* the remaining words, sent as an array field: none
				   for the global scope, at least one otherwise */
	ARG_ITEMS_FILE,		/* FILE ("-" = stdin) of JSON: an object is the
				   arguments, a bare array becomes {"items":[...]} */
	ARG_OBJECT_FILE,	/* FILE ("-" = stdin) of one JSON object, sent as
				   the arguments themselves */
	ARG_OUTPUT_FILE,	/* FILE the reply is written to; not sent */
	ARG_RAW_LINE,		/* the remaining words joined with spaces: the
				   whole request line, sent verbatim */
};

struct grammar_positional {
	const char		*metavar;	/* "ID" */
	const char		*field;		/* "id"; NULL when nothing is sent */
	enum grammar_arg	 kind;
	bool			 optional;
};

#define GRAMMAR_POSITIONALS_MAX	4
#define GRAMMAR_REQUIRED_MAX	4

struct grammar_command {
	const char			*words;		/* "proxy list" */
	const char			*command;	/* "proxy.list"; NULL for raw */
	struct grammar_positional	 positionals[GRAMMAR_POSITIONALS_MAX];
	const struct grammar_option	*options;	/* ends with a NULL flag */
	const char			*required[GRAMMAR_REQUIRED_MAX]; /* flags */
	const char			*preset;	/* JSON object the args start as */
	const char			*quiet_field;	/* -q prints only this field of
							   the reply (add commands);
							   NULL: -q is refused */
	bool				 probe;		/* a reply saying "success":
							   false is a failure */
	const char			*help;
};

extern const struct grammar_command	grammar_table[];
extern const size_t			grammar_table_len;

enum grammar_result {
	GRAMMAR_USAGE = -1,	/* err holds the message */
	GRAMMAR_SEND = 0,	/* a request to send */
	GRAMMAR_HELP = 1,	/* print the usage of the commands that start
				   with help_argv ("help proxy", "proxy add -h") */
	GRAMMAR_VERSION = 2,	/* -V or --version: print the version */
};

/*
 * The global options. They may come before the command or anywhere among its
 * words (not after "--", nor in raw's LINE): "omnirctl proxy list --json" and
 * "omnirctl --json proxy list" are the same. A command's own option of the
 * same name would win; none has one.
 */
struct grammar_globals {
	const char	*socket;	/* -s SOCKET, --socket SOCKET; NULL if not given */
	bool		 json;		/* --json */
	bool		 quiet;		/* -q, --quiet: print only the new id */
	bool		 help;		/* -h, --help before the command */
	bool		 version;	/* -V, --version */
};

struct grammar_global_option {
	const char	*short_flag;	/* "-s", or NULL */
	const char	*long_flag;	/* "--socket" */
	const char	*metavar;	/* "SOCKET"; NULL for a flag */
	const char	*help;
};

extern const struct grammar_global_option	grammar_global_options[];
extern const size_t				grammar_global_options_len;

struct grammar_request {
	const struct grammar_command	*command;	/* matched entry, or NULL */
	const char			*family;	/* first word, when it starts
							   some entry ("proxy") */
	struct json_object		*args;		/* owned; NULL for raw */
	char				*raw_line;	/* owned; raw's verbatim line */
	const char			*output_file;	/* into argv; NULL if none */
	int				 help_argc;	/* GRAMMAR_HELP: filter words */
	char			       **help_argv;
	struct grammar_globals		 globals;
};

/*
 * Parse a whole command line: the words after the program name, global
 * options included. GRAMMAR_HELP with no filter words for a leading -h;
 * GRAMMAR_USAGE "missing command" when no command word is given.
 */
enum grammar_result	grammar_parse_command_line(int argc, char **argv,
			    struct grammar_request *req, char *err, size_t errlen);

/*
 * Parse the words after the global options. On GRAMMAR_USAGE, command and
 * family still say what was recognised, for a short usage line.
 */
enum grammar_result	grammar_parse(int argc, char **argv,
			    struct grammar_request *req, char *err, size_t errlen);
void			grammar_request_free(struct grammar_request *req);

/*
 * The same as one call: the command name into cmd_out and its arguments into
 * *args_out (the caller frees them). For raw, cmd_out holds the whole line and
 * *args_out is NULL. Returns a grammar_result.
 */
int	grammar_build(int argc, char **argv, char *cmd_out, size_t cmd_len,
	    struct json_object **args_out, char *err, size_t errlen);

/*
 * Shell completion: argv holds the words after the program name, the last
 * being the word under the cursor (possibly ""). Writes the candidates that
 * start with it, one per line: the next command words, the command's options
 * and the global ones, or the choices of an option value ("http|https|socks5").
 * Nothing is written where a file or a free word goes. Returns the count.
 */
size_t	grammar_complete(FILE *fp, int argc, char **argv);

/* "proxy delete ID [--force]" */
void	grammar_synopsis(const struct grammar_command *cmd, char *out, size_t outlen);

/*
 * Print the synopsis and help line of every entry whose words start with the
 * given words (all of them when argc is 0). Returns how many were printed.
 */
size_t	grammar_print_usage(FILE *fp, int argc, char **argv);
/* The global options, one synopsis and help line each. */
void	grammar_print_global_usage(FILE *fp);

#endif
