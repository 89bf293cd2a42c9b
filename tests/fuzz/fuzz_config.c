/* fuzz_config.c - the INI configuration parser and validator on arbitrary text: must
 * never crash, and an accepted configuration must print and reload to the same result. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 1 << 16)
        return 0;
    char *text = malloc(size + 1);
    struct mmsim_config *c = malloc(sizeof *c), *d = malloc(sizeof *d);
    if (!text || !c || !d)
        goto out;
    memcpy(text, data, size);
    text[size] = 0;
    char err[512];
    config_defaults(c);
    /* lines starting with "-s " are overrides, the rest is the INI text */
    int ok = config_load_string(c, text, "fuzz.ini", err, sizeof err) == 0;
    for (char *line = strstr(text, "\n-s "); ok && line; line = strstr(line + 1, "\n-s ")) {
        char buf[128];
        size_t n = strcspn(line + 4, "\n");
        if (n >= sizeof buf)
            n = sizeof buf - 1;
        memcpy(buf, line + 4, n);
        buf[n] = 0;
        config_set(c, buf, 1, err, sizeof err);
    }
    if (ok && config_validate(c, err, sizeof err) == 0) {
        char *out = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&out, &len);
        if (f) {
            config_print(c, f);
            fclose(f);
            config_defaults(d);
            if (config_load_string(d, out, "printed.ini", err, sizeof err) ||
                config_validate(d, err, sizeof err) || d->ntlb != c->ntlb || d->ncache != c->ncache)
                abort(); /* a valid configuration must survive printing */
            free(out);
        }
    }
out:
    free(text);
    free(c);
    free(d);
    return 0;
}
