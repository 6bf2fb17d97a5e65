/* bench/phold: the PHOLD benchmark on the event engine, against a bare heap.
 *
 * Model: N logical processes (LPs). Each starts with S events to itself at
 * Exp(mean - lookahead) + lookahead. An event at LP i draws U1 from i's
 * stream; if U1 <= remote the next event goes to LP floor(U2 * N) (U2 drawn
 * next), else to i itself, at now + Exp(mean - lookahead) + lookahead (drawn
 * last). Events at or after `end` are not scheduled; a run ends when the
 * queue is empty. One time unit is one second of virtual time; times are
 * rounded to whole microseconds, the engine's unit.
 *
 * The program runs the model twice: first on sim_engine, then on a bare
 * binary heap of (time, sequence, LP) entries with the same draws and nothing
 * else. Both runs must process the same events in the same order (checked by
 * count and by an order-sensitive checksum). Each run's wall time, measured
 * with CLOCK_MONOTONIC, covers scheduling the initial events and running
 * until the queue is empty; creating the random streams is not timed. With
 * --repeat K the pair of runs is repeated K times and each side reports its
 * best rate. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "engine.h"
#include "rng.h"
#include "run_header.h"

#define EXIT_USAGE 2
#define RNG_DOMAIN "phold.lp"
/* LPs are numbered with 32 bits in the baseline's heap entries. */
#define NLP_MAX (UINT64_C(1) << 32)
/* Keeps end * 1e6 and now + delay well inside int64 microseconds. */
#define TIME_S_MAX 1e9

typedef struct phold_params {
    uint64_t nlp;
    uint64_t start_events;
    double remote;
    double mean;
    double lookahead;
    double end_s;
    uint64_t seed;
    uint64_t repeat; /* rounds of (engine run, baseline run) */
} phold_params;

/* State shared by both runs of the model. */
typedef struct phold_model {
    const phold_params *params;
    gsl_rng **rngs; /* one stream per LP */
    sim_time_t end_us;
    double exp_mean_s; /* mean - lookahead */
    uint64_t events;
    uint64_t checksum; /* order-sensitive digest of (time, LP) per event */
    int error;         /* first scheduling error of the engine run */
} phold_model;

typedef struct run_result {
    uint64_t events;
    uint64_t checksum;
    double wall_s;
} run_result;

/* ---- options ---------------------------------------------------------- */

static void print_usage(FILE *out)
{
    fprintf(out,
"Usage: phold [OPTION]...\n"
"Runs the PHOLD model on lbsim's event engine, then on a bare binary heap\n"
"with the same random draws, and compares their speed. One time unit is one\n"
"second of virtual time.\n"
"\n"
"  --nlp N            logical processes, 1..4294967296 (default 1024)\n"
"  --start-events S   events each LP starts with, >= 1 (default 16)\n"
"  --remote P         probability, 0..1, that an event goes to a uniformly\n"
"                     chosen LP instead of its own (default 0.25)\n"
"  --mean M           mean delay between events, 1e-6..1e9 (default 1.0)\n"
"  --lookahead L      minimum delay, 0 <= L <= M; delays are\n"
"                     Exp(M - L) + L (default 0.1)\n"
"  --end T            events at or after time T are not scheduled,\n"
"                     0 < T <= 1e9 (default 1000)\n"
"  --seed X           root seed of the LPs' random streams, an unsigned\n"
"                     64-bit integer (default 1)\n"
"  --repeat K         run K rounds of (engine, baseline), 1..1000, and\n"
"                     report each side's best rate; helps on a busy\n"
"                     machine (default 1)\n"
"  --help             print this help and exit\n"
"\n"
"About N * S * T / M events run in each run. The last line\n"
"reads: events=<n> events_per_s=<x> baseline_events_per_s=<y> ratio=<x/y>.\n"
"Exit status: 0 on success, 1 when a run fails or the two runs disagree,\n"
"2 on invalid options.\n");
}

/* Prints "phold: <message>" and a pointer to --help; returns -EINVAL. */
static int usage_error(const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "phold: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nTry 'phold --help' for the options.\n");
    return -EINVAL;
}

static int parse_u64(const char *name, const char *text, uint64_t min,
                     uint64_t max, uint64_t *out)
{
    char *end;
    unsigned long long v;

    errno = 0;
    if (text[0] == '-' || text[0] == '+' || text[0] == '\0' ||
        (v = strtoull(text, &end, 10), errno != 0) || *end != '\0' ||
        v < min || v > max) {
        return usage_error("--%s '%s' is not an integer in [%" PRIu64
                           ", %" PRIu64 "]", name, text, min, max);
    }
    *out = v;
    return 0;
}

static int parse_double(const char *name, const char *text, double *out)
{
    char *end;
    double v;

    errno = 0;
    v = strtod(text, &end);
    if (text[0] == '\0' || *end != '\0' || errno != 0 || !isfinite(v)) {
        return usage_error("--%s '%s' is not a finite number", name, text);
    }
    *out = v;
    return 0;
}

static int check_params(const phold_params *p)
{
    if (!(p->remote >= 0.0 && p->remote <= 1.0)) {
        return usage_error("--remote must be in [0, 1]");
    }
    /* Below a microsecond most delays round to zero and the run may never
     * reach end. */
    if (!(p->mean >= 1e-6 && p->mean <= TIME_S_MAX)) {
        return usage_error("--mean must be in [1e-6, 1e9]");
    }
    if (!(p->lookahead >= 0.0 && p->lookahead <= p->mean)) {
        return usage_error("--lookahead must be in [0, mean]");
    }
    if (!(p->end_s > 0.0 && p->end_s <= TIME_S_MAX)) {
        return usage_error("--end must be in (0, 1e9]");
    }
    return 0;
}

/* Fills *p from argv. Returns 0, 1 when --help was printed, or -EINVAL. */
static int parse_options(int argc, char **argv, phold_params *p)
{
    static const struct option options[] = {
        {"nlp", required_argument, NULL, 'n'},
        {"start-events", required_argument, NULL, 's'},
        {"remote", required_argument, NULL, 'r'},
        {"mean", required_argument, NULL, 'm'},
        {"lookahead", required_argument, NULL, 'l'},
        {"end", required_argument, NULL, 'e'},
        {"seed", required_argument, NULL, 'x'},
        {"repeat", required_argument, NULL, 'k'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int opt;
    int rc = 0;

    *p = (phold_params){1024, 16, 0.25, 1.0, 0.1, 1000.0, 1, 1};
    while (rc == 0 &&
           (opt = getopt_long(argc, argv, "", options, NULL)) != -1) {
        switch (opt) {
        case 'n': rc = parse_u64("nlp", optarg, 1, NLP_MAX, &p->nlp); break;
        case 's':
            rc = parse_u64("start-events", optarg, 1, UINT32_MAX,
                           &p->start_events);
            break;
        case 'r': rc = parse_double("remote", optarg, &p->remote); break;
        case 'm': rc = parse_double("mean", optarg, &p->mean); break;
        case 'l': rc = parse_double("lookahead", optarg, &p->lookahead); break;
        case 'e': rc = parse_double("end", optarg, &p->end_s); break;
        case 'x': rc = parse_u64("seed", optarg, 0, UINT64_MAX, &p->seed);
            break;
        case 'k':
            rc = parse_u64("repeat", optarg, 1, 1000, &p->repeat);
            break;
        case 'h': print_usage(stdout); return 1;
        default:
            fprintf(stderr, "Try 'phold --help' for the options.\n");
            return -EINVAL;
        }
    }
    if (rc == 0 && optind < argc) {
        rc = usage_error("unexpected argument '%s'", argv[optind]);
    }
    return rc != 0 ? rc : check_params(p);
}

/* ---- the model, shared by both runs ----------------------------------- */

static double wall_now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static inline sim_time_t phold_delay_us(const phold_model *m, gsl_rng *rng)
{
    double delay_s = gsl_ran_exponential(rng, m->exp_mean_s) +
                     m->params->lookahead;

    return (sim_time_t)(delay_s * 1e6 + 0.5);
}

/* Processes the event at LP lp and time now_us: counts it and draws where
 * and when the next one goes. */
static inline sim_time_t phold_step(phold_model *m, uint64_t lp,
                                    sim_time_t now_us, uint64_t *dest)
{
    gsl_rng *rng = m->rngs[lp];

    m->events++;
    m->checksum = (m->checksum ^ ((uint64_t)now_us * 31 + lp)) *
                  UINT64_C(0x100000001b3);
    *dest = lp;
    if (gsl_rng_uniform(rng) <= m->params->remote) {
        *dest = (uint64_t)(gsl_rng_uniform(rng) * (double)m->params->nlp);
    }
    return now_us + phold_delay_us(m, rng);
}

static void free_streams(phold_model *m)
{
    if (m->rngs == NULL) {
        return;
    }
    for (uint64_t i = 0; i < m->params->nlp; i++) {
        gsl_rng_free(m->rngs[i]);
    }
    free(m->rngs);
    m->rngs = NULL;
}

/* Prepares a fresh model, with every LP's stream at its start. */
static int model_init(phold_model *m, const phold_params *p)
{
    *m = (phold_model){.params = p};
    m->end_us = (sim_time_t)(p->end_s * 1e6 + 0.5);
    m->exp_mean_s = p->mean - p->lookahead;
    m->rngs = calloc(p->nlp, sizeof *m->rngs);
    if (m->rngs == NULL) {
        return -ENOMEM;
    }
    for (uint64_t i = 0; i < p->nlp; i++) {
        m->rngs[i] = sim_rng_stream(p->seed, RNG_DOMAIN, i);
        if (m->rngs[i] == NULL) {
            free_streams(m);
            return -ENOMEM;
        }
    }
    return 0;
}

/* ---- run 1: on the engine --------------------------------------------- */

static void phold_event_cb(sim_engine *engine, void *ctx, uint64_t lp)
{
    phold_model *m = ctx;
    uint64_t dest;
    sim_time_t at_us = phold_step(m, lp, sim_engine_now(engine), &dest);

    if (at_us < m->end_us) {
        int rc = sim_engine_schedule(engine, at_us, phold_event_cb, m, dest,
                                     NULL);

        if (rc != 0) {
            m->error = rc;
            sim_engine_stop(engine);
        }
    }
}

static int run_engine(phold_model *m, run_result *out)
{
    const phold_params *p = m->params;
    sim_engine *engine = sim_engine_create();
    double start_s;
    int rc = 0;

    if (engine == NULL) {
        return -ENOMEM;
    }
    start_s = wall_now_s();
    for (uint64_t lp = 0; lp < p->nlp && rc == 0; lp++) {
        for (uint64_t k = 0; k < p->start_events && rc == 0; k++) {
            sim_time_t at_us = phold_delay_us(m, m->rngs[lp]);

            if (at_us < m->end_us) {
                rc = sim_engine_schedule(engine, at_us, phold_event_cb, m, lp,
                                         NULL);
            }
        }
    }
    if (rc == 0) {
        sim_engine_run(engine);
        rc = m->error;
    }
    out->wall_s = wall_now_s() - start_s;
    out->events = m->events;
    out->checksum = m->checksum;
    if (rc == 0 && sim_engine_events_run(engine) != m->events) {
        rc = -EPROTO;
    }
    sim_engine_destroy(engine);
    return rc;
}

/* ---- run 2: the bare baseline ----------------------------------------- */

typedef struct base_entry {
    sim_time_t time_us;
    uint64_t seq;
    uint32_t lp;
} base_entry;

typedef struct base_heap {
    base_entry *items;
    size_t len;
    size_t cap;
} base_heap;

static inline bool base_less(const base_entry *a, const base_entry *b)
{
    return a->time_us < b->time_us ||
           (a->time_us == b->time_us && a->seq < b->seq);
}

static int base_push(base_heap *h, base_entry e)
{
    size_t i;

    if (h->len == h->cap) {
        size_t cap = h->cap ? h->cap * 2 : 64;
        base_entry *items = realloc(h->items, cap * sizeof *items);

        if (items == NULL) {
            return -ENOMEM;
        }
        h->items = items;
        h->cap = cap;
    }
    for (i = h->len++; i > 0 && base_less(&e, &h->items[(i - 1) / 2]);
         i = (i - 1) / 2) {
        h->items[i] = h->items[(i - 1) / 2];
    }
    h->items[i] = e;
    return 0;
}

static base_entry base_pop(base_heap *h)
{
    base_entry top = h->items[0];
    base_entry last = h->items[--h->len];
    size_t i = 0;

    for (;;) {
        size_t c = 2 * i + 1;

        if (c >= h->len) {
            break;
        }
        if (c + 1 < h->len && base_less(&h->items[c + 1], &h->items[c])) {
            c++;
        }
        if (!base_less(&h->items[c], &last)) {
            break;
        }
        h->items[i] = h->items[c];
        i = c;
    }
    h->items[i] = last;
    return top;
}

static int run_baseline(phold_model *m, run_result *out)
{
    const phold_params *p = m->params;
    base_heap heap = {0};
    uint64_t seq = 0;
    double start_s = wall_now_s();
    int rc = 0;

    for (uint64_t lp = 0; lp < p->nlp && rc == 0; lp++) {
        for (uint64_t k = 0; k < p->start_events && rc == 0; k++) {
            sim_time_t at_us = phold_delay_us(m, m->rngs[lp]);

            if (at_us < m->end_us) {
                rc = base_push(&heap, (base_entry){at_us, seq++,
                                                   (uint32_t)lp});
            }
        }
    }
    while (rc == 0 && heap.len > 0) {
        base_entry e = base_pop(&heap);
        uint64_t dest;
        sim_time_t at_us = phold_step(m, e.lp, e.time_us, &dest);

        if (at_us < m->end_us) {
            rc = base_push(&heap, (base_entry){at_us, seq++, (uint32_t)dest});
        }
    }
    out->wall_s = wall_now_s() - start_s;
    out->events = m->events;
    out->checksum = m->checksum;
    free(heap.items);
    return rc;
}

/* ---- main ------------------------------------------------------------- */

typedef int (*run_fn)(phold_model *m, run_result *out);

static int run_once(const phold_params *p, run_fn fn, const char *name,
                    run_result *out)
{
    phold_model m;
    int rc = model_init(&m, p);

    if (rc == 0) {
        rc = fn(&m, out);
        free_streams(&m);
    }
    if (rc != 0) {
        fprintf(stderr, "phold: the %s run failed: %s\n", name,
                strerror(-rc));
        return rc;
    }
    printf("%s: events=%" PRIu64 " wall_s=%.3f events_per_s=%.0f "
           "checksum=%016" PRIx64 "\n", name, out->events, out->wall_s,
           (double)out->events / out->wall_s, out->checksum);
    return 0;
}

/* Runs the engine and then the baseline once; fails when they disagree. */
static int run_round(const phold_params *p, run_result *engine,
                     run_result *base)
{
    if (run_once(p, run_engine, "engine", engine) != 0 ||
        run_once(p, run_baseline, "baseline", base) != 0) {
        return -1;
    }
    if (engine->events != base->events ||
        engine->checksum != base->checksum) {
        fprintf(stderr, "phold: seed=%" PRIu64 ": the engine ran %" PRIu64
                " events (checksum %016" PRIx64 ") but the baseline %" PRIu64
                " (checksum %016" PRIx64 "): the engine's order is wrong\n",
                p->seed, engine->events, engine->checksum, base->events,
                base->checksum);
        return -1;
    }
    return 0;
}

static double rate(const run_result *r)
{
    return r->wall_s > 0 ? (double)r->events / r->wall_s : 0.0;
}

int main(int argc, char **argv)
{
    phold_params p;
    double engine_rate = 0.0;
    double base_rate = 0.0;
    uint64_t events = 0;
    int rc = parse_options(argc, argv, &p);

    if (rc != 0) {
        return rc > 0 ? EXIT_SUCCESS : EXIT_USAGE;
    }
    if (sim_print_run_header(stdout, p.seed, "bench/phold") != 0) {
        return EXIT_FAILURE;
    }
    printf("params: nlp=%" PRIu64 " start_events=%" PRIu64 " remote=%g "
           "mean=%g lookahead=%g end=%g repeat=%" PRIu64 "\n", p.nlp,
           p.start_events, p.remote, p.mean, p.lookahead, p.end_s, p.repeat);
    fflush(stdout);

    /* With --repeat, each side keeps its best rate: interference from other
     * programs only ever slows a run down. */
    for (uint64_t round = 0; round < p.repeat; round++) {
        run_result engine;
        run_result base;

        if (run_round(&p, &engine, &base) != 0) {
            return EXIT_FAILURE;
        }
        events = engine.events;
        engine_rate = fmax(engine_rate, rate(&engine));
        base_rate = fmax(base_rate, rate(&base));
    }
    if (events == 0) {
        fprintf(stderr, "phold: no event ran: every first event fell at or "
                "after --end; raise --end\n");
    }
    printf("events=%" PRIu64 " events_per_s=%.0f baseline_events_per_s=%.0f "
           "ratio=%.3f\n", events, engine_rate, base_rate,
           base_rate > 0 ? engine_rate / base_rate : 0.0);
    return EXIT_SUCCESS;
}
