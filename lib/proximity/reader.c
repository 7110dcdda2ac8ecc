/* The reader's side of a session (18013-5 §9.1.1): establish, ask once, read the
 * answer, terminate. The transport comes from the caller. */
#include "px_internal.h"

#include <string.h>

#include <mobid/cose.h>

/* Tell the device why the session ends; the session ends either way, so a
 * transport error here changes nothing. */
static void send_status(const mobid_px_transport *t, int status)
{
    mobid_buf m;
    mobid_buf_init(&m, 0);
    if (mobid_px_session_data_encode(mobid_view_make(NULL, 0), status, &m) == MOBID_OK)
        (void)t->send(t->ctx, mobid_buf_view(&m));
    mobid_buf_free(&m);
}

/* EReaderKey on the device key's curve, its COSE_Key bytes, transcript, session. */
static mobid_err start(const mobid_px_engagement *e, mobid_view engagement,
                       mobid_px_reader_result *res, mobid_buf *erk, mobid_px_session **s)
{
    mobid_cbor_enc enc;
    mobid_err err = mobid_key_generate(mobid_key_curve(e->e_device_key), &res->e_reader_key);
    if (err)
        return err;
    mobid_cbor_enc_init(&enc, erk);
    err = mobid_cose_key_encode(res->e_reader_key, false, &enc);
    mobid_err fin = mobid_cbor_enc_finish(&enc);
    if (!err)
        err = fin;
    if (!err)
        err = mobid_px_transcript_qr(engagement, mobid_buf_view(erk), &res->transcript);
    if (!err)
        err = mobid_px_session_new(MOBID_PX_READER, res->e_reader_key, e->e_device_key,
                                   mobid_buf_view(&res->transcript), s);
    return err;
}

static mobid_err send_request(const mobid_px_transport *t, const mobid_px_reader_opts *o,
                              mobid_px_session *s, mobid_view erk)
{
    mobid_buf req, ct, msg;
    mobid_err err;
    mobid_buf_init(&req, MOBID_PX_MAX_MESSAGE);
    mobid_buf_init(&ct, 0);
    mobid_buf_init(&msg, 0);
    err = mobid_px_device_request_encode(o->docs, o->n_docs, mobid_px_session_transcript(s),
                                         &req);
    if (!err)
        err = mobid_px_encrypt(s, mobid_buf_view(&req), &ct);
    if (!err)
        err = mobid_px_establishment_encode(erk, mobid_buf_view(&ct), &msg);
    if (!err)
        err = t->send(t->ctx, mobid_buf_view(&msg));
    mobid_buf_free(&req);
    mobid_buf_free(&ct);
    mobid_buf_free(&msg);
    return err;
}

/* The device's answer: SessionData with data, decrypted into res->response. */
static mobid_err read_response(const mobid_px_transport *t, mobid_px_session *s,
                               mobid_px_reader_result *res)
{
    mobid_buf msg;
    mobid_px_session_data sd;
    mobid_err err;
    mobid_buf_init(&msg, 0);
    err = t->recv(t->ctx, MOBID_PX_MAX_MESSAGE + 64, &msg);
    if (err == MOBID_ERR_NOT_FOUND)
        err = MOBID_ERR_SESSION_TERMINATED; /* closed without answering */
    if (err)
        goto done;
    if (mobid_px_session_data_parse(mobid_buf_view(&msg), &sd) != MOBID_OK) {
        send_status(t, MOBID_PX_STATUS_DECODING_ERROR);
        err = MOBID_ERR_MALFORMED;
        goto done;
    }
    if (!sd.has_data) {
        err = MOBID_ERR_SESSION_TERMINATED;
        goto done;
    }
    err = mobid_px_decrypt(s, sd.data, &res->response);
    if (err == MOBID_ERR_DECRYPT_FAILED || err == MOBID_ERR_MESSAGE_REPLAYED)
        send_status(t, MOBID_PX_STATUS_ENCRYPTION_ERROR);
done:
    mobid_buf_free(&msg);
    return err;
}

mobid_err mobid_px_reader_exchange(const mobid_px_transport *t, const mobid_px_reader_opts *o,
                                   mobid_px_reader_result *res)
{
    mobid_px_engagement e;
    mobid_px_session *s = NULL;
    mobid_buf erk;
    mobid_err err;
    if (!res)
        return MOBID_ERR_INVALID_ARG;
    memset(res, 0, sizeof *res);
    mobid_buf_init(&res->response, MOBID_PX_MAX_MESSAGE);
    mobid_buf_init(&res->transcript, 0);
    mobid_buf_init(&erk, 0);
    memset(&e, 0, sizeof e);
    if (!t || !t->send || !t->recv || !o) {
        err = MOBID_ERR_INVALID_ARG;
        goto done;
    }
    err = mobid_px_engagement_parse(o->engagement, &e);
    if (!err)
        err = start(&e, o->engagement, res, &erk, &s);
    if (!err)
        err = send_request(t, o, s, mobid_buf_view(&erk));
    if (!err)
        err = read_response(t, s, res);
    if (!err)
        send_status(t, MOBID_PX_STATUS_TERMINATION);
done:
    mobid_px_session_free(s);
    mobid_px_engagement_clear(&e);
    mobid_buf_free(&erk);
    return err;
}

void mobid_px_reader_result_clear(mobid_px_reader_result *res)
{
    if (!res)
        return;
    mobid_buf_free(&res->response);
    mobid_buf_free(&res->transcript);
    mobid_key_free(res->e_reader_key);
    memset(res, 0, sizeof *res);
}
