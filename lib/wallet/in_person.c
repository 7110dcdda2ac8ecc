/*
 * Presenting in person (ISO 18013-5) over a transport the host opened after
 * showing the engagement QR: the reader's SessionEstablishment, the decrypted
 * DeviceRequest, the checks of in_person_check.c, consent and PIN, a never-shown
 * copy of the card answering with a device MAC, until the reader ends the session.
 * The holder's refusal (or a failed check) ends the session with status 20 and
 * nothing shown.
 */
#include <string.h>

#include <mobid/cose.h>
#include <mobid/jose.h>
#include "wallet_in_person.h"

/* Most requests answered in one session. */
#define IP_MAX_REQUESTS 8

typedef struct ip_session {
    const mobid_wallet_io *io;
    const mobid_px_transport *t;
    wl_wallet w;
    mobid_px_session *s;
    mobid_key *e_reader_key;
    json_t *summary;
    char *detail;
    size_t dlen;
} ip_session;

static void send_status(const ip_session *p, int status)
{
    mobid_buf m;
    mobid_buf_init(&m, 0);
    if (mobid_px_session_data_encode(mobid_view_make(NULL, 0), status, &m) == MOBID_OK)
        (void)p->t->send(p->t->ctx, mobid_buf_view(&m));
    mobid_buf_free(&m);
}

static mobid_err ask_consent(const ip_session *p, const ip_request *r)
{
    mobid_wallet_consent c = { 0 };
    size_t n = json_array_size(r->claims);
    const char **list = mobid_calloc(n + 1, sizeof *list);
    mobid_err err;
    if (!list)
        return MOBID_ERR_NOMEM;
    for (size_t i = 0; i < n; i++)
        list[i] = json_string_value(json_array_get(r->claims, i));
    c.rp_name = r->reg.name;
    c.rp_id = r->reg.rp_id;
    c.client_id = r->client_id;
    c.legal_basis = r->reg.legal_basis;
    c.claims = list;
    err = p->io->consent ? p->io->consent(p->io->ctx, &c) : MOBID_ERR_CONSENT_DENIED;
    mobid_free(list);
    return err;
}

/* The DeviceResponse of the chosen copy, over this session's transcript. */
static mobid_err respond(const ip_session *p, ip_request *r, mobid_buf *resp)
{
    const char *cred = json_string_value(json_object_get(r->item, "c"));
    mobid_px_doc_request shown = *r->doc;
    mobid_key *key = NULL;
    mobid_buf is;
    mobid_err err = cred ? mobid_jwk_to_key(json_object_get(r->item, "k"), &key)
                         : MOBID_ERR_MALFORMED;
    mobid_buf_init(&is, MOBID_PX_MAX_MESSAGE);
    if (!err && mobid_b64url_decode(mobid_view_str(cred), &is))
        err = MOBID_ERR_MALFORMED;
    shown.items = r->shown;
    shown.n_items = r->n_shown;
    if (!err)
        err = mobid_px_device_response(p->s, &shown, mobid_buf_view(&is), key, p->e_reader_key,
                                       resp);
    mobid_key_free(key);
    mobid_buf_free(&is);
    return err;
}

static mobid_err summarize(ip_session *p, const ip_request *r)
{
    json_decref(p->summary);
    p->summary = json_pack("{s:s,s:s,s:s,s:O,s:[O],s:s}", "rp", r->reg.name, "rp_id",
                           r->reg.rp_id, "client_id", r->client_id, "claims", r->claims,
                           "credentials", json_object_get(r->entry, "id"), "channel",
                           "in_person");
    return p->summary ? MOBID_OK : MOBID_ERR_NOMEM;
}

/* Checks, consent, PIN, the answer: one docRequest per request. */
static mobid_err answer(ip_session *p, const mobid_px_device_request *dr, mobid_buf *resp)
{
    ip_request r;
    mobid_err err = MOBID_OK;
    memset(&r, 0, sizeof r);
    r.doc = &dr->docs[0];
    if (dr->n_docs != 1) {
        wl_detail(p->detail, p->dlen, "one document per request is answered in person");
        err = MOBID_ERR_UNSUPPORTED;
    }
    /* without a device secret only the PIN authenticates the anchors: PIN first */
    if (!err && !p->w.has_dev && !p->w.unlocked)
        err = wl_unlock(p->io, "PIN to share these claims in person", &p->w);
    if (!err)
        err = ip_check_reader(&r, &p->w, mobid_px_session_transcript(p->s), wl_now(p->io),
                              p->detail, p->dlen);
    if (!err)
        err = ip_check_claims(&r, p->detail, p->dlen);
    if (!err)
        err = ask_consent(p, &r);
    if (!err && !p->w.unlocked)
        err = wl_unlock(p->io, "PIN to share these claims in person", &p->w);
    if (!err)
        err = ip_choose(&r, &p->w, wl_now(p->io));
    if (!err)
        err = respond(p, &r, resp);
    if (!err)
        err = ip_record(p->io, &p->w, &r);
    if (!err)
        err = summarize(p, &r);
    mobid_free(r.client_id);
    if (r.has_reg)
        mobid_oid4vp_registration_clear(&r.reg);
    json_decref(r.claims);
    return err;
}

/* Decrypt and parse one request; on failure tell the reader (status 10 or 11). */
static mobid_err open_request(ip_session *p, mobid_view data, mobid_buf *pt,
                              mobid_px_device_request *dr)
{
    mobid_err err = mobid_px_decrypt(p->s, data, pt);
    if (err) {
        wl_detail(p->detail, p->dlen, "reader's message refused: %s", mobid_err_name(err));
        send_status(p, MOBID_PX_STATUS_ENCRYPTION_ERROR);
        return err;
    }
    err = mobid_px_device_request_parse(mobid_buf_view(pt), dr);
    if (err) {
        wl_detail(p->detail, p->dlen, "DeviceRequest unreadable: %s", mobid_err_name(err));
        send_status(p, MOBID_PX_STATUS_DECODING_ERROR);
    }
    return err;
}

/* Answer the request in data and send the response (or end the session). */
static mobid_err serve(ip_session *p, mobid_view data)
{
    mobid_px_device_request dr;
    mobid_buf pt, resp, ct, msg;
    mobid_err err;
    memset(&dr, 0, sizeof dr);
    mobid_buf_init(&pt, MOBID_PX_MAX_MESSAGE);
    mobid_buf_init(&resp, MOBID_PX_MAX_MESSAGE);
    mobid_buf_init(&ct, 0);
    mobid_buf_init(&msg, 0);
    err = open_request(p, data, &pt, &dr);
    if (err)
        goto done;
    err = answer(p, &dr, &resp);
    if (err) {
        send_status(p, MOBID_PX_STATUS_TERMINATION); /* nothing shown */
        goto done;
    }
    err = mobid_px_encrypt(p->s, mobid_buf_view(&resp), &ct);
    if (!err)
        err = mobid_px_session_data_encode(mobid_buf_view(&ct), -1, &msg);
    if (!err)
        err = p->t->send(p->t->ctx, mobid_buf_view(&msg));
done:
    mobid_px_device_request_clear(&dr);
    mobid_buf_free(&pt);
    mobid_buf_free(&resp);
    mobid_buf_free(&ct);
    mobid_buf_free(&msg);
    return err;
}

/* The SessionEstablishment: the reader's key, the transcript, the session. */
static mobid_err establish(ip_session *p, const mobid_key *edk, mobid_view engagement,
                           mobid_buf *msg, mobid_px_establishment *est)
{
    mobid_cbor_item key;
    mobid_buf st;
    mobid_err err = p->t->recv(p->t->ctx, MOBID_PX_MAX_MESSAGE + 64, msg);
    if (err)
        return err == MOBID_ERR_NOT_FOUND ? MOBID_ERR_SESSION_TERMINATED : err;
    mobid_buf_init(&st, 0);
    err = mobid_px_establishment_parse(mobid_buf_view(msg), est);
    if (!err && (mobid_cbor_decode_exact(est->e_reader_key, NULL, &key) ||
                 mobid_cose_key_decode(&key, &p->e_reader_key)))
        err = MOBID_ERR_MALFORMED;
    if (err) {
        wl_detail(p->detail, p->dlen, "SessionEstablishment unreadable");
        send_status(p, MOBID_PX_STATUS_DECODING_ERROR);
    }
    if (!err)
        err = mobid_px_transcript_qr(engagement, est->e_reader_key, &st);
    if (!err)
        err = mobid_px_session_new(MOBID_PX_DEVICE, edk, p->e_reader_key, mobid_buf_view(&st),
                                   &p->s);
    mobid_buf_free(&st);
    return err;
}

/* After an answer: another request, or the end of the session. *more says which. */
static mobid_err next(ip_session *p, mobid_buf *msg, mobid_px_session_data *sd, bool *more)
{
    mobid_err err;
    *more = false;
    msg->len = 0;
    err = p->t->recv(p->t->ctx, MOBID_PX_MAX_MESSAGE + 64, msg);
    if (err == MOBID_ERR_NOT_FOUND)
        return MOBID_OK; /* closing the transport also ends a session */
    if (!err && mobid_px_session_data_parse(mobid_buf_view(msg), sd) != MOBID_OK) {
        send_status(p, MOBID_PX_STATUS_DECODING_ERROR);
        err = MOBID_ERR_MALFORMED;
    }
    if (err)
        return err;
    if (sd->has_data) {
        *more = true;
        return MOBID_OK;
    }
    if (sd->status == MOBID_PX_STATUS_TERMINATION)
        return MOBID_OK;
    wl_detail(p->detail, p->dlen, "reader ended the session with status %llu",
              (unsigned long long)sd->status);
    return MOBID_ERR_SESSION_TERMINATED;
}

mobid_err mobid_wallet_present_in_person(const mobid_wallet_io *io,
                                         const mobid_px_transport *t,
                                         const mobid_key *e_device_key, mobid_view engagement,
                                         json_t **summary, char *detail, size_t detail_len)
{
    ip_session p;
    mobid_px_establishment est;
    mobid_px_session_data sd;
    mobid_buf first, msg;
    bool more = false;
    mobid_err err;

    memset(&p, 0, sizeof p);
    p.io = io;
    p.t = t;
    p.detail = detail;
    p.dlen = detail_len;
    mobid_buf_init(&first, 0);
    mobid_buf_init(&msg, 0);
    if (summary)
        *summary = NULL;
    err = io && t && t->send && t->recv && e_device_key ? wl_open(io, &p.w)
                                                          : MOBID_ERR_INVALID_ARG;
    if (!err && json_is_true(json_object_get(p.w.outer, "locked")))
        err = MOBID_ERR_WALLET_LOCKED;
    if (!err)
        err = establish(&p, e_device_key, engagement, &first, &est);
    if (!err)
        err = serve(&p, est.data);
    for (int n = 1; !err; n++) {
        err = next(&p, &msg, &sd, &more);
        if (err || !more)
            break;
        if (n >= IP_MAX_REQUESTS) {
            send_status(&p, MOBID_PX_STATUS_TERMINATION);
            break;
        }
        err = serve(&p, sd.data);
    }
    if (!err && summary)
        *summary = json_incref(p.summary);
    json_decref(p.summary);
    mobid_px_session_free(p.s);
    mobid_key_free(p.e_reader_key);
    wl_close(&p.w);
    mobid_buf_free(&first);
    mobid_buf_free(&msg);
    return err;
}
