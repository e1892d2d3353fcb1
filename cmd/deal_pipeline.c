/*
 * crm-deal pipeline, stage and rate: each takes a sub-command as its
 * first operand (crm-deal pipeline add NAME).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "crm_deal.h"
#include "crm_money.h"
#include "crm_pipeline.h"
#include "crm_record.h"
#include "crm_util.h"
#include "cli.h"
#include "deal.h"

const struct cli_opt deal_pipeline_opts[] = {
	{ "stages", O_STAGES, "LIST", "add: its open stages, "
	    "NAME:PERCENT,..." },
	CLI_OPT_END
};

const struct cli_opt deal_stage_opts[] = {
	{ "pipeline", O_PIPELINE, "NAME", "the stage's pipeline (default: "
	    "the default pipeline)" },
	{ "probability", O_PROB, "PERCENT", "add, update: the stage's win "
	    "probability" },
	{ "before", O_BEFORE, "STAGE", "add, move: place it before STAGE" },
	{ "after", O_AFTER, "STAGE", "add, move: place it after STAGE" },
	{ "to", O_TO, "STAGE", "delete: move its deals to STAGE first" },
	CLI_OPT_END
};

/* The sub-command: operand 0, one of names; n operands after it. */
static const char *
sub(struct cli *cli, int argc, char **argv, const char *const *names,
    const int *nargs, const char *args)
{
	size_t i;

	if (argc < 1)
		cli_usage_error(cli, "expected %s", args);
	for (i = 0; names[i] != NULL; i++)
		if (strcmp(names[i], argv[0]) == 0)
			break;
	if (names[i] == NULL) {
		const char *hint = crm_suggest(argv[0], names, i);

		cli_usage_error(cli, "unknown sub-command \"%s\"%s%s%s",
		    argv[0], hint ? " (did you mean \"" : "",
		    hint ? hint : "", hint ? "\"?)" : "");
	}
	if (argc - 1 != nargs[i])
		cli_usage_error(cli, "%s takes %d operand%s", names[i],
		    nargs[i], nargs[i] == 1 ? "" : "s");
	return names[i];
}

/* Records of a list through cli_out. */
static int
print_list(struct cli *cli, const char *const *cols,
    struct crm_error *(*fn)(struct crm_db *, const char *,
    int (*)(const cJSON *, void *), void *), const char *name)
{
	struct crm_error *err;
	struct crm_out *out = NULL;

	if ((err = cli_db(cli, CRM_DB_READ)) == NULL &&
	    (err = cli_out(cli, cols, cols, NULL, &out)) == NULL &&
	    (err = fn(cli->db, name, cli_write_one, out)) == NULL)
		err = crm_out_finish(out);
	crm_out_free(out);
	return cli_error(cli, err);
}

static struct crm_error *
list_pipelines(struct crm_db *db, const char *name,
    int (*fn)(const cJSON *, void *), void *arg)
{
	return crm_pipeline_list(db, fn, arg);
}

static struct crm_error *
list_rates(struct crm_db *db, const char *name,
    int (*fn)(const cJSON *, void *), void *arg)
{
	return crm_rate_list(db, fn, arg);
}

/* Commit when err == NULL, else roll back; the exit status. */
static int
finish(struct cli *cli, struct crm_error *err)
{
	return cli_error(cli, cli_commit(cli, err));
}

int
deal_cmd_pipeline(struct cli *cli, int argc, char **argv)
{
	static const char *const names[] = {
		"add", "list", "show", "rename", "delete", NULL
	};
	static const int nargs[] = { 1, 0, 1, 2, 1 };
	const char *arg, *stages = NULL, *what;
	struct crm_error *err;
	sqlite3_int64 id;
	int c, ind;

	while ((c = cli_getopt(cli, argc, argv, &arg, &ind)) != -1)
		stages = arg;
	argc -= ind;
	argv += ind;
	what = sub(cli, argc, argv, names, nargs, cli->verb->args);
	if (stages != NULL && strcmp(what, "add") != 0)
		cli_usage_error(cli, "--stages is for pipeline add");
	if (strcmp(what, "list") == 0)
		return print_list(cli, crm_pipeline_columns, list_pipelines,
		    NULL);
	if (strcmp(what, "show") == 0)
		return print_list(cli, crm_stage_columns, crm_pipeline_show,
		    argv[1]);
	if ((err = cli_begin(cli)) != NULL)
		return cli_error(cli, err);
	if (strcmp(what, "add") == 0)
		err = crm_pipeline_add(cli->db, argv[1], stages, &id);
	else if (strcmp(what, "rename") == 0)
		err = crm_pipeline_rename(cli->db, argv[1], argv[2]);
	else
		err = crm_pipeline_delete(cli->db, argv[1]);
	if (err != NULL && strcmp(what, "add") == 0 && stages != NULL &&
	    err->code == CRM_EXIT_USAGE)
		err = crm_error_prefix(err, "--stages");
	return finish(cli, err);
}

/* The options of stage that make sense for what. */
static void
check_stage_opts(struct cli *cli, const char *what, int prob,
    const char *before, const char *after, const char *to)
{
	int place = before != NULL || after != NULL;

	if (before != NULL && after != NULL)
		cli_usage_error(cli, "give --before or --after, not both");
	if (place && strcmp(what, "add") != 0 && strcmp(what, "move") != 0)
		cli_usage_error(cli, "--before and --after are for stage add "
		    "and move");
	if (strcmp(what, "move") == 0 && !place)
		cli_usage_error(cli, "stage move needs --before or --after");
	if (prob >= 0 && strcmp(what, "add") != 0 &&
	    strcmp(what, "update") != 0)
		cli_usage_error(cli, "--probability is for stage add and "
		    "update");
	if (prob < 0 && (strcmp(what, "add") == 0 ||
	    strcmp(what, "update") == 0))
		cli_usage_error(cli, "stage %s needs --probability", what);
	if (to != NULL && strcmp(what, "delete") != 0)
		cli_usage_error(cli, "--to is for stage delete");
}

int
deal_cmd_stage(struct cli *cli, int argc, char **argv)
{
	static const char *const names[] = {
		"add", "move", "rename", "update", "delete", NULL
	};
	static const int nargs[] = { 1, 1, 2, 1, 1 };
	const char *arg, *pipeline = NULL, *before = NULL, *after = NULL;
	const char *to = NULL, *what;
	struct crm_error *err;
	int c, ind, prob = -1;

	while ((c = cli_getopt(cli, argc, argv, &arg, &ind)) != -1) {
		if (c == O_PIPELINE)
			pipeline = arg;
		else if (c == O_BEFORE)
			before = arg;
		else if (c == O_AFTER)
			after = arg;
		else if (c == O_TO)
			to = arg;
		else if ((prob = crm_percent_parse(arg)) < 0)
			cli_usage_error(cli, "--probability: expected a "
			    "percentage from 0 to 100, got \"%s\"", arg);
	}
	argc -= ind;
	argv += ind;
	what = sub(cli, argc, argv, names, nargs, cli->verb->args);
	check_stage_opts(cli, what, prob, before, after, to);
	if ((err = cli_begin(cli)) != NULL)
		return cli_error(cli, err);
	if (strcmp(what, "add") == 0)
		err = crm_stage_add(cli->db, pipeline, argv[1], prob, before,
		    after);
	else if (strcmp(what, "move") == 0)
		err = crm_stage_move(cli->db, pipeline, argv[1], before, after);
	else if (strcmp(what, "rename") == 0)
		err = crm_stage_rename(cli->db, pipeline, argv[1], argv[2]);
	else if (strcmp(what, "update") == 0)
		err = crm_stage_update(cli->db, pipeline, argv[1], prob);
	else
		err = crm_stage_delete(cli->db, pipeline, argv[1], to);
	return finish(cli, err);
}

static const struct crm_currency *
currency(struct cli *cli, const char *code)
{
	const struct crm_currency *cur;
	struct crm_error *err;
	char msg[200];

	if ((err = crm_currency_parse(code, &cur)) == NULL)
		return cur;
	snprintf(msg, sizeof(msg), "%s", err->msg);
	crm_error_free(err);
	cli_usage_error(cli, "%s", msg);
}

int
deal_cmd_rate(struct cli *cli, int argc, char **argv)
{
	static const char *const names[] = { "set", "list", "delete", NULL };
	static const int nargs[] = { 3, 0, 2 };
	const struct crm_currency *from, *to;
	struct crm_error *err;
	struct crm_rate r;
	const char *arg, *what;
	char msg[200];
	int ind;

	while (cli_getopt(cli, argc, argv, &arg, &ind) != -1)
		;
	argc -= ind;
	argv += ind;
	what = sub(cli, argc, argv, names, nargs, cli->verb->args);
	if (strcmp(what, "list") == 0)
		return print_list(cli, crm_rate_columns, list_rates, NULL);
	from = currency(cli, argv[1]);
	to = currency(cli, argv[2]);
	if (strcmp(what, "set") == 0 &&
	    (err = crm_rate_parse(argv[3], &r)) != NULL) {
		snprintf(msg, sizeof(msg), "%s", err->msg);
		crm_error_free(err);
		cli_usage_error(cli, "%s", msg);
	}
	if ((err = cli_begin(cli)) != NULL)
		return cli_error(cli, err);
	if (strcmp(what, "set") == 0)
		err = crm_rate_set(cli->db, from, to, &r);
	else
		err = crm_rate_delete(cli->db, from, to);
	return finish(cli, err);
}
