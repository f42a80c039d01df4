/* error.c - messages for the VMR_E* codes (vmreplay/common.h). */
#include "vmreplay/common.h"

const char *vmr_strerror(int err)
{
    if (err > 0)
        err = -err;
    switch (err) {
#define VMR_X_CASE(name, value, msg)                                                               \
    case value:                                                                                    \
        return msg;
        VMR_ERRORS(VMR_X_CASE)
#undef VMR_X_CASE
    }
    return "unknown error";
}
