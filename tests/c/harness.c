/*
 * C harness for muxlink's C ABI, built against include/muxlink.h and linked to libmuxlink
 * (shared or static). tests/c/run.sh builds and runs it, plain and under valgrind.
 *
 *   harness [--system-allocator] EXPECTED STREAM...
 *
 * EXPECTED lists, for every STREAM in order, what `muxlink replay --json` reports for it:
 *   "stream <path>\n", then per row "<pane> <row> <len>\n<len bytes>\n", then "end\n".
 * Without --system-allocator the harness installs a counting allocator before its first
 * call that allocates, and checks that every client gives back all it took.
 *
 * Prints one line per failed check and a final "N passed, N failed"; exits 1 on any failure.
 */
#include <stdalign.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "muxlink.h"

static int passed, failed;

#define CHECK(cond, ...)                                                                   \
    do {                                                                                   \
        if (cond) {                                                                        \
            passed++;                                                                      \
        } else {                                                                           \
            failed++;                                                                      \
            fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond);               \
            fprintf(stderr, __VA_ARGS__);                                                  \
            fputc('\n', stderr);                                                           \
        }                                                                                  \
    } while (0)

#define CHECK_RESULT(expr, want)                                                           \
    do {                                                                                   \
        muxlink_result got_ = (expr);                                                      \
        CHECK(got_ == (want), "%s returned %s, wanted %s", #expr, muxlink_result_str(got_), \
              muxlink_result_str(want));                                                   \
    } while (0)

/* ---- the allocation ledger: every allocation muxlink makes passes here ---- */

static atomic_long live_blocks, total_allocs, total_frees, live_bytes;

static void *ledger_alloc(void *ctx, size_t size, size_t align) {
    (void)ctx;
    /* aligned_alloc wants a size that is a multiple of the alignment. */
    size_t rounded = (size + align - 1) / align * align;
    void *p = aligned_alloc(align < sizeof(void *) ? sizeof(void *) : align, rounded);
    if (p != NULL) {
        atomic_fetch_add(&live_blocks, 1);
        atomic_fetch_add(&total_allocs, 1);
        atomic_fetch_add(&live_bytes, (long)size);
    }
    return p;
}

static void ledger_free(void *ctx, void *ptr, size_t size, size_t align) {
    (void)ctx;
    (void)align;
    atomic_fetch_sub(&live_blocks, 1);
    atomic_fetch_add(&total_frees, 1);
    atomic_fetch_sub(&live_bytes, (long)size);
    free(ptr);
}

/* Declines to move over-aligned blocks (realloc keeps only malloc's alignment); muxlink then
 * allocates, copies and frees. */
static void *ledger_realloc(void *ctx, void *ptr, size_t old_size, size_t align, size_t new_size) {
    (void)ctx;
    if (align > alignof(max_align_t)) return NULL;
    void *p = realloc(ptr, new_size);
    if (p != NULL) atomic_fetch_add(&live_bytes, (long)new_size - (long)old_size);
    return p;
}

/* ---- expected rows, from `muxlink replay --json` (written by run.sh) ---- */

typedef struct {
    uint32_t pane, row;
    size_t len;
    char *text;
} expected_row;

typedef struct {
    char path[4096];
    expected_row *rows;
    size_t count;
} expected_stream;

static int read_expected(FILE *f, expected_stream *out) {
    if (fscanf(f, "stream %4095s\n", out->path) != 1) return 0;
    size_t cap = 64;
    out->rows = calloc(cap, sizeof *out->rows);
    out->count = 0;
    for (;;) {
        char word[16];
        long pos = ftell(f);
        if (fscanf(f, "%15s", word) == 1 && strcmp(word, "end") == 0) {
            fscanf(f, "\n");
            return 1;
        }
        fseek(f, pos, SEEK_SET);
        expected_row r;
        if (fscanf(f, "%u %u %zu", &r.pane, &r.row, &r.len) != 3 || fgetc(f) != '\n') return 0;
        r.text = malloc(r.len + 1);
        if (fread(r.text, 1, r.len, f) != r.len || fgetc(f) != '\n') return 0;
        if (out->count == cap) {
            cap *= 2;
            out->rows = realloc(out->rows, cap * sizeof *out->rows);
        }
        out->rows[out->count++] = r;
    }
}

static unsigned char *read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (f == NULL) return NULL;
    fseek(f, 0, SEEK_END);
    *len = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *buf = malloc(*len ? *len : 1);
    if (fread(buf, 1, *len, f) != *len) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    return buf;
}

static void replay_config(muxlink_client_config *cfg) {
    muxlink_client_config_init(cfg);
    cfg->handshake = false;
    cfg->keep_state_on_exit = true;
}

/* ---- the checks ---- */

static void check_abi(void) {
    CHECK(muxlink_abi_version() == MUXLINK_ABI_VERSION, "library %u, header %u",
          muxlink_abi_version(), MUXLINK_ABI_VERSION);
    muxlink_client_config cfg;
    memset(&cfg, 0x5A, sizeof cfg);
    muxlink_client_config_init(&cfg);
    CHECK(cfg.size == sizeof cfg, "init wrote size %zu, sizeof is %zu", cfg.size, sizeof cfg);
    CHECK(cfg.abi_version == MUXLINK_ABI_VERSION, "init wrote version %u", cfg.abi_version);
    CHECK(cfg.cols == 80 && cfg.rows == 24, "defaults %ux%u", cfg.cols, cfg.rows);
    CHECK(cfg.handshake == true && cfg.keep_state_on_exit == false, "default flags");
    CHECK(cfg.output_mode == MUXLINK_OUTPUT_GRID, "default mode %u", cfg.output_mode);
    if (sizeof(void *) == 8) CHECK(sizeof(muxlink_client_config) == 24, "layout changed");
    CHECK(sizeof(muxlink_result) == sizeof(int), "result is int-sized");
    muxlink_client_config_init(NULL); /* ignored */
}

static void check_result_names(void) {
    for (int r = MUXLINK_OK; r <= MUXLINK_ERR_UNSUPPORTED; r++) {
        const char *s = muxlink_result_str((muxlink_result)r);
        CHECK(s != NULL && strncmp(s, "MUXLINK_", 8) == 0, "name of %d: %s", r, s ? s : "NULL");
    }
    const int unknown[] = {-1, MUXLINK_ERR_UNSUPPORTED + 1, 9999};
    for (size_t i = 0; i < sizeof unknown / sizeof *unknown; i++) {
        const char *s = muxlink_result_str((muxlink_result)unknown[i]);
        CHECK(s != NULL && strcmp(s, "unknown muxlink_result") == 0, "unknown %d: %s",
              unknown[i], s ? s : "NULL");
    }
}

/* Feeds a stream in pieces of `chunk` bytes and compares every row with the expectation. */
static void check_replay(const expected_stream *exp, size_t chunk) {
    size_t len = 0;
    unsigned char *stream = read_file(exp->path, &len);
    CHECK(stream != NULL, "cannot read %s", exp->path);
    if (stream == NULL) return;
    long blocks_before = atomic_load(&live_blocks);

    muxlink_client_config cfg;
    replay_config(&cfg);
    muxlink_client *c = NULL;
    CHECK_RESULT(muxlink_client_new(&cfg, &c), MUXLINK_OK);
    for (size_t off = 0; c != NULL && off < len; off += chunk) {
        size_t n = len - off < chunk ? len - off : chunk;
        muxlink_result r = muxlink_client_feed(c, stream + off, n);
        if (r != MUXLINK_OK) {
            CHECK(r == MUXLINK_OK, "feed at %zu: %s", off, muxlink_result_str(r));
            break;
        }
    }
    size_t mismatches = 0;
    for (size_t i = 0; c != NULL && i < exp->count; i++) {
        const expected_row *e = &exp->rows[i];
        char buf[8192];
        size_t got = 12345;
        muxlink_result r = muxlink_client_pane_row_text(c, e->pane, e->row, (uint8_t *)buf,
                                                        sizeof buf, &got);
        if (r != MUXLINK_OK || got != e->len || memcmp(buf, e->text, got) != 0) {
            if (mismatches++ < 5)
                CHECK(0, "%s chunk %zu: %%%u row %u: %s, got \"%.*s\", wanted \"%.*s\"",
                      exp->path, chunk, e->pane, e->row, muxlink_result_str(r),
                      (int)(r == MUXLINK_OK ? got : 0), buf, (int)e->len, e->text);
        }
    }
    CHECK(mismatches == 0, "%s chunk %zu: %zu of %zu rows differ", exp->path, chunk,
          mismatches, exp->count);
    CHECK(exp->count > 0, "nothing expected for %s", exp->path);
    /* The recorded streams end with %exit: the client is closed, its state still readable. */
    CHECK_RESULT(muxlink_client_feed(c, (const uint8_t *)"%exit\n", 6), MUXLINK_ERR_CLOSED);
    muxlink_client_free(c);
    CHECK(atomic_load(&live_blocks) == blocks_before,
          "%s chunk %zu: %ld blocks still live after free", exp->path, chunk,
          atomic_load(&live_blocks) - blocks_before);
    free(stream);
}

static void check_bad_calls(const expected_stream *exp) {
    muxlink_client_config cfg;
    replay_config(&cfg);
    muxlink_client *garbage = (muxlink_client *)(uintptr_t)0x10;
    muxlink_client *c = garbage;

    /* NULLs. */
    CHECK_RESULT(muxlink_client_new(NULL, &c), MUXLINK_ERR_NULL);
    CHECK(c == NULL, "*out not cleared on error");
    CHECK_RESULT(muxlink_client_new(&cfg, NULL), MUXLINK_ERR_NULL);
    CHECK_RESULT(muxlink_client_feed(NULL, (const uint8_t *)"x", 1), MUXLINK_ERR_NULL);
    size_t len = 99;
    CHECK_RESULT(muxlink_client_pane_row_text(NULL, 0, 0, NULL, 0, &len), MUXLINK_ERR_NULL);
    CHECK(len == 0, "out_len %zu after an error", len);
    muxlink_client_free(NULL);

    /* Wrong sizes and versions: refused, *out stays NULL. */
    const size_t sizes[] = {0, 4, sizeof cfg - 1, sizeof cfg + 8, (size_t)-1};
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
        muxlink_client_config bad = cfg;
        bad.size = sizes[i];
        c = garbage;
        CHECK_RESULT(muxlink_client_new(&bad, &c), MUXLINK_ERR_STRUCT_SIZE);
        CHECK(c == NULL, "*out not cleared for size %zu", sizes[i]);
    }
    const uint32_t versions[] = {0, MUXLINK_ABI_VERSION + 1, UINT32_MAX};
    for (size_t i = 0; i < sizeof versions / sizeof *versions; i++) {
        muxlink_client_config bad = cfg;
        bad.abi_version = versions[i];
        c = garbage;
        CHECK_RESULT(muxlink_client_new(&bad, &c), MUXLINK_ERR_ABI_VERSION);
        CHECK(c == NULL, "*out not cleared for version %u", versions[i]);
    }
    muxlink_client_config bad = cfg;
    bad.cols = 10001;
    CHECK_RESULT(muxlink_client_new(&bad, &c), MUXLINK_ERR_INVALID_ARGUMENT);
    bad = cfg;
    bad.output_mode = 7;
    CHECK_RESULT(muxlink_client_new(&bad, &c), MUXLINK_ERR_INVALID_ARGUMENT);
    /* A misaligned config pointer. */
    alignas(8) unsigned char raw[sizeof cfg + 8];
    memcpy(raw + 1, &cfg, sizeof cfg);
    CHECK_RESULT(muxlink_client_new((const muxlink_client_config *)(raw + 1), &c),
                 MUXLINK_ERR_MISALIGNED);

    /* A real client for the calls that need one. */
    size_t slen = 0;
    unsigned char *stream = read_file(exp->path, &slen);
    CHECK_RESULT(muxlink_client_new(&cfg, &c), MUXLINK_OK);
    if (c == NULL || stream == NULL) {
        free(stream);
        return;
    }
    CHECK_RESULT(muxlink_client_feed(c, NULL, 0), MUXLINK_OK);
    CHECK_RESULT(muxlink_client_feed(c, NULL, 5), MUXLINK_ERR_NULL);
    CHECK_RESULT(muxlink_client_feed(c, stream, (size_t)-1), MUXLINK_ERR_INVALID_ARGUMENT);
    CHECK_RESULT(muxlink_client_feed(c, stream, slen), MUXLINK_OK);

    const expected_row *e = NULL;
    for (size_t i = 0; i < exp->count && e == NULL; i++)
        if (exp->rows[i].len > 4) e = &exp->rows[i];
    CHECK(e != NULL, "no row longer than 4 bytes in %s", exp->path);
    if (e != NULL) {
        char small[4] = {'#', '#', '#', '#'};
        len = 0;
        CHECK_RESULT(muxlink_client_pane_row_text(c, e->pane, e->row, (uint8_t *)small,
                                                  sizeof small, &len),
                     MUXLINK_ERR_BUFFER_TOO_SMALL);
        CHECK(len == e->len, "needed %zu, told %zu", e->len, len);
        CHECK(memcmp(small, "####", 4) == 0, "buffer written on error");
        len = 0;
        CHECK_RESULT(muxlink_client_pane_row_text(c, e->pane, e->row, NULL, 0, &len),
                     MUXLINK_ERR_BUFFER_TOO_SMALL);
        CHECK(len == e->len, "size query told %zu", len);
        CHECK_RESULT(muxlink_client_pane_row_text(c, e->pane, e->row, NULL, 10, &len),
                     MUXLINK_ERR_NULL);
        CHECK_RESULT(muxlink_client_pane_row_text(c, e->pane, e->row, (uint8_t *)small,
                                                  sizeof small, NULL),
                     MUXLINK_ERR_NULL);
        CHECK_RESULT(muxlink_client_pane_row_text(c, e->pane, 100000, (uint8_t *)small,
                                                  sizeof small, &len),
                     MUXLINK_ERR_OUT_OF_RANGE);
    }
    CHECK_RESULT(muxlink_client_pane_row_text(c, 987654, 0, NULL, 0, &len),
                 MUXLINK_ERR_NO_SUCH_PANE);
    /* The stream ended with %exit: more input is refused, the state stays. */
    CHECK_RESULT(muxlink_client_feed(c, stream, slen), MUXLINK_ERR_CLOSED);
    muxlink_client_free(c);

    /* Bytes mode keeps no grid. */
    muxlink_client_config bytes_cfg = cfg;
    bytes_cfg.output_mode = MUXLINK_OUTPUT_BYTES;
    CHECK_RESULT(muxlink_client_new(&bytes_cfg, &c), MUXLINK_OK);
    if (c != NULL) {
        CHECK_RESULT(muxlink_client_feed(c, stream, slen), MUXLINK_OK);
        if (e != NULL)
            CHECK_RESULT(muxlink_client_pane_row_text(c, e->pane, 0, NULL, 0, &len),
                         MUXLINK_ERR_NO_GRID);
        muxlink_client_free(c);
    }
    free(stream);
}

static void check_allocator_calls(int installed) {
    muxlink_allocator a;
    muxlink_allocator_init(&a);
    CHECK(a.size == sizeof a && a.abi_version == MUXLINK_ABI_VERSION, "allocator init");
    CHECK_RESULT(muxlink_set_allocator(NULL), MUXLINK_ERR_NULL);
    CHECK_RESULT(muxlink_set_allocator(&a), MUXLINK_ERR_NULL); /* no functions */
    a.alloc = ledger_alloc;
    a.free = ledger_free;
    a.abi_version = 0;
    CHECK_RESULT(muxlink_set_allocator(&a), MUXLINK_ERR_ABI_VERSION);
    a.abi_version = MUXLINK_ABI_VERSION;
    a.size = 3;
    CHECK_RESULT(muxlink_set_allocator(&a), MUXLINK_ERR_STRUCT_SIZE);
    a.size = sizeof a;
    /* Too late either way: muxlink has allocated (or an allocator is set). */
    CHECK_RESULT(muxlink_set_allocator(&a), MUXLINK_ERR_ALLOCATOR_IN_USE);
    (void)installed;
}

int main(int argc, char **argv) {
    int system_allocator = argc > 1 && strcmp(argv[1], "--system-allocator") == 0;
    int first = system_allocator ? 2 : 1;
    if (argc < first + 1) {
        fprintf(stderr, "usage: %s [--system-allocator] EXPECTED\n", argv[0]);
        return 2;
    }

    /* Before anything that allocates: the ABI check, then the allocator. */
    check_abi();
    check_result_names();
    if (!system_allocator) {
        muxlink_allocator a;
        muxlink_allocator_init(&a);
        a.alloc = ledger_alloc;
        a.realloc = ledger_realloc;
        a.free = ledger_free;
        CHECK_RESULT(muxlink_set_allocator(&a), MUXLINK_OK);
    }

    FILE *f = fopen(argv[first], "rb");
    if (f == NULL) {
        perror(argv[first]);
        return 2;
    }
    expected_stream streams[8];
    size_t nstreams = 0;
    while (nstreams < 8 && read_expected(f, &streams[nstreams])) nstreams++;
    fclose(f);
    CHECK(nstreams > 0, "no streams in %s", argv[first]);

    const size_t chunks[] = {1, 3, 64, 4096, (size_t)1 << 30};
    for (size_t s = 0; s < nstreams; s++)
        for (size_t i = 0; i < sizeof chunks / sizeof *chunks; i++)
            check_replay(&streams[s], chunks[i]);
    if (nstreams > 0) check_bad_calls(&streams[0]);
    check_allocator_calls(!system_allocator);

    if (!system_allocator) {
        CHECK(atomic_load(&total_allocs) > 0, "the allocator was never called");
        printf("allocation ledger: %ld allocations, %ld frees, %ld blocks (%ld bytes) live at exit\n",
               atomic_load(&total_allocs), atomic_load(&total_frees), atomic_load(&live_blocks),
               atomic_load(&live_bytes));
        CHECK(atomic_load(&live_blocks) == 0, "%ld blocks never freed", atomic_load(&live_blocks));
    }

    for (size_t s = 0; s < nstreams; s++) {
        for (size_t i = 0; i < streams[s].count; i++) free(streams[s].rows[i].text);
        free(streams[s].rows);
    }
    printf("harness: %d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
