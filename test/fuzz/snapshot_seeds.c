/* Writes the seed corpus for snapshot_fuzz: small generated snapshots in
 * both field orders, with escapes, weak/shortcut edges and odd sections. */
#include <stdio.h>

#include "snapgen.h"

static void write_seed(const char *dir, int i, const char *text, size_t len) {
  char path[512];
  snprintf(path, sizeof path, "%s/seed-%02d", dir, i);
  FILE *f = fopen(path, "wb");
  if (!f) { perror(path); exit(1); }
  fputc(i * 37 & 0xFF, f);  /* two bytes of chunk-size seed */
  fputc(i * 101 & 0xFF, f);
  fwrite(text, 1, len, f);
  fclose(f);
}

int main(int argc, char **argv) {
  if (argc < 2) { fprintf(stderr, "usage: snapshot_seeds DIR\n"); return 2; }
  static const char *const strs[] = { "", "Foo", "global", "\\u00e9\\ud83d\\ude00", "a\\nb", "(Document DOM trees)" };
  uint32_t rng = 7;
  for (int i = 0; i < 12; i++) {
    sg_node nodes[12];
    sg_edge edges[40];
    int n = 2 + i % 10, ne = 0;
    for (int k = 0; k < n; k++) {
      rng = rng * 1103515245u + 12345u;
      nodes[k] = (sg_node){ k == 0 ? NT_SYNTHETIC : (int)(rng >> 16) % NT_COUNT, (rng >> 8) % 6, 1 + 2 * (uint32_t)k,
                            k == 0 ? 0 : (rng >> 4) % 64 };
    }
    for (int u = 0; u < n; u++)
      for (int k = 0; k < 3 && ne < 40; k++) {
        rng = rng * 1103515245u + 12345u;
        edges[ne++] = (sg_edge){ u, (int)(rng >> 16) % ET_COUNT, (rng >> 8) % 6, (int)((rng >> 4) % (uint32_t)n) };
      }
    size_t len;
    char *text = sg_write(nodes, n, edges, ne, strs, 6, i & 1, &len);
    write_seed(argv[1], i, text, len);
    free(text);
  }
  return 0;
}
