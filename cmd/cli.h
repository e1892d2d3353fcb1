/*
 * The command-line front shared by every crm-* command: the verb table,
 * option parsing over one option table per verb (which also feeds --help
 * and the completion helper), the common options (--db, -o/--format,
 * --fields, --help), opening the database, printing the one final error
 * and checking stdout at exit.  Unlike lib/, this layer prints and exits.
 */
#ifndef CRM_CLI_H
#define CRM_CLI_H

#include <limits.h>
#include <stdio.h>

#include "crm_db.h"
#include "crm_error.h"
#include "crm_record.h"
#include "crm_util.h"

/* Keys of the common options; a verb's own keys are letters or >= 300. */
#define CLI_DB		256
#define CLI_FIELDS	257
#define CLI_HELP	'h'
#define CLI_FORMAT	'o'

struct cli_opt {
	const char	*name;		/* long name: "email" */
	int		 key;		/* short letter, or a number >= 300 */
	const char	*arg;		/* argument name ("EMAIL"), NULL: flag */
	const char	*help;		/* one line */
};
#define CLI_OPT_END { NULL, 0, NULL, NULL }

/* What a verb takes besides its own options. */
#define CLI_DBOPT	0x1	/* --db PATH */
#define CLI_OUTPUT	0x2	/* -o FORMAT, --fields LIST */

struct cli;

struct cli_verb {
	const char		*name;
	int			(*run)(struct cli *cli, int argc, char **argv);
	const char		*args;		/* "REF..." or NULL */
	const char		*summary;	/* one line */
	const struct cli_opt	*opts;		/* may be NULL */
	int			 flags;		/* CLI_DBOPT | CLI_OUTPUT */
};

struct cli_prog {
	const char		*name;		/* "crm-contact" */
	const char		*summary;
	const struct cli_verb	*verbs;		/* ends with a NULL name */
	/*
	 * Completion values for an option's argument ("stage": the stages
	 * in the database), one a line on stdout; NULL when none.
	 */
	void			(*values)(struct cli *cli, const char *opt);
};

struct cli {
	const struct cli_prog	*prog;
	const struct cli_verb	*verb;
	const char		*db_flag;	/* --db, or NULL */
	const char		*format;	/* -o, or NULL */
	const char		*fields;	/* --fields, or NULL */
	struct crm_db		*db;		/* opened by cli_db() */
	int			 status;	/* first failing exit status */
	struct crm_error	*pending;	/* a config error not yet shown */
	int			 completing;	/* --completion-helper */
};

/*
 * main() of a command: handles --help, --version, --completion-helper,
 * the verb lookup, and the exit (stdout flushed and checked, the database
 * closed).  Returns the exit status.
 */
int	 cli_main(const struct cli_prog *prog, int argc, char **argv);

/*
 * getopt_long over the verb's options and the common ones, which it
 * handles itself; --help prints the verb's usage and exits 0, a bad
 * option prints the error and the usage line and exits 2.  Returns the
 * key of a verb option (its argument in *arg), or -1 at the end, when
 * *ind is the index of the first operand.
 */
int	 cli_getopt(struct cli *cli, int argc, char **argv, const char **arg,
	    int *ind);

/* Exit 2 with "PROG VERB: MSG" and the usage line. */
void	 cli_usage_error(struct cli *cli, const char *fmt, ...)
    __attribute__((format(printf, 2, 3), noreturn));

/*
 * The whole number arg, from min to max (LONG_MAX: no bound), for the
 * option or operand what ("--limit"); else exit 2 with "what: expected a
 * positive number, got ...".
 */
long	 cli_number(struct cli *cli, const char *what, const char *arg,
	    long min, long max);

/* Print "PROG: MSG" for err, free it, raise cli->status; returns code. */
int	 cli_error(struct cli *cli, struct crm_error *err);
/* Print "PROG: MSG" as a warning and raise cli->status to 1. */
void	 cli_warn(struct cli *cli, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * A body (a comment, an activity, an article) from stdin: UTF-8, no
 * NUL, at most CLI_BODY_MAX bytes, the final line ends dropped.  *body
 * is the caller's to free.
 */
#define CLI_BODY_MAX	(1024 * 1024)
struct crm_error *cli_read_body(char **body);

/*
 * Mail in: with mbox NULL, the one message on stdin; else every message
 * of the mbox file mbox ("-": stdin), split at "From " lines after a
 * blank line, with mboxrd's ">From " unquoted.  fn gets each message's
 * first max bytes (len) and how many it had in all (total).  No message
 * on stdin is an error; an I/O error is CRM_EXIT_TEMPFAIL.
 */
struct crm_error *cli_read_messages(const char *mbox, size_t max,
	    void (*fn)(const char *raw, size_t len, size_t total, void *arg),
	    void *arg);

/*
 * A command's write: cli_begin() opens the database to write and begins
 * the transaction; cli_commit() commits it when err is NULL, else rolls
 * it back, and returns err or the commit's error.
 */
struct crm_error *cli_begin(struct cli *cli);
struct crm_error *cli_commit(struct cli *cli, struct crm_error *err);

/* Open the database (once) in mode CRM_DB_READ or CRM_DB_WRITE. */
struct crm_error *cli_db(struct cli *cli, int mode);

/* The output format: -o, CRM_FORMAT, config "format", else by tty. */
struct crm_error *cli_format(struct cli *cli, enum crm_format *fmt);

/*
 * A record writer on stdout honouring -o, --fields and CRM_FORMAT; the
 * lists are as for crm_out_new().
 */
struct crm_error *cli_out(struct cli *cli, const char *const *known,
	    const char *const *columns, const char *const *table_columns,
	    struct crm_out **out);

/*
 * Print the records of ids through cli_out(known, columns,
 * table_columns): get makes each (freed here), until a reader closes
 * the pipe.  Returns the exit status.
 */
int	 cli_print_ids(struct cli *cli, const char *const *known,
	    const char *const *columns, const char *const *table_columns,
	    const sqlite3_int64 *ids, size_t n,
	    struct crm_error *(*get)(struct cli *cli, sqlite3_int64 id,
	    void *arg, cJSON **rec), void *arg);

/*
 * The columns of a list into cols: for csv and tsv those of flat (a
 * column per custom field in use), else the entity's plain list.
 */
struct crm_error *cli_columns(struct cli *cli,
	    struct crm_error *(*flat)(struct crm_db *, struct crm_strv *),
	    const char *const *plain, struct crm_strv *cols);

/*
 * A record callback for the library's list functions: writes rec to the
 * struct crm_out in arg; non-zero (stop) once the output is closed or
 * failed.
 */
int	 cli_write_one(const cJSON *rec, void *arg);

/*
 * Operands that are references: each argument, where "-" reads one a line
 * from stdin (crm_refs with keys).  fn is called for each; a bad stdin line
 * is reported and counted as a failure.  Returns the number of references
 * handed to fn.
 */
long	 cli_each_ref(struct cli *cli, int argc, char **argv,
	    const char *const *keys,
	    void (*fn)(struct cli *cli, const char *ref, void *arg),
	    void *arg);

/*
 * A change over the references in argv (cli_each_ref()), in one
 * transaction when write is set: each is resolved and handed to apply
 * (NULL: resolved only); any failure rolls the whole batch back, with
 * "nothing changed: F of N NOUNs failed" when more than one was named.
 * After the commit, print (may be NULL) gets the ids done, in order.
 */
struct cli_batch {
	const char	*noun;		/* "contact", for the messages */
	const char	*operand;	/* "REF...", for the usage error */
	const char *const *ref_keys;
	struct crm_error *(*resolve)(struct crm_db *db, const char *ref,
			    sqlite3_int64 *id);
	struct crm_error *(*apply)(struct cli *cli, sqlite3_int64 id,
			    void *arg);
	int		(*print)(struct cli *cli, const sqlite3_int64 *ids,
			    size_t n, void *arg);
	void		*arg;
	int		 write;
};
int	 cli_batch(struct cli *cli, const struct cli_batch *b, int argc,
	    char **argv);

#endif
