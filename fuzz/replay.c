/*
 * Replays every file of a fuzz corpus directory through a fuzz target's
 * LLVMFuzzerTestOneInput, so the corpus is a regression test in every build.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int replay_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    uint8_t *data = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (len == cap) {
            cap = cap ? cap * 2 : 4096;
            uint8_t *p = realloc(data, cap);
            if (!p) {
                free(data);
                fclose(f);
                return -1;
            }
            data = p;
        }
        size_t n = fread(data + len, 1, cap - len, f);
        if (n == 0)
            break;
        len += n;
    }
    fclose(f);
    LLVMFuzzerTestOneInput(data, len);
    free(data);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
        return 2;
    }
    DIR *d = opendir(argv[1]);
    if (!d) {
        fprintf(stderr, "%s: no corpus directory %s\n", argv[0], argv[1]);
        return 1;
    }
    struct dirent *e;
    unsigned count = 0;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", argv[1], e->d_name);
        if (replay_file(path) != 0) {
            fprintf(stderr, "cannot read %s\n", path);
            closedir(d);
            return 1;
        }
        count++;
    }
    closedir(d);
    if (count == 0) {
        fprintf(stderr, "%s: corpus %s is empty\n", argv[0], argv[1]);
        return 1;
    }
    printf("replayed %u inputs\n", count);
    return 0;
}
