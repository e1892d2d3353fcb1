/*
 * crm-ticket kb and suggest: the knowledge base (kb add|list|show|edit|
 * delete|search, a sub-command as kb's first operand) and the articles
 * that fit a ticket.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "crm_kb.h"
#include "crm_record.h"
#include "crm_ticket.h"
#include "crm_util.h"
#include "cli.h"
#include "ticket.h"

enum {
	K_TITLE = 400, K_BODY, K_SLUG, K_TAG, K_UNTAG, K_WHERE, K_SORT,
	K_LIMIT
};

const struct cli_opt ticket_kb_opts[] = {
	{ "title", K_TITLE, "TEXT", "add, edit: the article's title" },
	{ "body", K_BODY, "TEXT", "add, edit: the text; - (or, for add, no "
	    "--body and a pipe) reads stdin" },
	{ "slug", K_SLUG, "SLUG", "add, edit: its name in references "
	    "(default: made from the title)" },
	{ "tag", K_TAG, "TAG", "add, edit: add tags (repeat, or "
	    "comma-separated)" },
	{ "untag", K_UNTAG, "TAG", "edit: remove tags" },
	{ "where", K_WHERE, "FILTER", "list: only articles matching the "
	    "filter" },
	{ "sort", K_SORT, "FIELDS", "list: sort by these fields, -field "
	    "descending" },
	{ "limit", K_LIMIT, "N", "list, search: at most N articles" },
	CLI_OPT_END
};

const struct cli_opt ticket_suggest_opts[] = {
	{ "limit", K_LIMIT, "N", "at most N articles (default 5)" },
	CLI_OPT_END
};

static const char *const subs[] = {
	"add", "list", "show", "edit", "delete", "search", NULL
};
enum { S_ADD, S_LIST, S_SHOW, S_EDIT, S_DELETE, S_SEARCH };

/* The sub-commands each option is for, as bits of 1 << S_*. */
static const struct {
	int	 key;
	int	 subs;
} allowed[] = {
	{ K_TITLE, 1 << S_ADD | 1 << S_EDIT },
	{ K_BODY, 1 << S_ADD | 1 << S_EDIT },
	{ K_SLUG, 1 << S_ADD | 1 << S_EDIT },
	{ K_TAG, 1 << S_ADD | 1 << S_EDIT },
	{ K_UNTAG, 1 << S_EDIT },
	{ K_WHERE, 1 << S_LIST },
	{ K_SORT, 1 << S_LIST },
	{ K_LIMIT, 1 << S_LIST | 1 << S_SEARCH },
};

static const char *const kb_ref_keys[] = { "id", "slug", NULL };

struct kb_args {
	struct crm_kb_article	 a;
	struct crm_strv		 tags, untags;
	const char		*body_arg;
	struct crm_kb_query	 q;
	int			 seen;		/* keys given, as 1 << n */
	const char		*names[8];	/* their option names */
};

/* The sub-command in argv[0], or a usage error. */
static int
sub(struct cli *cli, int argc, char **argv)
{
	const char *hint;
	int i;

	if (argc < 1)
		cli_usage_error(cli, "expected add, list, show, edit, delete "
		    "or search");
	for (i = 0; subs[i] != NULL; i++)
		if (strcmp(subs[i], argv[0]) == 0)
			return i;
	hint = crm_suggest(argv[0], subs, (size_t)i);
	cli_usage_error(cli, "unknown sub-command \"%s\"%s%s%s", argv[0],
	    hint ? " (did you mean \"" : "", hint ? hint : "",
	    hint ? "\"?)" : "");
}

/* The tags in arg, comma-separated, onto sv: at least one. */
static void
tags(struct cli *cli, struct crm_strv *sv, const char *arg)
{
	size_t n = sv->n;

	crm_strv_split(sv, arg, ',');
	if (sv->n == n)
		cli_usage_error(cli, "no tag in \"%s\"", arg);
}

static void
parse(struct cli *cli, int argc, char **argv, struct kb_args *k, int *ind)
{
	const char *arg;
	int c;

	while ((c = cli_getopt(cli, argc, argv, &arg, ind)) != -1) {
		k->seen |= 1 << (c - K_TITLE);
		k->names[c - K_TITLE] = ticket_kb_opts[c - K_TITLE].name;
		switch (c) {
		case K_TITLE: k->a.title = arg; break;
		case K_BODY: k->body_arg = arg; break;
		case K_SLUG: k->a.slug = arg; break;
		case K_TAG: tags(cli, &k->tags, arg); break;
		case K_UNTAG: tags(cli, &k->untags, arg); break;
		case K_WHERE: k->q.where = arg; break;
		case K_SORT: k->q.sort = arg; break;
		default:
			k->q.limit = cli_number(cli, "--limit", arg, 1,
			    1000000000L);
			break;
		}
	}
}

/* Every option given is one for sub-command s. */
static void
check_opts(struct cli *cli, const struct kb_args *k, int s)
{
	size_t i;

	for (i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++)
		if ((k->seen & 1 << (allowed[i].key - K_TITLE)) &&
		    !(allowed[i].subs & 1 << s))
			cli_usage_error(cli, "--%s is not for kb %s",
			    k->names[allowed[i].key - K_TITLE], subs[s]);
}

static int
print_records(struct cli *cli, struct crm_out *out, struct crm_error *err)
{
	if (err == NULL)
		err = crm_out_finish(out);
	crm_out_free(out);
	return cli_error(cli, err);
}

static int
print_id(struct cli *cli, sqlite3_int64 id)
{
	struct crm_error *err;
	struct crm_out *out = NULL;
	cJSON *rec = NULL;

	if ((err = crm_kb_get(cli->db, id, &rec)) == NULL &&
	    (err = cli_out(cli, crm_kb_columns, crm_kb_columns,
	    crm_kb_table_columns, &out)) == NULL)
		err = crm_out_write(out, rec);
	cJSON_Delete(rec);
	return print_records(cli, out, err);
}

static int
kb_add(struct cli *cli, struct kb_args *k, int argc, char **argv)
{
	struct crm_error *err;
	sqlite3_int64 id = 0;
	char *body = NULL;

	if (argc > 0)
		cli_usage_error(cli, "unexpected argument \"%s\"", argv[0]);
	if (k->a.title == NULL)
		cli_usage_error(cli, "an article needs a title (--title)");
	if ((err = ticket_body(cli, k->body_arg, 1, &body)) == NULL &&
	    (err = cli_db(cli, CRM_DB_WRITE)) == NULL &&
	    (err = crm_db_begin(cli->db)) == NULL) {
		k->a.body = body;
		if ((err = crm_kb_add(cli->db, &k->a, &id)) == NULL)
			err = crm_db_commit(cli->db);
		else
			crm_db_rollback(cli->db);
	}
	free(body);
	if (err != NULL)
		return cli_error(cli, err);
	return print_id(cli, id);
}

static int
kb_edit(struct cli *cli, struct kb_args *k, int argc, char **argv)
{
	struct crm_error *err = NULL;
	sqlite3_int64 id = 0;
	char *body = NULL;

	if (argc != 1)
		cli_usage_error(cli, argc == 0 ? "no article given" :
		    "one article at a time");
	if (k->seen == 0)
		cli_usage_error(cli, "nothing to change (use --title, --body, "
		    "--slug, --tag or --untag)");
	if ((k->body_arg == NULL ||
	    (err = ticket_body(cli, k->body_arg, 1, &body)) == NULL) &&
	    (err = cli_db(cli, CRM_DB_WRITE)) == NULL &&
	    (err = crm_db_begin(cli->db)) == NULL) {
		k->a.body = body;
		if ((err = crm_kb_resolve(cli->db, argv[0], &id)) == NULL &&
		    (err = crm_kb_edit(cli->db, id, &k->a, NULL)) == NULL)
			err = crm_db_commit(cli->db);
		else
			crm_db_rollback(cli->db);
	}
	free(body);
	if (err != NULL)
		return cli_error(cli, err);
	return print_id(cli, id);
}

/* show and delete: each reference in turn. */
struct each {
	struct crm_out	*out;		/* show */
	int		 failed;
};

static void
show_one(struct cli *cli, const char *ref, void *arg)
{
	struct each *e = arg;
	struct crm_error *err;
	sqlite3_int64 id;
	cJSON *rec = NULL;

	if ((err = crm_kb_resolve(cli->db, ref, &id)) == NULL &&
	    (err = crm_kb_get(cli->db, id, &rec)) == NULL &&
	    !crm_out_closed(e->out))
		err = crm_out_write(e->out, rec);
	cJSON_Delete(rec);
	if (err != NULL)
		cli_error(cli, err);
}

static void
delete_one(struct cli *cli, const char *ref, void *arg)
{
	struct each *e = arg;
	struct crm_error *err;
	sqlite3_int64 id;

	if ((err = crm_kb_resolve(cli->db, ref, &id)) == NULL)
		err = crm_kb_delete(cli->db, id);
	if (err != NULL) {
		e->failed++;
		cli_error(cli, err);
	}
}

static int
kb_refs(struct cli *cli, int s, int argc, char **argv)
{
	struct each e = { NULL, 0 };
	struct crm_error *err;
	long n;

	if (argc == 0)
		cli_usage_error(cli, "no article given (use REF... or -)");
	if (s == S_SHOW) {
		if ((err = cli_db(cli, CRM_DB_READ)) != NULL ||
		    (err = cli_out(cli, crm_kb_columns, crm_kb_columns,
		    crm_kb_table_columns, &e.out)) != NULL)
			return cli_error(cli, err);
		cli_each_ref(cli, argc, argv, kb_ref_keys, show_one, &e);
		print_records(cli, e.out, NULL);
		return cli->status;
	}
	if ((err = cli_db(cli, CRM_DB_WRITE)) != NULL ||
	    (err = crm_db_begin(cli->db)) != NULL)
		return cli_error(cli, err);
	n = cli_each_ref(cli, argc, argv, kb_ref_keys, delete_one, &e);
	if (e.failed || cli->status) {
		crm_db_rollback(cli->db);
		if (n > 1)
			cli_warn(cli, "nothing changed: %d of %ld articles "
			    "failed", e.failed, n);
		return cli->status;
	}
	return cli_error(cli, crm_db_commit(cli->db));
}

static int
kb_list(struct cli *cli, struct kb_args *k, int s, int argc, char **argv)
{
	struct crm_buf text = CRM_BUF_INIT;
	struct crm_error *err;
	struct crm_out *out = NULL;
	int i;

	if (s == S_LIST && argc > 0)
		cli_usage_error(cli, "unexpected argument \"%s\" (use "
		    "--where to filter)", argv[0]);
	if (s == S_SEARCH && argc == 0)
		cli_usage_error(cli, "nothing to search for");
	for (i = 0; i < argc; i++)
		crm_buf_addf(&text, "%s%s", i ? " " : "", argv[i]);
	if ((err = cli_db(cli, CRM_DB_READ)) == NULL &&
	    (err = cli_out(cli, crm_kb_columns, crm_kb_columns,
	    crm_kb_table_columns, &out)) == NULL)
		err = s == S_LIST ? crm_kb_list(cli->db, &k->q, cli_write_one,
		    out) : crm_kb_search(cli->db, crm_buf_str(&text),
		    k->q.limit, cli_write_one, out);
	crm_buf_release(&text);
	return print_records(cli, out, err);
}

int
ticket_kb(struct cli *cli, int argc, char **argv)
{
	struct kb_args k = { 0 };
	int ind, s, status;

	parse(cli, argc, argv, &k, &ind);
	argc -= ind;
	argv += ind;
	s = sub(cli, argc, argv);
	check_opts(cli, &k, s);
	k.a.tags = &k.tags;
	k.a.untags = &k.untags;
	argc--;
	argv++;
	if (s == S_ADD)
		status = kb_add(cli, &k, argc, argv);
	else if (s == S_EDIT)
		status = kb_edit(cli, &k, argc, argv);
	else if (s == S_SHOW || s == S_DELETE)
		status = kb_refs(cli, s, argc, argv);
	else
		status = kb_list(cli, &k, s, argc, argv);
	crm_strv_clear(&k.tags);
	crm_strv_clear(&k.untags);
	return status;
}

int
ticket_suggest(struct cli *cli, int argc, char **argv)
{
	struct crm_error *err;
	struct crm_out *out = NULL;
	sqlite3_int64 id;
	const char *arg;
	long limit = 5;
	int ind;

	while (cli_getopt(cli, argc, argv, &arg, &ind) != -1)
		limit = cli_number(cli, "--limit", arg, 1, 1000000000L);
	if (argc - ind != 1)
		cli_usage_error(cli, argc == ind ? "no ticket given" :
		    "one ticket at a time");
	if ((err = cli_db(cli, CRM_DB_READ)) == NULL &&
	    (err = crm_ticket_resolve(cli->db, argv[ind], &id)) == NULL &&
	    (err = cli_out(cli, crm_kb_columns, crm_kb_columns,
	    crm_kb_table_columns, &out)) == NULL)
		err = crm_kb_suggest(cli->db, id, limit, cli_write_one, out);
	return print_records(cli, out, err);
}

static void
print_value(const char *value, void *arg)
{
	printf("%s\n", value);
}

int
ticket_kb_values(struct cli *cli, const char *opt)
{
	if (strcmp(opt, "slug") != 0 && strcmp(opt, "tag") != 0 &&
	    strcmp(opt, "untag") != 0)
		return 0;
	if (cli_db(cli, CRM_DB_READ) == NULL)
		crm_error_free(crm_kb_values(cli->db, strcmp(opt, "slug") == 0 ?
		    "slug" : "tag", print_value, NULL));
	return 1;
}
