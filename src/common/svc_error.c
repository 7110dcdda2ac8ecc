/* The service codes' names and sentences, falling back to the library's table. */
#include "common/svc_error.h"

bool mobid_svc_err_is_service(mobid_err err)
{
    switch ((int)err) {
#define MOBID_SVC_ERR_IS_(name, num, msg) case num:
        MOBID_SVC_ERR_LIST(MOBID_SVC_ERR_IS_)
#undef MOBID_SVC_ERR_IS_
        return true;
    default:
        return false;
    }
}

const char *mobid_svc_err_name(mobid_err err)
{
    switch ((int)err) {
#define MOBID_SVC_ERR_NAME_(name, num, msg) \
    case num:                               \
        return #name;
        MOBID_SVC_ERR_LIST(MOBID_SVC_ERR_NAME_)
#undef MOBID_SVC_ERR_NAME_
    default:
        return mobid_err_name(err);
    }
}

const char *mobid_svc_strerror(mobid_err err)
{
    switch ((int)err) {
#define MOBID_SVC_ERR_MSG_(name, num, msg) \
    case num:                              \
        return msg;
        MOBID_SVC_ERR_LIST(MOBID_SVC_ERR_MSG_)
#undef MOBID_SVC_ERR_MSG_
    default:
        return mobid_strerror(err);
    }
}
