/*
 * crm-ticket sla, calendar and escalate: SLA policies, business
 * calendars, and the escalation of breached tickets (for cron).  sla and
 * calendar take a sub-command as their first operand.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "crm_record.h"
#include "crm_sla.h"
#include "crm_ticket.h"
#include "crm_util.h"
#include "cli.h"
#include "ticket.h"

enum {
	O_QUEUE = 600, O_FIRST, O_NEXT, O_RESOLUTION, O_CALENDAR, O_HOURS,
	O_TZ, O_RAISE, O_TO, O_DRY_RUN
};

const struct cli_opt ticket_sla_opts[] = {
	{ "queue", O_QUEUE, "QUEUE", "the policy for this queue (default: "
	    "for any queue)" },
	{ "first-response", O_FIRST, "DURATION", "set: the first response "
	    "target (30m, 4h, 2d; none clears)" },
	{ "next-response", O_NEXT, "DURATION", "set: the next response "
	    "target" },
	{ "resolution", O_RESOLUTION, "DURATION", "set: the resolution "
	    "target" },
	{ "calendar", O_CALENDAR, "NAME", "set: count the calendar's working "
	    "time (none: every hour)" },
	CLI_OPT_END
};

const struct cli_opt ticket_calendar_opts[] = {
	{ "hours", O_HOURS, "HOURS", "set: working hours, 'Mon-Fri "
	    "09:00-17:00'" },
	{ "tz", O_TZ, "ZONE", "set: the time zone, Europe/Berlin" },
	CLI_OPT_END
};

const struct cli_opt ticket_escalate_opts[] = {
	{ "raise", O_RAISE, NULL, "raise the priority one step" },
	{ "to", O_TO, "NAME", "reassign to NAME" },
	{ "dry-run", O_DRY_RUN, NULL, "print what would be done, change "
	    "nothing" },
	CLI_OPT_END
};

/* The sub-command: operand 0, one of names, with n operands after it. */
static const char *
sub(struct cli *cli, int argc, char **argv, const char *const *names,
    const int *nargs)
{
	const char *hint;
	size_t i;

	if (argc < 1)
		cli_usage_error(cli, "expected %s", cli->verb->args);
	for (i = 0; names[i] != NULL; i++)
		if (strcmp(names[i], argv[0]) == 0)
			break;
	if (names[i] == NULL) {
		hint = crm_suggest(argv[0], names, i);
		cli_usage_error(cli, "unknown sub-command \"%s\"%s%s%s",
		    argv[0], hint ? " (did you mean \"" : "",
		    hint ? hint : "", hint ? "\"?)" : "");
	}
	if (argc - 1 != nargs[i])
		cli_usage_error(cli, "%s takes %d operand%s", names[i],
		    nargs[i], nargs[i] == 1 ? "" : "s");
	return names[i];
}

/* Print one record, or every one fn gives; the exit status. */
static int
print(struct cli *cli, const char *const *cols, const cJSON *rec,
    struct crm_error *(*fn)(struct crm_db *, int (*)(const cJSON *,
    void *), void *))
{
	struct crm_error *err;
	struct crm_out *out = NULL;

	if ((err = cli_out(cli, cols, cols, NULL, &out)) == NULL) {
		if (fn != NULL)
			err = fn(cli->db, cli_write_one, out);
		else
			err = crm_out_write(out, rec);
		if (err == NULL)
			err = crm_out_finish(out);
	}
	crm_out_free(out);
	return cli_error(cli, err);
}

static long
duration(struct cli *cli, const char *opt, const char *arg)
{
	long secs;

	if (strcmp(arg, "none") == 0)
		return -1;
	if (crm_sla_duration_parse(arg, &secs) != 0)
		cli_usage_error(cli, "%s: invalid duration \"%s\" (use a "
		    "number and m, h, d or w: 30m, 4h, 1h30m)", opt, arg);
	return secs;
}

static struct crm_error *
sla_write(struct cli *cli, const char *what, const struct crm_sla_change *c,
    cJSON **rec)
{
	struct crm_error *err;

	if ((err = cli_db(cli, CRM_DB_WRITE)) != NULL ||
	    (err = crm_db_begin(cli->db)) != NULL)
		return err;
	if (strcmp(what, "delete") == 0)
		err = crm_sla_delete(cli->db, c->priority, c->queue);
	else if ((err = crm_sla_set(cli->db, c, NULL)) == NULL)
		err = crm_sla_get(cli->db, c->priority, c->queue, rec);
	if (err == NULL)
		return crm_db_commit(cli->db);
	crm_db_rollback(cli->db);
	return err;
}

int
ticket_sla(struct cli *cli, int argc, char **argv)
{
	static const char *const names[] = {
		"set", "list", "show", "delete", NULL
	};
	static const int nargs[] = { 1, 0, 1, 1 };
	struct crm_sla_change c = { NULL, NULL, { 0, 0, 0 }, NULL };
	struct crm_error *err;
	const char *arg, *what;
	cJSON *rec = NULL;
	int k, ind, setopt = 0, status;

	while ((k = cli_getopt(cli, argc, argv, &arg, &ind)) != -1) {
		setopt |= k != O_QUEUE;
		if (k == O_QUEUE)
			c.queue = arg;
		else if (k == O_CALENDAR)
			c.calendar = arg;
		else
			c.secs[k - O_FIRST] = duration(cli, k == O_FIRST ?
			    "--first-response" : k == O_NEXT ?
			    "--next-response" : "--resolution", arg);
	}
	what = sub(cli, argc - ind, argv + ind, names, nargs);
	c.priority = argc - ind > 1 ? argv[ind + 1] : NULL;
	if (setopt && strcmp(what, "set") != 0)
		cli_usage_error(cli, "the targets and --calendar are for sla "
		    "set");
	if (c.queue != NULL && strcmp(what, "list") == 0)
		cli_usage_error(cli, "--queue is for sla set, show and delete");
	if ((err = cli_db(cli, strcmp(what, "list") == 0 ||
	    strcmp(what, "show") == 0 ? CRM_DB_READ : CRM_DB_WRITE)) != NULL)
		return cli_error(cli, err);
	if (strcmp(what, "list") == 0)
		return print(cli, crm_sla_columns, NULL, crm_sla_list);
	if (strcmp(what, "show") == 0)
		err = crm_sla_get(cli->db, c.priority, c.queue, &rec);
	else
		err = sla_write(cli, what, &c, &rec);
	if (err != NULL)
		return cli_error(cli, err);
	status = rec != NULL ? print(cli, crm_sla_columns, rec, NULL) : 0;
	cJSON_Delete(rec);
	return status;
}

static struct crm_error *
calendar_write(struct cli *cli, const char *what, char **argv,
    const char *hours, const char *tz)
{
	struct crm_error *err;
	int done;

	if ((err = crm_db_begin(cli->db)) != NULL)
		return err;
	if (strcmp(what, "set") == 0)
		err = crm_sla_calendar_set(cli->db, argv[1], hours, tz, &done);
	else if (strcmp(what, "delete") == 0)
		err = crm_sla_calendar_delete(cli->db, argv[1]);
	else if (strcmp(argv[2], "add") == 0 || strcmp(argv[2], "delete") == 0)
		err = crm_sla_calendar_holiday(cli->db, argv[1], argv[3],
		    strcmp(argv[2], "add") == 0, &done);
	else
		err = crm_error_new(CRM_EXIT_USAGE, "holiday: expected add or "
		    "delete, got \"%s\"", argv[2]);
	if (err == NULL)
		return crm_db_commit(cli->db);
	crm_db_rollback(cli->db);
	return err;
}

int
ticket_calendar(struct cli *cli, int argc, char **argv)
{
	static const char *const names[] = {
		"set", "holiday", "list", "show", "delete", NULL
	};
	static const int nargs[] = { 1, 3, 0, 1, 1 };
	const char *arg, *what, *hours = NULL, *tz = NULL;
	struct crm_error *err;
	cJSON *rec = NULL;
	int k, ind, status;

	while ((k = cli_getopt(cli, argc, argv, &arg, &ind)) != -1) {
		if (k == O_HOURS)
			hours = arg;
		else
			tz = arg;
	}
	argc -= ind;
	argv += ind;
	what = sub(cli, argc, argv, names, nargs);
	if ((hours != NULL || tz != NULL) && strcmp(what, "set") != 0)
		cli_usage_error(cli, "--hours and --tz are for calendar set");
	if ((err = cli_db(cli, strcmp(what, "list") == 0 ||
	    strcmp(what, "show") == 0 ? CRM_DB_READ : CRM_DB_WRITE)) != NULL)
		return cli_error(cli, err);
	if (strcmp(what, "list") == 0)
		return print(cli, crm_sla_calendar_columns, NULL,
		    crm_sla_calendar_list);
	if (strcmp(what, "show") != 0 &&
	    (err = calendar_write(cli, what, argv, hours, tz)) != NULL)
		return cli_error(cli, err);
	if (strcmp(what, "delete") == 0)
		return 0;
	if ((err = crm_sla_calendar_get(cli->db, argv[1], &rec)) != NULL)
		return cli_error(cli, err);
	status = print(cli, crm_sla_calendar_columns, rec, NULL);
	cJSON_Delete(rec);
	return status;
}

static int
keep(const cJSON *rec, void *arg)
{
	cJSON_AddItemToArray(arg, cJSON_Duplicate(rec, 1));
	return 0;
}

int
ticket_escalate(struct cli *cli, int argc, char **argv)
{
	const char *const *cols = crm_ticket_escalate_columns;
	struct crm_ticket_escalation e = { 0, NULL, 0 };
	struct crm_error *err;
	struct crm_out *out = NULL;
	const char *arg;
	cJSON *done = cJSON_CreateArray(), *rec;
	int k, ind;

	while ((k = cli_getopt(cli, argc, argv, &arg, &ind)) != -1) {
		if (k == O_RAISE)
			e.raise = 1;
		else if (k == O_TO)
			e.to = arg;
		else
			e.dry_run = 1;
	}
	if (ind < argc)
		cli_usage_error(cli, "unexpected argument \"%s\"", argv[ind]);
	if (!e.raise && e.to == NULL)
		cli_usage_error(cli, "give --raise, --to NAME or both");
	if (e.to != NULL && e.to[strspn(e.to, " \t\r\n")] == '\0')
		cli_usage_error(cli, "--to: the assignee is empty");
	if ((err = cli_db(cli, CRM_DB_WRITE)) == NULL &&
	    (err = crm_db_begin(cli->db)) == NULL) {
		err = crm_ticket_escalate(cli->db, &e, keep, done);
		if (err == NULL && !e.dry_run)
			err = crm_db_commit(cli->db);
		else
			crm_db_rollback(cli->db);
	}
	if (err == NULL && (err = cli_out(cli, cols, cols, NULL, &out)) ==
	    NULL) {
		cJSON_ArrayForEach(rec, done)
			if (err == NULL && !crm_out_closed(out))
				err = crm_out_write(out, rec);
		if (err == NULL)
			err = crm_out_finish(out);
	}
	crm_out_free(out);
	cJSON_Delete(done);
	return cli_error(cli, err);
}

static void
print_value(const char *value, void *arg)
{
	(void)arg;
	printf("%s\n", value);
}

int
ticket_sla_values(struct cli *cli, const char *opt)
{
	if (strcmp(opt, "calendar") != 0)
		return 0;
	if (cli_db(cli, CRM_DB_READ) == NULL)
		crm_error_free(crm_sla_calendar_names(cli->db, print_value,
		    NULL));
	return 1;
}
