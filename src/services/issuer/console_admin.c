/*
 * Console pages for oversight: the office's audit trail (a ministry admin sees every
 * office's) with the result of the hash-chain check, and the offices with their
 * opening dates (the rollout waves).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "services/issuer/console.h"

/* Entries after `after`, at most 200: every office's for a ministry admin, else those
 * made by the officers of who's office; officers' names from their table. */
static mobid_err audit_list(console_req *c, int64_t after, json_t **out)
{
    if (c->who.role == ISSUER_ROLE_ADMIN)
        return console_audit_query(c, "SELECT seq, at, actor, action, subject, detail"
                                      " FROM issuer_audit WHERE CAST($1 AS TEXT) = '' AND seq > $2"
                                      " ORDER BY seq LIMIT 200", "", after, out);
    return console_audit_query(c, "SELECT a.seq, a.at, a.actor, a.action, a.subject, a.detail"
                                  " FROM issuer_audit a JOIN issuer_officers o ON o.id = a.actor"
                                  " WHERE o.office_id = $1 AND a.seq > $2 ORDER BY a.seq LIMIT 200",
                               c->who.office_id, after, out);
}

static mobid_err do_audit(console_req *c)
{
    const char *after_s = mobid_http_req_query(c->req, "after");
    int64_t after = after_s ? strtoll(after_s, NULL, 10) : 0, checked = 0, bad = 0;
    json_t *list = NULL;
    mobid_err chain, err = audit_list(c, after > 0 ? after : 0, &list);

    if (err)
        return err;
    console_page_open(c, "감사 기록", "Audit trail");
    if (c->who.role == ISSUER_ROLE_ADMIN) {
        chain = issuer_audit_verify(c->s, &checked, &bad);
        char n[64];
        snprintf(n, sizeof n, "%lld", (long long)(chain ? bad : checked));
        if (chain)
            console_notice(c, "error", "감사 기록이 변경되었습니다.", "The audit chain is broken at entry", n);
        else
            console_notice(c, "ok", "감사 기록 연쇄가 온전합니다.", "The audit hash chain is intact; entries checked", n);
    }
    console_put(&c->page, "<table id=\"audit\"><thead><tr><th>#</th><th>시각 Time</th><th>직원 Actor"
                          "</th><th>작업 Action</th><th>대상 Subject</th><th>내용 Detail</th></tr>"
                          "</thead><tbody>\n");
    console_audit_rows(c, list, true);
    console_put(&c->page, "</tbody></table>\n");
    if (json_array_size(list) == 200) {
        console_put(&c->page, "<p><a href=\"/console/audit?after=");
        console_int(&c->page, (long long)json_integer_value(
                                  json_object_get(json_array_get(list, 199), "seq")));
        console_put(&c->page, "\">다음 Next</a></p>\n");
    }
    json_decref(list);
    return console_page_send(c, 200);
}

static mobid_err on_audit(mobid_http_req *req, mobid_http_resp *resp, void *ctx)
{
    return console_run(req, resp, ctx, do_audit);
}

static mobid_err do_offices(console_req *c)
{
    json_t *list = NULL;
    mobid_err err = issuer_offices_json(c->s, c->who.role == ISSUER_ROLE_ADMIN ? NULL : c->who.office_id, &list);
    if (err)
        return err;
    console_page_open(c, "공관과 개시일", "Offices and opening dates");
    console_put(&c->page, "<table id=\"offices\"><thead><tr><th>공관 Office</th><th>국가 Country</th>"
                          "<th>도시 City</th><th>시간대 Time zone</th><th>접수 개시 Accepts from</th>"
                          "<th>차수 Wave</th><th>상태 Status</th></tr></thead><tbody>\n");
    for (size_t i = 0; i < json_array_size(list); i++) {
        const json_t *o = json_array_get(list, i);
        console_put(&c->page, "<tr><td>");
        console_esc(&c->page, json_string_value(json_object_get(o, "name")));
        console_put(&c->page, " <span class=\"en\">");
        console_esc(&c->page, json_string_value(json_object_get(o, "id")));
        console_put(&c->page, "</span></td><td>");
        console_esc(&c->page, json_string_value(json_object_get(o, "country")));
        console_put(&c->page, "</td><td>");
        console_esc(&c->page, json_string_value(json_object_get(o, "city")));
        console_put(&c->page, "</td><td>");
        console_esc(&c->page, json_string_value(json_object_get(o, "tz")));
        console_put(&c->page, "</td><td>");
        /* accepts_from is already the office's own date */
        console_esc(&c->page, json_string_value(json_object_get(o, "accepts_from")));
        console_put(&c->page, "</td><td>");
        console_int(&c->page, (long long)json_integer_value(json_object_get(o, "wave")));
        console_put(&c->page, json_is_true(json_object_get(o, "open")) ? "</td><td class=\"open\">접수 중 open"
                                                                        : "</td><td class=\"closed\">개시 전 not yet open");
        console_put(&c->page, "</td></tr>\n");
    }
    console_put(&c->page, "</tbody></table>\n");
    json_decref(list);
    return console_page_send(c, 200);
}

static mobid_err on_offices(mobid_http_req *req, mobid_http_resp *resp, void *ctx)
{
    return console_run(req, resp, ctx, do_offices);
}

mobid_err console_admin_routes(mobid_http_server *srv, issuer_ctx *ctx)
{
    mobid_err err;
    if ((err = mobid_http_route(srv, "GET", "/console/audit", on_audit, ctx)) ||
        (err = mobid_http_route(srv, "GET", "/console/offices", on_offices, ctx)))
        return err;
    return MOBID_OK;
}
