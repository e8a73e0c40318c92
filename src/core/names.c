/* SPDX-License-Identifier: Apache-2.0 */
/* names.c — what a name, a label name and text handed in must be, and the
 * checks of a family's options. */
#include <stdio.h>

#include "core/kind.h"

const char *promc__type_name(promc_type t) {
  const struct promc_kind *k = promc__kind(t);
  return k ? k->name : "metric";
}

/* ------------------------------------------------------------ validation */
bool promc__valid_metric_name(const char *s) {
  if (!s || !*s) return false;
  for (const char *p = s; *p; p++) {
    char c = *p;
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' ||
              (p != s && c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

bool promc__valid_label_name(const char *s) {
  if (!s || !*s) return false;
  for (const char *p = s; *p; p++) {
    char c = *p;
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
              (p != s && c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

bool promc__utf8_valid(const char *s, size_t n) {
  const unsigned char *p = (const unsigned char *)s, *end = p + n;
  while (p < end) {
    if (*p < 0x80) { /* ASCII, the common case */
      p++;
      continue;
    }
    size_t k = promc__utf8_char(p, (size_t)(end - p));
    if (!k) return false;
    p += k;
  }
  return true;
}

/* Checks that text handed in is UTF-8; what names it in the message. */
static int check_utf8(const char *v, const char *what, const char *fam_name) {
  if (promc__utf8_valid(v, strlen(v))) return 0;
  return promc__err(PROMC_EVALUE, "%s of \"%s\" is not valid UTF-8", what, fam_name);
}

static bool ends_with(const char *s, const char *suffix) {
  size_t n = strlen(s), m = strlen(suffix);
  return n >= m && memcmp(s + n - m, suffix, m) == 0;
}

/* Checks a label name for family f (being built) of the given kind. */
int promc__check_label_name(const char *fam_name, promc_type t, const char *ln, const char *what) {
  if (!promc__valid_label_name(ln))
    return promc__err(PROMC_ELABEL, "%s name \"%s\" of %s \"%s\" is not a valid label name", what,
                      ln ? ln : "(null)", promc__type_name(t), fam_name);
  if (ln[0] == '_' && ln[1] == '_')
    return promc__err(PROMC_ELABEL, "%s name \"%s\" of %s \"%s\": names starting \"__\" are reserved",
                      what, ln, promc__type_name(t), fam_name);
  const struct promc_kind *k = promc__kind(t);
  if (k->reserved_label && strcmp(ln, k->reserved_label) == 0)
    return promc__err(PROMC_ELABEL, "label name \"%s\" is reserved for %s \"%s\"", ln, k->name, fam_name);
  if (t == PROMC_TYPE_STATESET && strcmp(ln, fam_name) == 0)
    return promc__err(PROMC_ELABEL, "enum \"%s\" cannot have a label named like itself", fam_name);
  return 0;
}

int promc__validate_opts(promc_type t, const promc_opts *o, char *base, size_t cap) {
  if (!o) return promc__err(PROMC_EINVAL, "options must not be NULL");
  if (!o->name) return promc__err(PROMC_EINVAL, "%s name must not be NULL", promc__type_name(t));
  if (!o->help) return promc__err(PROMC_EINVAL, "help of %s \"%s\" must not be NULL", promc__type_name(t), o->name);
  if (!promc__valid_metric_name(o->name))
    return promc__err(PROMC_ENAME, "\"%s\" is not a valid metric name", o->name);
  int urc = check_utf8(o->help, "help text", o->name);
  if (urc) return urc;
  size_t n = strlen(o->name);
  if (n >= cap) return promc__err(PROMC_ENAME, "metric name \"%.40s...\" is too long", o->name);
  memcpy(base, o->name, n + 1);
  const struct promc_kind *k = promc__kind(t);
  size_t sl = k->name_suffix ? strlen(k->name_suffix) : 0;
  if (sl && ends_with(base, k->name_suffix) && n > sl) base[n - sl] = 0;
  if (o->unit && *o->unit) {
    char suffix[256];
    if (!promc__valid_label_name(o->unit) || strlen(o->unit) > 200)
      return promc__err(PROMC_ENAME, "unit \"%s\" of \"%s\" is not valid", o->unit, o->name);
    snprintf(suffix, sizeof suffix, "_%s", o->unit);
    if (!ends_with(base, suffix))
      return promc__err(PROMC_ENAME, "metric name \"%s\" must end in \"%s\" to declare unit \"%s\"",
                        o->name, suffix, o->unit);
  }
  if (o->nlabel_names && !o->label_names)
    return promc__err(PROMC_EINVAL, "label_names of \"%s\" is NULL but nlabel_names is %zu", o->name,
                      o->nlabel_names);
  if (o->nlabel_names > 64)
    return promc__err(PROMC_ELABEL, "\"%s\" declares %zu label names; at most 64", o->name, o->nlabel_names);
  for (size_t i = 0; i < o->nlabel_names; i++) {
    int rc = promc__check_label_name(base, t, o->label_names[i], "label");
    if (rc) return rc;
    for (size_t j = 0; j < i; j++)
      if (strcmp(o->label_names[i], o->label_names[j]) == 0)
        return promc__err(PROMC_ELABEL, "label name \"%s\" is declared twice on \"%s\"", o->label_names[i],
                          o->name);
  }
  if (o->nconst_labels && (!o->const_label_names || !o->const_label_values))
    return promc__err(PROMC_EINVAL, "const labels of \"%s\": names or values NULL", o->name);
  for (size_t i = 0; i < o->nconst_labels; i++) {
    int rc = promc__check_label_name(base, t, o->const_label_names[i], "const label");
    if (rc) return rc;
    if (!o->const_label_values[i])
      return promc__err(PROMC_EINVAL, "const label \"%s\" of \"%s\" has a NULL value", o->const_label_names[i],
                        o->name);
    if ((rc = check_utf8(o->const_label_values[i], "a const label value", o->name)) != 0) return rc;
    for (size_t j = 0; j < o->nlabel_names; j++)
      if (strcmp(o->const_label_names[i], o->label_names[j]) == 0)
        return promc__err(PROMC_ELABEL, "const label \"%s\" of \"%s\" is also a label name",
                          o->const_label_names[i], o->name);
    for (size_t j = 0; j < i; j++)
      if (strcmp(o->const_label_names[i], o->const_label_names[j]) == 0)
        return promc__err(PROMC_ELABEL, "const label \"%s\" is given twice on \"%s\"", o->const_label_names[i],
                          o->name);
  }
  if (o->counter_name_as_given && t != PROMC_TYPE_COUNTER)
    return promc__err(PROMC_EINVAL, "%s \"%s\": counter_name_as_given is only for counters", promc__type_name(t),
                      o->name);
  if (o->exemplars && !k->nexemplars)
    return promc__err(PROMC_EINVAL, "%s \"%s\": exemplars are only for counters and histograms", promc__type_name(t),
                      o->name);
  return k->validate ? k->validate(o) : 0;
}
