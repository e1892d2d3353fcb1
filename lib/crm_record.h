/*
 * Record output: a record is a cJSON object; a writer prints a stream of
 * them as jsonl, json, csv, tsv or table (crm(7), FORMATS).
 *
 * - jsonl: one compact object a line.  json: one array, pretty enough to
 *   read, "[]" for no records.
 * - csv: RFC 4180 with a header line, CRLF-free ("\n" line ends, fields
 *   quoted when they hold a comma, quote, CR or LF).  tsv: a header line,
 *   tab-separated, with \t, \n, \r and \\ escaped.
 * - table: columns aligned by display width (CJK wide, combining marks
 *   zero), fitted to the terminal width by shortening the widest columns
 *   with "…"; rows are buffered until crm_out_finish().
 * - Flattening for csv/tsv/table, and for --fields in every format:
 *   nested objects become "parent.key" columns, arrays are joined with ";",
 *   null is empty, true/false print as "true"/"false", integral numbers
 *   print without a fraction.
 */
#ifndef CRM_RECORD_H
#define CRM_RECORD_H

#include <stdio.h>

#include <cjson/cJSON.h>

#include "crm_error.h"

enum crm_format {
	CRM_FMT_JSONL,
	CRM_FMT_JSON,
	CRM_FMT_CSV,
	CRM_FMT_TSV,
	CRM_FMT_TABLE
};

/*
 * The format named by name ("jsonl", "json", "csv", "tsv", "table"); when
 * name is NULL the default: CRM_FORMAT if set, else table when fp is a
 * terminal, else jsonl.  A bad name is a CRM_EXIT_USAGE error that lists
 * the formats.
 */
struct crm_error *crm_format_parse(const char *name, FILE *fp,
	    enum crm_format *fmt);

struct crm_out;

/*
 * A writer on fp.  fields is the --fields text ("a,b,fields.x") or NULL.
 * known is the NULL-terminated list of the entity's field names: a field
 * in --fields that is neither known nor under "fields." is a
 * CRM_EXIT_USAGE error naming it, with a suggestion.  columns is the
 * NULL-terminated list of columns for csv/tsv when --fields is not given
 * (NULL: the first record's flattened keys); table_columns the same for
 * table (NULL: as columns).  The lists are borrowed for the life of the
 * writer.  Free with crm_out_free().
 */
struct crm_error *crm_out_new(FILE *fp, enum crm_format fmt,
	    const char *fields, const char *const *known,
	    const char *const *columns, const char *const *table_columns,
	    struct crm_out **out);

/*
 * Write one record (borrowed).  A write error is returned; a closed pipe
 * (EPIPE) is not an error: the writer goes quiet and crm_out_closed()
 * turns true so that the caller may stop producing.
 */
struct crm_error *crm_out_write(struct crm_out *out, const cJSON *rec);
/* End the stream (json's "]", the whole table), flush and check fp. */
struct crm_error *crm_out_finish(struct crm_out *out);
int	 crm_out_closed(const struct crm_out *out);
void	 crm_out_free(struct crm_out *out);

/* The terminal width for table output: COLUMNS, else the tty's, else 0. */
int	 crm_term_width(FILE *fp);

#endif
