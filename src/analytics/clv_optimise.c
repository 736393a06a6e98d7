/*
 * Maximum likelihood by Nelder-Mead on the logarithms of the parameters, which keeps them positive
 * and makes scale parameters as easy to move as shape parameters; restarted from its own result
 * with a fresh simplex until two runs agree, which guards against the simplex collapsing early,
 * and the result checked to be a maximum at finite parameters. Bounded by the fit's budget.
 */
#include "analytics/clv_internal.h"

#include <float.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/xalloc.h"

/* Log-parameters outside [-NM_LOG_BOUND, NM_LOG_BOUND] are infeasible (parameters 1e-13..1e13). */
#define NM_LOG_BOUND 30.0
/* An optimum beyond this is the likelihood running off to a boundary: no finite maximum. */
#define NM_LOG_EDGE 25.0
/* A run has converged when the simplex spans less than NM_XTOL in every log-parameter and its
 * costs differ by less than NM_FTOL relative: 1e-8 is about as tight as a cost summed from
 * thousands of terms can resolve (its rounding noise reaches the curvature term there). */
#define NM_XTOL 1e-8
#define NM_FTOL 1e-12
/* Two consecutive runs that agree this closely end the fit. */
#define NM_RESTART_XTOL 1e-6
#define NM_RESTART_FTOL 1e-10
#define NM_RESTARTS_MAX 30
/* The check of the optimum: a move of the log-parameters, and the least rise of the cost. */
#define NM_PROBE_STEP 1e-2
#define NM_PROBE_RISE 1e-9
/* Initial simplex edge in log-parameters: first run, then each restart. */
#define NM_FIRST_STEP   1.0
#define NM_RESTART_STEP 0.25

/* Cost with the infeasible region (outside the box, non-finite likelihood) at +infinity. */
static double nm_cost(struct clv_nm_problem *problem, const double *theta)
{
    problem->evaluations++;
    for (size_t i = 0; i < problem->dim; i++)
        if (!(fabs(theta[i]) <= NM_LOG_BOUND))
            return HUGE_VAL;
    double f = problem->cost(theta, problem->data);
    return isfinite(f) ? f : HUGE_VAL;
}

/*
 * One Nelder-Mead run (reflection 1, expansion 2, contraction 1/2, shrink 1/2) from theta, whose
 * cost is *f, with a simplex of edge step. Leaves the best vertex in theta and *f; false when the
 * evaluation budget ran out first.
 */
static bool nm_run(struct clv_nm_problem *problem, double *theta, double *f, double step)
{
    size_t n = problem->dim;
    double v[NM_DIM_MAX + 1][NM_DIM_MAX], fv[NM_DIM_MAX + 1];
    double centre[NM_DIM_MAX], trial[NM_DIM_MAX], other[NM_DIM_MAX];
    bool converged = false;

    for (size_t i = 0; i <= n; i++) {
        for (size_t j = 0; j < n; j++)
            v[i][j] = theta[j] + (i > 0 && j == i - 1 ? step : 0.0);
        fv[i] = i == 0 ? *f : nm_cost(problem, v[i]);
    }
    while (problem->evaluations < problem->budget) {
        /* order the vertices best first (insertion sort: at most five) */
        for (size_t i = 1; i <= n; i++)
            for (size_t j = i; j > 0 && fv[j] < fv[j - 1]; j--) {
                double t = fv[j];
                fv[j] = fv[j - 1];
                fv[j - 1] = t;
                for (size_t k = 0; k < n; k++) {
                    t = v[j][k];
                    v[j][k] = v[j - 1][k];
                    v[j - 1][k] = t;
                }
            }
        double size = 0.0;
        for (size_t i = 1; i <= n; i++)
            for (size_t k = 0; k < n; k++)
                size = fmax(size, fabs(v[i][k] - v[0][k]));
        if (size <= NM_XTOL && fv[n] - fv[0] <= NM_FTOL * (1.0 + fabs(fv[0]))) {
            converged = true;
            break;
        }

        for (size_t k = 0; k < n; k++) {
            centre[k] = 0.0;
            for (size_t i = 0; i < n; i++)
                centre[k] += v[i][k];
            centre[k] /= (double)n;
            trial[k] = 2.0 * centre[k] - v[n][k];
        }
        double fr = nm_cost(problem, trial);
        double *accept = NULL, f_accept = 0.0;
        if (fr < fv[0]) {
            for (size_t k = 0; k < n; k++)
                other[k] = 3.0 * centre[k] - 2.0 * v[n][k];
            double fe = nm_cost(problem, other);
            accept = fe < fr ? other : trial;
            f_accept = fmin(fe, fr);
        } else if (fr < fv[n - 1]) {
            accept = trial;
            f_accept = fr;
        } else {
            bool outside = fr < fv[n];
            for (size_t k = 0; k < n; k++)
                other[k] = outside ? 0.5 * (centre[k] + trial[k]) : 0.5 * (centre[k] + v[n][k]);
            double fc = nm_cost(problem, other);
            if (outside ? fc <= fr : fc < fv[n]) {
                accept = other;
                f_accept = fc;
            }
        }
        if (accept != NULL) {
            for (size_t k = 0; k < n; k++)
                v[n][k] = accept[k];
            fv[n] = f_accept;
        } else {
            for (size_t i = 1; i <= n; i++) {
                for (size_t k = 0; k < n; k++)
                    v[i][k] = 0.5 * (v[0][k] + v[i][k]);
                fv[i] = nm_cost(problem, v[i]);
            }
        }
    }
    size_t best = 0;
    for (size_t i = 1; i <= n; i++)
        if (fv[i] < fv[best])
            best = i;
    for (size_t k = 0; k < n; k++)
        theta[k] = v[best][k];
    *f = fv[best];
    return converged;
}

/*
 * Whether the point where the runs agreed is a maximum of the likelihood the data identify. When
 * the supremum lies at infinite parameters (nobody bought twice: r -> 0), the cost flattens out
 * and the runs stop wherever its changes fall below their tolerance, so agreement alone proves
 * nothing. A genuine optimum has the cost rise by a resolvable amount when any log-parameter
 * moves by NM_PROBE_STEP either way (CDNOW: by about 1e-2, against a threshold of 1e-5).
 */
static enum fid_status nm_check_optimum(struct clv_nm_problem *problem, const double *theta,
                                        double f, struct fid_error *err)
{
    double tolerance = NM_PROBE_RISE * (1.0 + fabs(f));
    for (size_t k = 0; k < problem->dim; k++) {
        double probe[NM_DIM_MAX], rise = HUGE_VAL;
        for (int side = -1; side <= 1; side += 2) {
            for (size_t j = 0; j < problem->dim; j++)
                probe[j] = theta[j] + (j == k ? side * NM_PROBE_STEP : 0.0);
            rise = fmin(rise, nm_cost(problem, probe) - f);
        }
        if (rise < -tolerance)
            return fid_fail(err, FID_ERR_INTERNAL, "",
                            "the maximum-likelihood fit stopped short of a maximum");
        if (fabs(theta[k]) > NM_LOG_EDGE || rise <= tolerance) {
            problem->unbounded = true;
            return fid_fail(err, FID_ERR_INPUT, "/customers",
                            "the likelihood has no maximum at finite parameters: the sample does "
                            "not identify the model (for instance, nobody bought twice)");
        }
    }
    return FID_OK;
}

/* Minimises the cost from theta, restarting until two consecutive runs agree. */
enum fid_status clv_nm_minimise(struct clv_nm_problem *problem, double *theta, double *f,
                                unsigned *restarts, struct fid_error *err)
{
    *f = nm_cost(problem, theta);
    if (*f == HUGE_VAL)
        return fid_fail(err, FID_ERR_INPUT, "/customers",
                        "the likelihood is not finite at the starting parameters");
    double step = NM_FIRST_STEP;
    for (unsigned run = 0; run <= NM_RESTARTS_MAX; run++) {
        double previous[NM_DIM_MAX], f_previous = *f;
        for (size_t k = 0; k < problem->dim; k++)
            previous[k] = theta[k];
        if (!nm_run(problem, theta, f, step))
            return fid_fail(err, FID_ERR_INTERNAL, "",
                            "the maximum-likelihood fit did not converge in %u evaluations",
                            problem->budget);
        double moved = 0.0;
        for (size_t k = 0; k < problem->dim; k++)
            moved = fmax(moved, fabs(theta[k] - previous[k]));
        if (run > 0 && f_previous - *f <= NM_RESTART_FTOL * (1.0 + fabs(*f)) &&
            moved <= NM_RESTART_XTOL) {
            *restarts = run;
            return nm_check_optimum(problem, theta, *f, err);
        }
        step = NM_RESTART_STEP;
    }
    return fid_fail(err, FID_ERR_INTERNAL, "",
                    "the maximum-likelihood fit did not settle in %d restarts", NM_RESTARTS_MAX);
}

unsigned clv_fit_budget(const struct clv_fit_options *options)
{
    return options != NULL && options->max_evaluations > 0 ? options->max_evaluations
                                                           : CLV_FIT_EVALUATIONS_MAX;
}
