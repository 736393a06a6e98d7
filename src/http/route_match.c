/*
 * The router's path matcher (route_match.h). It reads the request path, which is untrusted, once
 * and never past its NUL; captures are bounded by the caller's rows.
 */
#include "http/route_match.h"

#include <string.h>

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

bool route_match(const char *template, const char *path,
                 char params[HTTP_PARAMS_MAX][HTTP_PARAM_MAX])
{
    int n_params = 0;
    const char *t = template, *p = path;
    while (*t && *p) {
        if (*t == '{') {
            const char *t_end = strchr(t, '}');
            size_t n = 0;
            char *out = params[n_params];
            while (*p && *p != '/') {
                char c = *p++;
                /* hex_value('\0') is -1, so a '%' at the end reads nothing past the NUL */
                if (c == '%' && hex_value(p[0]) >= 0 && hex_value(p[1]) >= 0) {
                    c = (char)(hex_value(p[0]) * 16 + hex_value(p[1]));
                    p += 2;
                }
                if (n + 1 >= HTTP_PARAM_MAX || c == '\0')
                    return false;
                out[n++] = c;
            }
            out[n] = '\0';
            /* a template of HTTP_PARAMS_MAX captures or more never matches (route_match.h) */
            if (n == 0 || n_params == HTTP_PARAMS_MAX - 1)
                return false;
            n_params++;
            t = t_end + 1;
            continue;
        }
        if (*t != *p)
            return false;
        t++;
        p++;
    }
    return *t == '\0' && *p == '\0';
}
