/*
 * crm-contact dupes and merge: find likely duplicates, fold them into one
 * contact (lib/contact_dupes.c, lib/contact_merge.c); see crm-contact(1).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "crm_contact.h"
#include "crm_db.h"
#include "crm_merge.h"
#include "crm_record.h"
#include "crm_util.h"
#include "cli.h"
#include "contact.h"

enum { O_BY = 400 };

const struct cli_opt contact_dupes_opts[] = {
	{ "by", O_BY, "REASONS", "only these reasons: email, phone, name "
	    "(comma-separated; default: all)" },
	CLI_OPT_END
};

const struct cli_opt contact_merge_opts[] = {
	{ "dry-run", 'n', NULL, "print the merged contact, change nothing" },
	CLI_OPT_END
};

int
contact_dupes(struct cli *cli, int argc, char **argv)
{
	struct crm_error *err;
	struct crm_out *out = NULL;
	const char *arg;
	char msg[256];
	int c, ind, bits = CRM_DUPES_ALL;

	while ((c = cli_getopt(cli, argc, argv, &arg, &ind)) != -1) {
		if (c != O_BY ||
		    (err = crm_merge_parse_reasons(arg, &bits)) == NULL)
			continue;
		snprintf(msg, sizeof(msg), "%s", err->msg);
		crm_error_free(err);
		cli_usage_error(cli, "--by: %s", msg);
	}
	if (ind < argc)
		cli_usage_error(cli, "unexpected argument \"%s\"", argv[ind]);
	if ((err = cli_db(cli, CRM_DB_READ)) == NULL &&
	    (err = cli_out(cli, crm_dupes_columns, crm_dupes_columns, NULL,
	    &out)) == NULL &&
	    (err = crm_merge_dupes(cli->db, bits, cli_write_one,
	    out)) == NULL)
		err = crm_out_finish(out);
	crm_out_free(out);
	return cli_error(cli, err);
}

/* The contacts to merge away, resolved; failures reported as they come. */
struct others {
	sqlite3_int64	*ids;
	size_t		 n;
	int		 failed;
};

static void
add_other(struct cli *cli, const char *ref, void *arg)
{
	struct others *o = arg;
	struct crm_error *err;
	sqlite3_int64 id;

	if ((err = crm_contact_resolve(cli->db, ref, &id)) != NULL) {
		o->failed++;
		cli_error(cli, err);
		return;
	}
	o->ids = crm_xrealloc(o->ids, (o->n + 1) * sizeof(*o->ids));
	o->ids[o->n++] = id;
}

int
contact_merge(struct cli *cli, int argc, char **argv)
{
	struct others o = { NULL, 0, 0 };
	struct crm_error *err;
	sqlite3_int64 keep = 0;
	const char *arg;
	int c, ind, dry = 0, status;

	while ((c = cli_getopt(cli, argc, argv, &arg, &ind)) != -1)
		dry = c == 'n';
	if (argc - ind < 2)
		cli_usage_error(cli, "give the contact to keep and at least "
		    "one other");
	if (strcmp(argv[ind], "-") == 0)
		cli_usage_error(cli, "the contact to keep cannot be \"-\"");
	if ((err = cli_db(cli, CRM_DB_WRITE)) != NULL ||
	    (err = crm_db_begin(cli->db)) != NULL)
		return cli_error(cli, err);
	if ((err = crm_contact_resolve(cli->db, argv[ind], &keep)) != NULL) {
		o.failed++;
		cli_error(cli, err);
	}
	cli_each_ref(cli, argc - ind - 1, argv + ind + 1, contact_ref_keys,
	    add_other, &o);
	if (o.failed || cli->status) {
		if (o.failed > 1 || o.n > 0 || keep != 0)
			cli_warn(cli, "nothing merged: %d of %zu contacts "
			    "not found", o.failed, o.n + (keep != 0) +
			    (size_t)o.failed);
		status = cli->status;
	} else if ((err = crm_merge_contacts(cli->db, keep, o.ids,
	    o.n)) != NULL)
		status = cli_error(cli, err);
	else if (dry)
		status = contact_print_ids(cli, &keep, 1);
	else if ((err = crm_db_commit(cli->db)) != NULL)
		status = cli_error(cli, err);
	else
		status = contact_print_ids(cli, &keep, 1);
	crm_db_rollback(cli->db);
	free(o.ids);
	return status;
}
