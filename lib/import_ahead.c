/*
 * Contact import reads ahead: a second thread reads, checks and
 * normalises the rows (and, in bulk, tries their keys on the Bloom
 * filter) while the importer writes the ones before into the database.
 * Half the work of a load is in the rows and half in SQLite, so on two
 * cores the load takes little more than SQLite's half.
 *
 * Rows travel as copies, a chunk of them at a time, through a ring of
 * AHEAD_CHUNKS chunks: the reader fills the chunk after the one the
 * importer reads, and waits when none is free.  The reader owns the
 * imp_reader, the normaliser, the mapping and the Bloom filter while it
 * runs; the importer touches none of them until imp_ahead_stop().  A
 * thread that cannot be started leaves the same work done in the
 * importer's own thread, a chunk at a time.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "crm_import.h"

#define AHEAD_CHUNKS	3
#define AHEAD_ROWS	512		/* rows in a chunk at most */
#define AHEAD_BYTES	(256 * 1024)	/* their copies, unless one is bigger */

struct chunk {
	struct imp_item	 item[AHEAD_ROWS];
	size_t		 n, next;	/* filled, handed out */
	char		*arena;
	size_t		 len, cap;
	off_t		 bytes;		/* input read when it was filled */
	int		 last;		/* no rows after it */
};

struct imp_ahead {
	struct imp	*im;
	struct chunk	 c[AHEAD_CHUNKS];
	pthread_t	 thread;
	int		 threaded;
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv;
	size_t		 filled;	/* chunks filled so far */
	size_t		 taken;		/* chunks the importer has finished */
	int		 holding;	/* the importer reads chunk taken */
	atomic_int	 stop;		/* the importer needs no more */
	/* A row read but not yet copied: the next chunk begins with it. */
	int		 rc;
	struct imp_row	 row;
	struct imp_vals	 v;
	struct crm_error *err;
	int		 pending;
	int		 ended;		/* the reader has nothing more */
};

/* The bytes a row's copies take in a chunk. */
static size_t
need(const struct imp_ahead *a)
{
	const struct imp_vals *v = &a->v;
	const char *t;
	size_t n = a->row.rawlen + 1, i;

	if (a->rc != 1)
		return n;
	for (i = 0; i < T_COUNT; i++)
		if (v->v[i] != NULL)
			n += strlen(v->v[i]) + 1;
	if (v->custom != NULL)
		n += strlen(v->custom) + 1;
	for (i = 0, t = v->tags; i < v->ntags; i++)
		t += strlen(t) + 1;
	return n + (size_t)(t - v->tags);
}

static const char *
put(struct chunk *c, const char *s, size_t n)
{
	char *p = c->arena + c->len;

	memcpy(p, s, n);
	c->len += n;
	return p;
}

static const char *
put_str(struct chunk *c, const char *s)
{
	return s != NULL ? put(c, s, strlen(s) + 1) : NULL;
}

/* The pending row into c, whose arena has room for it. */
static void
copy_row(struct imp_ahead *a, struct chunk *c)
{
	struct imp_item *it = &c->item[c->n++];
	const struct imp_vals *v = &a->v;
	const char *t;
	size_t i;

	memset(it, 0, sizeof(*it));
	it->rc = a->rc;
	it->line = a->row.line;
	it->err = a->err;
	it->rawlen = a->row.rawlen;
	it->raw = put(c, a->row.raw != NULL ? a->row.raw : "", it->rawlen);
	c->arena[c->len++] = '\0';
	a->err = NULL;
	a->pending = 0;
	if (a->rc != 1)
		return;
	for (i = 0; i < T_COUNT; i++)
		it->v.v[i] = put_str(c, v->v[i]);
	it->v.custom = put_str(c, v->custom);
	for (i = 0, t = v->tags; i < v->ntags; i++)
		t += strlen(t) + 1;
	it->v.tags = v->ntags > 0 ? put(c, v->tags, (size_t)(t - v->tags)) :
	    NULL;
	it->v.ntags = v->ntags;
	it->v.unsub = v->unsub;
	it->v.company = v->company;
	if (a->im->bulk) {
		it->sus_email = v->v[T_EMAIL] != NULL &&
		    crm_bloom_seen(&a->im->bloom, v->v[T_EMAIL], 1,
		    1);
		it->sus_ext = v->v[T_EXT] != NULL &&
		    crm_bloom_seen(&a->im->bloom, v->v[T_EXT], 0, 2);
	}
}

/* The next row, read and normalised, made pending; 0 at the end. */
static int
read_row(struct imp_ahead *a)
{
	struct imp *im = a->im;
	struct crm_error *err;

	if (a->pending)
		return 1;
	if (a->ended)
		return 0;
	a->rc = imp_reader_next(im->rd, &a->row, &a->err);
	if (a->rc == 0 || a->rc == -2)
		a->ended = 1;
	if (a->rc == 0)
		return 0;
	if (a->rc == 1 && (err = imp_normalise(im->nm, im->map, im->cols,
	    &a->row, &a->v)) != NULL) {
		a->rc = -1;
		a->err = crm_error_prefix(err, "line %ld", a->row.line);
	}
	a->pending = 1;
	return 1;
}

/* Fill c with the rows that come next. */
static void
fill(struct imp_ahead *a, struct chunk *c)
{
	size_t n;

	c->n = c->next = c->len = 0;
	c->last = 0;
	while (c->n < AHEAD_ROWS &&
	    !atomic_load_explicit(&a->stop, memory_order_relaxed)) {
		if (!read_row(a)) {
			c->last = 1;
			break;
		}
		n = need(a);
		if (c->len + n > c->cap) {
			if (c->n > 0)
				break;
			c->cap = n > AHEAD_BYTES ? n : AHEAD_BYTES;
			free(c->arena);
			c->arena = crm_xmalloc(c->cap);
		}
		copy_row(a, c);
		if (c->item[c->n - 1].rc == -2) {
			c->last = 1;
			break;
		}
	}
	c->bytes = imp_reader_bytes(a->im->rd);
}

static void *
reader(void *arg)
{
	struct imp_ahead *a = arg;
	struct chunk *c;
	size_t i;
	int last = 0;

	for (i = 0; !last; i++) {
		pthread_mutex_lock(&a->mu);
		while (!a->stop && i - a->taken >= AHEAD_CHUNKS)
			pthread_cond_wait(&a->cv, &a->mu);
		pthread_mutex_unlock(&a->mu);
		if (a->stop)
			break;
		c = &a->c[i % AHEAD_CHUNKS];
		fill(a, c);
		last = c->last;
		pthread_mutex_lock(&a->mu);
		a->filled = i + 1;
		pthread_cond_broadcast(&a->cv);
		pthread_mutex_unlock(&a->mu);
	}
	return NULL;
}

struct imp_ahead *
imp_ahead_start(struct imp *im, int rc, const struct imp_row *row,
    struct crm_error *err)
{
	struct imp_ahead *a = crm_xcalloc(1, sizeof(*a));

	a->im = im;
	a->rc = rc;
	a->err = err;
	if (rc != 0) {
		a->row = *row;
		a->pending = 1;
		if (rc == 1 && (err = imp_normalise(im->nm, im->map, im->cols,
		    row, &a->v)) != NULL) {
			a->rc = -1;
			a->err = crm_error_prefix(err, "line %ld", row->line);
		}
	}
	a->ended = rc == 0 || rc == -2;
	pthread_mutex_init(&a->mu, NULL);
	pthread_cond_init(&a->cv, NULL);
	a->threaded = pthread_create(&a->thread, NULL, reader, a) == 0;
	return a;
}

struct imp_item *
imp_ahead_next(struct imp_ahead *a)
{
	struct chunk *c;

	for (;;) {
		c = &a->c[a->taken % AHEAD_CHUNKS];
		if (a->holding) {
			if (c->next < c->n)
				return &c->item[c->next++];
			if (c->last)
				return NULL;
			pthread_mutex_lock(&a->mu);
			a->taken++;
			pthread_cond_broadcast(&a->cv);
			pthread_mutex_unlock(&a->mu);
			a->holding = 0;
			continue;
		}
		if (!a->threaded) {
			fill(a, c);
			a->filled++;
		}
		pthread_mutex_lock(&a->mu);
		while (a->filled == a->taken)
			pthread_cond_wait(&a->cv, &a->mu);
		pthread_mutex_unlock(&a->mu);
		a->holding = 1;
	}
}

off_t
imp_ahead_bytes(const struct imp_ahead *a)
{
	return a->c[a->taken % AHEAD_CHUNKS].bytes;
}

void
imp_ahead_stop(struct imp_ahead *a)
{
	struct chunk *c;
	size_t i, j;

	if (a == NULL)
		return;
	pthread_mutex_lock(&a->mu);
	a->stop = 1;
	pthread_cond_broadcast(&a->cv);
	pthread_mutex_unlock(&a->mu);
	if (a->threaded)
		pthread_join(a->thread, NULL);
	for (i = a->taken; i < a->filled; i++) {
		c = &a->c[i % AHEAD_CHUNKS];
		for (j = c->next; j < c->n; j++)
			crm_error_free(c->item[j].err);
	}
	for (i = 0; i < AHEAD_CHUNKS; i++)
		free(a->c[i].arena);
	crm_error_free(a->err);
	pthread_mutex_destroy(&a->mu);
	pthread_cond_destroy(&a->cv);
	free(a);
}
