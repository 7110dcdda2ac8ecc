/*
 * The sd-jwt-js test cases (the *.json files in ../shared/vectors/sdjwt/): claims, a
 * disclosureFrame (which claims are disclosable), presentationFrames (what the holder
 * reveals) and the presentedClaims a verifier must see. mobid issues with the frame,
 * presents with key binding, verifies, and compares; requiredClaimKeys must all be
 * present.
 */
#include "testutil.h"

#include <dirent.h>
#include <mobid/crypto.h>
#include <mobid/jose.h>
#include <mobid/sdjwt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct strv {
    char **v;
    size_t n;
} strv;

static void strv_add(strv *s, const char *path)
{
    s->v = realloc(s->v, (s->n + 2) * sizeof *s->v);
    s->v[s->n++] = strdup(path);
    s->v[s->n] = NULL;
}

static void strv_free(strv *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->v[i]);
    free(s->v);
}

static void join(char *out, size_t cap, const char *base, const char *seg)
{
    snprintf(out, cap, "%s%s%s", base, *base ? "/" : "", seg);
}

/* disclosureFrame: "_sd" lists names (or indices) disclosable at this level; other
 * members (not "_sd_decoy") descend into the claim of that name or index. */
static void frame_paths(const json_t *frame, const char *base, strv *out)
{
    const char *k;
    json_t *v;
    char path[1024];
    json_object_foreach((json_t *)frame, k, v) {
        if (!strcmp(k, "_sd")) {
            size_t i;
            json_t *e;
            json_array_foreach(v, i, e) {
                char seg[32];
                if (json_is_integer(e))
                    snprintf(seg, sizeof seg, "%lld", (long long)json_integer_value(e));
                join(path, sizeof path, base, json_is_string(e) ? json_string_value(e) : seg);
                strv_add(out, path);
            }
        } else if (strcmp(k, "_sd_decoy") != 0 && json_is_object(v)) {
            join(path, sizeof path, base, k);
            frame_paths(v, path, out);
        }
    }
}

/* The claim named by a '/' path of plain segments, or NULL. */
static const json_t *lookup(const json_t *v, const char *path, char sep)
{
    char seg[256];
    while (v && *path) {
        size_t n = strcspn(path, (char[2]){ sep, 0 });
        snprintf(seg, sizeof seg, "%.*s", (int)n, path);
        path += n + (path[n] == sep);
        if (json_is_array(v))
            v = json_array_get(v, strtoul(seg, NULL, 10));
        else
            v = json_object_get(v, seg);
    }
    return v;
}

/* presentationFrames: true reveals that claim; an object descends (the parent comes
 * along). Paths naming nothing in the claims are dropped (sd-jwt-js ignores them). */
static void reveal_paths(const json_t *frame, const char *base, const json_t *claims,
                         strv *out)
{
    const char *k;
    json_t *v;
    char path[1024];
    json_object_foreach((json_t *)frame, k, v) {
        join(path, sizeof path, base, k);
        if (!lookup(claims, path, '/'))
            continue;
        if (json_is_true(v))
            strv_add(out, path);
        else if (json_is_object(v))
            reveal_paths(v, path, claims, out);
    }
}

static void strip_registered(json_t *claims)
{
    const char *reg[] = { "iss", "iat", "exp", "vct", "cnf" };
    for (size_t i = 0; i < sizeof reg / sizeof *reg; i++)
        json_object_del(claims, reg[i]);
}

static bool run_case(const char *rel, const json_t *tc, mobid_key *issuer, mobid_key *holder)
{
    const json_t *claims = json_object_get(tc, "claims");
    strv sd = { 0 }, reveal = { 0 };
    frame_paths(json_object_get(tc, "disclosureFrame"), "", &sd);
    reveal_paths(json_object_get(tc, "presentationFrames"), "", claims, &reveal);
    mobid_buf cred, pres;
    mobid_buf_init(&cred, 0);
    mobid_buf_init(&pres, 0);
    mobid_sdjwt_issue_params ip = { .claims = claims, .sd_paths = (const char *const *)sd.v,
                                    .vct = "urn:example:js", .iss = "https://issuer.example",
                                    .iat = 1700000000, .holder_key = holder,
                                    .issuer_key = issuer };
    mobid_err err = mobid_sdjwt_issue(&ip, &cred);
    mobid_sdjwt_present_params pp = { .reveal = (const char *const *)reveal.v,
                                      .holder_key = holder, .aud = "https://rp.example",
                                      .nonce = "js-nonce", .iat = 1700000010 };
    if (err == MOBID_OK)
        err = mobid_sdjwt_present(mobid_buf_view(&cred), &pp, &pres);
    mobid_sdjwt_verify_opts vo = { .issuer_key = issuer, .now = 1700000020, .skew = -1,
                                   .require_kb = true, .nonce = "js-nonce",
                                   .aud = "https://rp.example" };
    mobid_sdjwt_result res;
    memset(&res, 0, sizeof res);
    if (err == MOBID_OK)
        err = mobid_sdjwt_verify(mobid_buf_view(&pres), &vo, &res);
    bool ok = err == MOBID_OK;
    if (!ok)
        print_message("  %s: %s %s\n", rel, mobid_err_name(err), res.detail);
    if (ok) {
        strip_registered(res.claims);
        ok = json_equal(res.claims, json_object_get(tc, "presentedClaims"));
        if (!ok) {
            char *got = json_dumps(res.claims, JSON_SORT_KEYS);
            print_message("  %s: verified claims differ: %s\n", rel, got);
            free(got);
        }
        size_t i;
        json_t *key;
        json_array_foreach(json_object_get(tc, "requiredClaimKeys"), i, key) {
            /* Indices count positions in the issued array, so an element after an
             * undisclosed one is found among the revealed paths instead. */
            char slashed[256];
            snprintf(slashed, sizeof slashed, "%s", json_string_value(key));
            for (char *c = slashed; *c; c++)
                *c = *c == '.' ? '/' : *c;
            bool revealed = false;
            for (size_t r = 0; r < reveal.n; r++)
                revealed = revealed || !strcmp(reveal.v[r], slashed);
            if (!revealed && !lookup(res.claims, json_string_value(key), '.')) {
                print_message("  %s: required claim %s missing\n", rel, json_string_value(key));
                ok = false;
            }
        }
    }
    print_message("%s %s (%zu disclosable, %zu revealed)\n", ok ? "ok  " : "FAIL", rel, sd.n,
                  reveal.n);
    mobid_sdjwt_result_clear(&res);
    mobid_buf_free(&cred);
    mobid_buf_free(&pres);
    strv_free(&sd);
    strv_free(&reveal);
    return ok;
}

static void test_js_cases(void **state)
{
    (void)state;
    TU_REQUIRE_VECTORS();
    mobid_key *issuer = NULL, *holder = NULL;
    assert_int_equal(mobid_key_generate(MOBID_CURVE_P256, &issuer), MOBID_OK);
    assert_int_equal(mobid_key_generate(MOBID_CURVE_P256, &holder), MOBID_OK);
    char dirpath[4096];
    snprintf(dirpath, sizeof dirpath, "%s/sdjwt", tu_vectors_dir());
    DIR *dir = opendir(dirpath);
    assert_non_null(dir);
    struct dirent *e;
    size_t run = 0, failed = 0;
    while ((e = readdir(dir)) != NULL) {
        size_t n = strlen(e->d_name);
        if (n < 5 || strcmp(e->d_name + n - 5, ".json") != 0)
            continue;
        char rel[512];
        snprintf(rel, sizeof rel, "sdjwt/%s", e->d_name);
        mobid_buf text;
        tu_read_vector(rel, &text);
        json_t *tc = NULL;
        assert_int_equal(mobid_json_parse(mobid_buf_view(&text), 0, &tc), MOBID_OK);
        failed += !run_case(rel, tc, issuer, holder);
        run++;
        json_decref(tc);
        mobid_buf_free(&text);
    }
    closedir(dir);
    print_message("sd-jwt-js cases: %zu run, %zu failed\n", run, failed);
    mobid_key_free(issuer);
    mobid_key_free(holder);
    assert_true(run >= 4);
    assert_int_equal(failed, 0);
}

int main(void)
{
    TU_MAIN_REQUIRE_VECTORS();
    const struct CMUnitTest tests[] = { cmocka_unit_test(test_js_cases) };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
