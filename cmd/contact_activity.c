/*
 * crm-contact's activity verbs: log, task, tasks, done and timeline, and
 * search.  See crm-contact(1).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "crm_activity.h"
#include "crm_contact.h"
#include "crm_db.h"
#include "crm_record.h"
#include "crm_search.h"
#include "crm_stream.h"
#include "crm_timeline.h"
#include "crm_util.h"
#include "cli.h"
#include "contact.h"

enum {
	A_TYPE = 400, A_SUBJECT, A_BODY, A_AT, A_OWNER, A_DUE, A_OVERDUE,
	A_ALL, A_LIMIT
};


const struct cli_opt contact_log_opts[] = {
	{ "type", A_TYPE, "TYPE", "call, email, meeting or note" },
	{ "subject", A_SUBJECT, "TEXT", "what it was about (required)" },
	{ "body", A_BODY, "TEXT", "notes, minutes; - reads them from stdin" },
	{ "at", A_AT, "TIME", "when it happened (default: now)" },
	{ "owner", A_OWNER, "NAME", "who did it (default: CRM_USER)" },
	CLI_OPT_END
};

const struct cli_opt contact_task_opts[] = {
	{ "due", A_DUE, "TIME", "when it is due; a date means its end" },
	{ "owner", A_OWNER, "NAME", "who is to do it (default: CRM_USER)" },
	CLI_OPT_END
};

const struct cli_opt contact_tasks_opts[] = {
	{ "due", A_DUE, "DAY", "only tasks due on this day (today, "
	    "2026-11-25, +3d)" },
	{ "overdue", A_OVERDUE, NULL, "only tasks due before now (with "
	    "--due: either)" },
	{ "owner", A_OWNER, "NAME", "only the tasks of this owner" },
	{ "all", A_ALL, NULL, "done tasks too" },
	CLI_OPT_END
};

const struct cli_opt contact_timeline_opts[] = {
	{ "limit", A_LIMIT, "N", "the N newest entries" },
	CLI_OPT_END
};

const struct cli_opt contact_search_opts[] = {
	{ "limit", A_LIMIT, "N", "the N best matches" },
	CLI_OPT_END
};

/* Task references on stdin are their ids, or records with an "id". */
static const char *const task_ref_keys[] = { "id", NULL };

/*
 * Print these activities (after the commit) on out, made before the
 * writes so that a bad -o or --fields writes nothing; frees out.
 */
static int
print_activities(struct cli *cli, struct crm_out *out,
    const sqlite3_int64 *ids, size_t n)
{
	struct crm_error *err = NULL;
	cJSON *rec;
	size_t i;

	for (i = 0; i < n && err == NULL; i++) {
		if ((err = crm_activity_get(cli->db, ids[i], &rec)) != NULL)
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
activity_out(struct cli *cli, const char *const *table, struct crm_out **out)
{
	return cli_out(cli, crm_activity_columns, crm_activity_columns, table,
	    out);
}

/* Add v for the contact ref in one transaction and print it. */
static int
add_activity(struct cli *cli, const char *ref, struct crm_activity_values *v,
    const char *const *table)
{
	struct crm_out *out = NULL;
	struct crm_error *err;
	sqlite3_int64 id;

	if ((err = activity_out(cli, table, &out)) != NULL ||
	    (err = cli_db(cli, CRM_DB_WRITE)) != NULL ||
	    (err = crm_db_begin(cli->db)) != NULL)
		goto fail;
	if ((err = crm_contact_resolve(cli->db, ref, &v->contact_id)) ==
	    NULL && (err = crm_activity_add(cli->db, v, &id)) == NULL)
		err = crm_db_commit(cli->db);
	if (err != NULL) {
		crm_db_rollback(cli->db);
		goto fail;
	}
	return print_activities(cli, out, &id, 1);
fail:
	crm_out_free(out);
	return cli_error(cli, err);
}

/* A time option's value as ISO text in out. */
static struct crm_error *
time_arg(const char *opt, const char *arg, int due, char out[CRM_TIME_LEN])
{
	int rc = due ? crm_activity_parse_due(arg, out) :
	    crm_time_parse(arg, out, NULL);

	if (rc == 0)
		return NULL;
	return crm_error_new(CRM_EXIT_USAGE, "--%s: invalid time \"%s\": "
	    "expected a time such as 2026-11-22T10:00:00Z, 2026-11-22, today "
	    "or +3d", opt, arg);
}

static struct crm_error *
check_type(const char *type)
{
	const char *const *t;

	for (t = crm_activity_log_types; *t != NULL; t++)
		if (strcmp(*t, type) == 0)
			return NULL;
	if (strcmp(type, "task") == 0)
		return crm_error_new(CRM_EXIT_USAGE, "--type: add tasks with "
		    "crm-contact task");
	return crm_error_new(CRM_EXIT_USAGE, "--type: unknown type \"%s\" "
	    "(use call, email, meeting or note)", type);
}

int
contact_log(struct cli *cli, int argc, char **argv)
{
	struct crm_activity_values v = { 0 };
	struct crm_error *err = NULL;
	char at[CRM_TIME_LEN], *body = NULL;
	const char *arg, *body_arg = NULL;
	int c, ind, status;

	while ((c = cli_getopt(cli, argc, argv, &arg, &ind)) != -1) {
		if (c == A_TYPE)
			v.type = arg;
		else if (c == A_SUBJECT)
			v.subject = arg;
		else if (c == A_BODY)
			body_arg = arg;
		else if (c == A_AT)
			v.at = arg;
		else if (c == A_OWNER)
			v.owner = arg;
	}
	if (ind == argc)
		cli_usage_error(cli, "no contact given");
	if (argc - ind > 1)
		cli_usage_error(cli, "unexpected argument \"%s\"",
		    argv[ind + 1]);
	if (v.type == NULL)
		cli_usage_error(cli, "--type is required (call, email, meeting "
		    "or note)");
	if (v.subject == NULL)
		cli_usage_error(cli, "--subject is required");
	if ((err = check_type(v.type)) != NULL ||
	    (v.at != NULL && (err = time_arg("at", v.at, 0, at)) != NULL))
		return cli_error(cli, err);
	if (v.at != NULL)
		v.at = at;
	if (body_arg != NULL && strcmp(body_arg, "-") == 0) {
		if ((err = cli_read_body(&body)) != NULL)
			return cli_error(cli, err);
		v.body = body;
	} else
		v.body = body_arg;
	status = add_activity(cli, argv[ind], &v, crm_activity_table_columns);
	free(body);
	return status;
}

int
contact_task(struct cli *cli, int argc, char **argv)
{
	struct crm_activity_values v = { 0 };
	struct crm_error *err;
	char due[CRM_TIME_LEN];
	const char *arg;
	int c, ind;

	v.type = "task";
	while ((c = cli_getopt(cli, argc, argv, &arg, &ind)) != -1) {
		if (c == A_DUE) {
			if ((err = time_arg("due", arg, 1, due)) != NULL)
				return cli_error(cli, err);
			v.due_at = due;
		} else if (c == A_OWNER)
			v.owner = arg;
	}
	if (argc - ind < 2)
		cli_usage_error(cli, "%s", ind == argc ? "no contact and "
		    "subject given" : "no subject given");
	if (argc - ind > 2)
		cli_usage_error(cli, "unexpected argument \"%s\" (quote a "
		    "subject of several words)", argv[ind + 2]);
	v.subject = argv[ind + 1];
	return add_activity(cli, argv[ind], &v, crm_task_table_columns);
}

int
contact_tasks(struct cli *cli, int argc, char **argv)
{
	struct crm_task_query q = { NULL, 0, NULL, 0 };
	struct crm_error *err;
	struct crm_out *out = NULL;
	const char *arg;
	int c, ind;

	while ((c = cli_getopt(cli, argc, argv, &arg, &ind)) != -1) {
		if (c == A_DUE)
			q.due_day = arg;
		else if (c == A_OVERDUE)
			q.overdue = 1;
		else if (c == A_OWNER)
			q.owner = arg;
		else if (c == A_ALL)
			q.all = 1;
	}
	if (ind < argc)
		cli_usage_error(cli, "unexpected argument \"%s\"", argv[ind]);
	if ((err = cli_db(cli, CRM_DB_READ)) == NULL &&
	    (err = cli_out(cli, crm_activity_columns, crm_activity_columns,
	    q.all ? crm_task_all_table_columns : crm_task_table_columns,
	    &out)) == NULL &&
	    (err = crm_activity_tasks(cli->db, &q, cli_write_one,
	    out)) == NULL)
		err = crm_out_finish(out);
	crm_out_free(out);
	return cli_error(cli, err);
}

/* The tasks of one done command, all marked or none. */
struct done_batch {
	sqlite3_int64	*ids;
	size_t		 n, alloc;
	int		 failed;
};

static void
done_one(struct cli *cli, const char *ref, void *arg)
{
	struct done_batch *b = arg;
	struct crm_error *err;
	sqlite3_int64 id;
	size_t i;

	if ((err = crm_activity_resolve_task(cli->db, ref, 0, &id)) != NULL) {
		b->failed++;
		cli_error(cli, err);
		return;
	}
	for (i = 0; i < b->n; i++)
		if (b->ids[i] == id)
			return;		/* named twice: once is enough */
	if ((err = crm_activity_done(cli->db, id)) != NULL) {
		b->failed++;
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
contact_done(struct cli *cli, int argc, char **argv)
{
	struct done_batch b = { NULL, 0, 0, 0 };
	struct crm_out *out = NULL;
	struct crm_error *err;
	const char *arg;
	int ind, status = 0;

	while (cli_getopt(cli, argc, argv, &arg, &ind) != -1)
		;
	if (ind == argc)
		cli_usage_error(cli, "no task given (use TASK... or -)");
	if ((err = activity_out(cli, crm_task_all_table_columns, &out)) !=
	    NULL || (err = cli_db(cli, CRM_DB_WRITE)) != NULL ||
	    (err = crm_db_begin(cli->db)) != NULL) {
		crm_out_free(out);
		return cli_error(cli, err);
	}
	cli_each_ref(cli, argc - ind, argv + ind, task_ref_keys, done_one, &b);
	if (b.failed || cli->status) {
		crm_db_rollback(cli->db);
		if (b.n > 0 || b.failed > 1)
			cli_warn(cli, "nothing changed: %d of %zu tasks failed",
			    b.failed, b.n + (size_t)b.failed);
		status = cli->status;
	} else if ((err = crm_db_commit(cli->db)) != NULL)
		status = cli_error(cli, err);
	else {
		status = print_activities(cli, out, b.ids, b.n);
		out = NULL;
	}
	crm_out_free(out);
	free(b.ids);
	return status;
}

int
contact_timeline(struct cli *cli, int argc, char **argv)
{
	struct crm_error *err;
	struct crm_out *out = NULL;
	sqlite3_int64 id;
	const char *arg;
	long limit = 0;
	int c, ind;

	while ((c = cli_getopt(cli, argc, argv, &arg, &ind)) != -1)
		if (c == A_LIMIT)
			limit = cli_number(cli, "--limit", arg, 1, LONG_MAX);
	if (ind == argc)
		cli_usage_error(cli, "no contact given");
	if (argc - ind > 1)
		cli_usage_error(cli, "unexpected argument \"%s\"",
		    argv[ind + 1]);
	if ((err = cli_db(cli, CRM_DB_READ)) == NULL &&
	    (err = crm_contact_resolve(cli->db, argv[ind], &id)) == NULL &&
	    (err = cli_out(cli, crm_timeline_columns, crm_timeline_columns,
	    NULL, &out)) == NULL &&
	    (err = crm_timeline_list(cli->db, id, limit, cli_write_one,
	    out)) == NULL)
		err = crm_out_finish(out);
	crm_out_free(out);
	return cli_error(cli, err);
}

/*
 * The first search after a bulk import indexes what it loaded, some
 * seconds for a million contacts: on a terminal, say why it waits.
 */
static void
say_catch_up(struct cli *cli)
{
	struct crm_error *err;
	sqlite3_int64 after;

	if (!isatty(STDERR_FILENO))
		return;
	if ((err = crm_search_backlog(cli->db, &after)) != NULL)
		crm_error_free(err);
	else if (after >= 0)
		fprintf(stderr, "%s: indexing the contacts of a bulk import "
		    "for search, once\n", cli->prog->name);
}

int
contact_search(struct cli *cli, int argc, char **argv)
{
	struct crm_strv cols = CRM_STRV_INIT;
	struct crm_buf text = CRM_BUF_INIT;
	struct crm_error *err;
	struct crm_out *out = NULL;
	const char *arg;
	long limit = 0;
	int c, i, ind;

	while ((c = cli_getopt(cli, argc, argv, &arg, &ind)) != -1)
		if (c == A_LIMIT)
			limit = cli_number(cli, "--limit", arg, 1, LONG_MAX);
	if (ind == argc)
		cli_usage_error(cli, "nothing to search for");
	for (i = ind; i < argc; i++)
		crm_buf_addf(&text, "%s%s", i > ind ? " " : "", argv[i]);
	if ((err = cli_db(cli, CRM_DB_READ)) == NULL &&
	    (err = cli_columns(cli, crm_contact_flat_columns,
	    crm_contact_columns, &cols)) == NULL &&
	    (err = cli_out(cli, crm_contact_columns,
	    (const char *const *)cols.v, crm_contact_table_columns,
	    &out)) == NULL) {
		say_catch_up(cli);
		if ((err = crm_search_contacts(cli->db, text.buf, limit,
		    cli_write_one, out)) == NULL)
			err = crm_out_finish(out);
	}
	crm_out_free(out);
	crm_strv_clear(&cols);
	crm_buf_release(&text);
	return cli_error(cli, err);
}

static void
collect(const char *value, void *arg)
{
	struct crm_strv *sv = arg;

	if (!crm_strv_has(sv, value))
		crm_strv_push(sv, value);
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void
contact_owner_values(struct cli *cli)
{
	struct crm_strv sv = CRM_STRV_INIT;
	struct crm_error *err;
	size_t i;

	if ((err = cli_db(cli, CRM_DB_READ)) != NULL) {
		crm_error_free(err);
		return;
	}
	crm_error_free(crm_contact_values(cli->db, "owner", collect, &sv));
	crm_error_free(crm_activity_owners(cli->db, collect, &sv));
	if (sv.n > 0)
		qsort(sv.v, sv.n, sizeof(*sv.v), cmp_str);
	for (i = 0; i < sv.n; i++)
		printf("%s\n", sv.v[i]);
	crm_strv_clear(&sv);
}
