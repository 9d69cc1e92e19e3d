/* Base64 (RFC 4648 section 4, the standard alphabet with '=' padding) for the data: URIs of the
 * report's images. */
#include "report_internal.h"

#include <stdlib.h>
#include <string.h>

static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

mc_status mc_report_base64_encode(const unsigned char *data, size_t len, char **out) {
    if (!out || (len && !data)) return mc_error_set(MC_STATUS_INVALID_ARG, "base64: NULL argument");
    *out = NULL;
    if (len > (SIZE_MAX - 1) / 4 * 3 - 3) return mc_error_set(MC_STATUS_NO_MEMORY, "base64: %zu bytes is too many", len);
    size_t n = (len + 2) / 3 * 4;
    char *s = mc_calloc(n + 1, 1);
    if (!s) return mc_error_set(MC_STATUS_NO_MEMORY, "base64: out of memory for %zu bytes", len);
    size_t o = 0, i = 0;
    for (; i + 3 <= len; i += 3) { /* 3 bytes -> 4 sextets */
        unsigned v = (unsigned)data[i] << 16 | (unsigned)data[i + 1] << 8 | data[i + 2];
        s[o++] = alphabet[v >> 18 & 63];
        s[o++] = alphabet[v >> 12 & 63];
        s[o++] = alphabet[v >> 6 & 63];
        s[o++] = alphabet[v & 63];
    }
    if (len - i == 1) { /* 1 byte -> 2 sextets + "==" */
        unsigned v = (unsigned)data[i] << 16;
        s[o++] = alphabet[v >> 18 & 63];
        s[o++] = alphabet[v >> 12 & 63];
        s[o++] = '=';
        s[o++] = '=';
    } else if (len - i == 2) { /* 2 bytes -> 3 sextets + "=" */
        unsigned v = (unsigned)data[i] << 16 | (unsigned)data[i + 1] << 8;
        s[o++] = alphabet[v >> 18 & 63];
        s[o++] = alphabet[v >> 12 & 63];
        s[o++] = alphabet[v >> 6 & 63];
        s[o++] = '=';
    }
    s[o] = '\0';
    *out = s;
    return MC_STATUS_OK;
}

static int sextet(char c) {
    const char *p = c ? strchr(alphabet, c) : NULL;
    return p ? (int)(p - alphabet) : -1;
}

mc_status mc_report_base64_decode(const char *text, size_t len, unsigned char **out, size_t *out_len) {
    if (!out || !out_len || (len && !text)) return mc_error_set(MC_STATUS_INVALID_ARG, "base64: NULL argument");
    *out = NULL;
    *out_len = 0;
    if (len % 4 != 0) return mc_error_set(MC_STATUS_FORMAT, "base64: length %zu is not a multiple of 4", len);
    unsigned char *b = mc_calloc(len / 4 * 3 + 1, 1);
    if (!b) return mc_error_set(MC_STATUS_NO_MEMORY, "base64: out of memory");
    size_t o = 0;
    for (size_t i = 0; i < len; i += 4) {
        int pad = 0;
        if (i + 4 == len) pad = (text[i + 3] == '=') + (text[i + 2] == '=' && text[i + 3] == '=');
        int v[4];
        for (int k = 0; k < 4; k++) v[k] = k >= 4 - pad ? 0 : sextet(text[i + k]);
        if (v[0] < 0 || v[1] < 0 || v[2] < 0 || v[3] < 0 ||
            (pad == 2 && (v[1] & 15)) || (pad == 1 && (v[2] & 3))) { /* non-canonical trailing bits */
            free(b);
            return mc_error_set(MC_STATUS_FORMAT, "base64: invalid character or padding near offset %zu", i);
        }
        unsigned x = (unsigned)v[0] << 18 | (unsigned)v[1] << 12 | (unsigned)v[2] << 6 | (unsigned)v[3];
        b[o++] = (unsigned char)(x >> 16);
        if (pad < 2) b[o++] = (unsigned char)(x >> 8 & 255);
        if (pad < 1) b[o++] = (unsigned char)(x & 255);
    }
    *out = b;
    *out_len = o;
    return MC_STATUS_OK;
}
