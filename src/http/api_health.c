/*
 * Liveness, readiness (the database answers), Prometheus metrics and the OpenAPI document.
 */
#include <stdlib.h>
#include <string.h>

#include "http/api.h"
#include "http/metrics.h"
#include "http/openapi.h"
#include "http/worker.h"

void api_healthz(struct http_request *req)
{
    http_reply_json(req, 200, json_pack("{s:s}", "status", "ok"));
}

void api_readyz(struct http_request *req)
{
    struct fid_error err;
    fid_error_clear(&err);
    int64_t one = 0;
    enum fid_status st = worker_current(req->config->db_path, &req->worker, &err);
    if (st == FID_OK)
        st = db_run_int(db_prepare(req->worker->directory, "SELECT COUNT(*) FROM merchants"), 0,
                        &one, &err);
    if (st != FID_OK) {
        http_reply_problem(req, 503, "not-ready", "Service Unavailable",
                           "the database does not answer", NULL);
        return;
    }
    http_reply_json(req, 200,
                    json_pack("{s:s, s:I}", "status", "ready", "merchants", (json_int_t)one));
}

void api_metrics(struct http_request *req)
{
    free(req->response);
    req->response = metrics_render();
    req->status = 200;
    req->content_type = "text/plain; version=0.0.4; charset=utf-8";
}

void api_openapi(struct http_request *req)
{
    free(req->response);
    req->response = strdup(OPENAPI_DOCUMENT);
    req->status = 200;
    req->content_type = "application/json";
}
