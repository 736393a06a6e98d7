/*
 * The counts behind the loyalty KPIs, read from orders, refunds, the ledger and vouchers of one
 * merchant (see analytics/kpis.h for what they become, docs/kpis.md for the definitions).
 */
#ifndef FIDELE_STORE_KPI_STORE_H
#define FIDELE_STORE_KPI_STORE_H

#include <stdint.h>

#include "analytics/kpis.h"
#include "store/store.h"
#include "util/timeutil.h"

/* Fills counts for the period [from, to) (UTC instants of local midnights) with an active window
 * of window_days; cohorts are by month of first order in tz, for cohorts starting in the period. */
enum fid_status kpi_counts_load(struct store *store, const struct fid_tz *tz, int64_t from,
                                int64_t to, int64_t window_days, struct kpi_counts *out,
                                struct fid_error *err) FID_MUST_USE;

#endif
