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

static struct crm_error *
get_deal(struct cli *cli, sqlite3_int64 id, void *arg, cJSON **rec)
{
	return crm_deal_get(cli->db, id, arg, rec);
}

int
deal_print_ids(struct cli *cli, const sqlite3_int64 *ids, size_t n,
    const char *as_of)
{
	return cli_print_ids(cli, crm_deal_columns, crm_deal_columns,
	    crm_deal_table_columns, ids, n, get_deal, (void *)as_of);
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
