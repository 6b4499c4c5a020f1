/* Fallback driver when libFuzzer is not available: replays the seeds, then
 * random mutations of them (byte flips, inserts, deletes, truncations,
 * splices) for a bounded time, under AddressSanitizer. A crash aborts. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct { uint8_t *data; size_t len; } blob;

static uint64_t rng = 88172645463325252ull;
static uint64_t next(void) { rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17; return rng; }

static void mutate(blob *b, const blob *other) {
  int rounds = 1 + (int)(next() % 8);
  static const char tokens[][8] = { "[", "]", "{", "}", ",", ":", "\"", "\\", "\\u", "0", "9", "-", ".", " ", "\n" };
  for (int r = 0; r < rounds; r++) {
    size_t at = b->len ? next() % b->len : 0;
    switch (next() % 6) {
      case 0: if (b->len) b->data[at] ^= (uint8_t)(1u << (next() % 8)); break;
      case 1: if (b->len) b->data[at] = (uint8_t)next(); break;
      case 2: { /* insert a token */
        const char *t = tokens[next() % (sizeof tokens / sizeof tokens[0])];
        size_t tl = strlen(t);
        b->data = realloc(b->data, b->len + tl);
        memmove(b->data + at + tl, b->data + at, b->len - at);
        memcpy(b->data + at, t, tl);
        b->len += tl;
        break;
      }
      case 3: { size_t k = next() % 8; if (k > b->len - at) k = b->len - at; memmove(b->data + at, b->data + at + k, b->len - at - k); b->len -= k; break; }
      case 4: b->len = at; break;
      case 5: if (other->len) { /* splice in a piece of another input */
        size_t from = next() % other->len, k = 1 + next() % 32;
        if (k > other->len - from) k = other->len - from;
        b->data = realloc(b->data, b->len + k);
        memmove(b->data + at + k, b->data + at, b->len - at);
        memcpy(b->data + at, other->data + from, k);
        b->len += k;
        break;
      }
    }
  }
}

int main(int argc, char **argv) {
  if (argc < 3) { fprintf(stderr, "usage: fuzz_main CORPUS_DIR SECONDS\n"); return 2; }
  double seconds = atof(argv[2]);
  blob seeds[256];
  int ns = 0;
  DIR *d = opendir(argv[1]);
  if (!d) { perror(argv[1]); return 2; }
  struct dirent *e;
  while ((e = readdir(d)) && ns < 256) {
    if (e->d_name[0] == '.') continue;
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", argv[1], e->d_name);
    FILE *f = fopen(path, "rb");
    if (!f) continue;
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    seeds[ns].data = malloc(len > 0 ? (size_t)len : 1);
    seeds[ns].len = fread(seeds[ns].data, 1, (size_t)(len > 0 ? len : 0), f);
    fclose(f);
    LLVMFuzzerTestOneInput(seeds[ns].data, seeds[ns].len);
    ns++;
  }
  closedir(d);
  if (!ns) { fprintf(stderr, "no seeds\n"); return 2; }
  time_t end = time(NULL) + (time_t)seconds;
  unsigned long runs = 0;
  while (time(NULL) < end) {
    for (int k = 0; k < 200; k++, runs++) {
      const blob *src = &seeds[next() % ns];
      blob b = { malloc(src->len + 1), src->len };
      memcpy(b.data, src->data, src->len);
      mutate(&b, &seeds[next() % ns]);
      LLVMFuzzerTestOneInput(b.data, b.len);
      free(b.data);
    }
  }
  printf("fuzz_main: %lu runs, no crash\n", runs);
  for (int i = 0; i < ns; i++) free(seeds[i].data);
  return 0;
}
