/*
 * crm-ticket merge KEEP OTHER...: every reference resolved first (each
 * unknown one reported), then one transaction; prints the kept ticket
 * with its thread.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "crm_record.h"
#include "crm_ticket.h"
#include "crm_util.h"
#include "cli.h"
#include "ticket.h"

static const char *const merge_ref_keys[] = { "id", NULL };

struct refs {
	sqlite3_int64	*ids;
	size_t		 n, alloc;
	int		 failed;
};

static void
add_ref(struct cli *cli, const char *ref, void *arg)
{
	struct refs *r = arg;
	struct crm_error *err;
	sqlite3_int64 id;

	if ((err = crm_ticket_resolve(cli->db, ref, &id)) != NULL) {
		r->failed++;
		cli_error(cli, err);
		return;
	}
	if (r->n == r->alloc) {
		r->alloc = r->alloc ? r->alloc * 2 : 8;
		r->ids = crm_xrealloc(r->ids, r->alloc * sizeof(*r->ids));
	}
	r->ids[r->n++] = id;
}

/* The kept ticket as show prints it: every field, then its thread. */
static int
print_kept(struct cli *cli, sqlite3_int64 id)
{
	struct crm_error *err;
	struct crm_out *out = NULL;
	cJSON *rec = NULL;

	if ((err = crm_ticket_get(cli->db, id, 1, &rec)) == NULL &&
	    (err = cli_out(cli, crm_ticket_thread_columns,
	    crm_ticket_thread_columns, crm_ticket_table_columns, &out)) ==
	    NULL && (err = crm_out_write(out, rec)) == NULL)
		err = crm_out_finish(out);
	crm_out_free(out);
	cJSON_Delete(rec);
	return cli_error(cli, err);
}

int
ticket_merge(struct cli *cli, int argc, char **argv)
{
	struct refs r = { NULL, 0, 0, 0 };
	struct crm_error *err;
	const char *arg;
	int ind, status;

	while (cli_getopt(cli, argc, argv, &arg, &ind) != -1)
		;
	if (argc - ind < 2)
		cli_usage_error(cli, "expected KEEP OTHER...");
	if ((err = cli_db(cli, CRM_DB_WRITE)) != NULL)
		return cli_error(cli, err);
	cli_each_ref(cli, argc - ind, argv + ind, merge_ref_keys, add_ref,
	    &r);
	if (r.failed || cli->status || r.n < 2) {
		if (r.n < 2 && !r.failed && !cli->status)
			cli_warn(cli, "no ticket to merge into %s", argv[ind]);
		free(r.ids);
		return cli->status;
	}
	if ((err = crm_db_begin(cli->db)) == NULL) {
		if ((err = crm_ticket_merge(cli->db, r.ids[0], r.ids + 1,
		    r.n - 1)) == NULL)
			err = crm_db_commit(cli->db);
		else
			crm_db_rollback(cli->db);
	}
	status = err != NULL ? cli_error(cli, err) : print_kept(cli, r.ids[0]);
	free(r.ids);
	return status;
}
