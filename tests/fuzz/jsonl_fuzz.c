/*
 * JSON Lines input: crm_reader (lib/stream.c, lib/jsonl.c, as JSONL and
 * as sniffed), the references reader (lib/refs.c) and the import reader
 * with the mapping and value checks of import (lib/import_*.c).  The
 * first byte says whether the rest, the file, is repeated past the
 * buffers.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crm_import.h"
#include "crm_stream.h"
#include "stretch.h"

static void
plain(const uint8_t *data, size_t size, enum crm_input kind)
{
	struct crm_error *err = NULL;
	struct crm_reader *r;
	cJSON *rec;
	FILE *fp;
	int rc;

	if ((fp = fmemopen((void *)data, size, "r")) == NULL)
		return;
	r = crm_reader_new(fp, "fuzz", kind);
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
refs(const uint8_t *data, size_t size)
{
	static const char *const keys[] = { "contact_id", "id", NULL };
	struct crm_error *err = NULL;
	struct crm_refs *r;
	char *ref;
	FILE *fp;
	int rc;

	if ((fp = fmemopen((void *)data, size, "r")) == NULL)
		return;
	r = crm_refs_new(fp, "fuzz", keys);
	while ((rc = crm_refs_next(r, &ref, &err)) != 0) {
		if (rc > 0)
			free(ref);
		crm_error_free(err);
		err = NULL;
	}
	crm_refs_free(r);
	fclose(fp);
}

static void
import(const uint8_t *data, size_t size)
{
	struct crm_import_opts o = { 0 };
	struct crm_error *err = NULL;
	struct imp_reader *r;
	struct imp_map *m;
	struct imp_norm *nm;
	struct imp_row row;
	struct imp_vals v;
	FILE *fp;
	int rc;

	if ((fp = fmemopen((void *)data, size, "r")) == NULL)
		return;
	o.name = "fuzz";
	o.input = CRM_IN_JSONL;
	m = imp_map_new(NULL, 0, &err);
	nm = imp_norm_new();
	r = imp_reader_new(fp, &o);
	while ((rc = imp_reader_next(r, &row, &err)) != 0 && rc != -2) {
		if (rc > 0) {
			imp_map_keys_seen(m, row.key, row.n);
			err = imp_normalise(nm, m, NULL, &row, &v);
		}
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
	plain(p, n, CRM_IN_JSONL);
	plain(p, n, CRM_IN_AUTO);
	refs(p, n);
	import(p, n);
	free(big);
	return 0;
}
