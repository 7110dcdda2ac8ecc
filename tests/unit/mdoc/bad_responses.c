/*
 * Known-bad DeviceResponses: each is rebuilt from the parts of a valid one with
 * one thing wrong, and must fail with its own code (never a crash).
 */
#include "mdoc_fixture.h"

#include <stdlib.h>

/* The parts of a valid response that the variants reuse as they are. */
typedef struct parts {
    mobid_buf resp;
    mobid_cbor_item issuer_auth, items, dns, device_auth;
} parts;

typedef struct bad_env {
    fixture f;
    parts p;
} bad_env;

static void get(const mobid_cbor_item *map, const char *key, mobid_cbor_item *out)
{
    assert_int_equal(mobid_cbor_map_get_text(map, key, out), MOBID_OK);
}

static int setup(void **state)
{
    bad_env *e = calloc(1, sizeof *e);
    mobid_buf is;
    mobid_cbor_item top, docs, doc, isg, ns, dsg;
    mobid_cbor_iter it;
    const mobid_mdoc_ref refs[] = { { MOBID_MDOC_NS_MDL, "family_name" },
                                    { MOBID_MDOC_NS_MDL, "given_name" } };
    if (!e)
        return -1;
    fx_init(&e->f);
    assert_int_equal(fx_issue(&e->f, MOBID_MDOC_DOCTYPE_MDL, MOBID_MDOC_NS_MDL, FX_NOW - FX_DAY,
                              FX_NOW + FX_DAY, NULL, 0, &is),
                     MOBID_OK);
    assert_int_equal(fx_present(&e->f, mobid_buf_view(&is), refs, 2, false, &e->p.resp), MOBID_OK);
    mobid_buf_free(&is);
    assert_int_equal(mobid_cbor_decode_exact(mobid_buf_view(&e->p.resp), NULL, &top), MOBID_OK);
    get(&top, "documents", &docs);
    mobid_cbor_iter_init(&it, &docs);
    assert_int_equal(mobid_cbor_iter_next(&it, &doc), MOBID_OK);
    get(&doc, "issuerSigned", &isg);
    get(&isg, "issuerAuth", &e->p.issuer_auth);
    get(&isg, "nameSpaces", &ns);
    get(&ns, MOBID_MDOC_NS_MDL, &e->p.items);
    get(&doc, "deviceSigned", &dsg);
    get(&dsg, "nameSpaces", &e->p.dns);
    get(&dsg, "deviceAuth", &e->p.device_auth);
    *state = e;
    return 0;
}

static int teardown(void **state)
{
    bad_env *e = *state;
    fx_free(&e->f);
    mobid_buf_free(&e->p.resp);
    free(e);
    return 0;
}

/* What to change when rebuilding. */
typedef struct variant {
    const char *version;   /* NULL: "1.0" */
    int64_t status;        /* -1: leave the member out */
    bool no_documents;
    bool empty_documents;
    const char *doctype;   /* NULL: the mDL */
    const char *ns;        /* namespace the items are listed under */
    bool items_twice;      /* list the items array's first item again */
    bool dup_issuer_auth;  /* issuerSigned carries issuerAuth twice */
    mobid_view device_auth;/* replacement deviceAuth map (encoded), or empty */
    mobid_view issuer_auth;/* replacement issuerAuth (encoded), or empty */
} variant;

static void put_items(mobid_cbor_enc *e, const parts *p, const variant *v)
{
    mobid_cbor_iter it;
    mobid_cbor_item x, first;
    mobid_cbor_put_array_head(e, p->items.arg + (v->items_twice ? 1 : 0));
    mobid_cbor_iter_init(&it, &p->items);
    for (uint64_t i = 0; mobid_cbor_iter_next(&it, &x) == MOBID_OK; i++) {
        if (i == 0)
            first = x;
        mobid_cbor_put_raw(e, x.span);
    }
    if (v->items_twice)
        mobid_cbor_put_raw(e, first.span);
}

static void put_document(mobid_cbor_enc *e, const parts *p, const variant *v)
{
    mobid_cbor_put_map_head(e, 3);
    mobid_cbor_put_cstr(e, "docType");
    mobid_cbor_put_cstr(e, v->doctype ? v->doctype : MOBID_MDOC_DOCTYPE_MDL);
    mobid_cbor_put_cstr(e, "issuerSigned");
    mobid_cbor_put_map_head(e, v->dup_issuer_auth ? 3 : 2);
    mobid_cbor_put_cstr(e, "nameSpaces");
    mobid_cbor_put_map_head(e, 1);
    mobid_cbor_put_cstr(e, v->ns ? v->ns : MOBID_MDOC_NS_MDL);
    put_items(e, p, v);
    mobid_cbor_put_cstr(e, "issuerAuth");
    mobid_cbor_put_raw(e, v->issuer_auth.len ? v->issuer_auth : p->issuer_auth.span);
    if (v->dup_issuer_auth) {
        mobid_cbor_put_cstr(e, "issuerAuth");
        mobid_cbor_put_raw(e, p->issuer_auth.span);
    }
    mobid_cbor_put_cstr(e, "deviceSigned");
    mobid_cbor_put_map_head(e, 2);
    mobid_cbor_put_cstr(e, "nameSpaces");
    mobid_cbor_put_raw(e, p->dns.span);
    mobid_cbor_put_cstr(e, "deviceAuth");
    mobid_cbor_put_raw(e, v->device_auth.len ? v->device_auth : p->device_auth.span);
}

static void build(const parts *p, const variant *v, mobid_buf *out)
{
    mobid_cbor_enc e;
    mobid_buf_init(out, 0);
    mobid_cbor_enc_init(&e, out);
    mobid_cbor_put_map_head(&e, 1 + (v->status >= 0) + !v->no_documents);
    mobid_cbor_put_cstr(&e, "version");
    mobid_cbor_put_cstr(&e, v->version ? v->version : "1.0");
    if (!v->no_documents) {
        mobid_cbor_put_cstr(&e, "documents");
        mobid_cbor_put_array_head(&e, v->empty_documents ? 0 : 1);
        if (!v->empty_documents)
            put_document(&e, p, v);
    }
    if (v->status >= 0) {
        mobid_cbor_put_cstr(&e, "status");
        mobid_cbor_put_uint(&e, (uint64_t)v->status);
    }
    assert_int_equal(mobid_cbor_enc_finish(&e), MOBID_OK);
}

static mobid_err check(bad_env *env, const variant *v)
{
    mobid_buf b;
    mobid_mdoc_result res;
    build(&env->p, v, &b);
    mobid_err err = fx_verify(&env->f, mobid_buf_view(&b), FX_NOW, false, &res);
    if (err != MOBID_OK)
        assert_true(res.detail[0] != 0);
    mobid_mdoc_result_free(&res);
    mobid_buf_free(&b);
    return err;
}

static void test_rebuilt_original_verifies(void **state)
{
    variant v = { .status = 0 };
    assert_int_equal(check(*state, &v), MOBID_OK);
}

static void test_response_level(void **state)
{
    variant v = { .status = 0, .version = "2.0" };
    assert_int_equal(check(*state, &v), MOBID_ERR_MALFORMED);
    v = (variant){ .status = 10 };
    assert_int_equal(check(*state, &v), MOBID_ERR_DOCUMENT_ERROR);
    v = (variant){ .status = -1 };
    assert_int_equal(check(*state, &v), MOBID_ERR_MALFORMED);
    v = (variant){ .status = 0, .no_documents = true };
    assert_int_equal(check(*state, &v), MOBID_ERR_DOCUMENT_ERROR);
    v = (variant){ .status = 0, .empty_documents = true };
    assert_int_equal(check(*state, &v), MOBID_ERR_MALFORMED);
}

static void test_document_level(void **state)
{
    variant v = { .status = 0, .doctype = "org.iso.18013.5.1.mDX" };
    assert_int_equal(check(*state, &v), MOBID_ERR_DOCTYPE_MISMATCH);
    v = (variant){ .status = 0, .items_twice = true };
    assert_int_equal(check(*state, &v), MOBID_ERR_DUPLICATE_DISCLOSURE);
    v = (variant){ .status = 0, .ns = "org.iso.18013.5.1.aamva" };
    assert_int_equal(check(*state, &v), MOBID_ERR_DIGEST_MISMATCH);
    v = (variant){ .status = 0, .dup_issuer_auth = true };
    assert_int_equal(check(*state, &v), MOBID_ERR_MALFORMED);
}

static void test_device_auth(void **state)
{
    bad_env *env = *state;
    mobid_buf da;
    mobid_cbor_enc e;
    mobid_cbor_item sig;
    assert_int_equal(mobid_cbor_map_get_text(&env->p.device_auth, "deviceSignature", &sig),
                     MOBID_OK);
    /* Both a signature and a MAC. */
    mobid_buf_init(&da, 0);
    mobid_cbor_enc_init(&e, &da);
    mobid_cbor_put_map_head(&e, 2);
    mobid_cbor_put_cstr(&e, "deviceSignature");
    mobid_cbor_put_raw(&e, sig.span);
    mobid_cbor_put_cstr(&e, "deviceMac");
    mobid_cbor_put_raw(&e, sig.span);
    assert_int_equal(mobid_cbor_enc_finish(&e), MOBID_OK);
    variant v = { .status = 0, .device_auth = mobid_buf_view(&da) };
    assert_int_equal(check(env, &v), MOBID_ERR_MALFORMED);
    /* Neither. */
    static const uint8_t empty_map[] = { 0xa0 };
    v.device_auth = mobid_view_make(empty_map, 1);
    assert_int_equal(check(env, &v), MOBID_ERR_MALFORMED);
    /* A deviceMac when the verifier has no reader key. */
    da.len = 0;
    mobid_cbor_enc_init(&e, &da);
    mobid_cbor_put_map_head(&e, 1);
    mobid_cbor_put_cstr(&e, "deviceMac");
    assert_int_equal(mobid_cose_mac0_create(mobid_view_make("0123456789abcdef0123456789abcdef", 32),
                                            mobid_view_make(NULL, 0), true, false,
                                            mobid_view_make(NULL, 0), &da),
                     MOBID_OK);
    v.device_auth = mobid_buf_view(&da);
    assert_int_equal(check(env, &v), MOBID_ERR_INVALID_ARG);
    mobid_buf_free(&da);
}

/* issuerAuth with one more unprotected member {4: kid_value}. */
static void issuer_auth_with_kid(const parts *p, const uint8_t *kid, size_t kid_len, mobid_buf *out)
{
    mobid_cbor_item el[4], k, v;
    mobid_cbor_iter it, mi;
    mobid_cbor_enc e;
    size_t n = 0;
    mobid_cbor_iter_init(&it, &p->issuer_auth);
    while (n < 4 && mobid_cbor_iter_next(&it, &el[n]) == MOBID_OK)
        n++;
    assert_int_equal(n, 4);
    mobid_buf_init(out, 0);
    mobid_cbor_enc_init(&e, out);
    mobid_cbor_put_array_head(&e, 4);
    mobid_cbor_put_raw(&e, el[0].span);
    mobid_cbor_put_map_head(&e, el[1].arg + 1);
    mobid_cbor_put_uint(&e, 4);
    mobid_cbor_put_raw(&e, mobid_view_make(kid, kid_len));
    mobid_cbor_iter_init(&mi, &el[1]);
    while (mobid_cbor_iter_next(&mi, &k) == MOBID_OK && mobid_cbor_iter_next(&mi, &v) == MOBID_OK) {
        mobid_cbor_put_raw(&e, k.span);
        mobid_cbor_put_raw(&e, v.span);
    }
    mobid_cbor_put_raw(&e, el[2].span);
    mobid_cbor_put_raw(&e, el[3].span);
    assert_int_equal(mobid_cbor_enc_finish(&e), MOBID_OK);
}

/* A kid of undefined (as @auth0/mdl 3.0.1 writes) is tolerated: the unprotected
 * bucket is not signed and it names nothing. A kid of another wrong type is not. */
static void test_tolerated_empty_kid(void **state)
{
    bad_env *env = *state;
    mobid_buf ia;
    static const uint8_t undefined_kid[] = { 0xf7 }, int_kid[] = { 0x05 };
    issuer_auth_with_kid(&env->p, undefined_kid, 1, &ia);
    variant v = { .status = 0, .issuer_auth = mobid_buf_view(&ia) };
    assert_int_equal(check(env, &v), MOBID_OK);
    mobid_buf_free(&ia);
    issuer_auth_with_kid(&env->p, int_kid, 1, &ia);
    v.issuer_auth = mobid_buf_view(&ia);
    assert_int_equal(check(env, &v), MOBID_ERR_MALFORMED);
    mobid_buf_free(&ia);
}

static void test_inputs(void **state)
{
    bad_env *env = *state;
    mobid_mdoc_result res;
    mobid_mdoc_verify_opts o = { mobid_buf_view(&env->f.transcript), NULL, FX_NOW, NULL };
    static const uint8_t not_map[] = { 0x80 }, junk[] = { 0xff, 0x00 };
    mobid_buf trailing, deep;
    assert_int_equal(mobid_mdoc_verify(env->f.verifier, mobid_view_make(NULL, 0), &o, &res),
                     MOBID_ERR_MALFORMED);
    mobid_mdoc_result_free(&res);
    assert_int_equal(mobid_mdoc_verify(env->f.verifier, mobid_view_make(not_map, 1), &o, &res),
                     MOBID_ERR_MALFORMED);
    mobid_mdoc_result_free(&res);
    assert_int_equal(mobid_mdoc_verify(env->f.verifier, mobid_view_make(junk, 2), &o, &res),
                     MOBID_ERR_MALFORMED);
    mobid_mdoc_result_free(&res);
    /* Trailing bytes after a valid response. */
    mobid_buf_init(&trailing, 0);
    mobid_buf_append_view(&trailing, mobid_buf_view(&env->p.resp));
    mobid_buf_append_byte(&trailing, 0x00);
    assert_int_equal(mobid_mdoc_verify(env->f.verifier, mobid_buf_view(&trailing), &o, &res),
                     MOBID_ERR_MALFORMED);
    mobid_mdoc_result_free(&res);
    mobid_buf_free(&trailing);
    /* 100 000 nested arrays. */
    mobid_buf_init(&deep, 0);
    for (int i = 0; i < 100000; i++)
        mobid_buf_append_byte(&deep, 0x81);
    mobid_buf_append_byte(&deep, 0x00);
    assert_int_equal(mobid_mdoc_verify(env->f.verifier, mobid_buf_view(&deep), &o, &res),
                     MOBID_ERR_MALFORMED);
    mobid_mdoc_result_free(&res);
    mobid_buf_free(&deep);
    /* A transcript that is not a 3-element array. */
    o.transcript = mobid_view_make(not_map, 1);
    assert_int_equal(mobid_mdoc_verify(env->f.verifier, mobid_buf_view(&env->p.resp), &o, &res),
                     MOBID_ERR_INVALID_ARG);
    mobid_mdoc_result_free(&res);
}

/* Reading a stored credential: garbage and tampered items are refused. */
static void test_issuer_signed_read(void **state)
{
    bad_env *env = *state;
    mobid_buf is;
    mobid_mdoc_doc d;
    assert_int_equal(fx_issue(&env->f, MOBID_MDOC_DOCTYPE_MDL, MOBID_MDOC_NS_MDL, FX_NOW,
                              FX_NOW + FX_DAY, NULL, 0, &is),
                     MOBID_OK);
    assert_int_equal(mobid_mdoc_issuer_signed_read(mobid_buf_view(&is), &d), MOBID_OK);
    assert_int_equal(d.n_items, 7);
    assert_true(mobid_view_eq_str(d.doctype, MOBID_MDOC_DOCTYPE_MDL));
    mobid_mdoc_doc_free(&d);
    for (size_t i = 0; i + 3 <= is.len; i++)
        if (!memcmp(is.ptr + i, "Doe", 3))
            is.ptr[i] = 'X';
    assert_int_equal(mobid_mdoc_issuer_signed_read(mobid_buf_view(&is), &d),
                     MOBID_ERR_DIGEST_MISMATCH);
    mobid_mdoc_doc_free(&d);
    assert_int_equal(mobid_mdoc_issuer_signed_read(mobid_view_make(is.ptr, 10), &d),
                     MOBID_ERR_MALFORMED);
    mobid_mdoc_doc_free(&d);
    mobid_buf_free(&is);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rebuilt_original_verifies),
        cmocka_unit_test(test_response_level),
        cmocka_unit_test(test_document_level),
        cmocka_unit_test(test_device_auth),
        cmocka_unit_test(test_tolerated_empty_kid),
        cmocka_unit_test(test_inputs),
        cmocka_unit_test(test_issuer_signed_read),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
