/* The captured "snapshot" header of a heap snapshot, read through its JSON
 * tree (snapshot_meta.c): the node and edge field layout, the type names,
 * the declared counts and the root index. */
#include "core/snapshot_parser.h"

#include <stdlib.h>
#include <string.h>

static int find_str(const mc_snap_json *arr, const char *name) {
  for (size_t i = 0; i < arr->nkids; i++)
    if (arr->kids[i].type == JV_STR && strcmp(arr->kids[i].str, name) == 0) return (int)i;
  return -1;
}

static mc_snap_status copy_names(mc_snap_parser *p, const mc_snap_json *list, char ***out, uint32_t *count,
                                 const char *what) {
  if (!list || list->type != JV_ARR || list->nkids == 0 || list->nkids > 255)
    return mc_snap_fail(p, MC_SNAP_EBADMETA, "meta.%s: the type list must be an array of 1 to 255 names", what);
  char **names = calloc(list->nkids, sizeof(char *));
  if (!names) return mc_snap_fail(p, MC_SNAP_ENOMEM, "out of memory");
  *out = names;
  *count = (uint32_t)list->nkids;
  for (size_t i = 0; i < list->nkids; i++) {
    if (list->kids[i].type != JV_STR)
      return mc_snap_fail(p, MC_SNAP_EBADMETA, "meta.%s: type names must be strings", what);
    names[i] = strdup(list->kids[i].str);
    if (!names[i]) return mc_snap_fail(p, MC_SNAP_ENOMEM, "out of memory");
  }
  return MC_SNAP_OK;
}

static int name_index(char **names, uint32_t n, const char *name) {
  for (uint32_t i = 0; i < n; i++)
    if (strcmp(names[i], name) == 0) return (int)i;
  return -1;
}

/* Maps each field name to a role; returns the field count or 0 on error. */
static mc_snap_status fields(mc_snap_parser *p, const mc_snap_json *list, const char *what,
                             const char *const *names, const uint8_t *roles, int nreq,
                             uint8_t *out_roles, uint32_t *out_cols, uint32_t *out_count, int *type_col) {
  if (!list || list->type != JV_ARR || list->nkids == 0 || list->nkids > MAX_FIELDS)
    return mc_snap_fail(p, MC_SNAP_EBADMETA, "meta.%s must be an array of 1 to %d field names", what, MAX_FIELDS);
  for (size_t i = 0; i < list->nkids; i++) {
    if (list->kids[i].type != JV_STR) return mc_snap_fail(p, MC_SNAP_EBADMETA, "meta.%s: field names must be strings", what);
    out_roles[i] = R_IGNORE;
  }
  for (int r = 0; r < nreq; r++) {
    int at = find_str(list, names[r]);
    if (at < 0) return mc_snap_fail(p, MC_SNAP_EBADMETA, "meta.%s lacks the field \"%s\"", what, names[r]);
    out_roles[at] = roles[r];
    out_cols[r] = (uint32_t)at;
    if (r == 0) *type_col = at;
  }
  *out_count = (uint32_t)list->nkids;
  return MC_SNAP_OK;
}

static int64_t count_field(const mc_snap_json *hdr, const char *key) {
  const mc_snap_json *v = mc_snap_json_get(hdr, key);
  if (!v || v->type != JV_NUM || v->num < 0 || v->num > 4294967295.0 || v->num != (double)(uint64_t)v->num)
    return -1;
  return (int64_t)v->num;
}

mc_snap_status mc_snap_parse_header(mc_snap_parser *p) {
  mc_snap_json root;
  mc_snap_status st = MC_SNAP_OK;
  if (!mc_snap_json_parse(p->hdr, p->hdr_len, &root)) {
    mc_snap_json_free(&root);
    return mc_snap_fail(p, MC_SNAP_ECORRUPT, "the \"snapshot\" header is not valid JSON");
  }
  const mc_snap_json *meta = mc_snap_json_get(&root, "meta");
  if (root.type != JV_OBJ || !meta || meta->type != JV_OBJ) {
    mc_snap_json_free(&root);
    return mc_snap_fail(p, MC_SNAP_ENOTSNAPSHOT, "\"snapshot\" has no \"meta\" object");
  }
  static const char *const nnames[] = { "type", "name", "id", "self_size", "edge_count" };
  static const uint8_t nroles[] = { R_NTYPE, R_NNAME, R_NID, R_NSELF, R_NEDGES };
  static const char *const enames[] = { "type", "name_or_index", "to_node" };
  static const uint8_t eroles[] = { R_ETYPE, R_ENAME, R_ETO };
  int ntc = -1, etc = -1;
  mc_snap *s = p->s;
  const mc_snap_json *nt = mc_snap_json_get(meta, "node_types"), *et = mc_snap_json_get(meta, "edge_types");
  if ((st = fields(p, mc_snap_json_get(meta, "node_fields"), "node_fields", nnames, nroles, 5, p->nrole, p->ncol, &p->nf, &ntc)) ||
      (st = fields(p, mc_snap_json_get(meta, "edge_fields"), "edge_fields", enames, eroles, 3, p->erole, p->ecol, &p->ef, &etc)))
    goto out;
  if (!nt || nt->type != JV_ARR || nt->nkids <= (size_t)ntc || !et || et->type != JV_ARR || et->nkids <= (size_t)etc) {
    st = mc_snap_fail(p, MC_SNAP_EBADMETA, "meta.node_types/edge_types must list the types of the \"type\" fields");
    goto out;
  }
  if ((st = copy_names(p, &nt->kids[ntc], &s->ntype_names, &s->ntypes, "node_types")) ||
      (st = copy_names(p, &et->kids[etc], &s->etype_names, &s->etypes, "edge_types")))
    goto out;
  s->t_object = name_index(s->ntype_names, s->ntypes, "object");
  s->t_native = name_index(s->ntype_names, s->ntypes, "native");
  s->t_hidden = name_index(s->ntype_names, s->ntypes, "hidden");
  s->t_code = name_index(s->ntype_names, s->ntypes, "code");
  s->t_synthetic = name_index(s->ntype_names, s->ntypes, "synthetic");
  s->t_shape = name_index(s->ntype_names, s->ntypes, "object shape");
  s->e_weak = name_index(s->etype_names, s->etypes, "weak");
  s->e_shortcut = name_index(s->etype_names, s->etypes, "shortcut");
  s->e_element = name_index(s->etype_names, s->etypes, "element");
  s->e_hidden = name_index(s->etype_names, s->etypes, "hidden");
  p->decl_nodes = count_field(&root, "node_count");
  p->decl_edges = count_field(&root, "edge_count");
  p->root_index = mc_snap_json_get(&root, "root_index") ? count_field(&root, "root_index") : 0;
  if (p->root_index < 0 || p->root_index % p->nf) {
    st = mc_snap_fail(p, MC_SNAP_EBADINDEX, "snapshot.root_index is not a node index");
    goto out;
  }
  /* q = v / nf for every v < 2^32: v * ceil(2^64 / nf) >> 64 (see the proof
   * sketch in the notes: the error term stays below 1 / nf). */
  p->magic = p->nf > 1 ? (uint64_t)(((((unsigned __int128)1) << 64) / p->nf) + 1) : 0;
out:
  mc_snap_json_free(&root);
  return st;
}
