/*
 * crm-campaign send, schedule, pause, resume, cancel, and the drips:
 * sequence and tick.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "crm_campaign.h"
#include "crm_sla.h"
#include "crm_util.h"
#include "cli.h"
#include "campaign.h"

const struct cli_opt campaign_send_opts[] = {
	{ "due", O_DUE, NULL, "every campaign whose time has come (for "
	    "cron), instead of NAME" },
	{ "window", O_WINDOW, "HOURS", "send only then: 'Mon-Fri 09:00-17:00 "
	    "Europe/Berlin'" },
	{ "max", O_MAX, "N", "at most N messages this run" },
	{ "connections", O_CONNECTIONS, "N", "N connections at once (default "
	    "1)" },
	{ "rate", O_RATE, "N/s", "at most N messages a second" },
	{ "dry-run", O_DRY_RUN, NULL, "print the messages (mbox, or -o "
	    "jsonl) and send nothing" },
	CLI_OPT_END
};

const struct cli_opt campaign_sequence_opts[] = {
	{ "segment", O_SEGMENT, "SEGMENT", "add: who enters the sequence" },
	{ "step", O_STEP, "'day N: CAMPAIGN'", "add: a step, in the order "
	    "of the days (repeatable)" },
	{ "steps", O_STEPS, "FILE", "add: the steps as JSON Lines, "
	    "{\"day\": N, \"campaign\": NAME} (- for stdin)" },
	CLI_OPT_END
};

const struct cli_opt campaign_tick_opts[] = {
	{ "max", O_MAX, "N", "at most N messages a step campaign" },
	{ "rate", O_RATE, "N/s", "at most N messages a second" },
	CLI_OPT_END
};

static void
progress(long done, long total, void *arg)
{
	fprintf(stderr, "\r%s: %ld of %ld", (const char *)arg, done, total);
}

double
campaign_rate(struct cli *cli, const char *arg)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(arg, &end);
	if (end == arg || errno != 0 || !(v > 0) || v > 1e6 ||
	    (*end != '\0' && strcmp(end, "/s") != 0))
		cli_usage_error(cli, "--rate: expected messages a second, as "
		    "10/s, got \"%s\"", arg);
	return v;
}

/* --window: "HOURS ZONE", the hours as for crm-ticket calendars. */
static struct crm_sla_cal *
window(struct cli *cli, const char *arg)
{
	struct crm_sla_cal *cal = NULL;
	struct crm_error *err;
	const char *sp = strrchr(arg, ' ');
	char *hours, msg[300];

	if (sp == NULL || (strchr(sp, '/') == NULL && strcmp(sp + 1, "UTC") !=
	    0))
		cli_usage_error(cli, "--window: expected hours and a time zone, "
		    "as 'Mon-Fri 09:00-17:00 Europe/Berlin', got \"%s\"", arg);
	hours = crm_xstrndup(arg, (size_t)(sp - arg));
	err = crm_sla_cal_new(sp + 1, hours, &cal);
	free(hours);
	if (err != NULL) {
		snprintf(msg, sizeof(msg), "%s", err->msg);
		crm_error_free(err);
		cli_usage_error(cli, "--window: %s", msg);
	}
	return cal;
}

/* One campaign's run and its summary line; the exit status it earns. */
static int
send_one(struct cli *cli, sqlite3_int64 id, const char *name,
    struct crm_campaign_run *run)
{
	struct crm_campaign_tally t;
	struct crm_error *err;
	const char *who = name != NULL ? name : "";

	err = crm_campaign_send(cli->db, id, run, &t);
	if (run->progress != NULL && t.sent + t.failed > 0)
		fputc('\n', stderr);
	fflush(stdout);
	if (t.outside && t.sent + t.failed + t.deferred == 0 && err == NULL)
		return 0;	/* outside the window: quietly nothing */
	if (run->dry_run)
		fprintf(stderr, "%s: %s%swould send %ld, skipped %ld\n",
		    cli->prog->name, who, *who ? ": " : "", t.sent, t.skipped);
	else if (err == NULL || t.sent + t.failed + t.deferred + t.unknown >
	    0) {
		fprintf(stderr, "%s: %s%ssent %ld, failed %ld, skipped %ld, "
		    "remaining %ld", cli->prog->name, who, *who ? ": " : "",
		    t.sent, t.failed, t.skipped, t.remaining);
		if (t.deferred > 0)
			fprintf(stderr, " (%ld to try again later)",
			    t.deferred);
		if (t.unknown > 0)
			fprintf(stderr, ", unknown %ld (not sent again: see "
			    "crm-campaign retry --unknown)", t.unknown);
		fputc('\n', stderr);
	}
	if (err != NULL) {
		if (name != NULL)
			err = crm_error_prefix(err, "%s", name);
		return cli_error(cli, err);
	}
	return t.failed > 0 ? 1 : t.deferred > 0 ? 75 : 0;
}


void
campaign_add_due(sqlite3_int64 id, const char *name, void *arg)
{
	struct campaign_due *d = arg;

	d->ids = crm_xrealloc(d->ids, (d->n + 1) * sizeof(*d->ids));
	d->names = crm_xrealloc(d->names, (d->n + 1) * sizeof(*d->names));
	d->ids[d->n] = id;
	d->names[d->n++] = crm_xstrdup(name);
}

/* The worse of two exit statuses: 1 and 2 over 75 over 0. */
int
campaign_worse(int a, int b)
{
	if (a == 0 || a == 75)
		return b != 0 ? b : a;
	return a;
}

int
campaign_cmd_send(struct cli *cli, int argc, char **argv)
{
	struct crm_campaign_run run;
	struct crm_sla_cal *cal = NULL;
	struct crm_error *err;
	struct campaign_due d = { NULL, NULL, 0 };
	enum crm_format fmt;
	sqlite3_int64 id;
	const char *arg;
	size_t i;
	int c, ind, due = 0, status = 0;

	memset(&run, 0, sizeof(run));
	while ((c = cli_getopt(cli, argc, argv, &arg, &ind)) != -1) {
		if (c == O_MAX)
			run.max = cli_number(cli, "--max", arg, 1, LONG_MAX);
		else if (c == O_RATE)
			run.rate = campaign_rate(cli, arg);
		else if (c == O_DUE)
			due = 1;
		else if (c == O_CONNECTIONS) {
			run.connections = (int)cli_number(cli,
			    "--connections", arg, 1, LONG_MAX);
			if (run.connections > CRM_CAMPAIGN_CONNECTIONS)
				cli_usage_error(cli, "--connections: at most %d",
				    CRM_CAMPAIGN_CONNECTIONS);
		}
		else if (c == O_WINDOW) {
			crm_sla_cal_free(cal);
			cal = window(cli, arg);
		} else
			run.dry_run = 1;
	}
	run.window = cal;
	if (run.dry_run) {
		run.out = stdout;
		if (cli->format != NULL || getenv("CRM_FORMAT") != NULL) {
			if ((err = cli_format(cli, &fmt)) != NULL)
				return cli_error(cli, err);
			run.jsonl = fmt == CRM_FMT_JSONL;
		}
	} else if (isatty(STDERR_FILENO)) {
		run.progress = progress;
		run.arg = (void *)cli->prog->name;
	}
	if (!due) {
		if ((id = campaign_one(cli, argc - ind, argv + ind,
		    run.dry_run ? CRM_DB_READ : CRM_DB_WRITE)) != 0)
			status = send_one(cli, id, NULL, &run);
		else
			status = cli->status;
		crm_sla_cal_free(cal);
		return status;
	}
	if (ind < argc)
		cli_usage_error(cli, "--due sends every campaign due: give no "
		    "NAME");
	if ((err = cli_db(cli, run.dry_run ? CRM_DB_READ : CRM_DB_WRITE)) !=
	    NULL || (err = crm_campaign_due(cli->db, campaign_add_due, &d)) != NULL)
		status = cli_error(cli, err);
	for (i = 0; i < d.n; i++) {
		status = campaign_worse(status, send_one(cli, d.ids[i], d.names[i],
		    &run));
		free(d.names[i]);
	}
	free(d.ids);
	free(d.names);
	crm_sla_cal_free(cal);
	return status;
}

/*
 * schedule, pause, resume, cancel: a change of status, printed; the verb
 * names the change.
 */
int
campaign_cmd_control(struct cli *cli, int argc, char **argv)
{
	const char *action = cli->verb->name;
	struct crm_error *err;
	sqlite3_int64 id;
	const char *arg;
	int ind, want = strcmp(action, "schedule") == 0 ? 2 : 1;

	while (cli_getopt(cli, argc, argv, &arg, &ind) != -1)
		;
	if (argc - ind != want)
		cli_usage_error(cli, want == 2 ? "expected NAME AT" :
		    "expected one NAME");
	if ((id = campaign_one(cli, 1, argv + ind, CRM_DB_WRITE)) == 0)
		return cli->status;
	if ((err = crm_db_begin(cli->db)) != NULL ||
	    (err = cli_commit(cli, want == 2 ? crm_campaign_schedule(cli->db, id,
	    argv[ind + 1]) : crm_campaign_control(cli->db, id, action))) !=
	    NULL)
		return cli_error(cli, err);
	return campaign_print_ids(cli, &id, 1);
}

static int
print_sequences(struct cli *cli, sqlite3_int64 only)
{
	struct crm_error *err;
	struct crm_out *out = NULL;

	if ((err = cli_out(cli, crm_sequence_columns, crm_sequence_columns,
	    NULL, &out)) == NULL &&
	    (err = crm_sequence_list(cli->db, only, cli_write_one, out)) ==
	    NULL)
		err = crm_out_finish(out);
	crm_out_free(out);
	return cli_error(cli, err);
}

/* --steps FILE: JSON Lines of {"day", "campaign"} as "day N: NAME". */
static void
steps_file(struct cli *cli, const char *path, struct crm_strv *steps)
{
	char *text = campaign_read_file(cli, "steps", path), *line, *next, spec[300];
	const cJSON *day, *name;
	cJSON *o;
	int n = 0;

	for (line = text; line != NULL && *line != '\0'; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		n++;
		if (line[strspn(line, " \t\r")] == '\0')
			continue;
		o = cJSON_Parse(line);
		day = cJSON_GetObjectItemCaseSensitive(o, "day");
		name = cJSON_GetObjectItemCaseSensitive(o, "campaign");
		if (!cJSON_IsNumber(day) || !cJSON_IsString(name) ||
		    day->valuedouble != (double)(long)day->valuedouble) {
			cJSON_Delete(o);
			cli_usage_error(cli, "--steps: %s: line %d: expected "
			    "{\"day\": N, \"campaign\": NAME}", path, n);
		}
		snprintf(spec, sizeof(spec), "day %ld: %s",
		    (long)day->valuedouble, name->valuestring);
		crm_strv_push(steps, spec);
		cJSON_Delete(o);
	}
	free(text);
}

int
campaign_cmd_sequence(struct cli *cli, int argc, char **argv)
{
	struct crm_strv steps = CRM_STRV_INIT;
	struct crm_error *err;
	sqlite3_int64 id = 0;
	const char *arg, *segment = NULL, *sub;
	int c, ind, status;

	while ((c = cli_getopt(cli, argc, argv, &arg, &ind)) != -1) {
		if (c == O_STEP)
			crm_strv_push(&steps, arg);
		else if (c == O_STEPS)
			steps_file(cli, arg, &steps);
		else
			segment = arg;
	}
	argc -= ind;
	argv += ind;
	if (argc < 1)
		cli_usage_error(cli, "expected add, list, show or delete");
	sub = argv[0];
	if (strcmp(sub, "list") == 0 && argc == 1) {
		if ((err = cli_db(cli, CRM_DB_READ)) != NULL)
			return cli_error(cli, err);
		status = print_sequences(cli, 0);
	} else if ((strcmp(sub, "show") == 0 || strcmp(sub, "delete") == 0 ||
	    strcmp(sub, "add") == 0) && argc == 2) {
		if (sub[0] == 'a' && segment == NULL)
			cli_usage_error(cli, "add needs --segment and --step");
		if ((err = cli_db(cli, sub[0] == 's' ? CRM_DB_READ :
		    CRM_DB_WRITE)) != NULL)
			return cli_error(cli, err);
		if (sub[0] == 's') {
			if ((err = crm_sequence_resolve(cli->db, argv[1],
			    &id)) != NULL)
				return cli_error(cli, err);
			status = print_sequences(cli, id);
		} else {
			if ((err = crm_db_begin(cli->db)) == NULL) {
				if (sub[0] == 'a')
					err = crm_sequence_create(cli->db,
					    argv[1], segment,
					    (const char *const *)steps.v,
					    steps.n, &id);
				else if ((err = crm_sequence_resolve(cli->db,
				    argv[1], &id)) == NULL)
					err = crm_sequence_delete(cli->db, id);
				err = cli_commit(cli, err);
			}
			status = err != NULL ? cli_error(cli, err) :
			    sub[0] == 'a' ? print_sequences(cli, id) : 0;
		}
	} else
		cli_usage_error(cli, "expected add NAME, list, show NAME or "
		    "delete NAME");
	crm_strv_clear(&steps);
	return status;
}

int
campaign_cmd_tick(struct cli *cli, int argc, char **argv)
{
	struct crm_campaign_run run;
	struct crm_error *err;
	struct campaign_due d = { NULL, NULL, 0 };
	const char *arg;
	long enrolled, queued;
	size_t i;
	int c, ind, status = 0;

	memset(&run, 0, sizeof(run));
	while ((c = cli_getopt(cli, argc, argv, &arg, &ind)) != -1) {
		if (c == O_MAX)
			run.max = cli_number(cli, "--max", arg, 1, LONG_MAX);
		else
			run.rate = campaign_rate(cli, arg);
	}
	if (ind < argc)
		cli_usage_error(cli, "unexpected argument \"%s\"", argv[ind]);
	if ((err = cli_db(cli, CRM_DB_WRITE)) != NULL ||
	    (err = crm_sequence_tick(cli->db, &enrolled, &queued, campaign_add_due,
	    &d)) != NULL)
		return cli_error(cli, err);
	if (enrolled + queued > 0)
		fprintf(stderr, "%s: enrolled %ld, steps due %ld\n",
		    cli->prog->name, enrolled, queued);
	for (i = 0; i < d.n; i++) {
		status = campaign_worse(status, send_one(cli, d.ids[i], d.names[i],
		    &run));
		free(d.names[i]);
	}
	free(d.ids);
	free(d.names);
	return status;
}

