#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crm_error.h"
#include "crm_util.h"

static char *
vformat(const char *fmt, va_list ap)
{
	struct crm_buf b = CRM_BUF_INIT;

	crm_buf_vaddf(&b, fmt, ap);
	return crm_buf_detach(&b);
}

struct crm_error *
crm_error_new(int code, const char *fmt, ...)
{
	struct crm_error *err = crm_xmalloc(sizeof(*err));
	va_list ap;

	va_start(ap, fmt);
	err->code = code;
	err->msg = vformat(fmt, ap);
	va_end(ap);
	return err;
}

struct crm_error *
crm_error_prefix(struct crm_error *err, const char *fmt, ...)
{
	struct crm_buf b = CRM_BUF_INIT;
	va_list ap;

	if (err == NULL)
		return NULL;
	va_start(ap, fmt);
	crm_buf_vaddf(&b, fmt, ap);
	va_end(ap);
	crm_buf_addf(&b, ": %s", err->msg);
	free(err->msg);
	err->msg = crm_buf_detach(&b);
	return err;
}

void
crm_error_free(struct crm_error *err)
{
	if (err == NULL)
		return;
	free(err->msg);
	free(err);
}
