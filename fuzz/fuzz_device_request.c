// mobid-module: proximity
/*
 * Fuzz target: DeviceRequest parsing (items, intent to retain, requestInfo) with its
 * ItemsRequest rebuilt and readerAuth checked against a pinned reader certificate
 * over a fixed transcript (the seeds are signed for it), plus a DeviceEngagement
 * parse of the same bytes.
 */
#include "fuzz_proximity.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    mobid_px_engagement e;
    fz_init();
    mobid_px_session *s = fz_session(MOBID_PX_DEVICE);
    fz_device_request(mobid_view_make(data, size), s);
    mobid_px_session_free(s);
    if (mobid_px_engagement_parse(mobid_view_make(data, size), &e) == MOBID_OK && !e.n_methods)
        e.version = mobid_view_make(NULL, 0); /* an NFC engagement: nothing more to read */
    mobid_px_engagement_clear(&e);
    return 0;
}
