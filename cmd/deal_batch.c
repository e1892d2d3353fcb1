/*
 * crm-deal's shared plumbing: printing deals, and running a change over
 * a list of references in one transaction.
 */
#include <stdio.h>
#include <stdlib.h>

#include <cjson/cJSON.h>

#include "crm_deal.h"
#include "crm_record.h"
#include "crm_util.h"
#include "cli.h"
#include "deal.h"

int
deal_print_ids(struct cli *cli, const sqlite3_int64 *ids, size_t n,
    const char *as_of)
{
	struct crm_error *err;
	struct crm_out *out;
	cJSON *rec;
	size_t i;

	if ((err = cli_out(cli, crm_deal_columns, crm_deal_columns,
	    crm_deal_table_columns, &out)) != NULL)
		return cli_error(cli, err);
	for (i = 0; i < n && err == NULL; i++) {
		if ((err = crm_deal_get(cli->db, ids[i], as_of, &rec)) != NULL)
			break;
		err = crm_out_write(out, rec);
		cJSON_Delete(rec);
	}
	if (err == NULL)
		err = crm_out_finish(out);
	crm_out_free(out);
	return cli_error(cli, err);
}

static void
batch_one(struct cli *cli, const char *ref, void *arg)
{
	struct deal_batch *b = arg;
	struct crm_error *err;
	sqlite3_int64 id;

	if (b->usage)
		return;
	if ((err = crm_deal_resolve(cli->db, ref, &id)) == NULL &&
	    b->apply != NULL)
		err = b->apply(cli, id, b);
	if (err != NULL) {
		b->failed++;
		b->usage = err->code == CRM_EXIT_USAGE;
		cli_error(cli, err);
		return;
	}
	if (b->n == b->alloc) {
		b->alloc = b->alloc ? b->alloc * 2 : 16;
		b->ids = crm_xrealloc(b->ids, b->alloc * sizeof(*b->ids));
	}
	b->ids[b->n++] = id;
}

int
deal_print_batch(struct cli *cli, struct deal_batch *b)
{
	return deal_print_ids(cli, b->ids, b->n, b->as_of);
}

int
deal_run_batch(struct cli *cli, struct deal_batch *b, int argc, char **argv)
{
	struct crm_error *err;
	int status = 0;

	if (argc == 0)
		cli_usage_error(cli, "no deal given (use REF... or -)");
	if ((err = cli_db(cli, b->write ? CRM_DB_WRITE : CRM_DB_READ)) !=
	    NULL || (b->write && (err = crm_db_begin(cli->db)) != NULL))
		return cli_error(cli, err);
	cli_each_ref(cli, argc, argv, deal_ref_keys, batch_one, b);
	if (b->write && (b->failed || cli->status)) {
		crm_db_rollback(cli->db);
		if (b->n > 0 || b->failed > 1)
			cli_warn(cli, "nothing changed: %d of %zu deals failed",
			    b->failed, b->n + (size_t)b->failed);
		status = cli->status;
	} else if (b->write && (err = crm_db_commit(cli->db)) != NULL)
		status = cli_error(cli, err);
	else if (b->print != NULL)
		status = b->print(cli, b);
	free(b->ids);
	return status ? status : cli->status;
}
