/*
 * crm-deal move, win, lose, reopen and history: verbs over a list of
 * deal references, each command one transaction.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "crm_deal.h"
#include "crm_record.h"
#include "crm_util.h"
#include "cli.h"
#include "deal.h"

const struct cli_opt deal_lose_opts[] = {
	{ "reason", O_REASON, "TEXT", "why it was lost (needed)" },
	CLI_OPT_END
};

const struct cli_opt deal_reopen_opts[] = {
	{ "stage", O_STAGE, "STAGE", "the open stage to go back to "
	    "(default: the one it was closed from)" },
	CLI_OPT_END
};

static struct crm_error *
apply_move(struct cli *cli, sqlite3_int64 id, struct deal_batch *b)
{
	return crm_deal_move(cli->db, id, b->stage, NULL);
}

static struct crm_error *
apply_win(struct cli *cli, sqlite3_int64 id, struct deal_batch *b)
{
	return crm_deal_win(cli->db, id, NULL);
}

static struct crm_error *
apply_lose(struct cli *cli, sqlite3_int64 id, struct deal_batch *b)
{
	return crm_deal_lose(cli->db, id, b->reason, NULL);
}

static struct crm_error *
apply_reopen(struct cli *cli, sqlite3_int64 id, struct deal_batch *b)
{
	int changed;

	return crm_deal_reopen(cli->db, id, b->stage, &changed);
}

static void
no_options(struct cli *cli, int argc, char **argv, int *ind)
{
	const char *arg;

	while (cli_getopt(cli, argc, argv, &arg, ind) != -1)
		;
}

int
deal_cmd_move(struct cli *cli, int argc, char **argv)
{
	struct deal_batch b = { .apply = apply_move, .write = 1,
	    .print = deal_print_batch };
	int ind;

	no_options(cli, argc, argv, &ind);
	if (argc - ind < 2)
		cli_usage_error(cli, "expected deals and a stage: REF... STAGE "
		    "(REF may be - for stdin)");
	b.stage = argv[argc - 1];
	return deal_run_batch(cli, &b, argc - ind - 1, argv + ind);
}

int
deal_cmd_win(struct cli *cli, int argc, char **argv)
{
	struct deal_batch b = { .apply = apply_win, .write = 1,
	    .print = deal_print_batch };
	int ind;

	no_options(cli, argc, argv, &ind);
	return deal_run_batch(cli, &b, argc - ind, argv + ind);
}

int
deal_cmd_lose(struct cli *cli, int argc, char **argv)
{
	struct deal_batch b = { .apply = apply_lose, .write = 1,
	    .print = deal_print_batch };
	const char *arg;
	int ind;

	while (cli_getopt(cli, argc, argv, &arg, &ind) != -1)
		b.reason = arg;
	if (b.reason == NULL || *b.reason == '\0')
		cli_usage_error(cli, "--reason is needed: say why the deal was "
		    "lost");
	return deal_run_batch(cli, &b, argc - ind, argv + ind);
}

int
deal_cmd_reopen(struct cli *cli, int argc, char **argv)
{
	struct deal_batch b = { .apply = apply_reopen, .write = 1,
	    .print = deal_print_batch };
	const char *arg;
	int ind;

	while (cli_getopt(cli, argc, argv, &arg, &ind) != -1)
		b.stage = arg;
	return deal_run_batch(cli, &b, argc - ind, argv + ind);
}

static int
print_history(struct cli *cli, struct deal_batch *b)
{
	struct crm_error *err;
	struct crm_out *out;
	size_t i;

	if ((err = cli_out(cli, crm_deal_history_columns,
	    crm_deal_history_columns, NULL, &out)) != NULL)
		return cli_error(cli, err);
	for (i = 0; i < b->n && err == NULL && !crm_out_closed(out); i++)
		err = crm_deal_history(cli->db, b->ids[i], cli_write_one, out);
	if (err == NULL)
		err = crm_out_finish(out);
	crm_out_free(out);
	return cli_error(cli, err);
}

int
deal_cmd_history(struct cli *cli, int argc, char **argv)
{
	struct deal_batch b = { .apply = NULL, .write = 0,
	    .print = print_history };
	int ind;

	no_options(cli, argc, argv, &ind);
	return deal_run_batch(cli, &b, argc - ind, argv + ind);
}
