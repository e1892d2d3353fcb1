/*
 * Campaigns, the sending: the run lock, the snapshot of the audience into
 * the send log, the claim-send-mark loop that sends each recipient at most
 * once, and the dry run.  Rendering is in campaign_render.c.
 *
 * At most once: a row is claimed (status claimed, committed) before its
 * SMTP transaction and marked sent with the server's reply in the
 * transaction that claims the next row.  A run dies between the two only
 * while that one message is in flight, so at most that one row is left
 * claimed; the next run, which holds the lock the dead one held, makes
 * it unknown instead of sending it again.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
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

/* One queued row. */
struct claim {
	sqlite3_int64	 row;
	sqlite3_int64	 contact;
};

/*
 * In one transaction: record what became of the last row (mark, may be
 * NULL), then claim the next queued row due now into *c (row 0 when
 * none is left).
 */
static struct crm_error *
mark_and_claim(struct crm_db *db, const struct campaign *k,
    const char *mark_sql, sqlite3_int64 mark_row, const char *a,
    const char *b, int claim, struct claim *c)
{
	char now[CRM_TIME_LEN];
	struct crm_error *err;
	sqlite3_stmt *st;
	int rc;

	c->row = c->contact = 0;
	crm_time_now(now);
	if ((err = crm_db_begin(db)) != NULL)
		return err;
	if (mark_sql != NULL) {
		if ((err = crm_db_prepare(db, mark_sql, &st)) != NULL)
			goto fail;
		sqlite3_bind_int64(st, 1, mark_row);
		crm_db_bind_text(st, 2, now);
		crm_db_bind_text(st, 3, a);
		crm_db_bind_text(st, 4, b);
		if ((err = crm_db_step_done(db, st)) != NULL)
			goto fail;
	}
	if (claim) {
		if ((err = crm_db_prepare(db, "SELECT id, contact_id"
		    " FROM campaign_sends WHERE campaign_id = ?1"
		    " AND status = 'queued' AND (next_at IS NULL OR"
		    " next_at <= ?2) ORDER BY id LIMIT 1", &st)) != NULL)
			goto fail;
		sqlite3_bind_int64(st, 1, k->id);
		crm_db_bind_text(st, 2, now);
		if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			c->row = sqlite3_column_int64(st, 0);
			c->contact = sqlite3_column_int64(st, 1);
		} else if (rc != SQLITE_DONE)
			err = crm_db_error(db, rc);
		sqlite3_finalize(st);
		if (err != NULL)
			goto fail;
		if (c->row != 0) {
			if ((err = crm_db_prepare(db, "UPDATE campaign_sends"
			    " SET status = 'claimed', claimed_at = ?2,"
			    " attempts = attempts + 1 WHERE id = ?1",
			    &st)) != NULL)
				goto fail;
			sqlite3_bind_int64(st, 1, c->row);
			crm_db_bind_text(st, 2, now);
			if ((err = crm_db_step_done(db, st)) != NULL)
				goto fail;
		}
	}
	if ((err = crm_db_commit(db)) == NULL)
		return NULL;
fail:
	crm_db_rollback(db);
	return err;
}

#define MARK_SENT "UPDATE campaign_sends SET status = 'sent', sent_at = ?2," \
	" message_id = ?3, reply = ?4, reason = NULL, next_at = NULL" \
	" WHERE id = ?1"
#define MARK_FAILED "UPDATE campaign_sends SET status = 'failed'," \
	" reason = ?4, message_id = ?3 WHERE id = ?1 AND ?2 IS NOT NULL"
#define MARK_UNKNOWN "UPDATE campaign_sends SET status = 'unknown'," \
	" reason = ?4, message_id = ?3 WHERE id = ?1 AND ?2 IS NOT NULL"
/* Again later: a minute, doubling with each attempt, at most a day. */
#define MARK_LATER "UPDATE campaign_sends SET status = 'queued'," \
	" reason = ?4, next_at = strftime('%Y-%m-%dT%H:%M:%SZ', ?2," \
	" '+' || min(86400, 60 << min(attempts - 1, 11)) || ' seconds')," \
	" message_id = ?3 WHERE id = ?1"
/* Not tried after all: the run stopped before it. */
#define MARK_UNCLAIM "UPDATE campaign_sends SET status = 'queued'," \
	" attempts = attempts - 1 WHERE id = ?1 AND ?2 IS NOT NULL" \
	" AND ?3 IS NULL AND ?4 IS NULL"

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

/* The send loop; the run holds the lock. */
static struct crm_error *
send_all(struct crm_db *db, const struct campaign *k,
    const struct crm_campaign_run *run, struct sender *s,
    struct crm_campaign_tally *t)
{
	struct crm_error *err;
	struct timespec start;
	struct campaign_msg r;
	struct claim c;
	enum outcome o;
	const char *mark = NULL, *a = NULL, *b = NULL;
	sqlite3_int64 row = 0;
	char *msg_a = NULL, *msg_b = NULL;
	long total = 0;

	memset(&r, 0, sizeof(r));
	if ((err = k->webhook ? crm_webhook_new(&s->hook_conf, &s->hook) :
	    crm_smtp_new(&s->smtp_conf, &s->smtp)) != NULL)
		return err;
	(void)count_status(db, k->id, "queued", &total);
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		int more = run->max == 0 || t->sent + t->failed +
		    t->deferred < run->max;

		if (more && !in_window(run)) {
			t->outside = 1;
			more = 0;
		}

		err = mark_and_claim(db, k, mark, row, a, b, more, &c);
		free(msg_a);
		free(msg_b);
		msg_a = msg_b = NULL;
		mark = a = b = NULL;
		if (err != NULL || c.row == 0)
			break;
		row = c.row;
		pace(run->rate, &start, t->sent + t->failed + t->deferred);
		if ((err = campaign_render(db, k, row, c.contact, &r)) != NULL) {
			/* This recipient's message cannot be made. */
			mark = MARK_FAILED;
			a = NULL;
			b = msg_b = crm_xstrdup(err->msg);
			crm_error_free(err);
			err = NULL;
			t->failed++;
			continue;
		}
		o = deliver(s, k, &r, &msg_b);
		msg_a = r.msgid;
		r.msgid = NULL;
		a = msg_a;
		b = msg_b;
		switch (o) {
		case SENT:
			mark = MARK_SENT;
			t->sent++;
			break;
		case LATER:
			mark = MARK_LATER;
			t->deferred++;
			break;
		case FAILED:
			mark = MARK_FAILED;
			t->failed++;
			break;
		case IN_DOUBT:
			/* The server may have it: never again unasked. */
			mark = MARK_UNKNOWN;
			t->unknown++;
			err = crm_error_new(CRM_EXIT_TEMPFAIL, "%s", msg_b);
			break;
		case UNREACHABLE:
		case SESSION:
			/* Not delivered: the server is out of reach, or
			 * will take nothing from this session. */
			mark = MARK_UNCLAIM;
			a = b = NULL;
			err = crm_error_new(o == SESSION ? CRM_EXIT_FAIL :
			    CRM_EXIT_TEMPFAIL, "%s", msg_b);
			break;
		}
		campaign_rendered_release(&r);
		if (run->progress != NULL)
			run->progress(t->sent + t->failed, total, run->arg);
		if (err != NULL) {
			/* Record this one, claim nothing more, stop. */
			struct crm_error *e2 = mark_and_claim(db, k, mark, row,
			    a, b, 0, &c);

			if (e2 != NULL) {
				crm_error_free(err);
				err = e2;
			}
			break;
		}
	}
	free(msg_a);
	free(msg_b);
	campaign_rendered_release(&r);
	crm_smtp_free(s->smtp);
	crm_webhook_free(s->hook);
	return err;
}

/* What a worker sends back through its pipe: its tally and its error. */
struct report {
	struct crm_campaign_tally t;
	int	 code;			/* 0: none */
	char	 msg[512];
};

/* A worker: its own database connection and session, its share. */
static void
worker(const char *path, const struct campaign *k,
    const struct crm_campaign_run *run, int n, int i, struct sender *s,
    int fd)
{
	struct crm_campaign_run r = *run;
	struct crm_db *db = NULL;
	struct crm_error *err;
	struct report rep;
	ssize_t w;

	memset(&rep, 0, sizeof(rep));
	r.progress = NULL;
	r.rate = run->rate / n;
	if (run->max > 0)
		r.max = run->max / n + (i < run->max % n);
	if (run->max > 0 && r.max == 0)
		err = NULL;
	else if ((err = crm_db_open(path, CRM_DB_WRITE, &db)) == NULL)
		err = send_all(db, k, &r, s, &rep.t);
	if (err != NULL) {
		rep.code = err->code;
		snprintf(rep.msg, sizeof(rep.msg), "%s", err->msg);
		crm_error_free(err);
	}
	/* Its own connection only: the parent's is the parent's. */
	crm_db_close(db);
	w = write(fd, &rep, sizeof(rep));
	_exit(w == (ssize_t)sizeof(rep) ? 0 : 1);
}

/*
 * Several connections at once: one process each, claiming rows from the
 * same send log (a claim is a transaction, so none is claimed twice),
 * while this one holds the run lock and waits for them all.
 */
static struct crm_error *
send_workers(struct crm_db *db, const struct campaign *k,
    const struct crm_campaign_run *run, struct sender *s,
    struct crm_campaign_tally *t)
{
	struct crm_error *err = NULL;
	struct report rep;
	pid_t pid[CRM_CAMPAIGN_CONNECTIONS];
	int fd[CRM_CAMPAIGN_CONNECTIONS], p[2], i, n = run->connections;
	ssize_t got;

	fflush(NULL);
	for (i = 0; i < n; i++) {
		pid[i] = -1;
		fd[i] = -1;
		if (pipe(p) != 0 || (pid[i] = fork()) < 0) {
			err = crm_error_new(CRM_EXIT_TEMPFAIL, "connection %d: "
			    "%s", i + 1, strerror(errno));
			break;
		}
		if (pid[i] == 0) {
			close(p[0]);
			worker(db->path, k, run, n, i, s, p[1]);
		}
		close(p[1]);
		fd[i] = p[0];
	}
	for (i = 0; i < n; i++) {
		if (fd[i] < 0)
			continue;
		got = read(fd[i], &rep, sizeof(rep));
		close(fd[i]);
		while (waitpid(pid[i], NULL, 0) < 0 && errno == EINTR)
			;
		if (got != (ssize_t)sizeof(rep)) {
			if (err == NULL)
				err = crm_error_new(CRM_EXIT_TEMPFAIL, "connection "
				    "%d ended without a report", i + 1);
			continue;
		}
		t->sent += rep.t.sent;
		t->failed += rep.t.failed;
		t->deferred += rep.t.deferred;
		t->unknown += rep.t.unknown;
		t->outside |= rep.t.outside;
		if (rep.code != 0 && err == NULL)
			err = crm_error_new(rep.code, "%s", rep.msg);
	}
	if (run->progress != NULL)
		run->progress(t->sent + t->failed, t->sent + t->failed,
		    run->arg);
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
	/* Held by a run that died in the middle of that message. */
	if ((err = run1(db, "UPDATE campaign_sends SET status = 'unknown',"
	    " reason = 'the run sending it stopped before the reply was"
	    " recorded' WHERE campaign_id = ?1 AND status = 'claimed'", id,
	    &t->unknown)) != NULL)
		goto done;
	if (run->connections > 1)
		err = send_workers(db, &k, run, &s, t);
	else
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
