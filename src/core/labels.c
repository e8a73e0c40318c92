/* SPDX-License-Identifier: Apache-2.0 */
/* labels.c — label values: escaping for the text formats. */
#include "core/internal.h"

size_t promc__escaped_len(const char *v, size_t n) {
  size_t e = n;
  for (size_t i = 0; i < n; i++)
    if (v[i] == '\\' || v[i] == '"' || v[i] == '\n') e++;
  return e;
}

size_t promc__escape_label_value(char *out, const char *v, size_t n) {
  char *o = out;
  for (size_t i = 0; i < n; i++) {
    char c = v[i];
    if (c == '\\' || c == '"') {
      *o++ = '\\';
      *o++ = c;
    } else if (c == '\n') {
      *o++ = '\\';
      *o++ = 'n';
    } else {
      *o++ = c;
    }
  }
  return (size_t)(o - out);
}
