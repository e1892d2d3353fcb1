/*
 * crm-db: the database itself: create, locate, check, back up, restore,
 * read the event log and count rows.  Parses options, calls lib/admin.c
 * and lib/event.c and prints records; see crm-db(1).
 */
#include <sys/stat.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "crm_admin.h"
#include "crm_db.h"
#include "crm_event.h"
#include "crm_record.h"
#include "crm_util.h"
#include "cli.h"

enum { O_SINCE = 300, O_LIMIT, O_ENTITY };

static const struct cli_opt events_opts[] = {
	{ "since", O_SINCE, "ID", "only events after event ID (default: 0, "
	    "all)" },
	{ "limit", O_LIMIT, "N", "at most N events (with --follow: exit "
	    "after N)" },
	{ "entity", O_ENTITY, "ENTITY", "only events of this entity "
	    "(contact, ...)" },
	{ "follow", 'f', NULL, "then wait for new events and print them "
	    "as they come" },
	CLI_OPT_END
};

/* The entities that record events, for completion. */
static const char *const entities[] = {
	"activity", "campaign", "contact", "deal", "segment", "ticket", NULL
};

/* Set by SIGINT and SIGTERM: stop following, exit 0. */
static volatile sig_atomic_t stop;

static void
on_signal(int sig)
{
	stop = 1;
}

/* Parse the options of a verb that has none of its own. */
static void
no_options(struct cli *cli, int argc, char **argv, int *ind)
{
	const char *arg;

	while (cli_getopt(cli, argc, argv, &arg, ind) != -1)
		;
}

/* The one FILE operand of backup and restore. */
static const char *
file_operand(struct cli *cli, int argc, char **argv, const char *what)
{
	int ind;

	no_options(cli, argc, argv, &ind);
	if (ind >= argc)
		cli_usage_error(cli, "no file given");
	if (ind + 1 < argc)
		cli_usage_error(cli, "unexpected argument \"%s\"",
		    argv[ind + 1]);
	if (strcmp(argv[ind], "-") == 0)
		cli_usage_error(cli, "%s needs a file, not \"-\"", what);
	return argv[ind];
}

static void
no_operands(struct cli *cli, int argc, char **argv)
{
	int ind;

	no_options(cli, argc, argv, &ind);
	if (ind < argc)
		cli_usage_error(cli, "unexpected argument \"%s\"", argv[ind]);
}

static int
cmd_init(struct cli *cli, int argc, char **argv)
{
	no_operands(cli, argc, argv);
	return cli_error(cli, cli_db(cli, CRM_DB_WRITE));
}

static int
cmd_path(struct cli *cli, int argc, char **argv)
{
	struct crm_error *err;
	char *path;

	no_operands(cli, argc, argv);
	if ((err = crm_db_resolve(cli->db_flag, &path)) != NULL)
		return cli_error(cli, err);
	printf("%s\n", path);
	free(path);
	return 0;
}

static int
print_problem(const char *problem, void *arg)
{
	printf("%s\n", problem);
	return 0;
}

static int
cmd_check(struct cli *cli, int argc, char **argv)
{
	struct crm_error *err;
	long n = 0;

	no_operands(cli, argc, argv);
	if ((err = cli_db(cli, CRM_DB_READ)) != NULL ||
	    (err = crm_db_check(cli->db, print_problem, NULL, &n)) != NULL)
		return cli_error(cli, err);
	if (n == 0) {
		printf("ok\n");
		return 0;
	}
	cli_warn(cli, "%s: %ld problem%s found", cli->db->path, n,
	    n == 1 ? "" : "s");
	return CRM_EXIT_FAIL;
}

static int
cmd_backup(struct cli *cli, int argc, char **argv)
{
	const char *file = file_operand(cli, argc, argv, "a backup");
	struct crm_error *err;

	if ((err = cli_db(cli, CRM_DB_READ)) == NULL)
		err = crm_db_backup(cli->db, file);
	return cli_error(cli, err);
}

static int
cmd_restore(struct cli *cli, int argc, char **argv)
{
	const char *file = file_operand(cli, argc, argv, "a restore");
	struct crm_error *err;
	struct stat sb;

	/* Before opening: a missing file must not create the database. */
	if (stat(file, &sb) != 0) {
		cli_warn(cli, "%s: %s", file, strerror(errno));
		return CRM_EXIT_FAIL;
	}
	if ((err = cli_db(cli, CRM_DB_WRITE)) == NULL)
		err = crm_db_restore(cli->db, file);
	return cli_error(cli, err);
}

/* What the event callback needs: the writer, and whether to flush. */
struct feed {
	struct crm_out	*out;
	int		 follow;
	struct crm_error *err;
};

/* The reader of a pipe on stdout went away (POLLERR), as tail -f checks. */
static int
reader_gone(void)
{
	struct pollfd p = { STDOUT_FILENO, 0, 0 };

	return poll(&p, 1, 0) == 1 && (p.revents & (POLLERR | POLLHUP));
}

/* One event to print; NULL: --follow is idle, is anyone still reading? */
static int
event_one(const cJSON *ev, void *arg)
{
	struct feed *f = arg;

	if (ev == NULL)
		return reader_gone();
	if ((f->err = crm_out_write(f->out, ev)) != NULL)
		return 1;
	if (f->follow && fflush(stdout) != 0) {
		/*
		 * A reader that went away ends the feed quietly (and the
		 * stream is cleared for the checks at exit); other errors
		 * fail.
		 */
		if (errno != EPIPE)
			f->err = crm_error_new(CRM_EXIT_FAIL, "write error: "
			    "%s", strerror(errno));
		else
			clearerr(stdout);
		return 1;
	}
	return crm_out_closed(f->out);
}

/*
 * --follow streams: table and json wait for the end, so they are refused
 * when asked for and replaced by jsonl when merely the default.
 */
static void
follow_format(struct cli *cli)
{
	enum crm_format fmt;
	struct crm_error *err;

	/* A bad name is left for cli_out() to report. */
	if ((err = crm_format_parse(cli->format, stdout, &fmt)) != NULL) {
		crm_error_free(err);
		return;
	}
	if (fmt != CRM_FMT_TABLE && fmt != CRM_FMT_JSON)
		return;
	if (cli->format != NULL)
		cli_usage_error(cli, "--follow needs a streaming format "
		    "(jsonl, csv or tsv), not %s", cli->format);
	cli->format = "jsonl";
}

/*
 * SIGINT and SIGTERM end --follow normally.  No SA_RESTART: the signal
 * must cut the wait between polls short.  A signal ignored from the
 * start (SIGINT in a shell's background job) stays ignored.
 */
static void
catch_signals(void)
{
	static const int sigs[] = { SIGINT, SIGTERM };
	struct sigaction sa, old;
	size_t i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		if (sigaction(sigs[i], NULL, &old) == 0 &&
		    old.sa_handler != SIG_IGN)
			sigaction(sigs[i], &sa, NULL);
}

static int
cmd_events(struct cli *cli, int argc, char **argv)
{
	struct crm_event_query q = { 0, 0, NULL };
	struct feed f = { NULL, 0, NULL };
	struct crm_error *err;
	const char *arg;
	int c, ind;

	while ((c = cli_getopt(cli, argc, argv, &arg, &ind)) != -1) {
		if (c == O_SINCE)
			q.since = cli_number(cli, "--since", arg, 0, LONG_MAX);
		else if (c == O_LIMIT)
			q.limit = cli_number(cli, "--limit", arg, 1, LONG_MAX);
		else if (c == O_ENTITY)
			q.entity = arg;
		else if (c == 'f')
			f.follow = 1;
	}
	if (ind < argc)
		cli_usage_error(cli, "unexpected argument \"%s\"", argv[ind]);
	if (f.follow) {
		follow_format(cli);
		catch_signals();
	}
	if ((err = cli_out(cli, crm_event_columns, crm_event_columns, NULL,
	    &f.out)) == NULL && (err = cli_db(cli, CRM_DB_READ)) == NULL) {
		if (f.follow)
			err = crm_event_follow(cli->db, &q, event_one, &f,
			    &stop);
		else
			err = crm_event_list(cli->db, &q, event_one, &f, NULL);
		if (err == NULL)
			err = f.err;
		if (err == NULL)
			err = crm_out_finish(f.out);
	}
	crm_out_free(f.out);
	return cli_error(cli, err);
}

static int
cmd_stats(struct cli *cli, int argc, char **argv)
{
	struct crm_error *err;
	struct crm_out *out = NULL;
	cJSON *rec = NULL;

	no_operands(cli, argc, argv);
	/* No list of known fields: "tables.NAME" depends on the schema. */
	if ((err = cli_out(cli, NULL, NULL, NULL, &out)) == NULL &&
	    (err = cli_db(cli, CRM_DB_READ)) == NULL &&
	    (err = crm_db_stats(cli->db, &rec)) == NULL &&
	    (err = crm_out_write(out, rec)) == NULL)
		err = crm_out_finish(out);
	cJSON_Delete(rec);
	crm_out_free(out);
	return cli_error(cli, err);
}

static void
values(struct cli *cli, const char *opt)
{
	const char *const *v = NULL;

	if (strcmp(opt, "entity") == 0)
		v = entities;
	else if (strcmp(opt, "fields") == 0)
		v = crm_event_columns;
	for (; v != NULL && *v != NULL; v++)
		printf("%s\n", *v);
}

static const struct cli_verb verbs[] = {
	{ "init", cmd_init, NULL, "create or upgrade the database", NULL,
	    CLI_DBOPT },
	{ "path", cmd_path, NULL, "print the database's path", NULL,
	    CLI_DBOPT },
	{ "check", cmd_check, NULL, "check integrity and foreign keys",
	    NULL, CLI_DBOPT },
	{ "backup", cmd_backup, "FILE", "copy the database into FILE, "
	    "safely while in use", NULL, CLI_DBOPT },
	{ "restore", cmd_restore, "FILE", "replace the database's content "
	    "with the backup FILE", NULL, CLI_DBOPT },
	{ "events", cmd_events, NULL, "print the log of changes",
	    events_opts, CLI_DBOPT | CLI_OUTPUT },
	{ "stats", cmd_stats, NULL, "print the size and row counts",
	    NULL, CLI_DBOPT | CLI_OUTPUT },
	{ NULL, NULL, NULL, NULL, NULL, 0 }
};

static const struct cli_prog prog = {
	"crm-db",
	"The database: create, check, back up, restore, follow changes.",
	verbs,
	values,
};

int
main(int argc, char **argv)
{
	return cli_main(&prog, argc, argv);
}
