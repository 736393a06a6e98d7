/*
 * Checks of the CLV functions' input: each customer's summary, each model's parameters, horizons;
 * a bad one is FID_ERR_INPUT naming its field ("/customers/12/recency", "/model/r").
 */
#include "analytics/clv_internal.h"

#include <float.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/xalloc.h"

/* Longest field name this module writes into a fid_error ("/customers/<index>/mean_value"). */
#define CLV_FIELD_MAX 64

static void customer_field(char *field, size_t size, size_t index, bool in_list, const char *name)
{
    if (in_list)
        snprintf(field, size, "/customers/%zu/%s", index, name);
    else
        snprintf(field, size, "/customer/%s", name);
}

/* A summary the models accept; with needs_value, also a mean value >= 0 when x >= 1 (0 when the
 * repeat purchases were free or refunded: the spend fit leaves such customers out). */
enum fid_status clv_customer_check(const struct clv_customer *c, size_t index, bool in_list,
                                   bool needs_value, struct fid_error *err)
{
    char field[CLV_FIELD_MAX];
    if (!isfinite(c->repeats) || c->repeats < 0.0 || c->repeats != floor(c->repeats)) {
        customer_field(field, sizeof field, index, in_list, "repeats");
        return fid_fail(err, FID_ERR_INPUT, field,
                        "repeat purchases must be a whole number >= 0, got %g", c->repeats);
    }
    if (!isfinite(c->age) || c->age < 0.0) {
        customer_field(field, sizeof field, index, in_list, "age");
        return fid_fail(err, FID_ERR_INPUT, field, "age must be >= 0 weeks, got %g", c->age);
    }
    if (!isfinite(c->recency) || c->recency < 0.0 || c->recency > c->age) {
        customer_field(field, sizeof field, index, in_list, "recency");
        return fid_fail(err, FID_ERR_INPUT, field,
                        "recency must be between 0 and the age (%g weeks), got %g", c->age,
                        c->recency);
    }
    if (needs_value && c->repeats >= 1.0 && !(isfinite(c->mean_value) && c->mean_value >= 0.0)) {
        customer_field(field, sizeof field, index, in_list, "mean_value");
        return fid_fail(err, FID_ERR_INPUT, field,
                        "the mean value of repeat purchases must be >= 0, got %g", c->mean_value);
    }
    return FID_OK;
}

enum fid_status clv_customers_check(const struct clv_customer *customers, size_t n,
                                    bool needs_value, struct fid_error *err)
{
    if (customers == NULL || n == 0)
        return fid_fail(err, FID_ERR_INPUT, "/customers", "no customers");
    if (n > CLV_CUSTOMERS_MAX)
        return fid_fail(err, FID_ERR_LIMIT, "/customers", "%zu customers, at most %u", n,
                        CLV_CUSTOMERS_MAX);
    for (size_t i = 0; i < n; i++) {
        enum fid_status st = clv_customer_check(&customers[i], i, true, needs_value, err);
        if (st != FID_OK)
            return st;
    }
    return FID_OK;
}

static enum fid_status parameter_check(double value, const char *field, struct fid_error *err)
{
    if (!(isfinite(value) && value > 0.0))
        return fid_fail(err, FID_ERR_INPUT, field, "model parameters must be > 0, got %g", value);
    return FID_OK;
}

/* The rate's parameters: r and alpha for Gamma rates, lambda for a fixed one. */
static enum fid_status bgnbd_rate_check(const struct clv_bgnbd *m, struct fid_error *err)
{
    switch (m->rate) {
    case CLV_RATE_GAMMA: {
        enum fid_status st = parameter_check(m->r, "/model/r", err);
        return st == FID_OK ? parameter_check(m->alpha, "/model/alpha", err) : st;
    }
    case CLV_RATE_FIXED:
        return parameter_check(m->lambda, "/model/lambda", err);
    }
    return fid_fail(err, FID_ERR_INPUT, "/model/rate", "unknown purchase-rate model %d",
                    (int)m->rate);
}

/* The dropout's parameters: a and b for a Beta dropout, 0 < p < 1 for a fixed one. */
static enum fid_status bgnbd_dropout_check(const struct clv_bgnbd *m, struct fid_error *err)
{
    switch (m->dropout) {
    case CLV_DROPOUT_BETA: {
        enum fid_status st = parameter_check(m->a, "/model/a", err);
        return st == FID_OK ? parameter_check(m->b, "/model/b", err) : st;
    }
    case CLV_DROPOUT_NONE:
        return FID_OK;
    case CLV_DROPOUT_FIXED:
        if (!(m->p > 0.0 && m->p < 1.0))
            return fid_fail(err, FID_ERR_INPUT, "/model/p",
                            "a fixed dropout probability must be between 0 and 1, got %g", m->p);
        return FID_OK;
    }
    return fid_fail(err, FID_ERR_INPUT, "/model/dropout", "unknown dropout model %d",
                    (int)m->dropout);
}

enum fid_status clv_bgnbd_check(const struct clv_bgnbd *m, struct fid_error *err)
{
    enum fid_status st = bgnbd_rate_check(m, err);
    return st == FID_OK ? bgnbd_dropout_check(m, err) : st;
}

enum fid_status clv_gamma_gamma_check(const struct clv_gamma_gamma *m, struct fid_error *err)
{
    enum fid_status st = parameter_check(m->q, "/model/q", err);
    if (st == FID_OK && m->fixed_values)
        return parameter_check(m->scale, "/model/scale", err);
    if (st == FID_OK)
        st = parameter_check(m->p, "/model/p", err);
    if (st == FID_OK)
        st = parameter_check(m->gamma, "/model/gamma", err);
    return st;
}

enum fid_status clv_weeks_check(double weeks, const char *field, struct fid_error *err)
{
    if (!isfinite(weeks) || weeks < 0.0)
        return fid_fail(err, FID_ERR_INPUT, field, "weeks must be >= 0, got %g", weeks);
    if (weeks > CLV_HORIZON_WEEKS_MAX)
        return fid_fail(err, FID_ERR_LIMIT, field, "%g weeks is beyond the limit of %g", weeks,
                        CLV_HORIZON_WEEKS_MAX);
    return FID_OK;
}

int clv_compare_doubles(double x, double y)
{
    return (x > y) - (x < y);
}
