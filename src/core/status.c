/* status.c: names for reslab's error codes and the one helper that formats an error message. */
#include "status.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>

const char *status_name(int code)
{
    switch (code) {
    case RESLAB_OK: return "ok";
    case RESLAB_ERR_INVALID: return "invalid argument";
    case RESLAB_ERR_NOMEM: return "out of memory";
    case RESLAB_ERR_TOOBIG: return "size too large";
    case RESLAB_ERR_IO: return "input/output error";
    case RESLAB_ERR_FORMAT: return "bad file format";
    case RESLAB_ERR_CANCELLED: return "cancelled";
    default: return "unknown error";
    }
}

int status_set(char *err, size_t errlen, int code, const char *fmt, ...)
{
    if (err && errlen > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return code;
}

static atomic_int cancel_flag;

void status_cancel(int on) { atomic_store_explicit(&cancel_flag, on != 0, memory_order_relaxed); }

int status_cancelled(void) { return atomic_load_explicit(&cancel_flag, memory_order_relaxed); }
