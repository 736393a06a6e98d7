#include "util/thread_name.h"

#include <sys/prctl.h>

void fid_thread_name(const char *name)
{
    (void)prctl(PR_SET_NAME, name, 0, 0, 0); /* a name is a help, never a need */
}
