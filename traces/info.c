/* placeholder until the module lands */
#include <stdio.h>
#include "verbs.h"
int cmd_info(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "mmsim info: not in this build yet\n");
    return 2;
}
int cmd_dump(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "mmsim dump: not in this build yet\n");
    return 2;
}
