/*
 * `fidele demo`: placeholder replaced below.
 */
#include "cli/cli.h"

int cmd_demo(struct cli *cli)
{
    (void)cli;
    return 1;
}
