/* Session encryption (18013-5 §9.1.1.5): SKReader / SKDevice from HKDF-SHA-256
 * over the ECDH secret, AES-256-GCM with IV = identifier (8 bytes) || counter
 * (4 bytes big-endian), one counter per direction starting at 1. */
#include "px_internal.h"

#include <string.h>

#include <mobid/mdoc.h>

struct mobid_px_session {
    mobid_px_role role;
    uint8_t sk_reader[32];
    uint8_t sk_device[32];
    uint32_t send_counter; /* next counter this side encrypts with */
    uint32_t recv_counter; /* next counter expected from the peer */
    mobid_buf transcript;  /* SessionTranscriptBytes (tag 24) */
    mobid_view array;      /* the SessionTranscript array inside it */
};

const mobid_cbor_limits px_limits = { 32, 100000, MOBID_PX_MAX_MESSAGE };

mobid_err px_decode_map(mobid_view in, mobid_cbor_item *out)
{
    if (in.len > MOBID_PX_MAX_MESSAGE)
        return MOBID_ERR_TOO_BIG;
    mobid_err err = mobid_cbor_decode_exact(in, &px_limits, out);
    if (!err && out->type != MOBID_CBOR_MAP)
        err = MOBID_ERR_MALFORMED;
    return err;
}

mobid_err px_transcript_array(mobid_view transcript, mobid_view *array)
{
    return mobid_mdoc_transcript_unwrap(transcript, array);
}

/* #6.24(bstr .cbor array) */
static mobid_err wrap24(mobid_view array, mobid_buf *out)
{
    mobid_cbor_enc e;
    mobid_cbor_enc_init(&e, out);
    mobid_cbor_put_tag(&e, 24);
    mobid_cbor_put_bytes(&e, array);
    return mobid_cbor_enc_finish(&e);
}

static mobid_err derive(mobid_px_session *s, mobid_view secret)
{
    uint8_t salt[MOBID_HASH_MAX];
    mobid_err err = mobid_hash(MOBID_HASH_SHA256, mobid_buf_view(&s->transcript), salt);
    if (!err)
        err = mobid_hkdf(MOBID_HASH_SHA256, mobid_view_make(salt, 32), secret,
                         mobid_view_str("SKReader"), s->sk_reader, 32);
    if (!err)
        err = mobid_hkdf(MOBID_HASH_SHA256, mobid_view_make(salt, 32), secret,
                         mobid_view_str("SKDevice"), s->sk_device, 32);
    return err;
}

mobid_err mobid_px_session_new(mobid_px_role role, const mobid_key *own, const mobid_key *peer,
                               mobid_view transcript, mobid_px_session **out)
{
    mobid_px_session *s = NULL;
    mobid_buf secret;
    mobid_view array;
    mobid_err err = MOBID_ERR_INVALID_ARG;

    mobid_buf_init(&secret, 0);
    if (!own || !peer || !out || (role != MOBID_PX_READER && role != MOBID_PX_DEVICE))
        goto done;
    *out = NULL;
    err = px_transcript_array(transcript, &array);
    if (err)
        goto done;
    err = MOBID_ERR_NOMEM;
    if (!(s = mobid_calloc(1, sizeof *s)))
        goto done;
    s->role = role;
    s->send_counter = s->recv_counter = 1;
    mobid_buf_init(&s->transcript, 0);
    err = wrap24(array, &s->transcript);
    if (!err)
        err = mobid_ecdh(own, peer, &secret);
    if (!err)
        err = derive(s, mobid_buf_view(&secret));
    if (err)
        goto done;
    /* the array is the byte string content at the end of the tag-24 wrapping */
    s->array = mobid_view_make(s->transcript.ptr + s->transcript.len - array.len, array.len);
    *out = s;
    s = NULL;
done:
    if (secret.ptr)
        mobid_wipe(secret.ptr, secret.len);
    mobid_buf_free(&secret);
    mobid_px_session_free(s);
    return err;
}

void mobid_px_session_free(mobid_px_session *s)
{
    if (!s)
        return;
    mobid_wipe(s->sk_reader, sizeof s->sk_reader);
    mobid_wipe(s->sk_device, sizeof s->sk_device);
    mobid_buf_free(&s->transcript);
    mobid_free(s);
}

mobid_view mobid_px_session_transcript(const mobid_px_session *s)
{
    return s ? s->array : mobid_view_make(NULL, 0);
}

void mobid_px_session_keys(const mobid_px_session *s, uint8_t sk_reader[32],
                           uint8_t sk_device[32])
{
    if (!s)
        return;
    if (sk_reader)
        memcpy(sk_reader, s->sk_reader, 32);
    if (sk_device)
        memcpy(sk_device, s->sk_device, 32);
}

/* IV: 8-byte identifier (0 reader, 1 device) || 4-byte big-endian counter. */
static void make_iv(bool device, uint32_t counter, uint8_t iv[12])
{
    memset(iv, 0, 12);
    iv[7] = device ? 1 : 0;
    iv[8] = (uint8_t)(counter >> 24);
    iv[9] = (uint8_t)(counter >> 16);
    iv[10] = (uint8_t)(counter >> 8);
    iv[11] = (uint8_t)counter;
}

mobid_err mobid_px_encrypt(mobid_px_session *s, mobid_view plaintext, mobid_buf *out)
{
    uint8_t iv[12], tag[16];
    bool device = s && s->role == MOBID_PX_DEVICE;
    if (!s || !out || (plaintext.len && !plaintext.ptr))
        return MOBID_ERR_INVALID_ARG;
    if (plaintext.len > MOBID_PX_MAX_MESSAGE)
        return MOBID_ERR_TOO_BIG;
    if (s->send_counter == UINT32_MAX)
        return MOBID_ERR_LIMIT;
    make_iv(device, s->send_counter, iv);
    size_t before = out->len;
    mobid_err err = mobid_aes_gcm_encrypt(mobid_view_make(device ? s->sk_device : s->sk_reader, 32),
                                          mobid_view_make(iv, 12), mobid_view_make(NULL, 0),
                                          plaintext, out, tag);
    if (!err)
        err = mobid_buf_append(out, tag, 16);
    if (err) {
        out->len = before;
        return err;
    }
    s->send_counter++;
    return MOBID_OK;
}

static mobid_err open_with(const mobid_px_session *s, uint32_t counter, mobid_view data,
                           mobid_buf *out)
{
    uint8_t iv[12];
    bool from_device = s->role == MOBID_PX_READER;
    make_iv(from_device, counter, iv);
    return mobid_aes_gcm_decrypt(mobid_view_make(from_device ? s->sk_device : s->sk_reader, 32),
                                 mobid_view_make(iv, 12), mobid_view_make(NULL, 0),
                                 mobid_view_make(data.ptr, data.len - 16),
                                 mobid_view_make(data.ptr + data.len - 16, 16), out);
}

mobid_err mobid_px_decrypt(mobid_px_session *s, mobid_view data, mobid_buf *out)
{
    mobid_err err;
    if (!s || !out || (data.len && !data.ptr))
        return MOBID_ERR_INVALID_ARG;
    if (data.len > MOBID_PX_MAX_MESSAGE + 16)
        return MOBID_ERR_TOO_BIG;
    if (data.len < 16 || s->recv_counter == UINT32_MAX)
        return MOBID_ERR_DECRYPT_FAILED;
    err = open_with(s, s->recv_counter, data, out);
    if (err == MOBID_OK) {
        s->recv_counter++;
        return MOBID_OK;
    }
    if (err != MOBID_ERR_DECRYPT_FAILED)
        return err;
    /* Tell a replay from a forgery: an earlier message of this session still
     * authenticates under its own counter. Sessions carry a handful of messages;
     * the last 64 are tried at most. */
    for (uint32_t c = s->recv_counter > 64 ? s->recv_counter - 64 : 1; c < s->recv_counter;
         c++) {
        mobid_buf scratch;
        mobid_buf_init(&scratch, 0);
        mobid_err old = open_with(s, c, data, &scratch);
        if (scratch.ptr)
            mobid_wipe(scratch.ptr, scratch.len);
        mobid_buf_free(&scratch);
        if (old == MOBID_OK)
            return MOBID_ERR_MESSAGE_REPLAYED;
    }
    return MOBID_ERR_DECRYPT_FAILED;
}
