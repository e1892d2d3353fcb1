/*
 * Campaigns, the sending: the run lock, the snapshot of the audience into
 * the send log, the claim-send-mark loop that sends each recipient at most
 * once, and the dry run.  Rendering is in campaign_render.c.
 *
 * At most once: a row is claimed (status claimed, committed) before its
 * SMTP transaction and marked sent with the server's reply in the
 * transaction that claims the next row.  A run dies between the two only
 * while a message is in flight, so at most one row a connection is left
 * tried; the next run, which holds the lock the dead one held, makes it
 * unknown instead of sending it again.
 *
 * Without a sync to disk a message: rows are reserved (claimed,
 * claimed_at NULL) in batches, in a transaction synced to disk; each
 * try (claimed_at set) and its outcome are committed without a sync,
 * which a dead process cannot undo, only a system crash.  So the next
 * run puts reserved rows never tried back in the queue while the system
 * has not restarted since (campaigns.send_boot), and makes them unknown
 * when it has.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sqlite3.h>
#include <cjson/cJSON.h>

#include "crm_campaign.h"
#include "crm_config.h"
#include "crm_contact.h"
#include "crm_db.h"
#include "crm_filter.h"
#include "crm_mail.h"
#include "crm_sla.h"
#include "crm_smtp.h"
#include "crm_template.h"
#include "crm_util.h"
#include "crm_webhook.h"
#include "campaign_int.h"

const char *const crm_campaign_send_columns[] = {
	"id", "campaign_id", "contact_id", "email", "status", "reason",
	"message_id", "reply", "attempts", "next_at", "claimed_at", "sent_at",
	NULL
};

/*
 * The lock a run holds on campaign id: a write lock on byte id of
 * "DB-send.lock", which the system releases when the process ends, however
 * it ends.  *fd is -1 on error.
 */
static struct crm_error *
lock_run(struct crm_db *db, const struct campaign *k, int *fd)
{
	struct crm_buf path = CRM_BUF_INIT;
	struct flock fl;
	int e;

	crm_buf_addf(&path, "%s-send.lock", db->path);
	*fd = open(path.buf, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	e = errno;
	crm_buf_release(&path);
	if (*fd < 0)
		return crm_error_new(CRM_EXIT_FAIL, "%s-send.lock: %s",
		    db->path, strerror(e));
	memset(&fl, 0, sizeof(fl));
	fl.l_type = F_WRLCK;
	fl.l_whence = SEEK_SET;
	fl.l_start = (off_t)k->id;
	fl.l_len = 1;
	if (fcntl(*fd, F_SETLK, &fl) == 0)
		return NULL;
	e = errno;
	close(*fd);
	*fd = -1;
	if (e == EACCES || e == EAGAIN)
		return crm_error_new(CRM_EXIT_TEMPFAIL, "campaign \"%s\" is being "
		    "sent by another run", k->name);
	return crm_error_new(CRM_EXIT_FAIL, "%s-send.lock: %s", db->path,
	    strerror(e));
}

/* Run sql with ?1 the campaign id; the number of rows it changed. */
static struct crm_error *
run1(struct crm_db *db, const char *sql, sqlite3_int64 id, long *changed)
{
	struct crm_error *err;
	sqlite3_stmt *st;

	if ((err = crm_db_prepare(db, sql, &st)) != NULL)
		return err;
	sqlite3_bind_int64(st, 1, id);
	if ((err = crm_db_step_done(db, st)) == NULL && changed != NULL)
		*changed = sqlite3_changes(db->sql);
	return err;
}

/* The condition on contacts c (and co) of the campaign's segment. */
static struct crm_error *
audience(struct crm_db *db, const struct campaign *k, struct crm_filter **f)
{
	struct crm_filter_scope scope = { db, NULL, NULL, NULL, NULL };
	struct crm_buf expr = CRM_BUF_INIT;
	struct crm_error *err;

	crm_buf_addf(&expr, "segment = \"%s\"", k->segment);
	err = crm_filter_compile_in(expr.buf, crm_contact_fieldset(), &scope,
	    f);
	crm_buf_release(&expr);
	return err;
}

/*
 * Why a contact is left out, first reason first; NULL (SQL) when it is
 * sent to.  ?2 is whether the campaign needs opt-in.
 */
#define SKIP_SQL(EMAIL) "CASE" \
	" WHEN " EMAIL " AND (c.email IS NULL OR c.email = '')" \
	"  THEN 'no email'" \
	" WHEN c.unsubscribed_at IS NOT NULL OR EXISTS (SELECT 1" \
	"  FROM suppressions x WHERE x.email = c.email) THEN 'unsubscribed'" \
	" WHEN c.bounced_at IS NOT NULL THEN 'bounced'" \
	" WHEN ?2 AND NOT c.opt_in THEN 'no consent'" \
	" END"
/* A webhook needs no email address: a gateway may text or chat. */
#define SKIP(k) ((k)->webhook ? SKIP_SQL("0") : SKIP_SQL("1"))

struct crm_error *
campaign_enqueue(struct crm_db *db, const struct campaign *k,
    sqlite3_int64 seq, int step, const char *bound, long *n)
{
	struct crm_buf sql = CRM_BUF_INIT;
	struct crm_error *err;
	sqlite3_stmt *st;

	*n = 0;
	crm_buf_addf(&sql, "INSERT OR IGNORE INTO campaign_sends (campaign_id,"
	    " contact_id, email, status, reason) SELECT ?1, id, email,"
	    " CASE WHEN why IS NULL THEN 'queued' ELSE 'skipped' END, why"
	    " FROM (SELECT c.id, c.email, %s AS why"
	    " FROM sequence_enrollments e JOIN contacts c ON c.id = e.contact_id"
	    " WHERE e.sequence_id = ?3 AND e.next_step = ?4"
	    " AND e.enrolled_at <= ?5 ORDER BY c.id)", SKIP(k));
	err = crm_db_prepare(db, sql.buf, &st);
	crm_buf_release(&sql);
	if (err != NULL)
		return err;
	sqlite3_bind_int64(st, 1, k->id);
	sqlite3_bind_int(st, 2, k->opt_in);
	sqlite3_bind_int64(st, 3, seq);
	sqlite3_bind_int(st, 4, step);
	crm_db_bind_text(st, 5, bound);
	if ((err = crm_db_step_done(db, st)) != NULL)
		return err;
	if ((*n = sqlite3_changes(db->sql)) > 0)
		err = run1(db, "UPDATE campaigns SET status = 'sending'"
		    " WHERE id = ?1 AND status IN ('draft', 'done')", k->id,
		    NULL);
	return err;
}

/* Take the audience into the send log, once, in one transaction. */
static struct crm_error *
snapshot(struct crm_db *db, const struct campaign *k, int *taken)
{
	struct crm_buf sql = CRM_BUF_INIT;
	struct crm_filter *f = NULL;
	struct crm_error *err;
	sqlite3_stmt *st = NULL;
	int n;

	*taken = 0;
	if ((err = crm_db_prepare(db, "SELECT 1 FROM campaign_sends"
	    " WHERE campaign_id = ? LIMIT 1", &st)) != NULL)
		return err;
	sqlite3_bind_int64(st, 1, k->id);
	n = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_finalize(st);
	if (n)
		return NULL;
	if ((err = audience(db, k, &f)) != NULL)
		return err;
	crm_buf_addf(&sql, "INSERT INTO campaign_sends (campaign_id,"
	    " contact_id, email, status, reason) SELECT ?1, id, email,"
	    " CASE WHEN why IS NULL THEN 'queued' ELSE 'skipped' END, why"
	    " FROM (SELECT c.id, c.email, %s AS why FROM contacts c"
	    " LEFT JOIN contacts co ON co.id = c.company_id WHERE (%s)"
	    " ORDER BY c.id)", SKIP(k), crm_filter_sql(f));
	if ((err = crm_db_begin(db)) != NULL)
		goto done;
	if ((err = crm_db_prepare(db, sql.buf, &st)) == NULL) {
		sqlite3_bind_int64(st, 1, k->id);
		sqlite3_bind_int(st, 2, k->opt_in);
		crm_filter_bind(f, st, 3);
		err = crm_db_step_done(db, st);
	}
	if (err == NULL)
		err = run1(db, "UPDATE campaigns SET status = 'sending'"
		    " WHERE id = ?1", k->id, NULL);
	if (err == NULL)
		err = crm_db_event(db, "campaign", k->id, "snapshot", NULL);
	if (err == NULL && (err = crm_db_commit(db)) == NULL)
		*taken = 1;
	if (err != NULL)
		crm_db_rollback(db);
done:
	crm_filter_free(f);
	crm_buf_release(&sql);
	return err;
}

/*
 * The rows a run has reserved: claimed, claimed_at NULL, in a transaction
 * synced to disk; each is then tried in the order of its id.
 */
#define BATCH	64

struct claim {
	sqlite3_int64	 row;
	sqlite3_int64	 contact;
};

/* The state of a run's loop over the send log. */
struct loop {
	struct crm_db		*db;
	const struct campaign	*k;
	int			 durable;	/* every commit synced: no boot id */
	int			 synced;	/* PRAGMA synchronous is FULL */
	sqlite3_stmt		*st[8];		/* by enum stmt */
	struct claim		 res[BATCH];
	size_t			 nres, next;
};

enum stmt { S_SENT, S_FAILED, S_UNKNOWN, S_LATER, S_UNCLAIM, S_TRY,
	S_RESERVE, S_UNRESERVE };

static int
claim_cmp(const void *a, const void *b)
{
	const struct claim *x = a, *y = b;

	return x->row < y->row ? -1 : x->row > y->row;
}

/*
 * The boot id of the running system, "" when there is none to read (the
 * run then syncs every commit, as if each row were a batch).
 */
static void
boot_id(char out[40])
{
	FILE *fp = fopen("/proc/sys/kernel/random/boot_id", "re");

	out[0] = '\0';
	if (fp == NULL)
		return;
	if (fgets(out, 40, fp) == NULL)
		out[0] = '\0';
	fclose(fp);
	out[strcspn(out, "\n")] = '\0';
}

static const char *const loop_sql[] = {
	/* S_SENT */
	"UPDATE campaign_sends SET status = 'sent', sent_at = ?2,"
	" message_id = ?3, reply = ?4, reason = NULL, next_at = NULL"
	" WHERE id = ?1",
	/* S_FAILED */
	"UPDATE campaign_sends SET status = 'failed',"
	" reason = ?4, message_id = ?3 WHERE id = ?1 AND ?2 IS NOT NULL",
	/* S_UNKNOWN */
	"UPDATE campaign_sends SET status = 'unknown',"
	" reason = ?4, message_id = ?3 WHERE id = ?1 AND ?2 IS NOT NULL",
	/* S_LATER: again later, a minute, doubling each attempt, up to a day */
	"UPDATE campaign_sends SET status = 'queued',"
	" reason = ?4, next_at = strftime('%Y-%m-%dT%H:%M:%SZ', ?2,"
	" '+' || min(86400, 60 << min(attempts - 1, 11)) || ' seconds'),"
	" message_id = ?3 WHERE id = ?1",
	/* S_UNCLAIM: not tried after all, the run stopped before it */
	"UPDATE campaign_sends SET status = 'queued', claimed_at = NULL,"
	" attempts = attempts - 1 WHERE id = ?1 AND ?2 IS NOT NULL"
	" AND ?3 IS NULL AND ?4 IS NULL",
	/* S_TRY: about to go out */
	"UPDATE campaign_sends SET claimed_at = ?2, attempts = attempts + 1"
	" WHERE id = ?1",
	/* S_RESERVE */
	"UPDATE campaign_sends SET status = 'claimed', claimed_at = NULL"
	" WHERE id IN (SELECT id FROM campaign_sends WHERE campaign_id = ?1"
	" AND status = 'queued' AND (next_at IS NULL OR next_at <= ?2)"
	" ORDER BY id LIMIT ?3) RETURNING id, contact_id",
	/* S_UNRESERVE */
	"UPDATE campaign_sends SET status = 'queued' WHERE id = ?1"
	" AND status = 'claimed' AND claimed_at IS NULL",
};

static struct crm_error *
loop_stmt(struct loop *l, enum stmt i, sqlite3_stmt **st)
{
	struct crm_error *err;

	if (l->st[i] == NULL && (err = crm_db_prepare(l->db, loop_sql[i],
	    &l->st[i])) != NULL)
		return err;
	*st = l->st[i];
	sqlite3_reset(*st);
	sqlite3_clear_bindings(*st);
	return NULL;
}

static void
loop_release(struct loop *l)
{
	size_t i;

	for (i = 0; i < sizeof(l->st) / sizeof(l->st[0]); i++)
		sqlite3_finalize(l->st[i]);
}

/* Run statement i on row with the time and texts a and b. */
static struct crm_error *
loop_row(struct loop *l, enum stmt i, sqlite3_int64 row, const char *now,
    const char *a, const char *b)
{
	struct crm_error *err;
	sqlite3_stmt *st;
	int rc;

	if ((err = loop_stmt(l, i, &st)) != NULL)
		return err;
	sqlite3_bind_int64(st, 1, row);
	if (i != S_UNRESERVE) {
		crm_db_bind_text(st, 2, now);
		crm_db_bind_text(st, 3, a);
		crm_db_bind_text(st, 4, b);
	}
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? NULL : crm_db_error(l->db, rc);
}

/* Reserve up to want queued rows due now into l->res. */
static struct crm_error *
reserve(struct loop *l, const char *now, long want)
{
	struct crm_error *err;
	sqlite3_stmt *st;
	int rc;

	l->nres = l->next = 0;
	if ((err = loop_stmt(l, S_RESERVE, &st)) != NULL)
		return err;
	sqlite3_bind_int64(st, 1, l->k->id);
	crm_db_bind_text(st, 2, now);
	sqlite3_bind_int64(st, 3, want);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && l->nres < BATCH) {
		l->res[l->nres].row = sqlite3_column_int64(st, 0);
		l->res[l->nres++].contact = sqlite3_column_int64(st, 1);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return crm_db_error(l->db, rc);
	qsort(l->res, l->nres, sizeof(l->res[0]), claim_cmp);
	return NULL;
}

/* One recipient in the hands of the run, and what became of it. */
struct job {
	struct claim	 c;
	int		 mark;		/* enum stmt; -1: nothing to record */
	char		*a;		/* the Message-ID */
	char		*b;		/* the reply, or why not */
};

static void
job_clear(struct job *j)
{
	free(j->a);
	free(j->b);
	memset(j, 0, sizeof(*j));
	j->mark = -1;
}

/*
 * In one transaction: record what became of the jobs done (ndone), then
 * claim up to n reserved rows into c (*got of them), reserving more, up
 * to allow, when too few are left; at the end, put back what is still
 * reserved.  The commits that reserve or end the run are synced to disk;
 * the others need only outlive the process.
 */
static struct crm_error *
mark_and_claim(struct loop *l, struct job *done, size_t ndone, size_t n,
    long allow, int end, struct claim *c, size_t *got)
{
	char now[CRM_TIME_LEN];
	struct crm_error *err = NULL;
	size_t i;
	int sync = l->durable || end || n > l->nres - l->next;

	*got = 0;
	crm_time_now(now);
	if (sync != l->synced && (err = crm_db_exec(l->db, sync ?
	    "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL")) !=
	    NULL)
		return err;
	l->synced = sync;
	if ((err = crm_db_begin(l->db)) != NULL)
		return err;
	for (i = 0; i < ndone; i++)
		if (done[i].mark >= 0 && (err = loop_row(l,
		    (enum stmt)done[i].mark, done[i].c.row, now, done[i].a,
		    done[i].b)) != NULL)
			goto fail;
	while (*got < n) {
		if (l->next == l->nres && (err = reserve(l, now, l->durable ?
		    1 : allow < BATCH ? allow : BATCH)) != NULL)
			goto fail;
		if (l->next == l->nres)
			break;
		c[*got] = l->res[l->next++];
		if ((err = loop_row(l, S_TRY, c[(*got)++].row, now, NULL,
		    NULL)) != NULL)
			goto fail;
	}
	for (; end && l->next < l->nres; l->next++)
		if ((err = loop_row(l, S_UNRESERVE, l->res[l->next].row, now,
		    NULL, NULL)) != NULL)
			goto fail;
	if ((err = crm_db_commit(l->db)) == NULL)
		return NULL;
fail:
	crm_db_rollback(l->db);
	*got = 0;
	return err;
}

/* Wait for the next slot of a rate of r a second since start. */
static void
pace(double r, const struct timespec *start, long n)
{
	struct timespec now, d;
	double due, at;

	if (r <= 0)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	due = (double)n / r;
	at = (double)(now.tv_sec - start->tv_sec) +
	    (double)(now.tv_nsec - start->tv_nsec) / 1e9;
	if (at >= due)
		return;
	d.tv_sec = (time_t)(due - at);
	d.tv_nsec = (long)((due - at - (double)d.tv_sec) * 1e9);
	while (nanosleep(&d, &d) != 0 && errno == EINTR)
		;
}

static struct crm_error *
count_status(struct crm_db *db, sqlite3_int64 id, const char *status,
    long *n)
{
	struct crm_error *err;
	sqlite3_stmt *st;
	int rc;

	*n = 0;
	if ((err = crm_db_prepare(db, "SELECT count(*) FROM campaign_sends"
	    " WHERE campaign_id = ? AND status = ?", &st)) != NULL)
		return err;
	sqlite3_bind_int64(st, 1, id);
	crm_db_bind_text(st, 2, status);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		*n = sqlite3_column_int(st, 0);
	else
		err = crm_db_error(db, rc);
	sqlite3_finalize(st);
	return err;
}

struct crm_error *
campaign_audience(struct crm_db *db, const struct campaign *k,
    sqlite3_stmt **st)
{
	struct crm_buf sql = CRM_BUF_INIT;
	struct crm_filter *f = NULL;
	struct crm_error *err;

	*st = NULL;
	if ((err = audience(db, k, &f)) != NULL)
		return err;
	crm_buf_addf(&sql, "SELECT c.id, %s FROM contacts c"
	    " LEFT JOIN contacts co ON co.id = c.company_id WHERE (%s)"
	    " AND ?1 IS NOT NULL ORDER BY c.id", SKIP(k), crm_filter_sql(f));
	if ((err = crm_db_prepare(db, sql.buf, st)) == NULL) {
		sqlite3_bind_int64(*st, 1, k->id);
		sqlite3_bind_int(*st, 2, k->opt_in);
		crm_filter_bind(f, *st, 3);
	}
	crm_filter_free(f);
	crm_buf_release(&sql);
	return err;
}

/* The dry run: the audience as it would be taken now, rendered to out. */
static struct crm_error *
dry_run(struct crm_db *db, const struct campaign *k,
    const struct crm_campaign_run *run, struct crm_campaign_tally *t)
{
	struct crm_error *err;
	struct campaign_msg r;
	sqlite3_stmt *st = NULL;
	cJSON *rec;
	char *line;
	int rc = SQLITE_DONE;

	if ((err = campaign_audience(db, k, &st)) != NULL)
		return err;
	while ((run->max == 0 || t->sent < run->max) &&
	    (rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (sqlite3_column_type(st, 1) != SQLITE_NULL) {
			t->skipped++;
			continue;
		}
		if ((err = campaign_render(db, k, 0, sqlite3_column_int64(st, 0),
		    &r)) != NULL)
			goto done;
		if (run->jsonl) {
			rec = cJSON_CreateObject();
			cJSON_AddNumberToObject(rec, "contact_id",
			    (double)sqlite3_column_int64(st, 0));
			cJSON_AddStringToObject(rec, "email", r.email);
			if (r.msgid != NULL)
				cJSON_AddStringToObject(rec, "message_id",
				    r.msgid);
			cJSON_AddStringToObject(rec, k->webhook ? "body" :
			    "message", r.msg);
			line = cJSON_PrintUnformatted(rec);
			fprintf(run->out, "%s\n", line);
			cJSON_free(line);
			cJSON_Delete(rec);
		} else
			campaign_mbox_write(run->out, k->from_email, r.msg);
		campaign_rendered_release(&r);
		t->sent++;
	}
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		err = crm_db_error(db, rc);
done:
	sqlite3_finalize(st);
	return err;
}

/* Whether now is inside the run's window, if it has one. */
static int
in_window(const struct crm_campaign_run *run)
{
	struct crm_error *err;
	time_t now = crm_time_now_t(), due;

	if (run->window == NULL)
		return 1;
	/* No working time to wait for: now is working time. */
	if ((err = crm_sla_due(run->window, now, 0, NULL, 0, &due)) != NULL) {
		crm_error_free(err);
		return 0;
	}
	return due == now;
}

/* A channel's session: SMTP, or a webhook's HTTP. */
struct sender {
	struct crm_smtp_conf	 smtp_conf;
	struct crm_webhook_conf	 hook_conf;
	struct crm_smtp		*smtp;
	struct crm_webhook	*hook;
};

/* What became of one message. */
enum outcome {
	SENT,		/* taken: the reply in *text */
	LATER,		/* refused for now (4xx, 429, 5xx for HTTP) */
	FAILED,		/* refused for good */
	IN_DOUBT,	/* it went out, no reply came */
	UNREACHABLE,	/* not delivered: no connection */
	SESSION		/* not delivered: the session is refused (a login,
			   TLS, a bad URL), and so would every other be */
};

static enum outcome
deliver(struct sender *s, const struct campaign *k,
    const struct campaign_msg *m, char **text)
{
	struct crm_error *e;
	const char *rcpt = m->email;
	int refused, doubt, code;

	if (s->hook != NULL) {
		e = crm_webhook_post(s->hook, k->url, m->msg, m->msgid);
		refused = crm_webhook_status(s->hook) != 0;
		doubt = crm_webhook_in_doubt(s->hook);
		if (e == NULL)
			*text = crm_xstrdup(crm_webhook_reply(s->hook));
	} else {
		e = crm_smtp_send(s->smtp, k->from_email, &rcpt, 1, m->msg);
		refused = crm_smtp_refused(s->smtp);
		doubt = crm_smtp_in_doubt(s->smtp);
		if (e == NULL)
			*text = crm_xstrdup(crm_smtp_reply(s->smtp));
	}
	if (e == NULL)
		return SENT;
	*text = crm_xstrdup(e->msg);
	code = e->code;
	crm_error_free(e);
	if (refused)
		return code == CRM_EXIT_TEMPFAIL ? LATER : FAILED;
	if (code != CRM_EXIT_TEMPFAIL)
		return SESSION;
	return doubt ? IN_DOUBT : UNREACHABLE;
}

/*
 * What became of job j's message (o, the server's text in text, owned):
 * its mark and the tally; an error when the run must stop.
 */
static struct crm_error *
settle(struct job *j, enum outcome o, char *text,
    struct crm_campaign_tally *t)
{
	struct crm_error *err = NULL;

	j->b = text;
	switch (o) {
	case SENT:
		j->mark = S_SENT;
		t->sent++;
		break;
	case LATER:
		j->mark = S_LATER;
		t->deferred++;
		break;
	case FAILED:
		j->mark = S_FAILED;
		t->failed++;
		break;
	case IN_DOUBT:
		/* The server may have it: never again unasked. */
		j->mark = S_UNKNOWN;
		t->unknown++;
		err = crm_error_new(CRM_EXIT_TEMPFAIL, "%s", text);
		break;
	case UNREACHABLE:
	case SESSION:
		/* Not delivered: the server is out of reach, or will take
		 * nothing from this session. */
		j->mark = S_UNCLAIM;
		err = crm_error_new(o == SESSION ? CRM_EXIT_FAIL :
		    CRM_EXIT_TEMPFAIL, "%s", text);
		free(j->a);
		free(j->b);
		j->a = j->b = NULL;
		break;
	}
	return err;
}

/*
 * A lane carries one message at a time: in this process (pid 0), or in
 * a process of its own, with its own connection, which gets each
 * rendered message through a socket and answers with what became of it.
 * Only this process touches the database, so that the lanes never wait
 * for each other's commits.
 */
struct lane {
	pid_t		 pid;
	int		 fd;
	int		 busy;
	int		 ready;		/* in this process: delivered */
	enum outcome	 o;
	char		*text;
	struct job	 j;
};

/* What goes to a lane, then its three texts; and what comes back. */
struct lane_msg {
	uint32_t	 len[3];	/* msg, email, msgid (0: none) */
};
struct lane_reply {
	int32_t		 o;
	uint32_t	 len;
};

static int
io_full(int fd, void *buf, size_t len, int out)
{
	char *p = buf;
	ssize_t r;

	while (len > 0) {
		r = out ? send(fd, p, len, MSG_NOSIGNAL) : read(fd, p, len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		p += r;
		len -= (size_t)r;
	}
	return 0;
}

static char *
read_text(int fd, uint32_t len)
{
	char *s;

	if (len == 0)
		return NULL;
	s = crm_xmalloc(len);
	if (io_full(fd, s, len, 0) != 0) {
		free(s);
		return NULL;
	}
	s[len - 1] = '\0';
	return s;
}

static int
send_text(int fd, const char *s, uint32_t len)
{
	return len == 0 ? 0 : io_full(fd, (void *)s, len, 1);
}

static uint32_t
text_len(const char *s)
{
	return s == NULL ? 0 : (uint32_t)strlen(s) + 1;
}

/* A lane's process: deliver each message that comes, until none does. */
static void
lane_main(int fd, const struct campaign *k, struct sender *s)
{
	struct lane_msg m;
	struct lane_reply rep;
	struct campaign_msg r;
	struct crm_error *err;
	char *text = NULL;

	err = k->webhook ? crm_webhook_new(&s->hook_conf, &s->hook) :
	    crm_smtp_new(&s->smtp_conf, &s->smtp);
	while (io_full(fd, &m, sizeof(m), 0) == 0) {
		r.msg = read_text(fd, m.len[0]);
		r.email = read_text(fd, m.len[1]);
		r.msgid = read_text(fd, m.len[2]);
		if (err != NULL) {
			rep.o = SESSION;
			text = crm_xstrdup(err->msg);
		} else
			rep.o = deliver(s, k, &r, &text);
		rep.len = text_len(text);
		campaign_rendered_release(&r);
		if (io_full(fd, &rep, sizeof(rep), 1) != 0 ||
		    send_text(fd, text, rep.len) != 0)
			break;
		free(text);
		text = NULL;
	}
	free(text);
	crm_error_free(err);
	crm_smtp_free(s->smtp);
	crm_webhook_free(s->hook);
	_exit(0);
}

/* Hand lane l job j's message r; for this process, deliver it now. */
static void
lane_give(struct lane *l, const struct campaign *k, struct sender *s,
    struct campaign_msg *r)
{
	struct lane_msg m;

	l->busy = 1;
	if (l->pid == 0) {
		l->o = deliver(s, k, r, &l->text);
		l->ready = 1;
	}
	l->j.a = r->msgid;
	r->msgid = NULL;
	if (l->pid == 0)
		return;
	m.len[0] = text_len(r->msg);
	m.len[1] = text_len(r->email);
	m.len[2] = text_len(l->j.a);
	if (io_full(l->fd, &m, sizeof(m), 1) != 0 ||
	    send_text(l->fd, r->msg, m.len[0]) != 0 ||
	    send_text(l->fd, r->email, m.len[1]) != 0 ||
	    send_text(l->fd, l->j.a, m.len[2]) != 0) {
		/* Never got there: nothing went out. */
		l->o = UNREACHABLE;
		l->text = crm_xstrdup("a connection's process ended");
		l->ready = 1;
	}
}

/* Wait until a busy lane of v (n) has its answer. */
static void
lane_wait(struct lane *v, int n)
{
	struct pollfd pfd[CRM_CAMPAIGN_CONNECTIONS];
	struct lane_reply rep;
	int i, m = 0, map[CRM_CAMPAIGN_CONNECTIONS];

	for (i = 0; i < n; i++) {
		if (v[i].ready)
			return;
		if (v[i].busy) {
			pfd[m].fd = v[i].fd;
			pfd[m].events = POLLIN;
			map[m++] = i;
		}
	}
	if (m == 0)
		return;
	while (poll(pfd, (nfds_t)m, -1) < 0 && errno == EINTR)
		;
	for (i = 0; i < m; i++) {
		struct lane *l = &v[map[i]];

		if (pfd[i].revents == 0)
			continue;
		l->ready = 1;
		if (io_full(l->fd, &rep, sizeof(rep), 0) == 0 &&
		    rep.o >= SENT && rep.o <= SESSION) {
			l->o = (enum outcome)rep.o;
			l->text = read_text(l->fd, rep.len);
			if (l->text == NULL)
				l->text = crm_xstrdup("");
		} else {
			l->o = IN_DOUBT;
			l->text = crm_xstrdup("a connection's process ended "
			    "before the server's reply");
		}
	}
}

/* Start lanes v[0..n): one here, or n processes of their own. */
static struct crm_error *
lanes_start(struct lane *v, int n, const struct campaign *k,
    struct sender *s)
{
	int i, j, p[2];

	memset(v, 0, (size_t)n * sizeof(*v));
	for (i = 0; i < n; i++)
		v[i].fd = -1;
	if (n == 1)
		return k->webhook ? crm_webhook_new(&s->hook_conf, &s->hook) :
		    crm_smtp_new(&s->smtp_conf, &s->smtp);
	fflush(NULL);
	for (i = 0; i < n; i++) {
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, p) !=
		    0 || (v[i].pid = fork()) < 0)
			return crm_error_new(CRM_EXIT_TEMPFAIL, "connection "
			    "%d: %s", i + 1, strerror(errno));
		if (v[i].pid == 0) {
			close(p[0]);
			for (j = 0; j < i; j++)
				close(v[j].fd);
			lane_main(p[1], k, s);
		}
		close(p[1]);
		v[i].fd = p[0];
	}
	return NULL;
}

static void
lanes_stop(struct lane *v, int n, struct sender *s)
{
	int i;

	for (i = 0; i < n; i++) {
		if (v[i].fd >= 0)
			close(v[i].fd);
		if (v[i].pid > 0)
			while (waitpid(v[i].pid, NULL, 0) < 0 &&
			    errno == EINTR)
				;
		free(v[i].text);
		job_clear(&v[i].j);
	}
	crm_smtp_free(s->smtp);
	crm_webhook_free(s->hook);
}

/*
 * The send loop; the run holds the lock.  Each round records what the
 * lanes delivered and claims a row for each idle lane in one
 * transaction, then renders and hands out the messages.
 */
static struct crm_error *
send_all(struct crm_db *db, const struct campaign *k,
    const struct crm_campaign_run *run, struct sender *s,
    struct crm_campaign_tally *t)
{
	struct lane v[CRM_CAMPAIGN_CONNECTIONS];
	struct job done[CRM_CAMPAIGN_CONNECTIONS];
	struct claim c[CRM_CAMPAIGN_CONNECTIONS];
	struct crm_error *err, *e;
	struct timespec start;
	struct campaign_msg r;
	struct loop l;
	size_t ndone = 0, got, i, idle;
	char boot[40];
	long total = 0, given = 0, allow;
	int n = run->connections > 1 ? run->connections : 1, busy, stop = 0;

	memset(&r, 0, sizeof(r));
	memset(&l, 0, sizeof(l));
	l.db = db;
	l.k = k;
	boot_id(boot);
	l.durable = boot[0] == '\0';
	l.synced = -1;
	if ((err = lanes_start(v, n, k, s)) != NULL)
		goto done;
	(void)count_status(db, k->id, "queued", &total);
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		idle = 0;
		for (i = 0; i < (size_t)n; i++)
			idle += !v[i].busy;
		allow = run->max == 0 ? BATCH : run->max - given;
		if (!stop && allow > 0 && idle > 0 && !in_window(run)) {
			t->outside = 1;
			stop = 1;
		}
		if (stop || allow <= 0)
			idle = 0;
		else if ((long)idle > allow)
			idle = (size_t)allow;
		e = mark_and_claim(&l, done, ndone, idle, allow,
		    stop || allow <= 0, c, &got);
		for (i = 0; i < ndone; i++)
			job_clear(&done[i]);
		ndone = 0;
		if (e != NULL) {
			if (err == NULL)
				err = e;
			else
				crm_error_free(e);
			stop = 1;
		}
		for (i = 0; i < got; i++) {
			struct lane *ln = v;

			while (ln->busy)
				ln++;
			job_clear(&ln->j);
			ln->j.c = c[i];
			pace(run->rate, &start, given++);
			if ((e = campaign_render(db, k, c[i].row, c[i].contact,
			    &r)) != NULL) {
				/* This recipient's message cannot be made. */
				done[ndone] = ln->j;
				done[ndone].mark = S_FAILED;
				done[ndone++].b = crm_xstrdup(e->msg);
				memset(&ln->j, 0, sizeof(ln->j));
				crm_error_free(e);
				t->failed++;
				continue;
			}
			lane_give(ln, k, s, &r);
			campaign_rendered_release(&r);
		}
		for (busy = 0, i = 0; i < (size_t)n; i++)
			busy += v[i].busy;
		if (busy == 0 && ndone == 0 && (got == 0 || stop))
			break;
		if (busy > 0)
			lane_wait(v, n);
		for (i = 0; i < (size_t)n; i++) {
			if (!v[i].ready)
				continue;
			done[ndone] = v[i].j;
			memset(&v[i].j, 0, sizeof(v[i].j));
			e = settle(&done[ndone++], v[i].o, v[i].text, t);
			v[i].text = NULL;
			v[i].ready = v[i].busy = 0;
			if (e != NULL) {
				/* Record this one, hand out nothing more. */
				if (err == NULL)
					err = e;
				else
					crm_error_free(e);
				stop = 1;
			}
			if (run->progress != NULL)
				run->progress(t->sent + t->failed, total,
				    run->arg);
		}
	}
	/* What is still reserved goes back; the end is synced to disk. */
	if ((e = mark_and_claim(&l, done, ndone, 0, 0, 1, c, &got)) != NULL) {
		if (err == NULL)
			err = e;
		else
			crm_error_free(e);
	}
	for (i = 0; i < ndone; i++)
		job_clear(&done[i]);
done:
	lanes_stop(v, n, s);
	loop_release(&l);
	return err;
}

/*
 * What runs that died left claimed (this run holds the lock they held):
 * a row tried and not marked may have gone out, and becomes unknown; a
 * row reserved and never tried goes back to the queue, unless the
 * system has restarted since it was reserved, when a try that was not
 * synced to disk may have been lost.  Then this run's boot is recorded.
 */
static struct crm_error *
recover(struct crm_db *db, sqlite3_int64 id, long *unknown)
{
	struct crm_error *err;
	sqlite3_stmt *st = NULL;
	char boot[40];
	int i;
	static const char *const sql[] = {
		"UPDATE campaign_sends SET status = 'queued'"
		" WHERE campaign_id = ?1 AND status = 'claimed'"
		" AND claimed_at IS NULL AND ?2 <> '' AND ?2 = (SELECT"
		" send_boot FROM campaigns WHERE id = ?1)",
		"UPDATE campaign_sends SET status = 'unknown', reason = CASE"
		" WHEN claimed_at IS NULL THEN 'the system restarted while it"
		" was reserved for a run' ELSE 'the run sending it stopped"
		" before the reply was recorded' END"
		" WHERE campaign_id = ?1 AND status = 'claimed'",
		"UPDATE campaigns SET send_boot = NULLIF(?2, '') WHERE id = ?1",
	};

	boot_id(boot);
	if ((err = crm_db_begin(db)) != NULL)
		return err;
	for (i = 0; i < 3 && err == NULL; i++) {
		if ((err = crm_db_prepare(db, sql[i], &st)) != NULL)
			break;
		sqlite3_bind_int64(st, 1, id);
		crm_db_bind_text(st, 2, boot);
		if ((err = crm_db_step_done(db, st)) == NULL && i == 1)
			*unknown = sqlite3_changes(db->sql);
	}
	if (err == NULL)
		return crm_db_commit(db);
	crm_db_rollback(db);
	return err;
}

struct crm_error *
crm_campaign_send(struct crm_db *db, sqlite3_int64 id,
    const struct crm_campaign_run *run, struct crm_campaign_tally *t)
{
	struct sender s;
	struct campaign k;
	struct crm_error *err;
	int fd = -1, taken;
	long n;

	memset(t, 0, sizeof(*t));
	if ((err = campaign_load(db, id, &k)) != NULL)
		goto done;
	if (k.status[0] == 'p' || k.status[0] == 'c') {
		err = crm_error_new(CRM_EXIT_FAIL, "campaign \"%s\" is %s%s",
		    k.name, k.status, k.status[0] == 'p' ?
		    ": resume it to send" : "");
		goto done;
	}
	if (!run->dry_run && !in_window(run)) {
		t->outside = 1;
		goto done;
	}
	if (run->dry_run) {
		err = dry_run(db, &k, run, t);
		goto done;
	}
	/* A server first: without one, the audience is not taken yet. */
	memset(&s, 0, sizeof(s));
	if ((err = k.webhook ? crm_webhook_conf_load(&s.hook_conf) :
	    crm_smtp_conf_load(&s.smtp_conf)) != NULL ||
	    (err = lock_run(db, &k, &fd)) != NULL ||
	    (err = snapshot(db, &k, &taken)) != NULL)
		goto done;
	if ((err = recover(db, id, &t->unknown)) != NULL)
		goto done;
	err = send_all(db, &k, run, &s, t);
	if (count_status(db, id, "queued", &t->remaining) == NULL &&
	    count_status(db, id, "skipped", &n) == NULL)
		t->skipped = n;
	if (err == NULL && t->remaining == 0 && count_status(db, id, "claimed",
	    &n) == NULL && n == 0)
		err = run1(db, "UPDATE campaigns SET status = 'done'"
		    " WHERE id = ?1 AND status = 'sending'", id, NULL);
done:
	if (fd >= 0)
		close(fd);
	campaign_release(&k);
	return err;
}
