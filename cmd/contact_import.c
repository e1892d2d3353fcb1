/*
 * crm-contact import and export: options, the progress line, the
 * summary; the work is in lib/contact_import.c and lib/contact_export.c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "crm_contact.h"
#include "crm_db.h"
#include "crm_import.h"
#include "crm_record.h"
#include "crm_util.h"
#include "cli.h"
#include "contact.h"

enum {
	O_MAP = 400, O_SHOW, O_IGNORE, O_UPSERT, O_KEY, O_DRY, O_ONERR,
	O_REJECTS, O_ENCODING, O_DELIM, O_CSV, O_JSONL, O_VERBOSE, O_WHERE
};

const struct cli_opt contact_import_opts[] = {
	{ "map", O_MAP, "COLUMN=FIELD,...", "map columns to fields "
	    "(repeatable; FIELD - drops the column)" },
	{ "show-mapping", O_SHOW, NULL, "print the mapping that would be "
	    "used, and exit" },
	{ "ignore-unknown", O_IGNORE, NULL, "drop columns that are no "
	    "field, instead of keeping them as fields.NAME" },
	{ "upsert", O_UPSERT, NULL, "update contacts that exist, add the "
	    "others" },
	{ "key", O_KEY, "email|ext", "what --upsert matches on (default: "
	    "email)" },
	{ "dry-run", O_DRY, NULL, "check everything, write nothing" },
	{ "on-error", O_ONERR, "abort|skip", "abort: a bad row imports "
	    "nothing (default); skip: the good rows land" },
	{ "rejects", O_REJECTS, "FILE", "write the bad rows to FILE, as "
	    "they were read" },
	{ "encoding", O_ENCODING, "ENC", "utf-8 (default), cp1252 or "
	    "latin1" },
	{ "delimiter", O_DELIM, "CHAR", "CSV field delimiter (default: ,; "
	    "tab for a tab)" },
	{ "csv", O_CSV, NULL, "the input is CSV (default: by its first "
	    "byte)" },
	{ "jsonl", O_JSONL, NULL, "the input is JSON Lines" },
	{ "verbose", O_VERBOSE, NULL, "also say how the rows were written "
	    "and how long each phase took" },
	CLI_OPT_END
};

const struct cli_opt contact_export_opts[] = {
	{ "where", O_WHERE, "FILTER", "only contacts matching the filter "
	    "(crm-filter(7))" },
	CLI_OPT_END
};

struct progress {
	struct cli	*cli;
	int		 tty;		/* stderr is a terminal */
	int		 shown;		/* a progress line is on screen */
	struct timespec	 last;
};

static void
erase(struct progress *p)
{
	if (p->shown)
		fputs("\r\033[K", stderr);
	p->shown = 0;
}

static void
on_reject(const char *msg, void *arg)
{
	struct progress *p = arg;

	erase(p);
	cli_warn(p->cli, "%s", msg);
}

/* At most four updates a second, and only on a terminal. */
static void
on_progress(const struct crm_import_stats *st, void *arg)
{
	struct progress *p = arg;
	struct timespec now;
	double dt;

	if (!p->tty)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	dt = (double)(now.tv_sec - p->last.tv_sec) +
	    (double)(now.tv_nsec - p->last.tv_nsec) / 1e9;
	if (p->shown && dt < 0.25)
		return;
	p->last = now;
	if (st->size > 0)
		fprintf(stderr, "\r%s: importing: %ld rows, %d%%\033[K",
		    p->cli->prog->name, st->rows,
		    (int)(100.0 * (double)st->bytes / (double)st->size));
	else
		fprintf(stderr, "\r%s: importing: %ld rows\033[K",
		    p->cli->prog->name, st->rows);
	p->shown = 1;
}

static int
print_mapping(const cJSON *rec, void *arg)
{
	return cli_write_one(rec, arg);
}

static int
show_mapping(struct cli *cli, FILE *fp, const struct crm_import_opts *o)
{
	static const char *const cols[] = { "column", "field", "how", NULL };
	struct crm_error *err;
	struct crm_out *out = NULL;

	if ((err = cli_out(cli, cols, cols, cols, &out)) == NULL &&
	    (err = crm_import_show_mapping(fp, o, print_mapping, out)) == NULL)
		err = crm_out_finish(out);
	crm_out_free(out);
	return cli_error(cli, err);
}

static void
summary(const struct crm_import_opts *o, const struct crm_import_stats *st,
    int verbose)
{
	fprintf(stderr, "%simported %ld, updated %ld, rejected %ld",
	    o->dry_run ? "dry run: " : "", st->imported, st->updated,
	    st->rejected);
	if (st->unchanged > 0)
		fprintf(stderr, ", unchanged %ld", st->unchanged);
	if (st->companies > 0)
		fprintf(stderr, ", companies created %ld", st->companies);
	fputs(o->dry_run ? " (nothing written)\n" : "\n", stderr);
	if (verbose)
		fprintf(stderr, "%s; load %.2f s, indexes %.2f s, %s %.2f s, "
		    "commit %.2f s\n", st->bulk ?
		    "bulk: indexes rebuilt after the load, the search index "
		    "left to the next search" :
		    "live: keys looked up row by row",
		    st->seconds[0], st->seconds[1], st->bulk ?
		    "suppressions" : "search index", st->seconds[2],
		    st->seconds[3]);
}

/* The option's value, or a usage error naming the choices. */
static void
parse_opt(struct cli *cli, struct crm_import_opts *o, int c, const char *arg,
    struct crm_strv *map, const char **rejects, int *show)
{
	switch (c) {
	case O_MAP:
		crm_strv_push(map, arg);
		break;
	case O_SHOW:
		*show = 1;
		break;
	case O_IGNORE:
		o->ignore_unknown = 1;
		break;
	case O_UPSERT:
		o->upsert = 1;
		break;
	case O_KEY:
		if (strcmp(arg, "email") != 0 && strcmp(arg, "ext") != 0)
			cli_usage_error(cli, "--key: use email or ext, not "
			    "\"%s\"", arg);
		o->key_ext = strcmp(arg, "ext") == 0;
		break;
	case O_DRY:
		o->dry_run = 1;
		break;
	case O_ONERR:
		if (strcmp(arg, "abort") != 0 && strcmp(arg, "skip") != 0)
			cli_usage_error(cli, "--on-error: use abort or skip, "
			    "not \"%s\"", arg);
		o->skip = strcmp(arg, "skip") == 0;
		break;
	case O_REJECTS:
		*rejects = arg;
		break;
	case O_ENCODING:
		if (crm_charset_parse(arg, &o->charset) != 0)
			cli_usage_error(cli, "--encoding: use utf-8, cp1252 "
			    "or latin1, not \"%s\"", arg);
		break;
	case O_DELIM:
		if (strcmp(arg, "tab") == 0 || strcmp(arg, "\\t") == 0)
			arg = "\t";
		if (strlen(arg) != 1 || strchr("\"\r\n", *arg) != NULL)
			cli_usage_error(cli, "--delimiter: expected one "
			    "character, or tab, not \"%s\"", arg);
		o->delimiter = (unsigned char)*arg;
		break;
	case O_CSV:
	case O_JSONL:
		o->input = c == O_CSV ? CRM_IN_CSV : CRM_IN_JSONL;
		break;
	}
}

static int
run_import(struct cli *cli, FILE *fp, struct crm_import_opts *o, int verbose)
{
	struct progress p = { cli, isatty(2), 0, { 0, 0 } };
	struct crm_import_stats st;
	struct crm_error *err;

	o->reject = on_reject;
	o->progress = on_progress;
	o->arg = &p;
	if ((err = cli_db(cli, CRM_DB_WRITE)) != NULL)
		return cli_error(cli, err);
	err = crm_contact_import(cli->db, fp, o, &st);
	erase(&p);
	if (err != NULL)
		return cli_error(cli, err);
	if (st.rejected > 0 && !o->skip && !o->dry_run) {
		cli_warn(cli, "nothing imported: %ld of %ld rows rejected "
		    "(--on-error skip imports the others)", st.rejected,
		    st.rejected + st.imported + st.updated + st.unchanged);
		return CRM_EXIT_FAIL;
	}
	summary(o, &st, verbose);
	return st.rejected > 0 ? CRM_EXIT_FAIL : 0;
}

int
contact_import(struct cli *cli, int argc, char **argv)
{
	struct crm_import_opts o;
	struct crm_strv map = CRM_STRV_INIT;
	const char *arg, *rejects = NULL, *path = "-";
	FILE *fp = stdin, *rj = NULL;
	int c, ind, show = 0, verbose = 0, status;

	memset(&o, 0, sizeof(o));
	while ((c = cli_getopt(cli, argc, argv, &arg, &ind)) != -1) {
		if (c == O_VERBOSE)
			verbose = 1;
		else
			parse_opt(cli, &o, c, arg, &map, &rejects, &show);
	}
	if (argc - ind > 1)
		cli_usage_error(cli, "unexpected argument \"%s\"",
		    argv[ind + 1]);
	if (ind < argc)
		path = argv[ind];
	o.map = &map;
	o.name = strcmp(path, "-") == 0 ? "stdin" : path;
	if (strcmp(path, "-") != 0 && (fp = fopen(path, "rb")) == NULL) {
		cli_warn(cli, "%s: %s", path, strerror(errno));
		crm_strv_clear(&map);
		return CRM_EXIT_FAIL;
	}
	if (show)
		status = show_mapping(cli, fp, &o);
	else if (rejects != NULL && (rj = fopen(rejects, "w")) == NULL) {
		cli_warn(cli, "%s: %s", rejects, strerror(errno));
		status = CRM_EXIT_FAIL;
	} else {
		o.rejects = rj;
		status = run_import(cli, fp, &o, verbose);
	}
	if (rj != NULL && fclose(rj) != 0) {
		cli_warn(cli, "%s: %s", rejects, strerror(errno));
		status = CRM_EXIT_FAIL;
	}
	if (fp != stdin)
		fclose(fp);
	crm_strv_clear(&map);
	return status;
}

int
contact_import_values(const char *opt)
{
	static const char *const vals[][2] = {
		{ "key", "email\next\n" },
		{ "on-error", "abort\nskip\n" },
		{ "encoding", "utf-8\ncp1252\nlatin1\n" },
	};
	size_t i;

	for (i = 0; i < sizeof(vals) / sizeof(vals[0]); i++)
		if (strcmp(opt, vals[i][0]) == 0) {
			fputs(vals[i][1], stdout);
			return 1;
		}
	return 0;
}

int
contact_export(struct cli *cli, int argc, char **argv)
{
	struct crm_contact_query q = { NULL, NULL, 0 };
	struct crm_strv cols = CRM_STRV_INIT;
	struct crm_error *err;
	struct crm_out *out = NULL;
	enum crm_format fmt;
	const char *arg;
	int c, ind;

	while ((c = cli_getopt(cli, argc, argv, &arg, &ind)) != -1)
		if (c == O_WHERE)
			q.where = arg;
	if (ind < argc)
		cli_usage_error(cli, "unexpected argument \"%s\" (use "
		    "--where to filter)", argv[ind]);
	/* For files: JSON Lines unless told, on a terminal too. */
	if (cli->format == NULL)
		cli->format = "jsonl";
	if ((err = cli_db(cli, CRM_DB_READ)) != NULL ||
	    (err = cli_format(cli, &fmt)) != NULL)
		return cli_error(cli, err);
	if (fmt == CRM_FMT_JSONL && cli->fields == NULL)
		return cli_error(cli, crm_contact_export_jsonl(cli->db,
		    q.where, stdout));
	if (fmt == CRM_FMT_CSV || fmt == CRM_FMT_TSV)
		err = crm_contact_flat_columns(cli->db, &cols);
	if (err == NULL && (err = cli_out(cli, crm_contact_columns,
	    cols.n > 0 ? (const char *const *)cols.v : crm_contact_columns,
	    crm_contact_table_columns, &out)) == NULL &&
	    (err = crm_contact_list(cli->db, &q, cli_write_one, out)) ==
	    NULL)
		err = crm_out_finish(out);
	crm_out_free(out);
	crm_strv_clear(&cols);
	return cli_error(cli, err);
}
