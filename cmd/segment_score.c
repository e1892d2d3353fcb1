/*
 * crm-segment score and rfm: lead scoring rules and the RFM quintiles.
 * score takes a sub-command as its first operand (score rule add FILTER
 * POINTS, score explain REF); alone it scores every contact.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "crm_contact.h"
#include "crm_record.h"
#include "crm_score.h"
#include "crm_util.h"
#include "cli.h"
#include "segment.h"

enum { O_SINCE = 400, O_CURRENCY };

const struct cli_opt segment_score_opts[] = { CLI_OPT_END };

const struct cli_opt segment_rfm_opts[] = {
	{ "since", O_SINCE, "DATE", "only deals won on or after DATE "
	    "(2026-01-01, -365d)" },
	{ "currency", O_CURRENCY, "CODE", "convert deal values into CODE "
	    "with the rates of crm-deal rate" },
	CLI_OPT_END
};

static const char *const rule_ref_keys[] = { "id", "rule", NULL };

/*
 * Negative points ("-5") look like options to getopt: move the operands
 * that are negative whole numbers behind a "--", after the others, so
 * that "rule add 'tag = spam' -5" reads as written.  Returns the new
 * argc; *out is the caller's to free (the strings stay argv's).
 */
static int
negative_last(int argc, char **argv, char ***out)
{
	char **v = crm_xcalloc((size_t)argc + 2, sizeof(*v));
	int i, j, n = 0, dash = argc;

	for (i = 1; i < argc; i++)
		if (strcmp(argv[i], "--") == 0) {
			dash = i;
			break;
		}
	v[n++] = argv[0];
	for (i = 1; i < dash; i++)
		if (argv[i][0] != '-' || argv[i][1] < '0' || argv[i][1] > '9')
			v[n++] = argv[i];
	v[n++] = "--";
	for (i = 1; i < dash; i++)
		if (argv[i][0] == '-' && argv[i][1] >= '0' && argv[i][1] <= '9')
			v[n++] = argv[i];
	for (j = dash + 1; j < argc; j++)
		v[n++] = argv[j];
	*out = v;
	return n;
}

static struct crm_error *
get_rule(struct cli *cli, sqlite3_int64 id, void *arg, cJSON **rec)
{
	return crm_score_rule_get(cli->db, id, rec);
}

static int
rule_add(struct cli *cli, const char *where, const char *text)
{
	struct crm_error *err;
	sqlite3_int64 id = 0;
	long long points;

	if ((err = crm_score_points_parse(text, &points)) != NULL)
		return cli_error(cli, err);
	if ((err = cli_begin(cli)) == NULL)
		err = cli_commit(cli, crm_score_rule_add(cli->db, where, points,
		    &id));
	if (err != NULL)
		return cli_error(cli, err);
	return cli_print_ids(cli, crm_score_rule_columns,
	    crm_score_rule_columns, NULL, &id, 1, get_rule, NULL);
}

static int
rule_list(struct cli *cli)
{
	struct crm_error *err;
	struct crm_out *out = NULL;

	if ((err = cli_db(cli, CRM_DB_READ)) == NULL &&
	    (err = cli_out(cli, crm_score_rule_columns,
	    crm_score_rule_columns, NULL, &out)) == NULL &&
	    (err = crm_score_rule_list(cli->db, cli_write_one, out)) == NULL)
		err = crm_out_finish(out);
	crm_out_free(out);
	return cli_error(cli, err);
}

static struct crm_error *
apply_delete(struct cli *cli, sqlite3_int64 id, void *arg)
{
	return crm_score_rule_delete(cli->db, id);
}

static int
rule(struct cli *cli, int argc, char **argv)
{
	struct cli_batch b = { "rule", "ID...", rule_ref_keys,
	    crm_score_rule_resolve, apply_delete, NULL, NULL, 1 };

	if (argc < 1)
		cli_usage_error(cli, "expected rule add, list or delete");
	if (strcmp(argv[0], "add") == 0) {
		if (argc != 3)
			cli_usage_error(cli, "expected rule add FILTER POINTS");
		return rule_add(cli, argv[1], argv[2]);
	}
	if (strcmp(argv[0], "list") == 0) {
		if (argc != 1)
			cli_usage_error(cli, "rule list takes no operands");
		return rule_list(cli);
	}
	if (strcmp(argv[0], "delete") == 0)
		return cli_batch(cli, &b, argc - 1, argv + 1);
	cli_usage_error(cli, "unknown sub-command \"rule %s\" (use add, list "
	    "or delete)", argv[0]);
}

static int
explain(struct cli *cli, const char *ref)
{
	struct crm_error *err;
	struct crm_out *out = NULL;
	sqlite3_int64 id;
	long long total, stored;
	int scored;

	if ((err = cli_db(cli, CRM_DB_READ)) != NULL ||
	    (err = crm_contact_resolve(cli->db, ref, &id)) != NULL ||
	    (err = cli_out(cli, crm_score_explain_columns,
	    crm_score_explain_columns, NULL, &out)) != NULL)
		goto done;
	if ((err = crm_score_explain(cli->db, id, cli_write_one, out, &total,
	    &stored, &scored)) != NULL || (err = crm_out_finish(out)) != NULL)
		goto done;
	/* The total after the records, as a summary of them. */
	if (!scored)
		fprintf(stderr, "%s: total %lld (not scored yet: crm-segment "
		    "score stores it)\n", cli->prog->name, total);
	else if (stored != total)
		fprintf(stderr, "%s: total %lld (the stored score is %lld: "
		    "crm-segment score updates it)\n", cli->prog->name, total,
		    stored);
	else
		fprintf(stderr, "%s: total %lld\n", cli->prog->name, total);
done:
	crm_out_free(out);
	return cli_error(cli, err);
}

static int
score_all(struct cli *cli)
{
	struct crm_error *err;
	long long n = 0, k = 0;

	if ((err = cli_begin(cli)) == NULL)
		err = cli_commit(cli, crm_score_run(cli->db, &n, &k));
	if (err != NULL)
		return cli_error(cli, err);
	fprintf(stderr, "%s: scored %lld contact%s with %lld rule%s\n",
	    cli->prog->name, n, n == 1 ? "" : "s", k, k == 1 ? "" : "s");
	return 0;
}

int
segment_cmd_score(struct cli *cli, int argc, char **argv)
{
	const char *arg;
	char **v;
	int ind, n, rc;

	n = negative_last(argc, argv, &v);
	while (cli_getopt(cli, n, v, &arg, &ind) != -1)
		;
	n -= ind;
	if (n == 0)
		rc = score_all(cli);
	else if (strcmp(v[ind], "rule") == 0)
		rc = rule(cli, n - 1, v + ind + 1);
	else if (strcmp(v[ind], "explain") == 0) {
		if (n != 2)
			cli_usage_error(cli, "expected explain REF");
		rc = explain(cli, v[ind + 1]);
	} else
		cli_usage_error(cli, "unknown sub-command \"%s\" (use rule or "
		    "explain, or nothing to score every contact)", v[ind]);
	free(v);
	return rc;
}

int
segment_cmd_rfm(struct cli *cli, int argc, char **argv)
{
	struct crm_rfm_query q = { NULL, NULL };
	struct crm_error *err;
	struct crm_out *out = NULL;
	const cJSON *rec;
	cJSON *groups = NULL;
	const char *arg;
	long long n = 0;
	int c, ind;

	while ((c = cli_getopt(cli, argc, argv, &arg, &ind)) != -1) {
		if (c == O_SINCE)
			q.since = arg;
		else
			q.currency = arg;
	}
	if (ind < argc)
		cli_usage_error(cli, "unexpected argument \"%s\"", argv[ind]);
	/* The output checked before anything is written. */
	if ((err = cli_out(cli, crm_rfm_columns, crm_rfm_columns, NULL,
	    &out)) != NULL || (err = cli_begin(cli)) != NULL)
		goto done;
	if ((err = cli_commit(cli, crm_rfm_run(cli->db, &q, &groups, &n))) !=
	    NULL)
		goto done;
	cJSON_ArrayForEach(rec, groups)
		if ((err = crm_out_write(out, rec)) != NULL)
			break;
	if (err == NULL && (err = crm_out_finish(out)) == NULL)
		fprintf(stderr, "%s: scored %lld contact%s\n", cli->prog->name,
		    n, n == 1 ? "" : "s");
done:
	cJSON_Delete(groups);
	crm_out_free(out);
	return cli_error(cli, err);
}
