/* Checks that an image file written by gnuplot is valid and shows data. */
#include "image_check.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

static const unsigned char plot_png_signature[8] = {0x89, 'P', 'N', 'G',
                                                    '\r', '\n', 0x1a, '\n'};

/* Reads the whole file; returns a malloc'd buffer or NULL. */
static unsigned char *plot_read_file(const char *path, size_t *len)
{
    FILE *file = fopen(path, "rb");
    unsigned char *data = NULL;
    long size;

    if (file == NULL) {
        return NULL;
    }
    if (fseek(file, 0, SEEK_END) == 0 && (size = ftell(file)) >= 0 &&
        fseek(file, 0, SEEK_SET) == 0) {
        data = malloc((size_t)size + 1);
        if (data != NULL && fread(data, 1, (size_t)size, file) != (size_t)size) {
            free(data);
            data = NULL;
        }
        if (data != NULL) {
            data[size] = '\0';
            *len = (size_t)size;
        }
    }
    fclose(file);
    return data;
}

static uint32_t plot_be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
           p[3];
}

/* What the chunks of a PNG file hold, once their CRCs were checked. */
typedef struct plot_png_chunks {
    const unsigned char *ihdr;
    unsigned char palette[256 * 3];
    size_t palette_len;
    unsigned char *idat; /* all IDAT data, concatenated */
    size_t idat_len;
    int has_iend;
} plot_png_chunks;

static int plot_png_read_chunks(const unsigned char *data, size_t len,
                                plot_png_chunks *chunks, char *why,
                                size_t why_len)
{
    size_t at = 8;

    while (at + 12 <= len && !chunks->has_iend) {
        uint32_t chunk_len = plot_be32(data + at);
        const unsigned char *type = data + at + 4;
        const unsigned char *body = data + at + 8;

        if (chunk_len > len - at - 12) {
            snprintf(why, why_len, "chunk at byte %zu runs past the end", at);
            return -1;
        }
        if (crc32(0, type, chunk_len + 4) != plot_be32(body + chunk_len)) {
            snprintf(why, why_len, "CRC mismatch in chunk %.4s", type);
            return -1;
        }

        if (memcmp(type, "IHDR", 4) == 0 && chunk_len == 13) {
            chunks->ihdr = body;
        } else if (memcmp(type, "PLTE", 4) == 0 && chunk_len <= 768) {
            memcpy(chunks->palette, body, chunk_len);
            chunks->palette_len = chunk_len / 3;
        } else if (memcmp(type, "IDAT", 4) == 0) {
            unsigned char *grown = realloc(chunks->idat,
                                           chunks->idat_len + chunk_len + 1);

            if (grown == NULL) {
                snprintf(why, why_len, "out of memory");
                return -1;
            }
            memcpy(grown + chunks->idat_len, body, chunk_len);
            chunks->idat = grown;
            chunks->idat_len += chunk_len;
        } else if (memcmp(type, "IEND", 4) == 0) {
            chunks->has_iend = 1;
        }
        at += 12 + (size_t)chunk_len;
    }
    if (chunks->ihdr == NULL || chunks->idat_len == 0 || !chunks->has_iend) {
        snprintf(why, why_len, "missing IHDR, IDAT or IEND chunk");
        return -1;
    }
    return 0;
}

static int plot_paeth(int a, int b, int c)
{
    int p = a + b - c;
    int pa = abs(p - a);
    int pb = abs(p - b);
    int pc = abs(p - c);

    if (pa <= pb && pa <= pc) {
        return a;
    }
    return pb <= pc ? b : c;
}

/* Reverses the per-row filters in place (PNG specification, section 9). */
static int plot_png_unfilter(unsigned char *raw, uint32_t width,
                             uint32_t height, size_t bpp)
{
    size_t stride = (size_t)width * bpp;

    for (uint32_t y = 0; y < height; y++) {
        unsigned char *row = raw + y * (stride + 1);
        unsigned char filter = row[0];
        unsigned char *cur = row + 1;
        const unsigned char *prev = y > 0 ? cur - (stride + 1) : NULL;

        if (filter > 4) {
            return -1;
        }
        for (size_t i = 0; i < stride; i++) {
            int a = i >= bpp ? cur[i - bpp] : 0;
            int b = prev != NULL ? prev[i] : 0;
            int c = prev != NULL && i >= bpp ? prev[i - bpp] : 0;
            int add[5] = {0, a, b, (a + b) / 2, plot_paeth(a, b, c)};

            cur[i] = (unsigned char)(cur[i] + add[filter]);
        }
    }
    return 0;
}

/* Colour of one unfiltered pixel as 0xRRGGBB; a transparent pixel counts
 * as white, the colour of gnuplot's background. */
static uint32_t plot_png_pixel(const unsigned char *p, int color_type,
                               const plot_png_chunks *chunks)
{
    switch (color_type) {
    case 0:
        return (uint32_t)p[0] * 0x010101u;
    case 2:
        return (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2];
    case 3: {
        const unsigned char *c = chunks->palette + 3 * (size_t)p[0];
        return (uint32_t)c[0] << 16 | (uint32_t)c[1] << 8 | c[2];
    }
    case 4:
        return p[1] == 0 ? 0xffffffu : (uint32_t)p[0] * 0x010101u;
    default:
        return p[3] == 0 ? 0xffffffu
                         : (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2];
    }
}

static int plot_png_decode(const plot_png_chunks *chunks, plot_png *png,
                           char *why, size_t why_len)
{
    static const size_t channels[7] = {1, 0, 3, 1, 2, 0, 4};
    int depth = chunks->ihdr[8];
    int color_type = chunks->ihdr[9];
    size_t bpp = color_type <= 6 ? channels[color_type] : 0;
    uLongf raw_len;
    unsigned char *raw;

    png->width = plot_be32(chunks->ihdr);
    png->height = plot_be32(chunks->ihdr + 4);
    if (png->width == 0 || png->height == 0 || png->width > 20000 ||
        png->height > 20000 || depth != 8 || bpp == 0 ||
        chunks->ihdr[12] != 0) {
        snprintf(why, why_len, "unsupported IHDR: %ux%u, depth %d, colour "
                 "type %d, interlace %d", png->width, png->height, depth,
                 color_type, chunks->ihdr[12]);
        return -1;
    }

    raw_len = (uLongf)png->height * ((uLongf)png->width * bpp + 1);
    raw = malloc(raw_len);
    png->pixels = malloc((size_t)png->width * png->height * sizeof *png->pixels);
    if (raw == NULL || png->pixels == NULL ||
        uncompress(raw, &raw_len, chunks->idat, chunks->idat_len) != Z_OK ||
        raw_len != (uLongf)png->height * ((uLongf)png->width * bpp + 1) ||
        plot_png_unfilter(raw, png->width, png->height, bpp) != 0) {
        snprintf(why, why_len, "image data do not inflate and unfilter to "
                 "%ux%u pixels", png->width, png->height);
        free(raw);
        return -1;
    }

    for (uint32_t y = 0; y < png->height; y++) {
        const unsigned char *row = raw + y * ((size_t)png->width * bpp + 1) + 1;

        for (uint32_t x = 0; x < png->width; x++) {
            png->pixels[(size_t)y * png->width + x] =
                plot_png_pixel(row + x * bpp, color_type, chunks);
        }
    }
    free(raw);
    return 0;
}

int plot_png_load(const char *path, plot_png *png, char *why, size_t why_len)
{
    plot_png_chunks chunks;
    size_t len = 0;
    unsigned char *data = plot_read_file(path, &len);
    int rc = -1;

    memset(png, 0, sizeof *png);
    memset(&chunks, 0, sizeof chunks);
    if (data == NULL) {
        snprintf(why, why_len, "cannot read %s", path);
        return -1;
    }
    if (len < 8 || memcmp(data, plot_png_signature, 8) != 0) {
        snprintf(why, why_len, "%s has no PNG signature", path);
    } else if (plot_png_read_chunks(data, len, &chunks, why, why_len) == 0) {
        rc = plot_png_decode(&chunks, png, why, why_len);
    }

    free(chunks.idat);
    free(data);
    if (rc != 0) {
        plot_png_free(png);
    }
    return rc;
}

void plot_png_free(plot_png *png)
{
    free(png->pixels);
    memset(png, 0, sizeof *png);
}

size_t plot_png_distinct_colors(const plot_png *png, size_t limit)
{
    /* Open addressing over colour + 1, so that 0 marks an empty slot. */
    size_t slot_count = 1;
    uint32_t *slots;
    size_t count = 0;

    while (slot_count < limit * 2) {
        slot_count *= 2;
    }
    slots = calloc(slot_count, sizeof *slots);
    if (slots == NULL) {
        return 0;
    }
    for (size_t i = 0; i < (size_t)png->width * png->height && count < limit;
         i++) {
        uint32_t key = png->pixels[i] + 1;
        size_t slot = (key * 2654435761u) & (slot_count - 1);

        while (slots[slot] != 0 && slots[slot] != key) {
            slot = (slot + 1) & (slot_count - 1);
        }
        if (slots[slot] == 0) {
            slots[slot] = key;
            count++;
        }
    }
    free(slots);
    return count;
}

size_t plot_png_count_color(const plot_png *png, uint32_t rgb)
{
    size_t count = 0;

    for (size_t i = 0; i < (size_t)png->width * png->height; i++) {
        count += png->pixels[i] == rgb;
    }
    return count;
}

/* Copies the value of attribute name (quoted with ' or ") found between
 * start and end into value; returns 0 or -1 when absent. */
static int plot_svg_attribute(const char *start, const char *end,
                              const char *name, char *value, size_t value_len)
{
    size_t name_len = strlen(name);

    for (const char *at = start; at + name_len < end; at++) {
        const char *q;
        const char *close;

        if (memcmp(at, name, name_len) != 0 || (at > start && at[-1] != ' ' &&
                                                at[-1] != '\t')) {
            continue;
        }
        q = at + name_len;
        while (q < end && (*q == ' ' || *q == '=')) {
            q++;
        }
        if (q >= end || (*q != '\'' && *q != '"')) {
            continue;
        }
        close = memchr(q + 1, *q, (size_t)(end - q - 1));
        if (close == NULL) {
            return -1;
        }
        snprintf(value, value_len, "%.*s", (int)(close - q - 1), q + 1);
        return 0;
    }
    return -1;
}

static size_t plot_count_char(const char *text, char c)
{
    size_t count = 0;

    for (; *text != '\0'; text++) {
        count += *text == c;
    }
    return count;
}

int plot_svg_scan(const char *path, size_t min_points, plot_svg_stats *stats,
                  char *why, size_t why_len)
{
    char colors[64][48];
    size_t color_count = 0;
    size_t len = 0;
    char *text = (char *)plot_read_file(path, &len);
    static char d[1 << 20];

    memset(stats, 0, sizeof *stats);
    if (text == NULL) {
        snprintf(why, why_len, "cannot read %s", path);
        return -1;
    }
    if (strstr(text, "<svg") == NULL || strstr(text, "</svg>") == NULL) {
        snprintf(why, why_len, "%s is not a complete SVG document", path);
        free(text);
        return -1;
    }

    for (const char *at = strstr(text, "<path"); at != NULL;
         at = strstr(at + 1, "<path")) {
        const char *end = strchr(at, '>');
        char stroke[48] = "none";

        if (end == NULL) {
            break;
        }
        stats->paths++;
        /* Each point of a gnuplot path is written as "x,y". */
        if (plot_svg_attribute(at, end, "d", d, sizeof d) != 0 ||
            plot_count_char(d, ',') < min_points) {
            continue;
        }
        stats->long_paths++;
        plot_svg_attribute(at, end, "stroke", stroke, sizeof stroke);

        size_t c = 0;
        while (c < color_count && strcmp(colors[c], stroke) != 0) {
            c++;
        }
        if (c == color_count && color_count < 64) {
            snprintf(colors[color_count++], sizeof colors[0], "%s", stroke);
        }
    }
    stats->long_path_colors = color_count;
    free(text);
    return 0;
}

/* Returns 1 when the text just before at, skipping quotes, spaces and an
 * equals sign, is the attribute name "fill". */
static int plot_svg_follows_fill(const char *text, const char *at)
{
    const char *p = at;

    while (p > text && strchr(" '\"=", p[-1]) != NULL) {
        p--;
    }
    return p - text >= 4 && memcmp(p - 4, "fill", 4) == 0;
}

size_t plot_svg_count_fill(const char *path, uint32_t rgb)
{
    size_t len = 0;
    char *text = (char *)plot_read_file(path, &len);
    size_t count = 0;

    if (text == NULL) {
        return 0;
    }
    for (const char *at = strstr(text, "rgb("); at != NULL;
         at = strstr(at + 1, "rgb(")) {
        unsigned r, g, b;

        if (sscanf(at, "rgb( %u , %u , %u )", &r, &g, &b) == 3 &&
            (r << 16 | g << 8 | b) == rgb && plot_svg_follows_fill(text, at)) {
            count++;
        }
    }
    free(text);
    return count;
}

static int plot_png_put_chunk(FILE *file, const char *type,
                              const unsigned char *body, uint32_t len)
{
    static const unsigned char empty[1];
    unsigned char head[8] = {len >> 24, len >> 16 & 0xff, len >> 8 & 0xff,
                             len & 0xff};
    uint32_t crc;
    unsigned char tail[4];

    /* zlib's crc32 treats a NULL buffer as a request for its start value. */
    if (body == NULL) {
        body = empty;
    }
    memcpy(head + 4, type, 4);
    crc = (uint32_t)crc32(crc32(0, head + 4, 4), body, len);
    tail[0] = crc >> 24;
    tail[1] = crc >> 16 & 0xff;
    tail[2] = crc >> 8 & 0xff;
    tail[3] = crc & 0xff;
    return fwrite(head, 1, 8, file) == 8 && fwrite(body, 1, len, file) == len &&
                   fwrite(tail, 1, 4, file) == 4
               ? 0 : -1;
}

int plot_png_write_blank(const char *path, uint32_t width, uint32_t height,
                         uint32_t rgb)
{
    size_t stride = (size_t)width * 3 + 1;
    uLongf packed_len = compressBound((uLong)(stride * height));
    unsigned char *raw = calloc(stride, height);
    unsigned char *packed = malloc(packed_len);
    unsigned char ihdr[13] = {width >> 24, width >> 16 & 0xff, width >> 8 & 0xff,
                              width & 0xff, height >> 24, height >> 16 & 0xff,
                              height >> 8 & 0xff, height & 0xff, 8, 2, 0, 0, 0};
    FILE *file = fopen(path, "wb");
    int rc = -1;

    if (raw != NULL && packed != NULL && file != NULL) {
        for (size_t y = 0; y < height; y++) {
            for (size_t x = 0; x < width; x++) {
                unsigned char *p = raw + y * stride + 1 + 3 * x;

                p[0] = rgb >> 16 & 0xff;
                p[1] = rgb >> 8 & 0xff;
                p[2] = rgb & 0xff;
            }
        }
        rc = compress(packed, &packed_len, raw, (uLong)(stride * height)) == Z_OK &&
                     fwrite(plot_png_signature, 1, 8, file) == 8 &&
                     plot_png_put_chunk(file, "IHDR", ihdr, 13) == 0 &&
                     plot_png_put_chunk(file, "IDAT", packed, (uint32_t)packed_len) == 0 &&
                     plot_png_put_chunk(file, "IEND", NULL, 0) == 0
                 ? 0 : -1;
    }
    if (file != NULL && fclose(file) != 0) {
        rc = -1;
    }
    free(raw);
    free(packed);
    return rc;
}
