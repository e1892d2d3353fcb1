/*
 * Internal to lib/record.c and lib/table.c: the writer's state, and the
 * table format, which buffers its cells until it knows every width.
 */
#ifndef CRM_RECORD_INT_H
#define CRM_RECORD_INT_H

#include <stdio.h>

#include "crm_error.h"
#include "crm_record.h"
#include "crm_util.h"

struct cell {
	char	*s;
	size_t	 w;		/* display width */
	int	 num;		/* a number: aligned right */
};

struct crm_out {
	FILE	*fp;
	enum crm_format fmt;
	struct crm_strv fields;	/* --fields as given */
	int	 have_fields;
	struct crm_strv cols;	/* csv, tsv, table: the columns */
	int	 have_cols;
	long	 n;		/* records written */
	int	 closed;	/* the reader went away: write nothing */
	int	 finished;
	struct cell *cells;	/* table: n rows of cols.n cells */
	size_t	 ncells, alloc;
};

/* Write s[0..n) to o->fp; a reader gone away sets o->closed. */
struct crm_error *record_emit(struct crm_out *o, const char *s, size_t n);
/* Buffer one table cell (copied); num aligns it right. */
void	 record_table_add(struct crm_out *o, const char *s, int num);
/* Write the buffered table: the header, then every row. */
struct crm_error *record_table_finish(struct crm_out *o);

#endif
