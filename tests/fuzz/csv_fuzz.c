/*
 * CSV input: crm_reader (lib/stream.c) and the import reader
 * (lib/import_read.c) with the column mapping and the value checks of
 * import (lib/import_map.c, lib/import_row.c).  The first byte picks the
 * delimiter and the character set of the import reader, and whether the
 * rest, the file, is repeated past the buffers.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crm_import.h"
#include "crm_stream.h"
#include "stretch.h"

static void
plain(const uint8_t *data, size_t size)
{
	struct crm_error *err = NULL;
	struct crm_reader *r;
	cJSON *rec;
	FILE *fp;
	int rc;

	if ((fp = fmemopen((void *)data, size, "r")) == NULL)
		return;
	r = crm_reader_new(fp, "fuzz", CRM_IN_CSV);
	while ((rc = crm_reader_next(r, &rec, &err)) != 0) {
		if (rc > 0)
			cJSON_Delete(rec);
		crm_error_free(err);
		err = NULL;
	}
	crm_reader_free(r);
	fclose(fp);
}

static void
import(const uint8_t *data, size_t size, int how)
{
	static const int delims[] = { ',', ';', '\t', '|' };
	struct crm_import_opts o = { 0 };
	struct crm_error *err = NULL;
	const struct imp_col *cols = NULL;
	const char *const *names;
	struct imp_reader *r;
	struct imp_map *m;
	struct imp_norm *nm;
	struct imp_row row;
	struct imp_vals v;
	size_t n;
	FILE *fp;
	int rc;

	if ((fp = fmemopen((void *)data, size, "r")) == NULL)
		return;
	o.name = "fuzz";
	o.input = CRM_IN_CSV;
	o.delimiter = delims[how & 3];
	o.charset = (enum crm_charset)((how >> 2) % 3);
	m = imp_map_new(NULL, how & 0x40, &err);
	nm = imp_norm_new();
	r = imp_reader_new(fp, &o);
	while ((rc = imp_reader_next(r, &row, &err)) != 0 && rc != -2) {
		if (rc > 0 && cols == NULL) {
			names = imp_reader_header(r, &n);
			if ((err = imp_map_header(m, names, n, &cols)) != NULL)
				break;
		}
		if (rc > 0)
			err = imp_normalise(nm, m, cols, &row, &v);
		crm_error_free(err);
		err = NULL;
	}
	crm_error_free(err);
	imp_reader_free(r);
	imp_norm_free(nm);
	imp_map_free(m);
	fclose(fp);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *big = NULL;
	size_t n = size - 1;
	const uint8_t *p = data + 1;

	if (size < 2)
		return 0;
	if ((data[0] & 0xf0) == 0xf0)	/* 1 in 16: slow */
		n = stretch(p, n, &big), p = big;
	plain(p, n);
	import(p, n, data[0]);
	free(big);
	return 0;
}
