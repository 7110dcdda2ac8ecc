// mobid-module: proximity
/*
 * Fuzz target: SessionEstablishment as a holder receives it. A message that parses
 * has its eReaderKey decoded; the data is decrypted with the holder's session (seeds
 * are encrypted for it) and a DeviceRequest that comes out goes through parsing
 * and reader authentication (fuzz_proximity.h).
 */
#include "fuzz_proximity.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    mobid_px_establishment est;
    mobid_cbor_item item;
    mobid_key *erk = NULL;
    mobid_buf pt;
    fz_init();
    if (mobid_px_establishment_parse(mobid_view_make(data, size), &est) != MOBID_OK)
        return 0;
    if (mobid_cbor_decode_exact(est.e_reader_key, NULL, &item) == MOBID_OK &&
        mobid_cose_key_decode(&item, &erk) == MOBID_OK)
        mobid_key_free(erk);
    mobid_px_session *s = fz_session(MOBID_PX_DEVICE);
    mobid_buf_init(&pt, 0);
    if (mobid_px_decrypt(s, est.data, &pt) == MOBID_OK)
        fz_device_request(mobid_buf_view(&pt), s);
    mobid_buf_free(&pt);
    mobid_px_session_free(s);
    return 0;
}
