/*
 * `mobid demo`: the journey, step by step, through the public interfaces only: the
 * issuer's /api/v1 as the consular officers, `mobid wallet` as the holder's phones,
 * the verifier's /api/v1/verifications as Government 24 and the bank.
 */
#include "cli.h"
#include "cmd_demo.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define RRN "900315-2345678"
#define OFFICER "los-angeles.officer"
#define SUPERVISOR "los-angeles.supervisor"
#define WAIT_PATH_MAX 160

/* The applicant: a Korean national with permanent residence in the United States. */
static json_t *applicant(void)
{
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:i, s:s, s:s, s:s, s:s, s:s, s:s, s:b}",
                     "family_name", "KIM", "given_name", "MINJI",
                     "family_name_national_character", "김", "given_name_national_character", "민지",
                     "birth_date", "1990-03-15", "sex", 2,
                     "resident_registration_number", RRN, "nationality", "KR",
                     "country_of_residence", "US",
                     "residence_status", "permanent", "passport_number", "M12345678",
                     "passport_expiry", "2031-06-30", "e_passport", 1);
}

/* Status lists are served with a one-second ttl by `mobid up`: wait it out. */
static void let_lists_expire(void)
{
    struct timespec ts = { 1, 300000000L };
    nanosleep(&ts, NULL);
}

/* "CODE: detail" of an error answer, or the HTTP status. */
static void describe(char *out, size_t n, long status, const json_t *reply)
{
    const char *e = json_string_value(json_object_get(reply, "error"));
    const char *dt = json_string_value(json_object_get(reply, "detail"));
    if (!dt)
        dt = json_string_value(json_object_get(reply, "error_description"));
    snprintf(out, n, "HTTP %ld%s%s%s%s", status, e ? " " : "", e ? e : "", dt ? ": " : "",
             dt ? dt : "");
}

/* The first sign-in of an account of the fresh system: its one-time password is
 * traded for a new one (random: the demo signs in once per account). */
static char *sign_in(demo *d, const char *user, char *detail)
{
    long st = 0;
    char fresh[65] = "";
    uint8_t r[24];
    json_t *reply = NULL, *body = NULL;
    char *token = NULL;

    if (mobid_random(r, sizeof r) == MOBID_OK)
        mobid_hex_str(r, sizeof r, fresh);
    mobid_wipe(r, sizeof r);
    body = json_pack("{s:s, s:s?, s:s, s:s}", "username", user, "password",
                     demo_password(d, user), "new_password", fresh, "label", "mobid demo");
    if (demo_post(d->issuer, "/api/v1/tokens", NULL, body, &st, &reply) == MOBID_OK &&
        st == 201 && json_string_value(json_object_get(reply, "token")))
        token = strdup(json_string_value(json_object_get(reply, "token")));
    else
        describe(detail, DEMO_DETAIL, st, reply);
    mobid_wipe(fresh, sizeof fresh);
    json_decref(body);
    json_decref(reply);
    return token;
}

/* POST /api/v1/applications/{id}/<action> as token; true on the expected status. */
static bool app_action(demo *d, const char *token, const char *action, const json_t *body,
                       long expect, json_t **reply, char *detail)
{
    char path[WAIT_PATH_MAX];
    long st = 0;
    json_t *r = NULL;
    snprintf(path, sizeof path, "/api/v1/applications/%s/%s", d->app_id, action);
    mobid_err err = demo_post(d->issuer, path, token, body, &st, &r);
    bool ok = err == MOBID_OK && st == expect;
    if (!ok)
        describe(detail, DEMO_DETAIL, st, r);
    if (reply)
        *reply = r;
    else
        json_decref(r);
    return ok;
}

/* ---- verification by a relying party ---- */

/* The value of claim name anywhere in the claims object, or NULL. */
static const json_t *find_claim(const json_t *j, const char *name)
{
    const char *k;
    json_t *v;
    if (!json_is_object(j))
        return NULL;
    if (json_object_get(j, name))
        return json_object_get(j, name);
    json_object_foreach ((json_t *)j, k, v) {
        const json_t *f = find_claim(v, name);
        if (f)
            return f;
    }
    return NULL;
}

/* Names of the leaf claims, comma-separated, into out. */
static void leaf_names(const json_t *j, char *out, size_t n)
{
    const char *k;
    json_t *v;
    json_object_foreach ((json_t *)j, k, v) {
        if (json_is_object(v)) {
            leaf_names(v, out, n);
        } else {
            size_t used = strlen(out);
            snprintf(out + used, n - used, "%s%s", used ? "," : "", k);
        }
    }
}

static size_t count_leaves(const json_t *j)
{
    const char *k;
    json_t *v;
    size_t n = 0;
    json_object_foreach ((json_t *)j, k, v)
        n += json_is_object(v) ? count_leaves(v) : 1;
    return n;
}

/* rp asks for profile; the phone's wallet answers; *result is the verifier's verdict
 * ({status, claims | error}). False when the exchange itself broke. */
static bool verify_with(demo *d, const char *rp, const char *profile, const char *wallet,
                        json_t **result, char *detail)
{
    char path[WAIT_PATH_MAX];
    long st = 0;
    json_t *created = NULL, *body = json_pack("{s:s}", "profile", profile), *out = NULL;
    const char *id, *link;
    bool ok = false;

    *result = NULL;
    if (demo_post(d->verifier, "/api/v1/verifications", demo_api_key(d, rp), body, &st,
                  &created) || st != 201) {
        describe(detail, DEMO_DETAIL, st, created);
        goto done;
    }
    id = json_string_value(json_object_get(created, "id"));
    link = json_string_value(json_object_get(created, "deep_link"));
    const char *args[] = { "present", link ? link : "", NULL };
    demo_wallet(d, wallet, args, &out);
    snprintf(path, sizeof path, "/api/v1/verifications/%s?wait=20", id ? id : "");
    ok = demo_get(d->verifier, path, demo_api_key(d, rp), &st, result) == MOBID_OK && st == 200;
    if (!ok)
        describe(detail, DEMO_DETAIL, st, *result);
done:
    json_decref(body);
    json_decref(created);
    json_decref(out);
    return ok;
}

static const char *verdict(const json_t *result)
{
    return json_string_value(json_object_get(result, "status")) ?: "none";
}

/* A verification that must succeed; detail gets what the party saw. */
static bool verified(demo *d, const char *rp, const char *profile, const char *wallet,
                     char *detail, json_t **claims)
{
    json_t *r = NULL;
    bool ok = verify_with(d, rp, profile, wallet, &r, detail) &&
              !strcmp(verdict(r), "verified");
    if (!ok && r)
        snprintf(detail, DEMO_DETAIL, "the verifier says %s %s", verdict(r),
                 json_string_value(json_object_get(r, "error")) ?: "");
    *claims = ok ? json_incref(json_object_get(r, "claims")) : NULL;
    json_decref(r);
    return ok;
}

/* A verification that must be refused with code (NULL: any refusal). */
static bool refused(demo *d, const char *wallet, const char *code, char *detail)
{
    json_t *r = NULL;
    bool ok = verify_with(d, "gov24", "resident_full", wallet, &r, detail);
    const char *err = json_string_value(json_object_get(r, "error"));
    if (ok) {
        ok = !strcmp(verdict(r), "failed") && err && (!code || !strcmp(err, code));
        snprintf(detail, DEMO_DETAIL, "the verifier says %s%s%s", verdict(r), err ? " " : "",
                 err ? err : "");
    }
    json_decref(r);
    return ok;
}

/* ---- the steps ---- */

static bool take_application(demo *d, char *detail)
{
    long st = 0;
    json_t *reply = NULL, *body = json_pack("{s:s, s:o}", "cardtype", "resident_card",
                                            "applicant", applicant());
    bool ok = demo_post(d->issuer, "/api/v1/applications", d->officer_token, body, &st,
                        &reply) == MOBID_OK && st == 201;
    if (ok) {
        snprintf(d->app_id, sizeof d->app_id, "%s",
                 json_string_value(json_object_get(reply, "id")) ?: "");
        snprintf(detail, DEMO_DETAIL, "application %s received by %s", d->app_id, OFFICER);
    } else {
        describe(detail, DEMO_DETAIL, st, reply);
    }
    json_decref(body);
    json_decref(reply);
    return ok;
}

static bool approve_four_eyes(demo *d, char *detail)
{
    char alone[DEMO_DETAIL] = "";
    bool refused_alone = app_action(d, d->officer_token, "approve", NULL, 409, NULL, alone);
    if (!refused_alone) {
        snprintf(detail, DEMO_DETAIL, "the checking officer could approve alone (%.200s)", alone);
        return false;
    }
    if (!app_action(d, d->supervisor_token, "approve", NULL, 200, NULL, detail))
        return false;
    snprintf(detail, DEMO_DETAIL, "%s alone was refused (four eyes); %s approved", OFFICER,
             SUPERVISOR);
    return true;
}

static bool make_offer(demo *d, char *detail)
{
    json_t *r = NULL;
    bool ok = app_action(d, d->officer_token, "offer", NULL, 201, &r, detail);
    const char *uri = json_string_value(json_object_get(r, "offer_uri"));
    const char *code = json_string_value(json_object_get(r, "tx_code"));
    ok = ok && uri && code;
    free(d->offer_uri);
    free(d->tx_code);
    d->offer_uri = ok ? strdup(uri) : NULL;
    d->tx_code = ok ? strdup(code) : NULL;
    if (ok)
        snprintf(detail, DEMO_DETAIL, "offer link (QR) and, given separately, the %zu-digit code %s",
                 strlen(code), code);
    json_decref(r);
    return ok && d->offer_uri && d->tx_code;
}

static bool receive(demo *d, const char *wallet, char *detail)
{
    json_t *out = NULL;
    const char *init[] = { "init", NULL };
    const char *recv[] = { "--tx-code", d->tx_code ? d->tx_code : "", "receive",
                           d->offer_uri ? d->offer_uri : "", NULL };
    int rc = demo_wallet(d, wallet, init, &out);
    json_decref(out);
    out = NULL;
    if (rc != 0) {
        snprintf(detail, DEMO_DETAIL, "`mobid wallet init` exited %d (see log/wallet.log)", rc);
        return false;
    }
    rc = demo_wallet(d, wallet, recv, &out);
    if (rc != 0)
        snprintf(detail, DEMO_DETAIL, "`mobid wallet receive` exited %d: %s", rc,
                 json_string_value(json_object_get(out, "error")) ?: "see log/wallet.log");
    else
        snprintf(detail, DEMO_DETAIL, "the card is in %s, bound to a key on that phone", wallet);
    json_decref(out);
    return rc == 0;
}

static bool gov24_verifies(demo *d, char *detail)
{
    json_t *claims = NULL;
    bool ok = verified(d, "gov24", "resident_full", "phone1.wallet", detail, &claims);
    const char *rrn = json_string_value(find_claim(claims, "resident_registration_number"));
    if (ok) {
        ok = rrn && !strcmp(rrn, RRN);
        snprintf(detail, DEMO_DETAIL, "verified: %s %s, resident registration number %s",
                 json_string_value(find_claim(claims, "family_name")) ?: "?",
                 json_string_value(find_claim(claims, "given_name")) ?: "?", rrn ? rrn : "MISSING");
    }
    json_decref(claims);
    return ok;
}

static bool bank_verifies(demo *d, char *detail)
{
    char names[256] = "";
    json_t *claims = NULL;
    bool ok = verified(d, "bank", "bank_age_check", "phone1.wallet", detail, &claims);
    if (ok) {
        leaf_names(claims, names, sizeof names);
        ok = !find_claim(claims, "resident_registration_number") &&
             json_is_true(find_claim(claims, "age_over_19")) && find_claim(claims, "birth_date") &&
             find_claim(claims, "family_name") && find_claim(claims, "given_name") &&
             count_leaves(claims) == 4;
        snprintf(detail, DEMO_DETAIL, "the bank received only: %s", names);
    }
    json_decref(claims);
    return ok;
}

static bool lifecycle(demo *d, const char *token, const char *action, const char *reason,
                      char *detail)
{
    json_t *body = json_pack("{s:s}", "reason", reason);
    bool ok = app_action(d, token, action, body, 200, NULL, detail);
    json_decref(body);
    if (ok)
        snprintf(detail, DEMO_DETAIL, "%s: \"%s\"", action, reason);
    let_lists_expire();
    return ok;
}

static bool verifies_again(demo *d, const char *wallet, char *detail)
{
    json_t *claims = NULL;
    bool ok = verified(d, "gov24", "resident_full", wallet, detail, &claims);
    if (ok)
        snprintf(detail, DEMO_DETAIL, "verified with the card on %s", wallet);
    json_decref(claims);
    return ok;
}

static bool new_phone(demo *d, char *detail)
{
    char step[DEMO_DETAIL];
    json_t *ev = json_pack("{s:{s:s, s:s}}", "evidence", "passport", "chip read",
                           "residency", "permanent resident card");
    bool ok = take_application(d, detail) &&
              app_action(d, d->officer_token, "verify", ev, 200, NULL, detail) &&
              app_action(d, d->supervisor_token, "approve", NULL, 200, NULL, detail) &&
              make_offer(d, detail) && receive(d, "phone2.wallet", step);
    if (ok)
        snprintf(detail, DEMO_DETAIL, "application %s approved; the card is on phone2.wallet",
                 d->app_id);
    else if (d->offer_uri && !strstr(detail, "HTTP"))
        snprintf(detail, DEMO_DETAIL, "%s", step);
    json_decref(ev);
    let_lists_expire();
    return ok;
}

/* ok, or the reason a step was not tried. */
static bool pre(bool ok, char *detail)
{
    if (!ok)
        snprintf(detail, DEMO_DETAIL, "not tried: an earlier step failed");
    return ok;
}

void demo_journey(demo *d)
{
    char detail[DEMO_DETAIL] = "";
    json_t *ev = json_pack("{s:{s:s, s:s}}", "evidence", "passport", "chip read",
                           "residency", "permanent resident card");
    bool ok;

    d->officer_token = sign_in(d, OFFICER, detail);
    d->supervisor_token = d->officer_token ? sign_in(d, SUPERVISOR, detail) : NULL;
    ok = d->supervisor_token && take_application(d, detail);
    demo_say(d, "application", "Kim Minji, a Korean with permanent residence in the US, applies "
             "in person at the Consulate General in Los Angeles.", ok, detail);
    ok = pre(ok, detail) && app_action(d, d->officer_token, "verify", ev, 200, NULL, detail);
    if (ok)
        snprintf(detail, DEMO_DETAIL, "passport chip read, permanent resident card seen");
    demo_say(d, "identity_check", "The officer checks her e-passport and residency evidence.",
             ok, detail);
    ok = pre(ok, detail) && approve_four_eyes(d, detail);
    demo_say(d, "approval", "A second officer approves (the first may not approve alone).", ok,
             detail);
    ok = pre(ok, detail) && make_offer(d, detail);
    demo_say(d, "offer", "The consulate hands her the credential offer (QR) and, separately, "
             "a one-time code.", ok, detail);
    ok = pre(ok, detail) && receive(d, "phone1.wallet", detail);
    demo_say(d, "wallet_receives", "Her phone's wallet scans the offer, asks for the code and "
             "receives the mobile ID card.", ok, detail);
    demo_say(d, "gov24_verifies", "She signs in to Government 24, which verifies the card and "
             "sees her resident registration number.", pre(ok, detail) && gov24_verifies(d, detail), detail);
    demo_say(d, "bank_verifies", "A bank verifies her: it gets her name, birth date and "
             "age_over_19, nothing else.", pre(ok, detail) && bank_verifies(d, detail), detail);
    ok = pre(ok, detail) && lifecycle(d, d->officer_token, "suspend", "phone reported lost", detail);
    demo_say(d, "phone_lost", "She reports the phone lost; the consulate suspends the card.", ok,
             detail);
    demo_say(d, "refused_suspended", "Whoever holds the lost phone tries Government 24: refused, "
             "the card is suspended.", pre(ok, detail) && refused(d, "phone1.wallet", "SUSPENDED", detail),
             detail);
    ok = pre(ok, detail) && lifecycle(d, d->supervisor_token, "resume", "phone found", detail);
    demo_say(d, "resumed", "She finds the phone; a supervisor resumes the card.", ok, detail);
    demo_say(d, "verifies_again", "Government 24 verifies her again.",
             pre(ok, detail) && verifies_again(d, "phone1.wallet", detail), detail);
    ok = pre(ok, detail) && new_phone(d, detail);
    demo_say(d, "new_phone", "She gets a new phone; the consulate issues the card to it.", ok,
             detail);
    demo_say(d, "new_phone_verifies", "Government 24 verifies the card on the new phone.",
             pre(ok, detail) && verifies_again(d, "phone2.wallet", detail), detail);
    demo_say(d, "old_phone_refused", "The old phone's card is refused: only one card is active.",
             pre(ok, detail) && refused(d, "phone1.wallet", NULL, detail), detail);
    json_decref(ev);
}
