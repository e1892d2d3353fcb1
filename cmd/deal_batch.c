/*
 * crm-deal's shared plumbing: printing deals, and running a change over
 * a list of references in one transaction.
 */
#include <stdio.h>

#include <cjson/cJSON.h>

#include "crm_deal.h"
#include "crm_record.h"
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

static struct crm_error *
batch_apply(struct cli *cli, sqlite3_int64 id, void *arg)
{
	struct deal_batch *b = arg;

	return b->apply(cli, id, b);
}

/* b->print, with the deals done in b->ids (borrowed for the call). */
static int
batch_print(struct cli *cli, const sqlite3_int64 *ids, size_t n, void *arg)
{
	struct deal_batch *b = arg;

	b->ids = ids;
	b->n = n;
	return b->print(cli, b);
}

int
deal_print_batch(struct cli *cli, struct deal_batch *b)
{
	return deal_print_ids(cli, b->ids, b->n, b->as_of);
}

int
deal_run_batch(struct cli *cli, struct deal_batch *b, int argc, char **argv)
{
	struct cli_batch cb = { "deal", "REF...", deal_ref_keys,
	    crm_deal_resolve, b->apply ? batch_apply : NULL,
	    b->print ? batch_print : NULL, b, b->write };

	return cli_batch(cli, &cb, argc, argv);
}
