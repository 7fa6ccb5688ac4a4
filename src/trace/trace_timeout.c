/* The trace "timeout": Go's time.ParseDuration (the syntax and the error
 * texts geth answers for a bad one) and the monotonic clock the traced run
 * checks its deadline against. */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "trace_internal.h"

#define NS_LIMIT (1ULL << 63) /* |a duration| fits int64: at most 2^63 ns (negative) */

/* Appends Go's time.quote of s[0..n) to out (at *at, capacity cap): in
 * double quotes, '"' and '\' escaped, every byte outside printable ASCII
 * (a control byte, or any byte of a multi-byte character) as \xNN. */
static void go_quote(char *out, size_t cap, size_t *at, const char *s, size_t n) {
    char tmp[8];
    for (size_t i = 0; i <= n + 1 && *at + 1 < cap; i++) {
        if (i == 0 || i == n + 1) {
            snprintf(tmp, sizeof tmp, "\"");
        } else {
            unsigned char c = (unsigned char)s[i - 1];
            if (c < 0x20 || c >= 0x80) snprintf(tmp, sizeof tmp, "\\x%02x", c);
            else if (c == '"' || c == '\\') snprintf(tmp, sizeof tmp, "\\%c", c);
            else snprintf(tmp, sizeof tmp, "%c", c);
        }
        size_t len = strlen(tmp);
        if (*at + len >= cap) break;
        memcpy(out + *at, tmp, len + 1);
        *at += len;
    }
}

/* Writes "<what><quoted unit, if any> in duration <quoted s>" or, without
 * a unit, "<what> <quoted s>" into err; returns false. */
static bool duration_error(char *err, size_t errlen, const char *what, const char *unit, size_t unit_len,
                           const char *s) {
    if (!errlen) return false;
    size_t at = (size_t)snprintf(err, errlen, "time: %s ", what);
    if (at >= errlen) return false;
    if (unit) {
        go_quote(err, errlen, &at, unit, unit_len);
        size_t k = (size_t)snprintf(err + at, errlen - at, " in duration ");
        if (at + k >= errlen) return false;
        at += k;
    }
    go_quote(err, errlen, &at, s, strlen(s));
    return false;
}

static bool is_digit(char c) { return c >= '0' && c <= '9'; }

/* The unit's length in nanoseconds, or 0 for an unknown one. */
static uint64_t unit_ns(const char *u, size_t n) {
    static const struct {
        const char *name;
        uint64_t ns;
    } units[] = {
        {"ns", 1}, {"us", 1000}, {"\xc2\xb5s", 1000} /* U+00B5 micro sign */, {"\xce\xbcs", 1000} /* U+03BC mu */,
        {"ms", 1000000}, {"s", 1000000000ULL}, {"m", 60000000000ULL}, {"h", 3600000000000ULL},
    };
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (strlen(units[i].name) == n && !memcmp(units[i].name, u, n)) return units[i].ns;
    return 0;
}

/* [0-9]* at *p as an integer; false when it passes 2^63. */
static bool leading_int(const char **p, uint64_t *out) {
    uint64_t x = 0;
    for (; is_digit(**p); (*p)++) {
        if (x > NS_LIMIT / 10) return false;
        x = x * 10 + (uint64_t)(**p - '0');
        if (x > NS_LIMIT) return false;
    }
    *out = x;
    return true;
}

/* [0-9]* at *p as a fraction x / scale; digits past 63 bits of precision
 * are skipped, not an error. */
static void leading_fraction(const char **p, uint64_t *x, double *scale) {
    bool overflow = false;
    *x = 0;
    *scale = 1;
    for (; is_digit(**p); (*p)++) {
        if (overflow) continue;
        uint64_t y = *x * 10 + (uint64_t)(**p - '0');
        if (*x > (NS_LIMIT - 1) / 10 || y > NS_LIMIT) {
            overflow = true;
            continue;
        }
        *x = y;
        *scale *= 10;
    }
}

bool trace_parse_duration(const char *s, int64_t *out, char *err, size_t errlen) {
    const char *p = s;
    bool neg = false;
    if (*p == '-' || *p == '+') neg = *p++ == '-';
    if (!strcmp(p, "0")) {
        *out = 0;
        return true;
    }
    if (!*p) return duration_error(err, errlen, "invalid duration", NULL, 0, s);
    uint64_t total = 0; /* wraps as Go's uint64 does */
    while (*p) {
        if (*p != '.' && !is_digit(*p)) return duration_error(err, errlen, "invalid duration", NULL, 0, s);
        const char *start = p;
        uint64_t v, f = 0;
        double scale = 1;
        if (!leading_int(&p, &v)) return duration_error(err, errlen, "invalid duration", NULL, 0, s);
        bool pre = p != start, post = false;
        if (*p == '.') {
            start = ++p;
            leading_fraction(&p, &f, &scale);
            post = p != start;
        }
        if (!pre && !post) return duration_error(err, errlen, "invalid duration", NULL, 0, s); /* ".s" */
        const char *unit = p;
        while (*p && *p != '.' && !is_digit(*p)) p++;
        if (p == unit) return duration_error(err, errlen, "missing unit in duration", NULL, 0, s);
        uint64_t ns = unit_ns(unit, (size_t)(p - unit));
        if (!ns) return duration_error(err, errlen, "unknown unit", unit, (size_t)(p - unit), s);
        if (v > NS_LIMIT / ns) return duration_error(err, errlen, "invalid duration", NULL, 0, s);
        v *= ns;
        if (f > 0) {
            /* in double, as Go: nanosecond accurate for fractions of an hour */
            v += (uint64_t)((double)f * ((double)ns / scale));
            if (v > NS_LIMIT) return duration_error(err, errlen, "invalid duration", NULL, 0, s);
        }
        total += v;
        if (total > NS_LIMIT) return duration_error(err, errlen, "invalid duration", NULL, 0, s);
    }
    if (neg) {
        *out = total == NS_LIMIT ? INT64_MIN : -(int64_t)total;
        return true;
    }
    if (total > NS_LIMIT - 1) return duration_error(err, errlen, "invalid duration", NULL, 0, s);
    *out = (int64_t)total;
    return true;
}

int64_t trace_clock_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}
