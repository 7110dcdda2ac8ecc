// mobid-module: proximity
/*
 * Fuzz target: SessionData. Parsed as either side receives it; its data is
 * decrypted by the holder's session (reader messages, as in the seeds) and then,
 * as a second message, by the same session (counter 2: it must be named a
 * replay), and by a reader's session (messages from the device); what decrypts for the holder is handled as a
 * DeviceRequest (fuzz_proximity.h).
 */
#include "fuzz_proximity.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    mobid_px_session_data sd;
    mobid_buf pt;
    fz_init();
    if (mobid_px_session_data_parse(mobid_view_make(data, size), &sd) != MOBID_OK || !sd.has_data)
        return 0;
    mobid_px_session *dev = fz_session(MOBID_PX_DEVICE), *rdr = fz_session(MOBID_PX_READER);
    mobid_buf_init(&pt, 0);
    if (mobid_px_decrypt(dev, sd.data, &pt) == MOBID_OK) {
        fz_device_request(mobid_buf_view(&pt), dev);
        pt.len = 0;
        if (mobid_px_decrypt(dev, sd.data, &pt) != MOBID_ERR_MESSAGE_REPLAYED)
            abort(); /* the same message again must be named a replay */
    }
    pt.len = 0;
    if (mobid_px_decrypt(rdr, sd.data, &pt) == MOBID_OK && pt.len > MOBID_PX_MAX_MESSAGE)
        abort(); /* a message from the device: never longer than the limit */
    mobid_buf_free(&pt);
    mobid_px_session_free(dev);
    mobid_px_session_free(rdr);
    return 0;
}
