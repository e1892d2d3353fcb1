/*
 * crm-segment: named audiences of contacts.  Parses options, calls
 * lib/segment.c and lib/score.c, and prints records; see crm-segment(1).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "crm_contact.h"
#include "crm_import.h"
#include "crm_money.h"
#include "crm_record.h"
#include "crm_segment.h"
#include "crm_util.h"
#include "cli.h"
#include "segment.h"

enum {
	O_WHERE = 300, O_STATIC, O_DESCRIPTION, O_SORT, O_LIMIT, O_UNION,
	O_INTERSECT, O_EXCEPT, O_FORCE
};

static const struct cli_opt create_opts[] = {
	{ "where", O_WHERE, "FILTER", "a dynamic segment: the contacts "
	    "matching the filter (crm-filter(7))" },
	{ "static", O_STATIC, NULL, "a static segment: a list of members" },
	{ "description", O_DESCRIPTION, "TEXT", "what the segment is for" },
	CLI_OPT_END
};

static const struct cli_opt update_opts[] = {
	{ "where", O_WHERE, "FILTER", "a new filter (dynamic segments)" },
	{ "description", O_DESCRIPTION, "TEXT", "a new description (\"\" "
	    "clears it)" },
	CLI_OPT_END
};

#define SET_OPTS \
	{ "union", O_UNION, NULL, "contacts in any of the segments" }, \
	{ "intersect", O_INTERSECT, NULL, "contacts in all the segments" }, \
	{ "except", O_EXCEPT, NULL, "contacts in the first segment and none " \
	    "of the others" }

static const struct cli_opt members_opts[] = {
	SET_OPTS,
	{ "sort", O_SORT, "FIELDS", "sort by these fields, -field "
	    "descending" },
	{ "limit", O_LIMIT, "N", "at most N contacts" },
	CLI_OPT_END
};

static const struct cli_opt count_opts[] = {
	SET_OPTS,
	CLI_OPT_END
};

static const struct cli_opt try_opts[] = {
	{ "where", O_WHERE, "FILTER", "the filter to try (required)" },
	{ "sort", O_SORT, "FIELDS", "sort the sample by these fields" },
	{ "limit", O_LIMIT, "N", "a sample of at most N contacts (default "
	    "10)" },
	CLI_OPT_END
};

static const struct cli_opt delete_opts[] = {
	{ "force", O_FORCE, NULL, "delete even while a scheduled campaign "
	    "sends to it" },
	CLI_OPT_END
};

static const char *const segment_ref_keys[] = { "id", "name", NULL };
static const char *const contact_ref_keys[] = { "contact_id", "id", NULL };

static struct crm_error *
get_segment(struct cli *cli, sqlite3_int64 id, void *arg, cJSON **rec)
{
	return crm_segment_get(cli->db, id, rec);
}

static int
print_ids(struct cli *cli, const sqlite3_int64 *ids, size_t n)
{
	return cli_print_ids(cli, crm_segment_columns, crm_segment_columns,
	    crm_segment_table_columns, ids, n, get_segment, NULL);
}

static int
cmd_create(struct cli *cli, int argc, char **argv)
{
	const char *where = NULL, *desc = NULL, *arg;
	struct crm_error *err;
	sqlite3_int64 id = 0;
	int c, ind, is_static = 0;

	while ((c = cli_getopt(cli, argc, argv, &arg, &ind)) != -1) {
		if (c == O_WHERE)
			where = arg;
		else if (c == O_STATIC)
			is_static = 1;
		else
			desc = arg;
	}
	if (argc - ind != 1)
		cli_usage_error(cli, "expected one NAME");
	if ((where == NULL) == !is_static)
		cli_usage_error(cli, "give --where FILTER (a dynamic segment) "
		    "or --static (a list), not %s", is_static ? "both" :
		    "neither");
	if ((err = cli_begin(cli)) == NULL)
		err = cli_commit(cli, crm_segment_create(cli->db, argv[ind], where,
		    desc, &id));
	if (err != NULL)
		return cli_error(cli, err);
	return print_ids(cli, &id, 1);
}

static int
cmd_update(struct cli *cli, int argc, char **argv)
{
	const char *where = NULL, *desc = NULL, *arg;
	struct crm_error *err;
	sqlite3_int64 id = 0;
	int c, ind;

	while ((c = cli_getopt(cli, argc, argv, &arg, &ind)) != -1) {
		if (c == O_WHERE)
			where = arg;
		else
			desc = arg;
	}
	if (argc - ind != 1)
		cli_usage_error(cli, "expected one NAME");
	if (where == NULL && desc == NULL)
		cli_usage_error(cli, "nothing to change (give --where or "
		    "--description)");
	if ((err = cli_begin(cli)) == NULL) {
		if ((err = crm_segment_resolve(cli->db, argv[ind], &id)) ==
		    NULL)
			err = crm_segment_update(cli->db, id, where, desc);
		err = cli_commit(cli, err);
	}
	if (err != NULL)
		return cli_error(cli, err);
	return print_ids(cli, &id, 1);
}

static int
cmd_rename(struct cli *cli, int argc, char **argv)
{
	struct crm_error *err;
	sqlite3_int64 id = 0;
	const char *arg;
	int ind;

	while (cli_getopt(cli, argc, argv, &arg, &ind) != -1)
		;
	if (argc - ind != 2)
		cli_usage_error(cli, "expected NAME NEW");
	if ((err = cli_begin(cli)) == NULL) {
		if ((err = crm_segment_resolve(cli->db, argv[ind], &id)) ==
		    NULL)
			err = crm_segment_rename(cli->db, id, argv[ind + 1]);
		err = cli_commit(cli, err);
	}
	if (err != NULL)
		return cli_error(cli, err);
	return print_ids(cli, &id, 1);
}

static struct crm_error *
apply_delete(struct cli *cli, sqlite3_int64 id, void *arg)
{
	return crm_segment_delete(cli->db, id, *(int *)arg);
}

static int
cmd_delete(struct cli *cli, int argc, char **argv)
{
	const char *arg;
	int ind, force = 0;
	struct cli_batch b = { "segment", "NAME...", segment_ref_keys,
	    crm_segment_resolve, apply_delete, NULL, &force, 1 };

	while (cli_getopt(cli, argc, argv, &arg, &ind) != -1)
		force = 1;
	return cli_batch(cli, &b, argc - ind, argv + ind);
}

static int
print_batch(struct cli *cli, const sqlite3_int64 *ids, size_t n, void *arg)
{
	return print_ids(cli, ids, n);
}

static int
cmd_show(struct cli *cli, int argc, char **argv)
{
	const char *arg;
	int ind;
	struct cli_batch b = { "segment", "NAME...", segment_ref_keys,
	    crm_segment_resolve, NULL, print_batch, NULL, 0 };

	while (cli_getopt(cli, argc, argv, &arg, &ind) != -1)
		;
	return cli_batch(cli, &b, argc - ind, argv + ind);
}

static int
cmd_list(struct cli *cli, int argc, char **argv)
{
	struct crm_error *err;
	struct crm_out *out = NULL;
	const char *arg;
	int ind;

	while (cli_getopt(cli, argc, argv, &arg, &ind) != -1)
		;
	if (ind < argc)
		cli_usage_error(cli, "unexpected argument \"%s\"", argv[ind]);
	if ((err = cli_db(cli, CRM_DB_READ)) == NULL &&
	    (err = cli_out(cli, crm_segment_columns, crm_segment_columns,
	    crm_segment_table_columns, &out)) == NULL &&
	    (err = crm_segment_list(cli->db, cli_write_one, out)) == NULL)
		err = crm_out_finish(out);
	crm_out_free(out);
	return cli_error(cli, err);
}

/* Contacts matching q, printed as crm-contact list prints them. */
static struct crm_error *
print_contacts(struct cli *cli, const struct crm_contact_query *q)
{
	struct crm_strv cols = CRM_STRV_INIT;
	struct crm_out *out = NULL;
	struct crm_error *err;

	if ((err = cli_columns(cli, crm_contact_flat_columns,
	    crm_contact_columns, &cols)) == NULL &&
	    (err = cli_out(cli, crm_contact_columns,
	    (const char *const *)cols.v, crm_contact_table_columns,
	    &out)) == NULL &&
	    (err = crm_contact_list(cli->db, q, cli_write_one, out)) == NULL)
		err = crm_out_finish(out);
	crm_out_free(out);
	crm_strv_clear(&cols);
	return err;
}

/*
 * The operands of members and count: segment names combined by the
 * option given, into a contact filter (*expr, the caller frees it).
 */
static struct crm_error *
audience(struct cli *cli, int argc, char **argv, int op, char **expr)
{
	enum crm_segment_op sop = op == O_INTERSECT ? CRM_SEG_INTERSECT :
	    op == O_EXCEPT ? CRM_SEG_EXCEPT : CRM_SEG_UNION;
	struct crm_error *err;

	if (argc == 0)
		cli_usage_error(cli, "expected a segment NAME");
	if (argc > 1 && op == 0)
		cli_usage_error(cli, "%d segments: give --union, --intersect "
		    "or --except", argc);
	if ((err = cli_db(cli, CRM_DB_READ)) != NULL)
		return err;
	return crm_segment_expr(cli->db, (const char *const *)argv,
	    (size_t)argc, sop, expr);
}

/* The set option of members or count (0: none); a second is an error. */
static int
set_op(struct cli *cli, int op, int c)
{
	if (op != 0 && op != c)
		cli_usage_error(cli, "--union, --intersect and --except "
		    "exclude each other");
	return c;
}

static int
cmd_members(struct cli *cli, int argc, char **argv)
{
	struct crm_contact_query q = { NULL, NULL, 0 };
	struct crm_error *err;
	enum crm_format fmt;
	const char *arg;
	char *expr = NULL;
	int c, ind, op = 0;

	while ((c = cli_getopt(cli, argc, argv, &arg, &ind)) != -1) {
		if (c == O_SORT)
			q.sort = arg;
		else if (c == O_LIMIT)
			q.limit = cli_number(cli, "--limit", arg, 1, LONG_MAX);
		else
			op = set_op(cli, op, c);
	}
	if ((err = audience(cli, argc - ind, argv + ind, op, &expr)) == NULL &&
	    (err = cli_format(cli, &fmt)) == NULL) {
		q.where = expr;
		/* The same bytes as the records, written from the rows. */
		if (fmt == CRM_FMT_JSONL && cli->fields == NULL &&
		    q.sort == NULL && q.limit == 0)
			err = crm_contact_export_jsonl(cli->db, expr, stdout);
		else
			err = print_contacts(cli, &q);
	}
	free(expr);
	return cli_error(cli, err);
}

static int
cmd_count(struct cli *cli, int argc, char **argv)
{
	struct crm_error *err;
	sqlite3_int64 n;
	const char *arg;
	char *expr = NULL;
	int c, ind, op = 0;

	while ((c = cli_getopt(cli, argc, argv, &arg, &ind)) != -1)
		op = set_op(cli, op, c);
	if ((err = audience(cli, argc - ind, argv + ind, op, &expr)) == NULL &&
	    (err = crm_segment_count(cli->db, expr, &n)) == NULL)
		printf("%lld\n", (long long)n);
	free(expr);
	return cli_error(cli, err);
}

static int
cmd_try(struct cli *cli, int argc, char **argv)
{
	struct crm_contact_query q = { NULL, NULL, 10 };
	struct crm_error *err;
	sqlite3_int64 n;
	const char *arg;
	int c, ind;

	while ((c = cli_getopt(cli, argc, argv, &arg, &ind)) != -1) {
		if (c == O_WHERE)
			q.where = arg;
		else if (c == O_SORT)
			q.sort = arg;
		else
			q.limit = cli_number(cli, "--limit", arg, 1, LONG_MAX);
	}
	if (ind < argc)
		cli_usage_error(cli, "unexpected argument \"%s\"", argv[ind]);
	if (q.where == NULL)
		cli_usage_error(cli, "expected --where FILTER");
	if ((err = cli_db(cli, CRM_DB_READ)) == NULL &&
	    (err = crm_segment_count(cli->db, q.where, &n)) == NULL &&
	    (err = print_contacts(cli, &q)) == NULL) {
		fflush(stdout);
		fprintf(stderr, "%s: %lld contact%s match%s\n",
		    cli->prog->name, (long long)n, n == 1 ? "" : "s",
		    n == 1 ? "es" : "");
	}
	return cli_error(cli, err);
}

struct membership {
	sqlite3_int64	 segment;
	int		 add;
};

static struct crm_error *
apply_member(struct cli *cli, sqlite3_int64 contact, void *arg)
{
	struct membership *m = arg;

	return m->add ? crm_segment_add_member(cli->db, m->segment, contact,
	    NULL) : crm_segment_remove_member(cli->db, m->segment, contact,
	    NULL);
}

static int
members_change(struct cli *cli, int argc, char **argv, int add)
{
	struct membership m = { 0, add };
	struct cli_batch b = { "contact", "REF...", contact_ref_keys,
	    crm_contact_resolve, apply_member, NULL, &m, 1 };
	struct crm_error *err;
	const char *arg;
	int ind;

	while (cli_getopt(cli, argc, argv, &arg, &ind) != -1)
		;
	if (argc - ind < 1)
		cli_usage_error(cli, "expected NAME REF...");
	if (argc - ind < 2)
		cli_usage_error(cli, "no contact given (use REF... or -)");
	/* The segment first: an unknown or dynamic one reads no stdin. */
	if ((err = cli_db(cli, CRM_DB_WRITE)) != NULL ||
	    (err = crm_segment_resolve(cli->db, argv[ind], &m.segment)) !=
	    NULL || (err = crm_segment_check_static(cli->db, m.segment)) !=
	    NULL)
		return cli_error(cli, err);
	return cli_batch(cli, &b, argc - ind - 1, argv + ind + 1);
}

static int
cmd_add(struct cli *cli, int argc, char **argv)
{
	return members_change(cli, argc, argv, 1);
}

static int
cmd_remove(struct cli *cli, int argc, char **argv)
{
	return members_change(cli, argc, argv, 0);
}

static void
print_value(const char *value, void *arg)
{
	printf("%s\n", value);
}

/*
 * Completion values: of an option, or of operand N of a verb ("VERB:N"):
 * segment names wherever a verb takes them.
 */
static void
values(struct cli *cli, const char *opt)
{
	static const char *const all[] = {
		"members", "count", "show", "delete", NULL
	};
	static const char *const first[] = {
		"update", "rename", "add", "remove", NULL
	};
	const char *const *f;
	const char *colon = strchr(opt, ':');
	size_t len = colon != NULL ? (size_t)(colon - opt) : 0;
	int names = 0;

	if (strcmp(opt, "fields") == 0 || strcmp(opt, "sort") == 0) {
		for (f = crm_contact_columns; *f != NULL; f++)
			printf("%s\n", *f);
		return;
	}
	if (strcmp(opt, "currency") == 0) {
		size_t i, n;
		const struct crm_currency *cur = crm_currency_table(&n);

		for (i = 0; i < n; i++)
			printf("%s\n", cur[i].code);
		return;
	}
	if (strcmp(opt, "score:1") == 0) {
		printf("rule\nexplain\n");
		return;
	}
	if (strcmp(opt, "score:2") == 0) {
		printf("add\nlist\ndelete\n");
		return;
	}
	if (colon == NULL)
		return;
	for (f = all; *f != NULL; f++)
		names |= strlen(*f) == len && strncmp(*f, opt, len) == 0;
	for (f = first; *f != NULL; f++)
		names |= strlen(*f) == len && strncmp(*f, opt, len) == 0 &&
		    strcmp(colon, ":1") == 0;
	if (names && cli_db(cli, CRM_DB_READ) == NULL)
		crm_error_free(crm_segment_names(cli->db, print_value, NULL));
}

static const struct cli_verb verbs[] = {
	{ "create", cmd_create, "NAME", "create a segment and print it",
	    create_opts, CLI_DBOPT | CLI_OUTPUT },
	{ "update", cmd_update, "NAME", "change a segment's filter or "
	    "description", update_opts, CLI_DBOPT | CLI_OUTPUT },
	{ "list", cmd_list, NULL, "list segments with their member counts",
	    NULL, CLI_DBOPT | CLI_OUTPUT },
	{ "show", cmd_show, "NAME...", "print segments", NULL,
	    CLI_DBOPT | CLI_OUTPUT },
	{ "members", cmd_members, "NAME...", "print the contacts in "
	    "segments", members_opts, CLI_DBOPT | CLI_OUTPUT },
	{ "count", cmd_count, "NAME...", "count the contacts in segments",
	    count_opts, CLI_DBOPT },
	{ "try", cmd_try, NULL, "count and sample a filter without saving it",
	    try_opts, CLI_DBOPT | CLI_OUTPUT },
	{ "add", cmd_add, "NAME REF...", "add contacts to a static segment",
	    NULL, CLI_DBOPT },
	{ "remove", cmd_remove, "NAME REF...", "remove contacts from a "
	    "static segment", NULL, CLI_DBOPT },
	{ "rename", cmd_rename, "NAME NEW", "rename a segment", NULL,
	    CLI_DBOPT | CLI_OUTPUT },
	{ "delete", cmd_delete, "NAME...", "delete segments", delete_opts,
	    CLI_DBOPT },
	{ "score", segment_cmd_score, "[rule add|list|delete | explain REF]",
	    "lead scores from rules", segment_score_opts,
	    CLI_DBOPT | CLI_OUTPUT },
	{ "rfm", segment_cmd_rfm, NULL, "recency, frequency and monetary "
	    "scores from won deals", segment_rfm_opts, CLI_DBOPT | CLI_OUTPUT },
	{ NULL, NULL, NULL, NULL, NULL, 0 }
};

static const struct cli_prog prog = {
	"crm-segment",
	"Named audiences of contacts: dynamic and static segments, lead "
	    "scores, RFM.",
	verbs,
	values,
};

int
main(int argc, char **argv)
{
	return cli_main(&prog, argc, argv);
}
