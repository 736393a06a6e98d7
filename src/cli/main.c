/*
 * The fidele program: everything happens in cli_main.
 */
#include "cli/cli.h"
#include "util/xalloc.h"

int main(int argc, char **argv)
{
    xalloc_tune();
    return cli_main(argc, argv);
}
