/*
 * crm-deal: deals moving through pipelines.  Parses options, calls
 * lib/deal*.c, lib/pipeline.c and lib/money.c, and prints records; see
 * crm-deal(1).
 */
#include <errno.h>
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

#define FIELD_OPTS \
	{ "title", O_TITLE, "TITLE", "what is being sold" }, \
	{ "contact", O_CONTACT, "REF", "the contact: id, email or ext:ID" }, \
	{ "company", O_COMPANY, "REF", "the company: id, email, ext:ID or " \
	    "its name" }, \
	{ "pipeline", O_PIPELINE, "NAME", "the pipeline (default: the " \
	    "default pipeline)" }, \
	{ "stage", O_STAGE, "STAGE", "the stage (default: the first)" }, \
	{ "amount", O_AMOUNT, "AMOUNT", "the value, a decimal: 1234.50" }, \
	{ "currency", O_CURRENCY, "CODE", "ISO 4217 code (default: " \
	    "default_currency, else EUR)" }, \
	{ "probability", O_PROB, "PERCENT", "win probability, instead of " \
	    "the stage's" }, \
	{ "expected-close", O_EXPECTED, "DATE", "when it should close" }, \
	{ "owner", O_OWNER, "OWNER", "who works the deal" }, \
	{ "source", O_SOURCE, "SOURCE", "where the deal came from" }, \
	{ "external-id", O_EXT, "ID", "id in another system (ext:ID)" }, \
	{ "set", O_SET, "NAME=VALUE", "set any field, fields.NAME too " \
	    "(repeatable)" }

static const struct cli_opt add_opts[] = {
	FIELD_OPTS,
	{ "tag", O_TAG, "TAG", "add a tag (repeatable, or a,b)" },
	CLI_OPT_END
};

static const struct cli_opt update_opts[] = {
	FIELD_OPTS,
	{ "unset", O_UNSET, "NAME", "clear a field (repeatable)" },
	CLI_OPT_END
};

static const struct cli_opt list_opts[] = {
	{ "where", O_WHERE, "FILTER", "only deals matching the filter "
	    "(crm-filter(7))" },
	{ "sort", O_SORT, "FIELDS", "sort by these fields, -field "
	    "descending" },
	{ "limit", O_LIMIT, "N", "at most N deals" },
	{ "as-of", O_AS_OF, "DATE", "the deals as they were on that day" },
	CLI_OPT_END
};

static const struct cli_opt show_opts[] = {
	{ "as-of", O_AS_OF, "DATE", "the deals as they were on that day" },
	CLI_OPT_END
};

const char *const deal_ref_keys[] = { "id", NULL };

void
deal_as_of(struct cli *cli, const char *arg, char *bound)
{
	struct crm_error *err = crm_deal_as_of(arg, bound);
	char msg[200];

	if (err == NULL)
		return;
	snprintf(msg, sizeof(msg), "%s", err->msg);
	crm_error_free(err);
	cli_usage_error(cli, "%s", msg);
}

/* A field option, --set NAME=VALUE or --unset NAME into values. */
static void
set_value(struct cli *cli, cJSON *values, int key, const char *arg)
{
	static const struct { int key; const char *field; } map[] = {
		{ O_TITLE, "title" }, { O_CONTACT, "contact" },
		{ O_COMPANY, "company" }, { O_PIPELINE, "pipeline" },
		{ O_STAGE, "stage" }, { O_AMOUNT, "amount" },
		{ O_CURRENCY, "currency" }, { O_PROB, "probability" },
		{ O_EXPECTED, "expected_close" }, { O_OWNER, "owner" },
		{ O_SOURCE, "source" }, { O_EXT, "external_id" },
	};
	const char *eq;
	char *name;
	size_t i;

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		if (map[i].key != key)
			continue;
		cJSON_DeleteItemFromObjectCaseSensitive(values, map[i].field);
		cJSON_AddStringToObject(values, map[i].field, arg);
		return;
	}
	if (key == O_UNSET) {
		cJSON_DeleteItemFromObjectCaseSensitive(values, arg);
		cJSON_AddNullToObject(values, arg);
		return;
	}
	if ((eq = strchr(arg, '=')) == NULL || eq == arg)
		cli_usage_error(cli, "--set needs NAME=VALUE, got \"%s\"", arg);
	name = crm_xstrndup(arg, (size_t)(eq - arg));
	cJSON_DeleteItemFromObjectCaseSensitive(values, name);
	cJSON_AddStringToObject(values, name, eq + 1);
	free(name);
}

static int
cmd_add(struct cli *cli, int argc, char **argv)
{
	cJSON *values = cJSON_CreateObject();
	struct crm_buf tags = CRM_BUF_INIT;
	struct crm_error *err;
	sqlite3_int64 id = 0;
	const char *arg;
	int c, ind;

	while ((c = cli_getopt(cli, argc, argv, &arg, &ind)) != -1) {
		if (c == O_TAG)
			crm_buf_addf(&tags, "%s;", arg);
		else
			set_value(cli, values, c, arg);
	}
	if (ind < argc)
		cli_usage_error(cli, "unexpected argument \"%s\"", argv[ind]);
	if (tags.len > 0)
		cJSON_AddStringToObject(values, "tags", tags.buf);
	if ((err = cli_db(cli, CRM_DB_WRITE)) == NULL &&
	    (err = crm_db_begin(cli->db)) == NULL &&
	    (err = crm_deal_add(cli->db, values, &id)) == NULL)
		err = crm_db_commit(cli->db);
	crm_buf_release(&tags);
	cJSON_Delete(values);
	if (err != NULL)
		return cli_error(cli, err);
	return deal_print_ids(cli, &id, 1, NULL);
}

static struct crm_error *
apply_update(struct cli *cli, sqlite3_int64 id, struct deal_batch *b)
{
	return crm_deal_update(cli->db, id, b->values, NULL);
}

static struct crm_error *
apply_delete(struct cli *cli, sqlite3_int64 id, struct deal_batch *b)
{
	return crm_deal_delete(cli->db, id);
}

static struct crm_error *
apply_show(struct cli *cli, sqlite3_int64 id, struct deal_batch *b)
{
	cJSON *rec;
	struct crm_error *err;

	if (b->as_of == NULL)
		return NULL;
	/* A deal that did not exist then is an error of its own. */
	if ((err = crm_deal_get(cli->db, id, b->as_of, &rec)) == NULL)
		cJSON_Delete(rec);
	return err;
}

static int
cmd_update(struct cli *cli, int argc, char **argv)
{
	struct deal_batch b = { .apply = apply_update, .write = 1,
	    .print = deal_print_batch };
	cJSON *values = cJSON_CreateObject();
	const char *arg;
	int c, ind, status;

	while ((c = cli_getopt(cli, argc, argv, &arg, &ind)) != -1)
		set_value(cli, values, c, arg);
	if (cJSON_GetArraySize(values) == 0)
		cli_usage_error(cli, "nothing to change (give a field option, "
		    "--set or --unset)");
	b.values = values;
	status = deal_run_batch(cli, &b, argc - ind, argv + ind);
	cJSON_Delete(values);
	return status;
}

static int
cmd_delete(struct cli *cli, int argc, char **argv)
{
	struct deal_batch b = { .apply = apply_delete, .write = 1,
	    .print = NULL };
	const char *arg;
	int ind;

	while (cli_getopt(cli, argc, argv, &arg, &ind) != -1)
		;
	return deal_run_batch(cli, &b, argc - ind, argv + ind);
}

static int
cmd_show(struct cli *cli, int argc, char **argv)
{
	struct deal_batch b = { .apply = apply_show, .write = 0,
	    .print = deal_print_batch };
	char bound[CRM_TIME_LEN];
	const char *arg;
	int c, ind;

	while ((c = cli_getopt(cli, argc, argv, &arg, &ind)) != -1) {
		deal_as_of(cli, arg, bound);
		b.as_of = bound;
	}
	return deal_run_batch(cli, &b, argc - ind, argv + ind);
}

static int
cmd_list(struct cli *cli, int argc, char **argv)
{
	struct crm_strv cols = CRM_STRV_INIT;
	struct crm_deal_query q = { NULL, NULL, 0, NULL };
	char bound[CRM_TIME_LEN];
	struct crm_error *err;
	struct crm_out *out = NULL;
	enum crm_format fmt;
	const char *arg;
	int c, ind;

	while ((c = cli_getopt(cli, argc, argv, &arg, &ind)) != -1) {
		if (c == O_WHERE)
			q.where = arg;
		else if (c == O_SORT)
			q.sort = arg;
		else if (c == O_LIMIT)
			q.limit = cli_number(cli, "--limit", arg, 1, LONG_MAX);
		else {
			deal_as_of(cli, arg, bound);
			q.as_of = bound;
		}
	}
	if (ind < argc)
		cli_usage_error(cli, "unexpected argument \"%s\" (use "
		    "--where to filter)", argv[ind]);
	if ((err = cli_db(cli, CRM_DB_READ)) == NULL &&
	    (err = cli_format(cli, &fmt)) == NULL && fmt == CRM_FMT_JSONL &&
	    cli->fields == NULL)
		return cli_error(cli, crm_deal_list_jsonl(cli->db, &q, stdout,
		    &c));
	if (err == NULL && (err = cli_columns(cli, crm_deal_flat_columns,
	    crm_deal_columns, &cols)) == NULL &&
	    (err = cli_out(cli, crm_deal_columns, (const char *const *)cols.v,
	    crm_deal_table_columns, &out)) == NULL &&
	    (err = crm_deal_list(cli->db, &q, cli_write_one, out)) == NULL)
		err = crm_out_finish(out);
	crm_out_free(out);
	crm_strv_clear(&cols);
	return cli_error(cli, err);
}

static void
print_value(const char *value, void *arg)
{
	printf("%s\n", value);
}

static void
values(struct cli *cli, const char *opt)
{
	static const char *const stage_opts[] = {
		"stage", "before", "after", "to", NULL
	};
	const struct crm_currency *cur;
	const char *const *f;
	size_t i, n;

	if (strcmp(opt, "fields") == 0 || strcmp(opt, "sort") == 0) {
		for (f = crm_deal_columns; *f != NULL; f++)
			printf("%s\n", *f);
	} else if (strcmp(opt, "unset") == 0 || strcmp(opt, "set") == 0) {
		for (f = crm_deal_writable; *f != NULL; f++)
			printf("%s%s\n", *f, opt[0] == 's' ? "=" : "");
	} else if (strcmp(opt, "currency") == 0) {
		cur = crm_currency_table(&n);
		for (i = 0; i < n; i++)
			printf("%s\n", cur[i].code);
	} else if (strcmp(opt, "on-error") == 0)
		printf("abort\nskip\n");
	else if (cli_db(cli, CRM_DB_READ) != NULL)
		return;
	else if (strcmp(opt, "pipeline") == 0)
		crm_error_free(crm_pipeline_values(cli->db, "pipeline",
		    print_value, NULL));
	else if (strcmp(opt, "owner") == 0 || strcmp(opt, "source") == 0 ||
	    strcmp(opt, "tag") == 0)
		crm_error_free(crm_deal_values(cli->db, opt, print_value,
		    NULL));
	else
		for (f = stage_opts; *f != NULL; f++)
			if (strcmp(*f, opt) == 0)
				crm_error_free(crm_pipeline_values(cli->db,
				    "stage", print_value, NULL));
}

static const struct cli_verb verbs[] = {
	{ "add", cmd_add, NULL, "add a deal and print it", add_opts,
	    CLI_DBOPT | CLI_OUTPUT },
	{ "show", cmd_show, "REF...", "print deals", show_opts,
	    CLI_DBOPT | CLI_OUTPUT },
	{ "list", cmd_list, NULL, "list deals", list_opts,
	    CLI_DBOPT | CLI_OUTPUT },
	{ "update", cmd_update, "REF...", "change deals and print them",
	    update_opts, CLI_DBOPT | CLI_OUTPUT },
	{ "delete", cmd_delete, "REF...", "delete deals", NULL, CLI_DBOPT },
	{ "move", deal_cmd_move, "REF... STAGE", "move deals to a stage",
	    NULL, CLI_DBOPT | CLI_OUTPUT },
	{ "win", deal_cmd_win, "REF...", "mark deals won", NULL,
	    CLI_DBOPT | CLI_OUTPUT },
	{ "lose", deal_cmd_lose, "REF...", "mark deals lost", deal_lose_opts,
	    CLI_DBOPT | CLI_OUTPUT },
	{ "reopen", deal_cmd_reopen, "REF...", "reopen won or lost deals",
	    deal_reopen_opts, CLI_DBOPT | CLI_OUTPUT },
	{ "history", deal_cmd_history, "REF...", "print the stage history",
	    NULL, CLI_DBOPT | CLI_OUTPUT },
	{ "board", deal_cmd_board, NULL, "the pipeline by stage, with totals",
	    deal_board_opts, CLI_DBOPT | CLI_OUTPUT },
	{ "import", deal_cmd_import, "[FILE]", "add or update deals from CSV "
	    "or JSON Lines", deal_import_opts, CLI_DBOPT },
	{ "export", deal_cmd_export, NULL, "print deals for import",
	    deal_export_opts, CLI_DBOPT | CLI_OUTPUT },
	{ "pipeline", deal_cmd_pipeline, "add|list|show|rename|delete "
	    "[NAME [NEW]]", "manage pipelines", deal_pipeline_opts,
	    CLI_DBOPT | CLI_OUTPUT },
	{ "stage", deal_cmd_stage, "add|move|rename|update|delete STAGE "
	    "[NEW]", "manage the stages of a pipeline", deal_stage_opts,
	    CLI_DBOPT },
	{ "rate", deal_cmd_rate, "set|list|delete [FROM TO [RATE]]",
	    "exchange rates for converted totals", NULL,
	    CLI_DBOPT | CLI_OUTPUT },
	{ NULL, NULL, NULL, NULL, NULL, 0 }
};

static const struct cli_prog prog = {
	"crm-deal",
	"Deals moving through pipelines: stages, money, history, the board.",
	verbs,
	values,
};

int
main(int argc, char **argv)
{
	return cli_main(&prog, argc, argv);
}
