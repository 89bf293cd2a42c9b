/* placeholder until the module lands */
#include <stdio.h>
#include "verbs.h"
int cmd_replay(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "mmsim replay: not in this build yet\n");
    return 2;
}
