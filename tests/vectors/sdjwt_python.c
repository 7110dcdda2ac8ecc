/*
 * The sd-jwt-python test cases (../shared/vectors/sdjwt/{,spec-examples/,vc-examples/}
 * *.specification.yml): for each, mobid issues the user claims with the !sd claims
 * disclosable (with its own keys), the holder presents the disclosures the case chooses
 * (holder_disclosed_claims, with sd-jwt-python's selection semantics), mobid verifies,
 * and the verified user claims must equal expect_verified_user_claims. Cases without
 * an expectation (the RFC and SD-JWT VC examples) are compared with the projection of
 * the user claims through the holder's choices, computed here independently; where a
 * case has both, the projection is checked against the file's expectation too.
 */
#include "testutil.h"
#include "sdjwt_yaml.h"

#include <dirent.h>
#include <mobid/crypto.h>
#include <mobid/sdjwt.h>

typedef struct sdset {
    char **paths;
    size_t n;
} sdset;

static bool is_sd(const sdset *s, const char *path)
{
    for (size_t i = 0; i < s->n; i++)
        if (!strcmp(s->paths[i], path))
            return true;
    return false;
}

/* Python truthiness of a holder choice. */
static bool truthy(const json_t *c)
{
    if (!c || json_is_null(c) || json_is_false(c))
        return false;
    if (json_is_object(c))
        return json_object_size(c) > 0;
    if (json_is_array(c))
        return json_array_size(c) > 0;
    return true;
}

static json_t *project(const json_t *v, mobid_buf *path, const sdset *sd, const json_t *choice,
                       char ***reveal, size_t *n_reveal);

static void push(mobid_buf *path, const char *seg)
{
    if (path->len)
        mobid_buf_append_byte(path, '/');
    for (const char *c = seg; *c; c++)
        mobid_buf_append_str(path, *c == '~' ? "~0" : *c == '/' ? "~1" : (char[2]){ *c, 0 });
    mobid_buf_terminate(path);
}

static void add_reveal(char ***reveal, size_t *n, const mobid_buf *path)
{
    *reveal = realloc(*reveal, (*n + 2) * sizeof **reveal);
    (*reveal)[(*n)++] = strndup((const char *)path->ptr, path->len);
    (*reveal)[*n] = NULL;
}

/* sd-jwt-python's holder: an object's disclosable member is disclosed when the choice
 * for it is truthy; an array's disclosable element unless the choice is False/None/absent.
 * Non-disclosable members are walked with their choice. Returns the claims the verifier
 * will see and collects the claim paths to reveal. */
static json_t *project(const json_t *v, mobid_buf *path, const sdset *sd, const json_t *choice,
                       char ***reveal, size_t *n_reveal)
{
    size_t mark = path->len;
    if (json_is_object(v)) {
        json_t *out = json_object();
        const char *k;
        json_t *c;
        json_object_foreach((json_t *)v, k, c) {
            const json_t *ch = json_is_object(choice) ? json_object_get(choice, k) : NULL;
            push(path, k);
            bool disclosable = is_sd(sd, (const char *)path->ptr);
            if (!disclosable || truthy(ch)) {
                if (disclosable)
                    add_reveal(reveal, n_reveal, path);
                json_object_set_new(out, k, project(c, path, sd, ch, reveal, n_reveal));
            }
            path->len = mark;
        }
        return out;
    }
    if (json_is_array(v)) {
        json_t *out = json_array();
        size_t i;
        json_t *c;
        json_array_foreach(v, i, c) {
            const json_t *ch = json_is_array(choice) ? json_array_get(choice, i) : NULL;
            char num[24];
            snprintf(num, sizeof num, "%zu", i);
            push(path, num);
            bool disclosable = is_sd(sd, (const char *)path->ptr);
            bool chosen = ch && !json_is_null(ch) && !json_is_false(ch);
            if (!disclosable || chosen) {
                if (disclosable)
                    add_reveal(reveal, n_reveal, path);
                json_array_append_new(out, project(c, path, sd, ch, reveal, n_reveal));
            }
            path->len = mark;
        }
        return out;
    }
    return json_incref((json_t *)v);
}

typedef struct keys {
    mobid_key *issuer, *holder;
} keys;

/* Registered claims mobid adds are not user claims unless the case put them there. */
static void strip_registered(json_t *claims, const json_t *user)
{
    const char *reg[] = { "iss", "iat", "nbf", "exp", "vct", "cnf", "status" };
    for (size_t i = 0; i < sizeof reg / sizeof *reg; i++)
        if (!json_object_get(user, reg[i]))
            json_object_del(claims, reg[i]);
}

/* Issue, present and verify one case; returns false with a message on mismatch. */
static bool run_case(const char *name, json_t *doc, const sdset *sd, const keys *k)
{
    json_t *user = json_object_get(doc, "user_claims");
    json_t *choice = json_object_get(doc, "holder_disclosed_claims");
    json_t *expect = json_object_get(doc, "expect_verified_user_claims");
    bool kb = json_is_true(json_object_get(doc, "key_binding"));
    json_t *extra = json_object_get(doc, "extra_header_parameters");
    char **reveal = NULL;
    size_t n_reveal = 0;
    mobid_buf path, cred, pres;
    mobid_buf_init(&path, 0);
    mobid_buf_init(&cred, 0);
    mobid_buf_init(&pres, 0);
    json_t *projected = project(user, &path, sd, choice, &reveal, &n_reveal);
    bool ok = true;
    if (expect && !json_equal(projected, expect)) {
        print_message("  %s: the holder projection differs from the file's expectation\n", name);
        ok = false;
    }
    mobid_sdjwt_issue_params ip = { 0 };
    ip.claims = user;
    ip.sd_paths = (const char *const *)sd->paths;
    ip.iss = json_object_get(user, "iss") ? NULL : "https://example.com/issuer";
    ip.iat = 1683000000;
    ip.exp = 1883000000;
    ip.holder_key = k->holder;
    ip.issuer_key = k->issuer;
    ip.decoys = json_is_true(json_object_get(doc, "add_decoy_claims")) ? 2 : 0;
    ip.extra_header = extra;
    mobid_err err = mobid_sdjwt_issue(&ip, &cred);
    mobid_sdjwt_present_params pp = { .reveal = (const char *const *)reveal,
                                      .holder_key = kb ? k->holder : NULL,
                                      .aud = "https://example.com/verifier",
                                      .nonce = "1234567890", .iat = 1683000100 };
    if (err == MOBID_OK)
        err = mobid_sdjwt_present(mobid_buf_view(&cred), &pp, &pres);
    /* Cases without vct are plain SD-JWTs, not SD-JWT VCs. */
    mobid_sdjwt_verify_opts vo = { .issuer_key = k->issuer, .now = 1683000200, .skew = -1,
                                   .require_kb = kb, .nonce = "1234567890",
                                   .aud = "https://example.com/verifier",
                                   .typ = json_object_get(user, "vct") ? NULL : "" };
    mobid_sdjwt_result res;
    memset(&res, 0, sizeof res);
    if (err == MOBID_OK)
        err = mobid_sdjwt_verify(mobid_buf_view(&pres), &vo, &res);
    if (err != MOBID_OK) {
        print_message("  %s: %s %s\n", name, mobid_err_name(err), res.detail);
        ok = false;
    } else {
        strip_registered(res.claims, user);
        if (!json_equal(res.claims, expect ? expect : projected)) {
            char *got = json_dumps(res.claims, JSON_SORT_KEYS);
            print_message("  %s: verified claims differ: %s\n", name, got);
            free(got);
            ok = false;
        }
    }
    print_message("%s %s (%zu disclosable, %zu revealed%s%s)\n", ok ? "ok  " : "FAIL", name,
                  sd->n, n_reveal, kb ? ", key binding" : "", expect ? "" : ", projected");
    mobid_sdjwt_result_clear(&res);
    json_decref(projected);
    for (size_t i = 0; i < n_reveal; i++)
        free(reveal[i]);
    free(reveal);
    mobid_buf_free(&path);
    mobid_buf_free(&cred);
    mobid_buf_free(&pres);
    return ok;
}

/* Parse and run one file; *handled false when the file cannot be parsed. */
static bool run_file(const char *rel, const keys *k, bool *handled)
{
    mobid_buf text;
    tu_read_vector(rel, &text);
    yparser p;
    y_init(&p, (const char *)text.ptr);
    json_t *doc = y_parse(&p);
    bool ok = true;
    *handled = doc && json_is_object(json_object_get(doc, "user_claims"));
    if (!*handled) {
        print_message("CANNOT HANDLE %s: %s\n", rel, p.error[0] ? p.error : "no user_claims");
    } else {
        sdset sd = { 0 };
        sd.paths = calloc(p.n_sd + 1, sizeof *sd.paths);
        for (size_t i = 0; i < p.n_sd; i++)
            if (!strncmp(p.sd[i], "user_claims/", 12))
                sd.paths[sd.n++] = p.sd[i] + 12;
        ok = run_case(rel, doc, &sd, k);
        free(sd.paths);
    }
    json_decref(doc);
    y_free(&p);
    mobid_buf_free(&text);
    return ok;
}

static void test_python_cases(void **state)
{
    (void)state;
    TU_REQUIRE_VECTORS();
    keys k;
    assert_int_equal(mobid_key_generate(MOBID_CURVE_P256, &k.issuer), MOBID_OK);
    assert_int_equal(mobid_key_generate(MOBID_CURVE_P256, &k.holder), MOBID_OK);
    const char *dirs[] = { "sdjwt", "sdjwt/spec-examples", "sdjwt/vc-examples" };
    size_t run = 0, failed = 0, unhandled = 0;
    for (size_t d = 0; d < 3; d++) {
        char full[4096];
        snprintf(full, sizeof full, "%s/%s", tu_vectors_dir(), dirs[d]);
        DIR *dir = opendir(full);
        assert_non_null(dir);
        struct dirent *e;
        while ((e = readdir(dir)) != NULL) {
            static const char suffix[] = ".specification.yml";
            size_t n = strlen(e->d_name), sl = sizeof suffix - 1;
            if (n < sl || strcmp(e->d_name + n - sl, suffix) != 0)
                continue;
            char rel[512];
            snprintf(rel, sizeof rel, "%s/%s", dirs[d], e->d_name);
            bool handled;
            if (!run_file(rel, &k, &handled))
                failed += handled;
            unhandled += !handled;
            run += handled;
        }
        closedir(dir);
    }
    print_message("sd-jwt-python cases: %zu run, %zu failed, %zu not handled\n", run, failed,
                  unhandled);
    mobid_key_free(k.issuer);
    mobid_key_free(k.holder);
    assert_true(run >= 10);
    assert_int_equal(failed, 0);
    assert_int_equal(unhandled, 0);
}

int main(void)
{
    TU_MAIN_REQUIRE_VECTORS();
    const struct CMUnitTest tests[] = { cmocka_unit_test(test_python_cases) };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
