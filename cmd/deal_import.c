/*
 * crm-deal import and export: deals in bulk, in one transaction, and out
 * in a form import takes back.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "crm_deal.h"
#include "crm_record.h"
#include "crm_stream.h"
#include "crm_util.h"
#include "cli.h"
#include "deal.h"

const struct cli_opt deal_import_opts[] = {
	{ "csv", O_CSV, NULL, "the input is CSV (default: by its first byte)" },
	{ "jsonl", O_JSONL, NULL, "the input is JSON Lines" },
	{ "map", O_MAP, "COLUMN=FIELD", "read COLUMN as FIELD; FIELD - drops "
	    "it (repeatable, or a=b,c=d)" },
	{ "upsert", O_UPSERT, NULL, "update the deal with the same "
	    "external_id instead of adding one" },
	{ "dry-run", O_DRY_RUN, NULL, "check everything, write nothing" },
	{ "on-error", O_ON_ERROR, "WHAT", "abort (default: import nothing) or "
	    "skip the bad records" },
	{ "rejects", O_REJECTS, "FILE", "write the bad records to FILE, as "
	    "read" },
	CLI_OPT_END
};

const struct cli_opt deal_export_opts[] = {
	{ "where", O_WHERE, "FILTER", "only deals matching the filter "
	    "(crm-filter(7))" },
	CLI_OPT_END
};

static void
report(const struct crm_error *err, void *arg)
{
	cli_warn(arg, "%s", err->msg);
}

struct opts {
	struct crm_deal_import imp;
	struct crm_strv map;
	const char	*rejects;
	int		 dry_run, skip;
};

static void
parse(struct cli *cli, int argc, char **argv, struct opts *o, int *ind)
{
	const char *arg;
	int c;

	while ((c = cli_getopt(cli, argc, argv, &arg, ind)) != -1) {
		if (c == O_CSV)
			o->imp.kind = CRM_IN_CSV;
		else if (c == O_JSONL)
			o->imp.kind = CRM_IN_JSONL;
		else if (c == O_MAP)
			crm_strv_push(&o->map, arg);
		else if (c == O_UPSERT)
			o->imp.upsert = 1;
		else if (c == O_DRY_RUN)
			o->dry_run = 1;
		else if (c == O_REJECTS)
			o->rejects = arg;
		else if (strcmp(arg, "abort") == 0 || strcmp(arg, "skip") == 0)
			o->skip = arg[0] == 's';
		else
			cli_usage_error(cli, "--on-error: expected abort or "
			    "skip, got \"%s\"", arg);
	}
	if (argc - *ind > 1)
		cli_usage_error(cli, "unexpected argument \"%s\"",
		    argv[*ind + 1]);
}

/* Commit, or roll back, as the counts and options say; the status. */
static int
conclude(struct cli *cli, const struct opts *o)
{
	const struct crm_deal_import *im = &o->imp;
	long total = im->added + im->updated + im->unchanged + im->rejected;
	struct crm_error *err;

	if (o->dry_run) {
		crm_db_rollback(cli->db);
		fprintf(stderr, "crm-deal: dry run: %ld to add, %ld to update, "
		    "%ld unchanged, %ld rejected; nothing written\n",
		    im->added, im->updated, im->unchanged, im->rejected);
		return cli->status;
	}
	if (im->rejected > 0 && !o->skip) {
		crm_db_rollback(cli->db);
		cli_warn(cli, "nothing imported: %ld of %ld records rejected",
		    im->rejected, total);
		return cli->status;
	}
	if ((err = crm_db_commit(cli->db)) != NULL)
		return cli_error(cli, err);
	if (im->rejected > 0)
		cli_warn(cli, "imported %ld records, skipped %ld",
		    total - im->rejected, im->rejected);
	return cli->status;
}

int
deal_cmd_import(struct cli *cli, int argc, char **argv)
{
	struct opts o;
	struct crm_error *err = NULL;
	FILE *in = stdin, *rej = NULL;
	int ind, status;

	memset(&o, 0, sizeof(o));
	parse(cli, argc, argv, &o, &ind);
	o.imp.name = "stdin";
	if (ind < argc && strcmp(argv[ind], "-") != 0) {
		o.imp.name = argv[ind];
		if ((in = fopen(argv[ind], "r")) == NULL)
			err = crm_error_new(CRM_EXIT_FAIL, "%s: %s", argv[ind],
			    strerror(errno));
	}
	if (err == NULL && o.rejects != NULL &&
	    (rej = fopen(o.rejects, "w")) == NULL)
		err = crm_error_new(CRM_EXIT_FAIL, "%s: %s", o.rejects,
		    strerror(errno));
	o.imp.in = in;
	o.imp.map = &o.map;
	o.imp.rejects = rej;
	o.imp.report = report;
	o.imp.arg = cli;
	if (err == NULL && (err = cli_db(cli, CRM_DB_WRITE)) == NULL &&
	    (err = crm_db_begin(cli->db)) == NULL &&
	    (err = crm_deal_import(cli->db, &o.imp)) != NULL)
		crm_db_rollback(cli->db);
	if (err != NULL)
		status = cli_error(cli, err);
	else
		status = conclude(cli, &o);
	if (rej != NULL && fclose(rej) != 0 && status == 0)
		status = cli_error(cli, crm_error_new(CRM_EXIT_FAIL, "%s: %s",
		    o.rejects, strerror(errno)));
	if (in != NULL && in != stdin)
		fclose(in);
	crm_strv_clear(&o.map);
	return status;
}

int
deal_cmd_export(struct cli *cli, int argc, char **argv)
{
	struct crm_strv cols = CRM_STRV_INIT;
	struct crm_deal_query q = { NULL, NULL, 0, NULL };
	struct crm_error *err;
	struct crm_out *out = NULL;
	enum crm_format fmt = CRM_FMT_JSONL;
	const char *arg;
	size_t i;
	int ind;

	while (cli_getopt(cli, argc, argv, &arg, &ind) != -1)
		q.where = arg;
	if (ind < argc)
		cli_usage_error(cli, "unexpected argument \"%s\"", argv[ind]);
	/* For import, not for reading: JSON Lines unless told otherwise. */
	if (cli->format == NULL)
		cli->format = "jsonl";
	if ((err = cli_db(cli, CRM_DB_READ)) == NULL &&
	    (err = cli_format(cli, &fmt)) == NULL && fmt == CRM_FMT_JSONL &&
	    cli->fields == NULL)
		return cli_error(cli, crm_deal_list_jsonl(cli->db, &q, stdout,
		    &ind));
	if (err == NULL) {
		if (fmt == CRM_FMT_CSV || fmt == CRM_FMT_TSV)
			err = crm_deal_flat_columns(cli->db, &cols);
		else
			for (i = 0; crm_deal_columns[i] != NULL; i++)
				crm_strv_push(&cols, crm_deal_columns[i]);
	}
	if (err == NULL && (err = crm_out_new(stdout, fmt, cli->fields,
	    crm_deal_columns, (const char *const *)cols.v,
	    crm_deal_table_columns, &out)) == NULL &&
	    (err = crm_deal_list(cli->db, &q, cli_write_one, out)) == NULL)
		err = crm_out_finish(out);
	crm_out_free(out);
	crm_strv_clear(&cols);
	return cli_error(cli, err);
}
