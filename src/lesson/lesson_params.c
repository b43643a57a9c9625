/* lesson_params.c: a step's scene options, parsed quietly into SceneParams.
 *
 * The value ranges and messages follow src/cli/opts.c (tests/test_lesson.c compares the two
 * parsers on the same words). Legend: n width, h hidden width, B batch, L depth.
 */
#include "lesson_params.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "status.h"

enum {
    P_DEPTH, P_WIDTH, P_HIDDEN, P_BATCH, P_SEED, P_INIT, P_ACT, P_SHORTCUT, P_VARIANT, P_ORDER,
    P_LAMBDA, P_BRANCH_SCALE, P_ZERO_LAST, P_BIAS_STD, P_IN_WIDTH, P_BN, P_DROPOUT, P_GATE_BIAS,
    P_SHOW, P_SAMPLES, P_EXAMPLE,
};

static const struct {
    const char *name;
    int code, takes_value;
} options[] = {
    {"depth", P_DEPTH, 1}, {"width", P_WIDTH, 1}, {"hidden", P_HIDDEN, 1}, {"batch", P_BATCH, 1},
    {"seed", P_SEED, 1}, {"init", P_INIT, 1}, {"act", P_ACT, 1}, {"shortcut", P_SHORTCUT, 1},
    {"variant", P_VARIANT, 1}, {"order", P_ORDER, 1}, {"lambda", P_LAMBDA, 1},
    {"branch-scale", P_BRANCH_SCALE, 1}, {"zero-last", P_ZERO_LAST, 0},
    {"bias-std", P_BIAS_STD, 1}, {"in-width", P_IN_WIDTH, 1}, {"bn", P_BN, 0},
    {"dropout", P_DROPOUT, 1}, {"gate-bias", P_GATE_BIAS, 1}, {"show", P_SHOW, 1},
    {"samples", P_SAMPLES, 1}, {"example", P_EXAMPLE, 1},
};
#define NOPTIONS (sizeof options / sizeof options[0])

/* Options of `reslab render` / `reslab flow` that are not a scene's, with the reason. */
static const struct {
    const char *name, *why;
} refused[] = {
    {"output", "the lesson writes its own figures"},
    {"size", "the figure's size is the viewer's or the handout's"},
    {"scale", "the figure's size is the viewer's or the handout's"},
    {"theme", "the theme is chosen when the lesson is shown"},
    {"lang", "the language is chosen when the lesson is run (--lang zh)"},
    {"max-memory", "lesson steps stay under the default memory limit"},
    {"help", "not a scene option"},
    {"sweep", "it belongs to 'reslab flow', not to a scene"},
    {"jacobian", "it belongs to 'reslab flow'; name the scene 'jacobian' instead"},
    {"paths", "it belongs to 'reslab flow'; name the scene 'paths' instead"},
    {"lesion", "it belongs to 'reslab flow'; the paths scene shows lesions"},
    {"shatter", "it belongs to 'reslab flow'; name the scene 'shatter' instead"},
    {"stats", "it belongs to 'reslab flow'; the variance scene shows the statistics"},
};
#define NREFUSED (sizeof refused / sizeof refused[0])

#define LIMIT_DIM ((size_t)1 << 24)   /* as opts.c: any one dimension; the memory check does the rest */

const char *lesson_params_names(void)
{
    return "--depth, --width, --hidden, --batch, --seed, --init, --act, --shortcut, --variant, "
           "--order, --lambda, --branch-scale, --zero-last, --bias-std, --in-width, --bn, "
           "--dropout, --gate-bias, --show, --samples, --example";
}

SceneParams lesson_params_defaults(SceneKind kind)
{
    SceneParams p = scene_params_default();
    scene_apply_defaults(kind, &p, 0);                   /* as `reslab render KIND` */
    return p;
}

/* A whole number in [lo, hi]: no sign, no trailing text, no overflow (opts.c parse_size). */
static int parse_size(const char *name, const char *s, size_t lo, size_t hi, size_t *out,
                      char *err, size_t errlen)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (s[0] == '\0' || s[0] == '-' || s[0] == '+' || *end != '\0' || errno == ERANGE || v < lo ||
        v > hi)
        return status_set(err, errlen, RESLAB_ERR_INVALID,
                          "--%s: expected a whole number from %zu to %zu, got '%s'", name, lo, hi, s);
    *out = (size_t)v;
    return RESLAB_OK;
}

/* A finite number in [lo, hi] (opts.c parse_real). */
static int parse_real(const char *name, const char *s, double lo, double hi, double *out,
                      char *err, size_t errlen)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (s[0] == '\0' || *end != '\0' || errno == ERANGE || !isfinite(v) || v < lo || v > hi)
        return status_set(err, errlen, RESLAB_ERR_INVALID,
                          "--%s: expected a number from %g to %g, got '%s'", name, lo, hi, s);
    *out = v;
    return RESLAB_OK;
}

static int bad_choice(const char *name, const char *s, const char *choices, char *err,
                      size_t errlen)
{
    return status_set(err, errlen, RESLAB_ERR_INVALID, "--%s: unknown value '%s' (choose %s)",
                      name, s, choices);
}

static int apply_choice(int code, const char *name, const char *a, SceneParams *p, char *err,
                        size_t errlen)
{
    NetConfig *n = &p->net;
    switch (code) {
    case P_INIT:
        return init_parse(a, &n->init) ? bad_choice(name, a, "he, glorot, orthogonal", err, errlen) : 0;
    case P_ACT:
        return act_parse(a, &n->act) ? bad_choice(name, a, "relu, tanh, identity", err, errlen) : 0;
    case P_SHORTCUT:
    case P_VARIANT:
        if (block_shortcut_parse(a, &n->shortcut) == RESLAB_OK) return 0;
        return bad_choice(name, a, "identity, zeropad, project, project-all, scaled, gate, "
                                   "gate-shortcut, dropout, none", err, errlen);
    case P_ORDER:
        return block_order_parse(a, &n->order) ? bad_choice(name, a, "post, pre", err, errlen) : 0;
    case P_SHOW:
        if (strcmp(a, "plain") == 0) p->show = SCENE_SHOW_PLAIN;
        else if (strcmp(a, "residual") == 0) p->show = SCENE_SHOW_RESIDUAL;
        else if (strcmp(a, "both") == 0) p->show = SCENE_SHOW_BOTH;
        else return bad_choice(name, a, "both, plain, residual", err, errlen);
        return 0;
    }
    return 0;
}

/* One option with its value a (NULL for flags). */
static int apply(int code, const char *name, const char *a, SceneParams *p, char *err,
                 size_t errlen)
{
    NetConfig *n = &p->net;
    size_t v = 0;
    int rc;
    switch (code) {
    case P_DEPTH: return parse_size(name, a, 1, LIMIT_DIM, &n->depth, err, errlen);
    case P_WIDTH: return parse_size(name, a, 1, LIMIT_DIM, &n->width, err, errlen);
    case P_HIDDEN: return parse_size(name, a, 1, LIMIT_DIM, &n->hidden, err, errlen);
    case P_BATCH: return parse_size(name, a, 1, LIMIT_DIM, &p->batch, err, errlen);
    case P_IN_WIDTH: return parse_size(name, a, 1, LIMIT_DIM, &n->input_width, err, errlen);
    case P_SAMPLES: return parse_size(name, a, 1, 1000000, &p->samples, err, errlen);
    case P_EXAMPLE: return parse_size(name, a, 0, LIMIT_DIM, &p->example, err, errlen);
    case P_SEED:
        rc = parse_size(name, a, 0, (size_t)0xffffffffu, &v, err, errlen);
        p->seed = (unsigned long)v;
        return rc;
    case P_LAMBDA: return parse_real(name, a, -1e3, 1e3, &n->lambda, err, errlen);
    case P_BRANCH_SCALE: return parse_real(name, a, -1e3, 1e3, &n->branch_scale, err, errlen);
    case P_BIAS_STD: return parse_real(name, a, 0.0, 1e3, &n->bias_std, err, errlen);
    case P_DROPOUT: return parse_real(name, a, 0.0, 0.99, &n->dropout_p, err, errlen);
    case P_GATE_BIAS: return parse_real(name, a, -1e3, 1e3, &n->gate_bias, err, errlen);
    case P_ZERO_LAST: n->zero_last = 1; return 0;
    case P_BN: n->bn = 1; return 0;
    }
    return apply_choice(code, name, a, p, err, errlen);
}

/* The next word of *s (spaces and tabs separate words) into w (len bytes); 0 at the end. */
static int next_word(const char **s, char *w, size_t len, char *err, size_t errlen, int *rc)
{
    const char *a = *s + strspn(*s, " \t");
    size_t k = strcspn(a, " \t");
    *s = a + k;
    if (k == 0) return 0;
    if (k >= len) {
        *rc = status_set(err, errlen, RESLAB_ERR_INVALID, "the word '%.20s...' is too long", a);
        return 0;
    }
    memcpy(w, a, k);
    w[k] = '\0';
    return 1;
}

/* The option called name (without "--"): its index, or -1 with a message. */
static int find_option(const char *name, char *err, size_t errlen)
{
    for (size_t i = 0; i < NOPTIONS; i++)
        if (strcmp(name, options[i].name) == 0) return (int)i;
    for (size_t i = 0; i < NREFUSED; i++)
        if (strcmp(name, refused[i].name) == 0) {
            status_set(err, errlen, RESLAB_ERR_INVALID, "--%s is not a scene option in a lesson: %s",
                       name, refused[i].why);
            return -1;
        }
    status_set(err, errlen, RESLAB_ERR_INVALID, "unknown option '--%s' (expected one of: %s)", name,
               lesson_params_names());
    return -1;
}

/* Checks what scene_alloc would refuse before computing anything. */
static int check_params(const SceneParams *p, char *err, size_t errlen)
{
    if (net_config_check(&p->net, p->batch, RESLAB_MEMORY_LIMIT, err, errlen)) return RESLAB_ERR_INVALID;
    if (p->example >= p->batch)
        return status_set(err, errlen, RESLAB_ERR_INVALID,
                          "--example %zu is not in the batch of %zu (examples 0 .. %zu)", p->example,
                          p->batch, p->batch - 1);
    return RESLAB_OK;
}

int lesson_params_parse(SceneKind kind, const char *args, SceneParams *out, char *err,
                        size_t errlen)
{
    SceneParams p = lesson_params_defaults(kind);
    char w[512], v[512];
    int rc = RESLAB_OK;
    while (rc == RESLAB_OK && next_word(&args, w, sizeof w, err, errlen, &rc)) {
        if (strncmp(w, "--", 2) != 0 || w[2] == '\0')
            return status_set(err, errlen, RESLAB_ERR_INVALID,
                              "expected an option like --depth, got '%s'", w);
        char *eq = strchr(w + 2, '='), *val = NULL;
        if (eq) *eq = '\0', val = eq + 1;
        int i = find_option(w + 2, err, errlen);
        if (i < 0) return RESLAB_ERR_INVALID;
        if (!options[i].takes_value && val)
            return status_set(err, errlen, RESLAB_ERR_INVALID, "--%s takes no value, got '%s'",
                              w + 2, val);
        if (options[i].takes_value && !val) {
            if (!next_word(&args, v, sizeof v, err, errlen, &rc) || strncmp(v, "--", 2) == 0)
                return rc ? rc : status_set(err, errlen, RESLAB_ERR_INVALID,
                                            "missing value for --%s", w + 2);
            val = v;
        }
        rc = apply(options[i].code, w + 2, val, &p, err, errlen);
    }
    if (rc) return rc;
    p.net.param_grads = 0;
    if ((rc = check_params(&p, err, errlen))) return rc;
    *out = p;
    return RESLAB_OK;
}
