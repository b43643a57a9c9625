/* test_scene_train.c: the training scene (scene_train.h). Claims: stepping it in compute/publish
 * halves gives exactly the numbers of a Trainer run directly with the same config, and the same
 * as training the whole budget in one go; _compute changes nothing the draw reads until
 * _publish; the published training error is train_evaluate's; the grid is the net's prediction
 * at the cell centres; a net that diverges stops with a message while
 * the other goes on; bad parameters are refused; the scene draws in both languages, is not
 * blank, shows every class colour, and touches no pixel outside its rectangle. It also prints
 * what a compute call costs (a figure, not a verdict). */
#include <fontconfig/fontconfig.h>
#include <math.h>
#include <pango/pangocairo.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "dataset.h"
#include "scene.h"
#include "scene_train.h"
#include "status.h"
#include "train.h"
#include "train_plot.h"

#define EXACT 0.0            /* the same operations in the same order: the same bits */
#define STEP_LOSS_TOL 1e-13  /* -log P_y against log-sum-exp: two roundings apart, values ~ 1 */

typedef struct {
    Check c;
} Ctx;

/* A small, fast config: depth 4, width 12, 4 epochs. */
static SceneParams small_params(void)
{
    SceneParams p = scene_params_default();
    scene_apply_defaults(SCENE_TRAIN, &p, 0);
    p.net.depth = 4, p.net.width = 12, p.epochs = 4, p.seed = 3;
    return p;
}

/* The Trainer the scene builds for net k, run directly. */
static Trainer *direct_trainer(const SceneParams *p, int k, Dataset *d)
{
    char err[256];
    if (dataset_synth(d, "spirals", SCENE_TRAIN_N, SCENE_TRAIN_ARMS, SCENE_TRAIN_DATA_SEED,
                      SCENE_TRAIN_NOISE, err, sizeof err))
        return NULL;
    ClassifierConfig m = classifier_config_default();
    m.net = p->net;
    m.net.shortcut = k == SCENE_TRAIN_PLAIN ? SHORTCUT_NONE : SHORTCUT_IDENTITY;
    m.net.param_grads = 1;
    m.dim = 2, m.classes = SCENE_TRAIN_ARMS;
    TrainConfig tc = train_config_default();
    tc.batch = p->batch > SCENE_TRAIN_MIN_BATCH ? p->batch : SCENE_TRAIN_MIN_BATCH;
    tc.epochs = p->epochs, tc.seed = p->seed, tc.sgd.lr = SCENE_TRAIN_LR, tc.sgd.schedule = SGD_LR_STEP;
    tc.sgd.milestones[0] = p->epochs / 2, tc.sgd.milestones[1] = 3 * p->epochs / 4;
    tc.sgd.n_milestones = 2;
    if (train_check(&m, &tc, d->x, d->y, d->n, err, sizeof err)) return NULL;
    Trainer *t = trainer_alloc(&m, &tc, d->x, d->y, d->n);
    if (t && trainer_run(t, NULL, NULL, err, sizeof err)) {
        trainer_free(t);
        return NULL;
    }
    return t;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void test_split_equals_direct_trainer(Ctx *t)
{
    SceneParams p = small_params();
    p.untrained = 1;
    char err[256];
    SceneTrain *s = scene_train_alloc(&p, err, sizeof err), *whole = NULL;
    if (!check_true(&t->c, s != NULL, "small scene builds untrained: %s", s ? "yes" : err)) return;
    check_true(&t->c, scene_train_step(s, 0) == 0 && scene_train_step(s, 1) == 0 && !scene_train_done(s),
               "untrained: step 0 published, not done");
    size_t spe = scene_train_steps_per_epoch(s), calls = 0;
    double t0 = now();
    while (!scene_train_done(s)) {
        if (scene_train_step_compute(s, spe) == 0) calls++;
        scene_train_step_publish(s);
    }
    double ms = 1e3 * (now() - t0) / (double)calls;
    p.untrained = 0;
    whole = scene_train_alloc(&p, err, sizeof err);
    for (int k = 0; k < 2; k++) {
        Dataset d;
        Trainer *tr = direct_trainer(&p, k, &d);
        double worst = 0.0, worst_whole = 0.0, worst_step = 0.0;
        size_t E = scene_train_epochs_done(s, k);
        const double *el = scene_train_epoch_loss(s, k), *sl = scene_train_step_loss(s, k);
        for (size_t e = 0; tr && e < E && e < tr->epochs_done; e++) {
            worst = fmax(worst, fabs(el[e] - tr->history[e].loss));
            worst_whole = fmax(worst_whole, fabs(el[e] - scene_train_epoch_loss(whole, k)[e]));
            double mean = 0.0;                   /* the epoch's mean of the per-step losses */
            for (size_t i = 0; i < spe; i++) mean += sl[e * spe + i] / (double)spe;
            worst_step = fmax(worst_step, fabs(mean - el[e]));
        }
        check_true(&t->c, tr && E == p.epochs && tr->epochs_done == E && worst <= EXACT,
                   "%s: %zu epochs in compute/publish halves = a Trainer run directly, epoch losses "
                   "bit for bit (worst %.3g)", k ? "residual" : "plain", E, worst);
        check_true(&t->c, whole && worst_whole <= EXACT && scene_train_step(whole, k) == scene_train_step(s, k) &&
                   memcmp(scene_train_grid_class(whole, k), scene_train_grid_class(s, k), SCENE_TRAIN_GRID *
                          SCENE_TRAIN_GRID) == 0,
                   "%s: stepping an epoch per call = training the whole budget in scene_alloc (losses, "
                   "grid classes)", k ? "residual" : "plain");
        check_below(&t->c, "mean of the per-step losses of an epoch = the trainer's epoch loss", worst_step,
                    STEP_LOSS_TOL);
        TrainEval ev = {0};
        int rc = tr ? train_evaluate(tr->model, d.x, d.y, d.n, &ev, err, sizeof err) : 1;
        check_close(&t->c, k ? "residual: published training error = train_evaluate's" :
                    "plain: published training error = train_evaluate's",
                    scene_train_error(s, k), rc ? NAN : 1.0 - ev.accuracy, EXACT, 0.0);
        trainer_free(tr);
        dataset_free(&d);
    }
    printf("       (a compute call of one epoch, both nets, depth %zu width %zu: %.1f ms)\n",
           p.net.depth, p.net.width, ms);
    scene_train_free(whole);
    scene_train_free(s);
}

/* _compute must leave the published arrays alone until _publish. */
static void test_compute_does_not_touch_the_drawn_state(Ctx *t)
{
    SceneParams p = small_params();
    p.untrained = 1;
    char err[256];
    SceneTrain *s = scene_train_alloc(&p, err, sizeof err);
    if (!s) return;
    enum { GG = SCENE_TRAIN_GRID * SCENE_TRAIN_GRID };
    size_t spe = scene_train_steps_per_epoch(s);
    scene_train_step_compute(s, spe);
    scene_train_step_publish(s);
    static unsigned char cls[GG];
    static double conf[GG], loss[4096];
    size_t steps = scene_train_step(s, 1), total = scene_train_total_steps(s);
    memcpy(cls, scene_train_grid_class(s, 1), GG);
    memcpy(conf, scene_train_grid_conf(s, 1), sizeof conf);
    memcpy(loss, scene_train_step_loss(s, 1), total * sizeof *loss);
    double err_before = scene_train_error(s, 1);
    scene_train_step_compute(s, spe);
    int same = scene_train_step(s, 1) == steps && memcmp(cls, scene_train_grid_class(s, 1), GG) == 0 &&
               memcmp(conf, scene_train_grid_conf(s, 1), sizeof conf) == 0 &&
               memcmp(loss, scene_train_step_loss(s, 1), total * sizeof *loss) == 0 &&
               scene_train_error(s, 1) == err_before;
    check_true(&t->c, same, "after _compute, before _publish: step, grid, losses and error as published");
    scene_train_step_publish(s);
    check_true(&t->c, scene_train_step(s, 1) == 2 * spe && memcmp(cls, scene_train_grid_class(s, 1), GG) != 0,
               "after _publish: step %zu (2 epochs), the grid has changed", scene_train_step(s, 1));
    scene_train_free(s);
}

/* The grid, rebuilt from its documented geometry (G x G cell centres over the layout's range,
 * row 0 at the top) and the net trained directly, frozen with the training set's statistics. */
static void test_grid_is_the_net_at_the_cell_centres(Ctx *t)
{
    enum { GS = SCENE_TRAIN_GRID };
    SceneParams p = small_params();
    char err[256] = "";
    SceneTrain *s = scene_train_alloc(&p, err, sizeof err);
    Dataset d;
    Trainer *tr = direct_trainer(&p, SCENE_TRAIN_RESIDUAL, &d);
    Classifier *ev = tr ? classifier_alloc_twin(tr->model, TRAIN_EVAL_CHUNK) : NULL;
    double *pts = malloc(2 * GS * GS * sizeof *pts), *probs = malloc(GS * GS * d.classes * sizeof *probs);
    if (!s || !ev || !pts || !probs || train_bn_freeze(ev, d.x, d.y, d.n, NULL, err, sizeof err)) {
        check_true(&t->c, 0, "grid test set up: %s", err);
    } else {
        SceneTrainLayout L;
        Theme th = theme_light();
        scene_train_layout(s, NULL, (Rect){0, 0, 1280, 800}, &th, SCENE_LANG_EN, &L);
        double lo = L.map[1].x.lo, hi = L.map[1].x.hi, h = (hi - lo) / GS;
        for (size_t i = 0; i < GS; i++)
            for (size_t j = 0; j < GS; j++)
                pts[2 * (i * GS + j)] = lo + (j + 0.5) * h, pts[2 * (i * GS + j) + 1] = hi - (i + 0.5) * h;
        train_predict(ev, pts, GS * GS, probs, err, sizeof err);
        size_t same = 0, inside = 0;
        for (size_t i = 0; i < GS * GS; i++) {
            size_t best = 0;
            for (size_t c = 1; c < d.classes; c++) best = probs[i * d.classes + c] > probs[i * d.classes + best] ? c : best;
            same += scene_train_grid_class(s, 1)[i] == best && scene_train_grid_conf(s, 1)[i] == probs[i * d.classes + best];
        }
        for (size_t i = 0; i < d.n; i++)
            inside += d.x[2 * i] > lo && d.x[2 * i] < hi && d.x[2 * i + 1] > lo && d.x[2 * i + 1] < hi;
        check_true(&t->c, same == GS * GS && inside == d.n && L.map[1].y.lo == lo && L.map[1].y.hi == hi,
                   "residual: all %zu of %d grid cells = the net at the cell centres (class and probability, "
                   "row 0 at the top); the square range holds all %zu points", same, GS * GS, inside);
    }
    free(pts);
    free(probs);
    classifier_free(ev);
    trainer_free(tr);
    dataset_free(&d);
    scene_train_free(s);
}

static void test_divergence_and_bad_params(Ctx *t)
{
    SceneParams p = small_params();
    p.net.bn = 0, p.net.depth = 32, p.net.width = 32, p.epochs = 2, p.seed = 1;   /* post, He, no BN */
    char err[256];
    const char *why = "";
    SceneTrain *s = scene_train_alloc(&p, err, sizeof err);
    int div = s && scene_train_diverged(s, SCENE_TRAIN_RESIDUAL, &why);
    check_true(&t->c, div && strstr(why, "lower the learning rate") != NULL && isfinite(scene_train_step_loss(s, 1)[0]),
               "residual depth 32 without batch norm diverges, stops with a message: %s", why);
    check_true(&t->c, s && !scene_train_diverged(s, SCENE_TRAIN_PLAIN, NULL) &&
               scene_train_step(s, 0) == scene_train_total_steps(s) && scene_train_done(s),
               "the plain net still trains its whole budget (%zu steps)", s ? scene_train_step(s, 0) : 0);
    scene_train_free(s);
    p = small_params();
    p.net.width = 0;
    s = scene_train_alloc(&p, err, sizeof err);
    check_true(&t->c, s == NULL && err[0], "width 0 is refused: %s", err);
    p = small_params();
    p.epochs = 200000;
    s = scene_train_alloc(&p, err, sizeof err);
    check_true(&t->c, s == NULL && err[0], "200000 epochs are refused: %s", err);
}

/* The pixel at (x, y) of an ARGB32 surface, as 0xRRGGBB. */
static unsigned int pixel(cairo_surface_t *img, int x, int y)
{
    const unsigned char *d = cairo_image_surface_get_data(img);
    return ((const unsigned int *)(const void *)(d + (size_t)y * (size_t)cairo_image_surface_get_stride(img)))[x] & 0xffffffu;
}

static unsigned int hex(Rgb c)
{
    return (unsigned int)lround(255 * c.r) << 16 | (unsigned int)lround(255 * c.g) << 8 | (unsigned int)lround(255 * c.b);
}

/* Drawn into (50, 40, 800, 500) of a magenta 900 x 600 surface: nothing outside changes; inside,
 * many colours, every class colour among the dots. */
static void test_draws_inside_its_rect(Ctx *t, SceneLang lang)
{
    SceneParams p = small_params();
    p.lang = lang;
    char err[256];
    Scene *s = scene_alloc(SCENE_TRAIN, &p, err, sizeof err);
    if (!check_true(&t->c, s != NULL, "scene through the registry: %s", s ? "built" : err)) return;
    cairo_surface_t *img = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, 900, 600);
    cairo_t *cr = cairo_create(img);
    cairo_set_source_rgb(cr, 1, 0, 1);
    cairo_paint(cr);
    Theme th = theme_light();
    Rect r = {50, 40, 800, 500};
    scene_draw(s, cr, r, &th);
    cairo_surface_flush(img);
    int ok = cairo_status(cr) == CAIRO_STATUS_SUCCESS;
    size_t outside = 0, colours = 0, found[SCENE_TRAIN_ARMS] = {0};
    static unsigned char seen[1 << 24];
    memset(seen, 0, sizeof seen);
    for (int y = 0; y < 600; y++)
        for (int x = 0; x < 900; x++) {
            unsigned int c = pixel(img, x, y);
            int in = x >= 50 && x < 850 && y >= 40 && y < 540;
            if (!in) outside += c != 0xff00ffu;
            else if (!seen[c]++) colours++;
            for (int k = 0; in && k < SCENE_TRAIN_ARMS; k++) found[k] += c == hex(train_plot_class_colour(&th, k));
        }
    check_true(&t->c, ok && outside == 0, "%s: cairo ok, %zu pixels touched outside the rectangle",
               lang ? "zh" : "en", outside);
    check_true(&t->c, colours > 500 && found[0] > 20 && found[1] > 20 && found[2] > 20,
               "%s: not blank: %zu colours; pixels of each class colour %zu, %zu, %zu", lang ? "zh" : "en",
               colours, found[0], found[1], found[2]);
    cairo_destroy(cr);
    cairo_surface_destroy(img);
    scene_free(s);
}

int main(void)
{
    Ctx t = {{0, 0}};
    setvbuf(stdout, NULL, _IOLBF, 0);
    test_split_equals_direct_trainer(&t);
    test_compute_does_not_touch_the_drawn_state(&t);
    test_grid_is_the_net_at_the_cell_centres(&t);
    test_divergence_and_bad_params(&t);
    test_draws_inside_its_rect(&t, SCENE_LANG_EN);
    test_draws_inside_its_rect(&t, SCENE_LANG_ZH);
    pango_cairo_font_map_set_default(NULL);
    cairo_debug_reset_static_data();
    FcFini();
    return check_done(&t.c);
}
