/* SPDX-License-Identifier: Apache-2.0 */
/* out.c — where a render's bytes go: the output window of struct
 * promc_out (the sink's own promc_buf grown in place, or a 16 KiB buffer
 * handed to any other sink when full), and promc_buf itself. */
#include <stdbool.h>
#include <stdlib.h>

#include "expose/expose.h"

/* Grows b so that n more bytes and a NUL fit; nonzero on failure. */
static int buf_reserve(promc_buf *b, size_t n) {
  if (b->len + n + 1 <= b->cap) return 0;
  size_t cap = b->cap ? b->cap : 4096;
  while (cap < b->len + n + 1) cap *= 2;
  char *d = promc__realloc(b->data, cap);
  if (!d) return PROMC_ENOMEM;
  b->data = d;
  b->cap = cap;
  return 0;
}

void promc__out_init(struct promc_out *o, promc_write_fn fn, void *user) {
  o->fn = fn;
  o->user = user;
  o->err = 0;
  o->len = 0;
  /* The library's own promc_buf sink: write in place (the same bytes,
   * growth and NUL as promc_buf_write, without the copy). */
  o->direct = fn == promc_buf_write ? user : NULL;
  if (o->direct) {
    promc_buf *b = o->direct;
    bool room = b->data && b->len < b->cap; /* else the first write grows it */
    o->buf = room ? b->data + b->len : NULL;
    o->cap = room ? b->cap - b->len - 1 : 0; /* one byte past the window stays for the NUL */
  } else {
    o->buf = o->own;
    o->cap = sizeof o->own;
  }
}

void promc__out_flush(struct promc_out *o) {
  if (o->direct) {
    promc_buf *b = o->direct;
    if (o->len) { /* cap - len >= 0 kept one byte past the window for this NUL */
      b->len += o->len;
      b->data[b->len] = 0;
      o->buf += o->len;
      o->cap -= o->len;
    }
  } else if (o->len && !o->err && o->fn(o->user, o->buf, o->len) != 0) {
    o->err = PROMC_EIO;
  }
  o->len = 0;
}

void promc__out_room(struct promc_out *o, size_t n) {
  if (o->cap - o->len >= n) return;
  promc__out_flush(o);
  if (!o->direct) return; /* own is empty now: n <= sizeof own fits */
  promc_buf *b = o->direct;
  size_t want = n > b->cap ? n : b->cap; /* at least double, as promc_buf_write */
  if (buf_reserve(b, want) != 0) {
    o->err = PROMC_EIO; /* as when promc_buf_write refuses */
    o->direct = NULL;   /* what follows is dropped */
    o->buf = o->own;
    o->cap = sizeof o->own;
    return;
  }
  o->buf = b->data + b->len;
  o->cap = b->cap - b->len - 1;
}

void promc__out_write(struct promc_out *o, const char *p, size_t n) {
  if (PROMC_UNLIKELY(o->cap - o->len < n)) {
    if (o->direct || n <= sizeof o->own) {
      promc__out_room(o, n);
      if (o->cap - o->len < n) { /* dropped after an error: n was larger than own */
        return;
      }
    } else {
      promc__out_flush(o);
      if (!o->err && o->fn(o->user, p, n) != 0) o->err = PROMC_EIO;
      return;
    }
  }
  memcpy(o->buf + o->len, p, n);
  o->len += n;
}

int promc_buf_write(void *buf, const char *data, size_t len) {
  promc_buf *b = buf;
  if (buf_reserve(b, len) != 0) return PROMC_ENOMEM;
  memcpy(b->data + b->len, data, len);
  b->len += len;
  b->data[b->len] = 0;
  return 0;
}

void promc_buf_free(promc_buf *b) {
  if (!b) return;
  promc__free(b->data);
  b->data = NULL;
  b->len = b->cap = 0;
}
