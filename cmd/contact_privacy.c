/*
 * crm-contact gdpr-export, forget, unsubscribe and subscribe: what is
 * held about a person, erasing it, and consent to marketing mail
 * (lib/privacy.c, lib/consent.c); see crm-contact(1).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "crm_contact.h"
#include "crm_db.h"
#include "crm_privacy.h"
#include "crm_stream.h"
#include "crm_util.h"
#include "cli.h"
#include "contact.h"

enum { O_SOURCE = 400, O_AT };

const struct cli_opt contact_consent_opts[] = {
	{ "source", O_SOURCE, "SOURCE", "where the request came from "
	    "(default: cli)" },
	{ "at", O_AT, "TIME", "when it was made (default: now)" },
	CLI_OPT_END
};

/* On stdin, a record may name the contact by id or by its address. */
static const char *const consent_keys[] = {
	"contact_id", "id", "email", NULL
};

static void
no_options(struct cli *cli, int argc, char **argv, int *ind)
{
	const char *arg;

	while (cli_getopt(cli, argc, argv, &arg, ind) != -1)
		;
}

/* v as JSON indented by two spaces, as jq prints it. */
static void
pretty(const cJSON *v, int depth)
{
	const cJSON *c;
	cJSON *key;
	char *s;
	int obj = cJSON_IsObject(v);

	if ((!obj && !cJSON_IsArray(v)) || v->child == NULL) {
		s = cJSON_PrintUnformatted(v);
		fputs(s, stdout);
		cJSON_free(s);
		return;
	}
	putchar(obj ? '{' : '[');
	for (c = v->child; c != NULL; c = c->next) {
		printf("\n%*s", 2 * (depth + 1), "");
		if (obj) {
			key = cJSON_CreateStringReference(c->string);
			s = cJSON_PrintUnformatted(key);
			printf("%s: ", s);
			cJSON_free(s);
			cJSON_Delete(key);
		}
		pretty(c, depth + 1);
		if (c->next != NULL)
			putchar(',');
	}
	printf("\n%*s%c", 2 * depth, "", obj ? '}' : ']');
}

int
contact_gdpr_export(struct cli *cli, int argc, char **argv)
{
	struct crm_error *err;
	sqlite3_int64 id;
	cJSON *doc = NULL;
	int ind;

	no_options(cli, argc, argv, &ind);
	if (argc - ind != 1)
		cli_usage_error(cli, argc - ind == 0 ? "no contact given" :
		    "one contact at a time");
	if ((err = cli_db(cli, CRM_DB_READ)) == NULL &&
	    (err = crm_contact_resolve(cli->db, argv[ind], &id)) == NULL &&
	    (err = crm_privacy_export(cli->db, id, &doc)) == NULL) {
		/* Pretty even in a pipe: a document for people to read. */
		pretty(doc, 0);
		putchar('\n');
	}
	cJSON_Delete(doc);
	return cli_error(cli, err);
}

/* One change per reference, all in one transaction. */
struct batch {
	enum { B_FORGET, B_UNSUBSCRIBE, B_SUBSCRIBE } what;
	struct crm_consent	 consent;
	sqlite3_int64		*ids;	/* forget: the contacts */
	size_t			 nids;
	size_t			 n;
	int			 failed;
};

static void
batch_one(struct cli *cli, const char *ref, void *arg)
{
	struct batch *b = arg;
	struct crm_error *err;
	sqlite3_int64 id;

	b->n++;
	switch (b->what) {
	case B_FORGET:
		if ((err = crm_contact_resolve(cli->db, ref, &id)) == NULL) {
			b->ids = crm_xrealloc(b->ids, (b->nids + 1) *
			    sizeof(*b->ids));
			b->ids[b->nids++] = id;
		}
		break;
	case B_UNSUBSCRIBE:
		err = crm_privacy_unsubscribe(cli->db, ref, &b->consent, NULL);
		break;
	default:
		err = crm_privacy_subscribe(cli->db, ref, &b->consent, NULL);
		break;
	}
	if (err != NULL) {
		b->failed++;
		cli_error(cli, err);
	}
}

static int
run_batch(struct cli *cli, struct batch *b, int argc, char **argv)
{
	struct crm_error *err;

	if (argc == 0)
		cli_usage_error(cli, "no contact given (use REF... or -)");
	if ((err = cli_db(cli, CRM_DB_WRITE)) != NULL ||
	    (err = crm_db_begin(cli->db)) != NULL)
		return cli_error(cli, err);
	cli_each_ref(cli, argc, argv, b->what == B_FORGET ? contact_ref_keys :
	    consent_keys, batch_one, b);
	if (!b->failed && !cli->status && b->what == B_FORGET &&
	    (err = crm_privacy_forget(cli->db, b->ids, b->nids)) != NULL)
		cli_error(cli, err);
	free(b->ids);
	if (b->failed || cli->status) {
		crm_db_rollback(cli->db);
		if (b->n > 1)
			cli_warn(cli, "nothing changed: %d of %zu contacts "
			    "failed", b->failed, b->n);
		return cli->status;
	}
	if ((err = crm_db_commit(cli->db)) != NULL)
		return cli_error(cli, err);
	if (b->what == B_FORGET)
		return cli_error(cli, crm_privacy_purge(cli->db));
	return 0;
}

int
contact_forget(struct cli *cli, int argc, char **argv)
{
	struct batch b = { .what = B_FORGET };
	int ind;

	no_options(cli, argc, argv, &ind);
	return run_batch(cli, &b, argc - ind, argv + ind);
}

/* unsubscribe and subscribe: --source and --at checked. */
static int
consent(struct cli *cli, int argc, char **argv, struct batch *b)
{
	static char at[CRM_TIME_LEN];
	const char *arg, *s;
	int c, ind;

	b->consent.source = "cli";
	while ((c = cli_getopt(cli, argc, argv, &arg, &ind)) != -1) {
		if (c == O_AT) {
			if (crm_time_parse(arg, at, NULL) != 0)
				cli_usage_error(cli, "--at: invalid time \"%s\""
				    " (use 2026-11-22T10:00:00Z, 2026-11-22 "
				    "or -3d)", arg);
			b->consent.at = at;
			continue;
		}
		for (s = arg; *s != '\0' && (unsigned char)*s >= 0x20 &&
		    *s != 0x7f; s++)
			;
		if (*arg == '\0' || *s != '\0' || strlen(arg) > 200 ||
		    !crm_utf8_check(arg, strlen(arg), NULL))
			cli_usage_error(cli, "--source: expected 1 to 200 "
			    "characters of one line, got \"%s\"", arg);
		b->consent.source = arg;
	}
	return run_batch(cli, b, argc - ind, argv + ind);
}

int
contact_unsubscribe(struct cli *cli, int argc, char **argv)
{
	struct batch b = { .what = B_UNSUBSCRIBE };

	return consent(cli, argc, argv, &b);
}

int
contact_subscribe(struct cli *cli, int argc, char **argv)
{
	struct batch b = { .what = B_SUBSCRIBE };

	return consent(cli, argc, argv, &b);
}
