/* The snapshot's "snapshot" header (meta, counts) as a tiny JSON tree: the
 * streaming parser (snapshot.c) captures the header's bytes and reads its
 * field layout from this tree; nodes/edges/strings never go through it. */
#include "core/snapshot_internal.h"

#include <stdlib.h>
#include <string.h>


typedef struct {
  const char *p, *end;
  int depth;
} jparse;

void mc_snap_json_free(mc_snap_json *v) {
  if (!v) return;
  free(v->str);
  for (size_t i = 0; i < v->nkids; i++) {
    mc_snap_json_free(&v->kids[i]);
    if (v->keys) free(v->keys[i]);
  }
  free(v->kids);
  free(v->keys);
  memset(v, 0, sizeof *v);
}

static void jp_ws(jparse *j) {
  while (j->p < j->end && (*j->p == ' ' || *j->p == '\n' || *j->p == '\r' || *j->p == '\t')) j->p++;
}



static int jp_hex4(jparse *j, uint32_t *cu) {
  if (j->end - j->p < 4) return 0;
  uint32_t v = 0;
  for (int i = 0; i < 4; i++) {
    int h = mc_snap_hexval((unsigned char)j->p[i]);
    if (h < 0) return 0;
    v = v * 16 + (uint32_t)h;
  }
  j->p += 4;
  *cu = v;
  return 1;
}

/* Parses a string at j->p (after the opening quote) into a malloc'd buffer. */
static int jp_string(jparse *j, char **out, size_t *out_len) {
  size_t cap = 16, len = 0;
  char *buf = malloc(cap);
  if (!buf) return 0;
  for (;;) {
    if (j->p >= j->end) goto fail;
    unsigned char c = (unsigned char)*j->p++;
    if (cap - len < 8) {
      char *nb = realloc(buf, cap * 2);
      if (!nb) goto fail;
      buf = nb;
      cap *= 2;
    }
    if (c == '"') break;
    if (c < 0x20) goto fail;
    if (c != '\\') { buf[len++] = (char)c; continue; }
    if (j->p >= j->end) goto fail;
    c = (unsigned char)*j->p++;
    switch (c) {
      case '"': case '\\': case '/': buf[len++] = (char)c; break;
      case 'b': buf[len++] = '\b'; break;
      case 'f': buf[len++] = '\f'; break;
      case 'n': buf[len++] = '\n'; break;
      case 'r': buf[len++] = '\r'; break;
      case 't': buf[len++] = '\t'; break;
      case 'u': {
        uint32_t cu;
        if (!jp_hex4(j, &cu)) goto fail;
        if (cu >= 0xD800 && cu < 0xDC00 && j->end - j->p >= 6 && j->p[0] == '\\' && j->p[1] == 'u') {
          const char *save = j->p;
          uint32_t lo;
          j->p += 2;
          if (jp_hex4(j, &lo) && lo >= 0xDC00 && lo < 0xE000) {
            cu = 0x10000 + ((cu - 0xD800) << 10) + (lo - 0xDC00);
          } else {
            j->p = save;
            cu = 0xFFFD;
          }
        } else if (cu >= 0xD800 && cu < 0xE000) {
          cu = 0xFFFD;
        }
        len += mc_snap_utf8_put(buf + len, cu);
        break;
      }
      default: goto fail;
    }
  }
  buf[len] = 0;
  *out = buf;
  *out_len = len;
  return 1;
fail:
  free(buf);
  return 0;
}

static int jp_value(jparse *j, mc_snap_json *v);

static int jp_push(mc_snap_json *v, size_t *cap) {
  if (v->nkids < *cap) return 1;
  size_t nc = *cap ? *cap * 2 : 4;
  mc_snap_json *nk = realloc(v->kids, nc * sizeof(mc_snap_json));
  if (!nk) return 0;
  v->kids = nk;
  if (v->type == JV_OBJ) {
    char **nkeys = realloc(v->keys, nc * sizeof(char *));
    if (!nkeys) return 0;
    v->keys = nkeys;
  }
  *cap = nc;
  return 1;
}

static int jp_container(jparse *j, mc_snap_json *v, char close) {
  size_t cap = 0;
  jp_ws(j);
  if (j->p < j->end && *j->p == close) { j->p++; return 1; }
  for (;;) {
    if (!jp_push(v, &cap)) return 0;
    mc_snap_json *kid = &v->kids[v->nkids];
    memset(kid, 0, sizeof *kid);
    if (v->type == JV_OBJ) {
      size_t klen;
      jp_ws(j);
      if (j->p >= j->end || *j->p != '"') return 0;
      j->p++;
      if (!jp_string(j, &v->keys[v->nkids], &klen)) return 0;
      v->nkids++;  /* owns the key from here on */
      jp_ws(j);
      if (j->p >= j->end || *j->p != ':') return 0;
      j->p++;
      if (!jp_value(j, kid)) return 0;
    } else {
      v->nkids++;
      if (!jp_value(j, kid)) return 0;
    }
    jp_ws(j);
    if (j->p >= j->end) return 0;
    char c = *j->p++;
    if (c == close) return 1;
    if (c != ',') return 0;
  }
}

static int jp_literal(jparse *j, const char *lit) {
  size_t n = strlen(lit);
  if ((size_t)(j->end - j->p) < n || memcmp(j->p, lit, n) != 0) return 0;
  j->p += n;
  return 1;
}

static int jp_number(jparse *j, mc_snap_json *v) {
  char tmp[64];
  size_t n = 0;
  while (j->p < j->end && n < sizeof tmp - 1) {
    char c = *j->p;
    if (!((c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E')) break;
    tmp[n++] = c;
    j->p++;
  }
  if (n == 0 || n == sizeof tmp - 1) return 0;
  tmp[n] = 0;
  char *endp;
  v->num = strtod(tmp, &endp);
  if (*endp) return 0;
  v->type = JV_NUM;
  return 1;
}

static int jp_value(jparse *j, mc_snap_json *v) {
  if (++j->depth > 64) return 0;
  jp_ws(j);
  if (j->p >= j->end) return 0;
  int ok;
  char c = *j->p;
  if (c == '{' || c == '[') {
    j->p++;
    v->type = c == '{' ? JV_OBJ : JV_ARR;
    ok = jp_container(j, v, c == '{' ? '}' : ']');
  } else if (c == '"') {
    j->p++;
    v->type = JV_STR;
    ok = jp_string(j, &v->str, &v->len);
  } else if (c == 't' || c == 'f') {
    v->type = JV_BOOL;
    v->num = c == 't';
    ok = jp_literal(j, c == 't' ? "true" : "false");
  } else if (c == 'n') {
    v->type = JV_NULL;
    ok = jp_literal(j, "null");
  } else {
    ok = jp_number(j, v);
  }
  j->depth--;
  return ok;
}

const mc_snap_json *mc_snap_json_get(const mc_snap_json *o, const char *key) {
  if (!o || o->type != JV_OBJ) return NULL;
  for (size_t i = 0; i < o->nkids; i++)
    if (strcmp(o->keys[i], key) == 0) return &o->kids[i];
  return NULL;
}

int mc_snap_json_parse(const char *text, size_t len, mc_snap_json *out) {
  jparse j = { text, text + len, 0 };
  memset(out, 0, sizeof *out);
  return jp_value(&j, out);
}
