/* placeholder until the module lands */
#include <stdio.h>
#include "verbs.h"
int cmd_import(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "mmsim import: not in this build yet\n");
    return 2;
}
