/*
 * lib/proximity round trips without vectors: engagement (TCP and BLE methods, the
 * "mdoc:" URI), the session keys from both sides, counters in both directions,
 * replays and forgeries told apart, the message encoders and parsers, and a whole
 * reader exchange over an in-memory transport whose device side answers with
 * lib/mdoc (device signature), verified by the mdoc verifier.
 */
#include "px_fixture.h"

static int setup(void **state)
{
    px_fixture *p = calloc(1, sizeof *p);
    if (!p)
        return -1;
    pxf_init(p);
    *state = p;
    return 0;
}

static int teardown(void **state)
{
    pxf_free(*state);
    free(*state);
    return 0;
}

static void test_engagement_roundtrip(void **state)
{
    px_fixture *p = *state;
    mobid_px_engagement e;
    mobid_px_retrieval m[2];
    mobid_buf b, uri, back;
    memset(m, 0, sizeof m);
    m[0].type = MOBID_PX_RETRIEVAL_BLE;
    m[0].ble_peripheral_server = true;
    m[0].has_peripheral_uuid = true;
    memset(m[0].peripheral_uuid, 0xab, 16);
    m[1].type = MOBID_PX_RETRIEVAL_TCP;
    strcpy(m[1].host, "127.0.0.1");
    m[1].port = 65535;
    mobid_buf_init(&b, 0);
    assert_int_equal(mobid_px_engagement_encode(p->edev, m, 2, &b), MOBID_OK);
    assert_int_equal(mobid_px_engagement_parse(mobid_buf_view(&b), &e), MOBID_OK);
    assert_true(mobid_key_public_eq(e.e_device_key, p->edev));
    assert_int_equal(e.n_methods, 2);
    assert_true(e.methods[0].ble_peripheral_server);
    assert_false(e.methods[0].ble_central_client);
    assert_memory_equal(e.methods[0].peripheral_uuid, m[0].peripheral_uuid, 16);
    assert_false(e.methods[0].has_central_uuid);
    assert_string_equal(e.methods[1].host, "127.0.0.1");
    assert_int_equal(e.methods[1].port, 65535);
    mobid_px_engagement_clear(&e);
    mobid_buf_init(&uri, 0);
    mobid_buf_init(&back, 0);
    assert_int_equal(mobid_px_engagement_to_uri(mobid_buf_view(&b), &uri), MOBID_OK);
    assert_memory_equal(uri.ptr, "mdoc:", 5);
    assert_int_equal(mobid_px_engagement_from_uri(mobid_buf_view(&uri), &back), MOBID_OK);
    assert_true(mobid_view_eq(mobid_buf_view(&back), mobid_buf_view(&b)));
    /* other schemes, broken base64url */
    back.len = 0;
    assert_int_equal(mobid_px_engagement_from_uri(mobid_view_str("openid4vp://x"), &back),
                     MOBID_ERR_MALFORMED);
    assert_int_equal(mobid_px_engagement_from_uri(mobid_view_str("mdoc:"), &back),
                     MOBID_ERR_MALFORMED);
    assert_int_equal(mobid_px_engagement_from_uri(mobid_view_str("mdoc:a*b"), &back),
                     MOBID_ERR_MALFORMED);
    assert_int_equal(back.len, 0);
    mobid_buf_free(&b);
    mobid_buf_free(&uri);
    mobid_buf_free(&back);
}

/* Both sides derive the same keys; each direction has its own key and counter. */
static void test_session_both_ways(void **state)
{
    px_fixture *p = *state;
    mobid_px_session *dev = pxf_session(p, MOBID_PX_DEVICE), *rdr = pxf_session(p, MOBID_PX_READER);
    uint8_t a[32], b[32], c[32], d[32];
    mobid_buf c1, c2, c3, pt;
    mobid_px_session_keys(dev, a, b);
    mobid_px_session_keys(rdr, c, d);
    assert_memory_equal(a, c, 32);
    assert_memory_equal(b, d, 32);
    assert_memory_not_equal(a, b, 32);
    mobid_buf_init(&c1, 0);
    mobid_buf_init(&c2, 0);
    mobid_buf_init(&c3, 0);
    mobid_buf_init(&pt, 0);
    /* the same plaintext twice gives two ciphertexts (the counter moved on) */
    assert_int_equal(mobid_px_encrypt(rdr, mobid_view_str("one"), &c1), MOBID_OK);
    assert_int_equal(mobid_px_encrypt(rdr, mobid_view_str("one"), &c2), MOBID_OK);
    assert_false(mobid_view_eq(mobid_buf_view(&c1), mobid_buf_view(&c2)));
    assert_int_equal(c1.len, 3 + 16);
    /* out of order: the second cannot be read first, and is not called a replay */
    assert_int_equal(mobid_px_decrypt(dev, mobid_buf_view(&c2), &pt), MOBID_ERR_DECRYPT_FAILED);
    assert_int_equal(mobid_px_decrypt(dev, mobid_buf_view(&c1), &pt), MOBID_OK);
    assert_int_equal(mobid_px_decrypt(dev, mobid_buf_view(&c2), &pt), MOBID_OK);
    assert_true(mobid_view_eq_str(mobid_buf_view(&pt), "oneone"));
    pt.len = 0;
    assert_int_equal(mobid_px_decrypt(dev, mobid_buf_view(&c1), &pt), MOBID_ERR_MESSAGE_REPLAYED);
    assert_int_equal(mobid_px_decrypt(dev, mobid_buf_view(&c2), &pt), MOBID_ERR_MESSAGE_REPLAYED);
    assert_int_equal(pt.len, 0);
    /* the other direction; a reader cannot read its own messages back */
    assert_int_equal(mobid_px_encrypt(dev, mobid_view_make(NULL, 0), &c3), MOBID_OK);
    assert_int_equal(mobid_px_decrypt(rdr, mobid_buf_view(&c3), &pt), MOBID_OK);
    assert_int_equal(pt.len, 0);
    c1.len = 0;
    assert_int_equal(mobid_px_encrypt(rdr, mobid_view_str("x"), &c1), MOBID_OK);
    assert_int_equal(mobid_px_decrypt(rdr, mobid_buf_view(&c1), &pt), MOBID_ERR_DECRYPT_FAILED);
    /* short, flipped and empty ciphertexts */
    assert_int_equal(mobid_px_decrypt(dev, mobid_view_make(c1.ptr, 15), &pt),
                     MOBID_ERR_DECRYPT_FAILED);
    c1.ptr[0] ^= 0x80;
    assert_int_equal(mobid_px_decrypt(dev, mobid_buf_view(&c1), &pt), MOBID_ERR_DECRYPT_FAILED);
    assert_int_equal(mobid_px_decrypt(dev, mobid_view_make(NULL, 0), &pt), MOBID_ERR_DECRYPT_FAILED);
    mobid_px_session_free(dev);
    mobid_px_session_free(rdr);
    mobid_buf_free(&c1);
    mobid_buf_free(&c2);
    mobid_buf_free(&c3);
    mobid_buf_free(&pt);
}

/* Another transcript or another key: other session keys. */
static void test_session_binding(void **state)
{
    px_fixture *p = *state;
    mobid_px_session *a = pxf_session(p, MOBID_PX_DEVICE), *b = NULL;
    mobid_key *other = NULL;
    mobid_buf st;
    uint8_t ka[32], kb[32];
    mobid_buf_init(&st, 0);
    assert_int_equal(mobid_px_transcript_nfc(mobid_buf_view(&p->engagement), mobid_buf_view(&p->erk),
                                             mobid_view_str("select"), mobid_view_make(NULL, 0), &st),
                     MOBID_OK);
    assert_int_equal(mobid_px_session_new(MOBID_PX_DEVICE, p->edev, p->erdr, mobid_buf_view(&st), &b),
                     MOBID_OK);
    mobid_px_session_keys(a, ka, NULL);
    mobid_px_session_keys(b, kb, NULL);
    assert_memory_not_equal(ka, kb, 32);
    mobid_px_session_free(b);
    b = NULL;
    /* a peer key used as our own (no private part), another curve, no transcript */
    mobid_buf x, y;
    mobid_key *pub = NULL;
    mobid_buf_init(&x, 0);
    mobid_buf_init(&y, 0);
    assert_int_equal(mobid_key_to_coords(p->erdr, &x, &y, NULL), MOBID_OK);
    assert_int_equal(mobid_key_from_coords(MOBID_CURVE_P256, mobid_buf_view(&x), mobid_buf_view(&y),
                                           mobid_view_make(NULL, 0), &pub),
                     MOBID_OK);
    assert_int_equal(mobid_px_session_new(MOBID_PX_DEVICE, pub, p->edev, mobid_buf_view(&st), &b),
                     MOBID_ERR_KEY_INVALID);
    mobid_key_free(pub);
    mobid_buf_free(&x);
    mobid_buf_free(&y);
    assert_int_equal(mobid_key_generate(MOBID_CURVE_P384, &other), MOBID_OK);
    assert_int_equal(mobid_px_session_new(MOBID_PX_DEVICE, p->edev, other, mobid_buf_view(&st), &b),
                     MOBID_ERR_KEY_INVALID);
    assert_null(b);
    assert_int_equal(mobid_px_session_new(MOBID_PX_DEVICE, p->edev, p->erdr, mobid_view_str("x"), &b),
                     MOBID_ERR_MALFORMED);
    assert_int_equal(mobid_px_session_new((mobid_px_role)7, p->edev, p->erdr, mobid_buf_view(&st), &b),
                     MOBID_ERR_INVALID_ARG);
    mobid_key_free(other);
    mobid_px_session_free(a);
    mobid_buf_free(&st);
}

static void test_messages(void **state)
{
    px_fixture *p = *state;
    mobid_buf m;
    mobid_px_establishment est;
    mobid_px_session_data sd;
    mobid_buf_init(&m, 0);
    assert_int_equal(mobid_px_establishment_encode(mobid_buf_view(&p->erk), mobid_view_str("ct"), &m),
                     MOBID_OK);
    assert_int_equal(mobid_px_establishment_parse(mobid_buf_view(&m), &est), MOBID_OK);
    assert_true(mobid_view_eq(est.e_reader_key, mobid_buf_view(&p->erk)));
    assert_true(mobid_view_eq_str(est.data, "ct"));
    m.len = 0;
    assert_int_equal(mobid_px_session_data_encode(mobid_view_str("d"), MOBID_PX_STATUS_DECODING_ERROR, &m),
                     MOBID_OK);
    assert_int_equal(mobid_px_session_data_parse(mobid_buf_view(&m), &sd), MOBID_OK);
    assert_true(sd.has_data && sd.has_status);
    assert_int_equal(sd.status, 11);
    m.len = 0;
    assert_int_equal(mobid_px_session_data_encode(mobid_view_make(NULL, 0), -1, &m),
                     MOBID_ERR_INVALID_ARG);
    assert_int_equal(mobid_px_establishment_encode(mobid_view_str("not cbor"), mobid_view_str("ct"), &m),
                     MOBID_ERR_INVALID_ARG);
    mobid_buf_free(&m);
}

/* The device side of the in-memory transport: answers the SessionEstablishment
 * with a DeviceResponse made by lib/mdoc (device signature), then takes the
 * termination. */
typedef struct mem_device {
    px_fixture *p;
    mobid_buf issuer_signed;
    mobid_buf to_reader;   /* the next message for the reader */
    int sent;              /* messages received from the reader */
    uint64_t last_status;
    mobid_err err;
} mem_device;

static mobid_err dev_answer(mem_device *d, mobid_view msg)
{
    mobid_px_establishment est;
    mobid_px_device_request r;
    mobid_px_session *s = NULL;
    mobid_key *erk = NULL;
    mobid_cbor_item key;
    mobid_buf pt, resp, ct, st;
    mobid_err err;
    memset(&r, 0, sizeof r);
    mobid_buf_init(&st, 0);
    mobid_buf_init(&pt, 0);
    mobid_buf_init(&resp, 0);
    mobid_buf_init(&ct, 0);
    err = mobid_px_establishment_parse(msg, &est);
    if (!err)
        err = mobid_cbor_decode_exact(est.e_reader_key, NULL, &key);
    if (!err)
        err = mobid_cose_key_decode(&key, &erk);
    if (!err)
        err = mobid_px_transcript_qr(mobid_buf_view(&d->p->engagement), est.e_reader_key, &st);
    if (!err)
        err = mobid_px_session_new(MOBID_PX_DEVICE, d->p->edev, erk, mobid_buf_view(&st), &s);
    if (!err)
        err = mobid_px_decrypt(s, est.data, &pt);
    if (!err)
        err = mobid_px_device_request_parse(mobid_buf_view(&pt), &r);
    if (!err)
        err = mobid_px_reader_auth_verify(&r.docs[0], mobid_px_session_transcript(s),
                                          d->p->reader_roots, FX_NOW, NULL);
    if (!err)
        err = mobid_px_device_response(s, &r.docs[0], mobid_buf_view(&d->issuer_signed),
                                       d->p->f.device_key, NULL, &resp);
    if (!err)
        err = mobid_px_encrypt(s, mobid_buf_view(&resp), &ct);
    if (!err)
        err = mobid_px_session_data_encode(mobid_buf_view(&ct), -1, &d->to_reader);
    mobid_px_device_request_clear(&r);
    mobid_px_session_free(s);
    mobid_key_free(erk);
    mobid_buf_free(&pt);
    mobid_buf_free(&resp);
    mobid_buf_free(&ct);
    mobid_buf_free(&st);
    return err;
}

static mobid_err mem_send(void *ctx, mobid_view msg)
{
    mem_device *d = ctx;
    mobid_px_session_data sd;
    if (d->sent++ == 0) {
        d->err = dev_answer(d, msg); /* a refusal sends nothing back */
        return MOBID_OK;
    }
    if (mobid_px_session_data_parse(msg, &sd) == MOBID_OK && sd.has_status)
        d->last_status = sd.status;
    return MOBID_OK;
}

static mobid_err mem_recv(void *ctx, size_t max, mobid_buf *out)
{
    mem_device *d = ctx;
    if (!d->to_reader.len)
        return MOBID_ERR_NOT_FOUND;
    if (d->to_reader.len > max)
        return MOBID_ERR_TOO_BIG;
    mobid_err err = mobid_buf_append(out, d->to_reader.ptr, d->to_reader.len);
    d->to_reader.len = 0;
    return err;
}

static void test_reader_exchange(void **state)
{
    px_fixture *p = *state;
    mem_device d = { p, { 0 }, { 0 }, 0, 0, MOBID_OK };
    mobid_px_transport t = { &d, mem_send, mem_recv, NULL };
    mobid_px_item items[] = { { mobid_view_str(MOBID_MDOC_NS_MDL), mobid_view_str("family_name"), true },
                              { mobid_view_str(MOBID_MDOC_NS_MDL), mobid_view_str("portrait"), false } };
    mobid_px_doc_spec spec = { MOBID_MDOC_DOCTYPE_MDL, items, 2, { NULL, 0 }, p->reader_auth_key,
                               &p->reader_cert, 1 };
    mobid_px_reader_opts o = { mobid_buf_view(&p->engagement), &spec, 1 };
    mobid_px_reader_result r;
    mobid_mdoc_result res;
    assert_int_equal(fx_issue(&p->f, MOBID_MDOC_DOCTYPE_MDL, MOBID_MDOC_NS_MDL, FX_NOW - FX_DAY,
                              FX_NOW + FX_DAY, NULL, 0, &d.issuer_signed),
                     MOBID_OK);
    mobid_buf_init(&d.to_reader, 0);
    assert_int_equal(mobid_px_reader_exchange(&t, &o, &r), MOBID_OK);
    assert_int_equal(d.err, MOBID_OK);
    assert_int_equal(d.last_status, MOBID_PX_STATUS_TERMINATION);
    /* the answer verifies over the session's transcript, with exactly the two items */
    mobid_mdoc_verify_opts vo = { mobid_buf_view(&r.transcript), NULL, FX_NOW, NULL };
    assert_int_equal(mobid_mdoc_verify(p->f.verifier, mobid_buf_view(&r.response), &vo, &res),
                     MOBID_OK);
    assert_int_equal(res.docs[0].n_items, 2);
    assert_false(res.docs[0].device_mac);
    mobid_mdoc_result_free(&res);
    mobid_px_reader_result_clear(&r);

    /* a reader certificate without the reader EKU is refused by the device */
    spec.reader_chain = &p->plain_cert;
    d.sent = 0;
    assert_int_equal(mobid_px_reader_exchange(&t, &o, &r), MOBID_ERR_SESSION_TERMINATED);
    assert_int_equal(d.err, MOBID_ERR_CERT_USAGE);
    mobid_px_reader_result_clear(&r);
    /* an engagement that is no engagement */
    o.engagement = mobid_view_make("\x01", 1);
    assert_int_equal(mobid_px_reader_exchange(&t, &o, &r), MOBID_ERR_MALFORMED);
    mobid_px_reader_result_clear(&r);
    mobid_buf_free(&d.issuer_signed);
    mobid_buf_free(&d.to_reader);
}

/* Every allocation of a whole exchange failing in turn: a clean error each time (and
 * no leak under ASan), then success once allocations are plentiful. */
static void test_alloc_failures(void **state)
{
    px_fixture *p = *state;
    mem_device d = { p, { 0 }, { 0 }, 0, 0, MOBID_OK };
    mobid_px_transport t = { &d, mem_send, mem_recv, NULL };
    mobid_px_item items[] = { { mobid_view_str(MOBID_MDOC_NS_MDL), mobid_view_str("given_name"), false } };
    mobid_px_doc_spec spec = { MOBID_MDOC_DOCTYPE_MDL, items, 1, { NULL, 0 }, p->reader_auth_key,
                               &p->reader_cert, 1 };
    mobid_px_reader_opts o = { mobid_buf_view(&p->engagement), &spec, 1 };
    mobid_px_reader_result r;
    mobid_err err = MOBID_ERR_NOMEM;
    long n;
    assert_int_equal(fx_issue(&p->f, MOBID_MDOC_DOCTYPE_MDL, MOBID_MDOC_NS_MDL, FX_NOW - FX_DAY,
                              FX_NOW + FX_DAY, NULL, 0, &d.issuer_signed),
                     MOBID_OK);
    mobid_buf_init(&d.to_reader, 0);
    for (n = 0; n < 2000 && err != MOBID_OK; n++) {
        d.sent = 0;
        mobid_buf_free(&d.to_reader); /* drops a sticky NOMEM of the last round too */
        mobid_buf_init(&d.to_reader, 0);
        mobid_alloc_fail_after(n);
        err = mobid_px_reader_exchange(&t, &o, &r);
        mobid_alloc_fail_after(-1);
        mobid_px_reader_result_clear(&r);
        assert_true(err == MOBID_OK || err == MOBID_ERR_NOMEM || err == MOBID_ERR_SESSION_TERMINATED ||
                    err == MOBID_ERR_DECRYPT_FAILED || err == MOBID_ERR_MALFORMED);
    }
    if (err != MOBID_OK)
        fail_msg("after %ld: %s, device %s", n, mobid_err_name(err), mobid_err_name(d.err));
    assert_true(n > 5); /* the early failures were really exercised */
    mobid_buf_free(&d.issuer_signed);
    mobid_buf_free(&d.to_reader);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_engagement_roundtrip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_session_both_ways, setup, teardown),
        cmocka_unit_test_setup_teardown(test_session_binding, setup, teardown),
        cmocka_unit_test_setup_teardown(test_messages, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reader_exchange, setup, teardown),
        cmocka_unit_test_setup_teardown(test_alloc_failures, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
