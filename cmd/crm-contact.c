/*
 * crm-contact: people and companies.  Parses options, calls lib/contact.c
 * and prints records; see crm-contact(1).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "crm_contact.h"
#include "crm_db.h"
#include "crm_record.h"
#include "crm_util.h"
#include "cli.h"
#include "contact.h"

enum {
	O_KIND = 300, O_NAME, O_EMAIL, O_PHONE, O_COMPANY, O_TITLE, O_STAGE,
	O_OWNER, O_SOURCE, O_EXT, O_OPTIN, O_NOOPTIN, O_TAG, O_SET, O_UNSET,
	O_WHERE, O_SORT, O_LIMIT, O_ADD, O_REMOVE
};

#define FIELD_OPTS \
	{ "kind", O_KIND, "KIND", "person or company" }, \
	{ "name", O_NAME, "NAME", "the display name" }, \
	{ "email", O_EMAIL, "EMAIL", "email address, unique" }, \
	{ "phone", O_PHONE, "PHONE", "phone number" }, \
	{ "company", O_COMPANY, "REF", "link to a company: id, email, " \
	    "ext:ID or its name" }, \
	{ "title", O_TITLE, "TITLE", "job title" }, \
	{ "stage", O_STAGE, "STAGE", "lifecycle stage (default: lead)" }, \
	{ "owner", O_OWNER, "OWNER", "who owns the relationship" }, \
	{ "source", O_SOURCE, "SOURCE", "where the contact came from" }, \
	{ "external-id", O_EXT, "ID", "id in another system (ext:ID)" }, \
	{ "opt-in", O_OPTIN, NULL, "consents to marketing mail" }, \
	{ "no-opt-in", O_NOOPTIN, NULL, "does not consent" }, \
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
	{ "where", O_WHERE, "FILTER", "only contacts matching the filter "
	    "(crm-filter(7))" },
	{ "sort", O_SORT, "FIELDS", "sort by these fields, -field "
	    "descending" },
	{ "limit", O_LIMIT, "N", "at most N contacts" },
	CLI_OPT_END
};

static const struct cli_opt tag_opts[] = {
	{ "add", O_ADD, "TAG", "add the tag (repeatable, or a,b)" },
	{ "remove", O_REMOVE, "TAG", "remove the tag (repeatable, or a,b)" },
	CLI_OPT_END
};

static const struct cli_opt untag_opts[] = {
	{ "remove", O_REMOVE, "TAG", "remove the tag (repeatable, or a,b)" },
	CLI_OPT_END
};

/* Contact references on stdin may be records that carry a contact_id. */
const char *const contact_ref_keys[] = { "contact_id", "id", NULL };

/* The values object for a field option; --set NAME=VALUE, --unset NAME. */
static void
set_value(struct cli *cli, cJSON *values, int key, const char *arg)
{
	static const struct { int key; const char *field; } map[] = {
		{ O_KIND, "kind" }, { O_NAME, "name" }, { O_EMAIL, "email" },
		{ O_PHONE, "phone" }, { O_COMPANY, "company" },
		{ O_TITLE, "title" }, { O_STAGE, "stage" },
		{ O_OWNER, "owner" }, { O_SOURCE, "source" },
		{ O_EXT, "external_id" }, { O_OPTIN, "opt_in" },
		{ O_NOOPTIN, "opt_in" },
	};
	const char *eq;
	char *name;
	size_t i;

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		if (map[i].key != key)
			continue;
		if (key == O_OPTIN || key == O_NOOPTIN)
			arg = key == O_OPTIN ? "true" : "false";
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

static struct crm_error *
get_contact(struct cli *cli, sqlite3_int64 id, void *arg, cJSON **rec)
{
	return crm_contact_get(cli->db, id, rec);
}

int
contact_print_ids(struct cli *cli, const sqlite3_int64 *ids, size_t n)
{
	return cli_print_ids(cli, crm_contact_columns, crm_contact_columns,
	    crm_contact_table_columns, ids, n, get_contact, NULL);
}

static int
cmd_add(struct cli *cli, int argc, char **argv)
{
	cJSON *values = cJSON_CreateObject();
	struct crm_buf tags = CRM_BUF_INIT;
	struct crm_error *err;
	sqlite3_int64 id = 0;
	const char *arg;
	int c, ind, status;

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
	    (err = crm_contact_add(cli->db, values, &id)) == NULL)
		err = crm_db_commit(cli->db);
	crm_buf_release(&tags);
	cJSON_Delete(values);
	if (err != NULL)
		return cli_error(cli, err);
	status = contact_print_ids(cli, &id, 1);
	return status;
}

/* A change applied to every contact a list of references names. */
struct batch {
	enum { B_UPDATE, B_DELETE, B_TAG, B_SHOW } what;
	const cJSON		*values;
	struct crm_strv		 add, remove;
};

static struct crm_error *
batch_apply(struct cli *cli, sqlite3_int64 id, void *arg)
{
	struct batch *b = arg;

	switch (b->what) {
	case B_UPDATE:
		return crm_contact_update(cli->db, id, b->values, NULL);
	case B_DELETE:
		return crm_contact_delete(cli->db, id);
	case B_TAG:
		return crm_contact_tag(cli->db, id, &b->add, &b->remove, NULL);
	default:
		return NULL;
	}
}

static int
batch_print(struct cli *cli, const sqlite3_int64 *ids, size_t n, void *arg)
{
	return contact_print_ids(cli, ids, n);
}

/*
 * Apply b to the references in argv, in one transaction: any failure
 * rolls the whole batch back.  Prints the records when print is set.
 */
static int
run_batch(struct cli *cli, struct batch *b, int argc, char **argv, int print)
{
	struct cli_batch cb = { "contact", "REF...", contact_ref_keys,
	    crm_contact_resolve, b->what != B_SHOW ? batch_apply : NULL,
	    print ? batch_print : NULL, b, b->what != B_SHOW };
	int status;

	status = cli_batch(cli, &cb, argc, argv);
	crm_strv_clear(&b->add);
	crm_strv_clear(&b->remove);
	return status;
}

static int
cmd_update(struct cli *cli, int argc, char **argv)
{
	struct batch b = { .what = B_UPDATE };
	cJSON *values = cJSON_CreateObject();
	const char *arg;
	int c, ind, status;

	while ((c = cli_getopt(cli, argc, argv, &arg, &ind)) != -1)
		set_value(cli, values, c, arg);
	if (cJSON_GetArraySize(values) == 0)
		cli_usage_error(cli, "nothing to change (give a field option, "
		    "--set or --unset)");
	b.values = values;
	status = run_batch(cli, &b, argc - ind, argv + ind, 1);
	cJSON_Delete(values);
	return status;
}

static int
cmd_delete(struct cli *cli, int argc, char **argv)
{
	struct batch b = { .what = B_DELETE };
	const char *arg;
	int ind;

	while (cli_getopt(cli, argc, argv, &arg, &ind) != -1)
		;
	return run_batch(cli, &b, argc - ind, argv + ind, 0);
}

static int
cmd_show(struct cli *cli, int argc, char **argv)
{
	struct batch b = { .what = B_SHOW };
	const char *arg;
	int ind;

	while (cli_getopt(cli, argc, argv, &arg, &ind) != -1)
		;
	return run_batch(cli, &b, argc - ind, argv + ind, 1);
}

static int
cmd_tag(struct cli *cli, int argc, char **argv)
{
	struct batch b = { .what = B_TAG };
	const char *arg;
	int c, ind;

	while ((c = cli_getopt(cli, argc, argv, &arg, &ind)) != -1) {
		crm_strv_split(c == O_ADD ? &b.add : &b.remove, arg, ',');
		if (strchr(arg, ',') == NULL && *arg == '\0')
			cli_usage_error(cli, "empty tag");
	}
	if (b.add.n == 0 && b.remove.n == 0)
		cli_usage_error(cli, "no tag given (use --add TAG or "
		    "--remove TAG)");
	return run_batch(cli, &b, argc - ind, argv + ind, 0);
}

static int
cmd_list(struct cli *cli, int argc, char **argv)
{
	struct crm_strv cols = CRM_STRV_INIT;
	struct crm_contact_query q = { NULL, NULL, 0 };
	struct crm_error *err;
	struct crm_out *out = NULL;
	const char *arg;
	int c, ind;

	while ((c = cli_getopt(cli, argc, argv, &arg, &ind)) != -1) {
		if (c == O_WHERE)
			q.where = arg;
		else if (c == O_SORT)
			q.sort = arg;
		else if (c == O_LIMIT)
			q.limit = cli_number(cli, "--limit", arg, 1, LONG_MAX);
	}
	if (ind < argc)
		cli_usage_error(cli, "unexpected argument \"%s\" (use "
		    "--where to filter)", argv[ind]);
	if ((err = cli_db(cli, CRM_DB_READ)) == NULL &&
	    (err = cli_columns(cli, crm_contact_flat_columns,
	    crm_contact_columns, &cols)) == NULL &&
	    (err = cli_out(cli, crm_contact_columns,
	    (const char *const *)cols.v, crm_contact_table_columns,
	    &out)) == NULL &&
	    (err = crm_contact_list(cli->db, &q, cli_write_one, out)) == NULL)
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
	static const char *const map[][2] = {
		{ "stage", "stage" },
		{ "source", "source" }, { "kind", "kind" }, { "add", "tag" },
		{ "remove", "tag" }, { "tag", "tag" },
	};
	struct crm_error *err;
	const char *const *f;
	size_t i;

	if (strcmp(opt, "fields") == 0 || strcmp(opt, "sort") == 0) {
		for (f = crm_contact_columns; *f != NULL; f++)
			printf("%s\n", *f);
		return;
	}
	if (strcmp(opt, "unset") == 0 || strcmp(opt, "set") == 0) {
		for (f = crm_contact_writable; *f != NULL; f++)
			printf("%s%s\n", *f, opt[0] == 's' ? "=" : "");
		return;
	}
	if (strcmp(opt, "type") == 0) {
		printf("call\nemail\nmeeting\nnote\n");
		return;
	}
	if (contact_import_values(opt))
		return;
	if (strcmp(opt, "by") == 0) {
		printf("email\nphone\nname\n");
		return;
	}
	if (strcmp(opt, "owner") == 0) {
		contact_owner_values(cli);
		return;
	}
	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		if (strcmp(map[i][0], opt) != 0)
			continue;
		/* Completion stays quiet: no database, no values. */
		if ((err = cli_db(cli, CRM_DB_READ)) == NULL)
			err = crm_contact_values(cli->db, map[i][1],
			    print_value, NULL);
		crm_error_free(err);
	}
}

static const struct cli_verb verbs[] = {
	{ "add", cmd_add, NULL, "add a contact and print it", add_opts,
	    CLI_DBOPT | CLI_OUTPUT },
	{ "show", cmd_show, "REF...", "print contacts", NULL,
	    CLI_DBOPT | CLI_OUTPUT },
	{ "list", cmd_list, NULL, "list contacts", list_opts,
	    CLI_DBOPT | CLI_OUTPUT },
	{ "update", cmd_update, "REF...", "change contacts and print them",
	    update_opts, CLI_DBOPT | CLI_OUTPUT },
	{ "delete", cmd_delete, "REF...", "delete contacts", NULL,
	    CLI_DBOPT },
	{ "tag", cmd_tag, "REF...", "add or remove tags", tag_opts,
	    CLI_DBOPT },
	{ "untag", cmd_tag, "REF...", "remove tags", untag_opts,
	    CLI_DBOPT },
	{ "log", contact_log, "REF", "log a call, email, meeting or note "
	    "on a contact", contact_log_opts, CLI_DBOPT | CLI_OUTPUT },
	{ "task", contact_task, "REF SUBJECT", "add a task for a contact",
	    contact_task_opts, CLI_DBOPT | CLI_OUTPUT },
	{ "tasks", contact_tasks, NULL, "list open tasks by due time",
	    contact_tasks_opts, CLI_DBOPT | CLI_OUTPUT },
	{ "done", contact_done, "TASK...", "mark tasks done and print them",
	    NULL, CLI_DBOPT | CLI_OUTPUT },
	{ "timeline", contact_timeline, "REF", "activities and changes of a "
	    "contact, newest first", contact_timeline_opts,
	    CLI_DBOPT | CLI_OUTPUT },
	{ "search", contact_search, "WORDS...", "find contacts by words, best "
	    "first", contact_search_opts, CLI_DBOPT | CLI_OUTPUT },
	{ "dupes", contact_dupes, NULL, "list groups of likely duplicates",
	    contact_dupes_opts, CLI_DBOPT | CLI_OUTPUT },
	{ "merge", contact_merge, "KEEP OTHER...", "merge duplicates into "
	    "one contact and print it", contact_merge_opts,
	    CLI_DBOPT | CLI_OUTPUT },
	{ "gdpr-export", contact_gdpr_export, "REF", "print everything held "
	    "about a person as one JSON document", NULL, CLI_DBOPT },
	{ "forget", contact_forget, "REF...", "erase the personal data of "
	    "contacts", NULL, CLI_DBOPT },
	{ "unsubscribe", contact_unsubscribe, "REF...", "withdraw consent to "
	    "marketing mail", contact_consent_opts, CLI_DBOPT },
	{ "subscribe", contact_subscribe, "REF...", "record consent to "
	    "marketing mail", contact_consent_opts, CLI_DBOPT },
	{ "import", contact_import, "[FILE]", "import contacts from CSV or "
	    "JSON Lines", contact_import_opts, CLI_DBOPT | CLI_OUTPUT },
	{ "export", contact_export, NULL, "write contacts out, as JSON Lines "
	    "unless -o", contact_export_opts, CLI_DBOPT | CLI_OUTPUT },
	{ NULL, NULL, NULL, NULL, NULL, 0 }
};

static const struct cli_prog prog = {
	"crm-contact",
	"People and companies: add, find, change, tag and delete contacts.",
	verbs,
	values,
};

int
main(int argc, char **argv)
{
	return cli_main(&prog, argc, argv);
}
