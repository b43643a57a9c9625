/* test_scene.c: every scene, through the registry, into every format, in both languages.
 * Claims: each scene computes and draws without a cairo error; PNG files decode at the asked
 * size x scale, SVG files are SVG, PDF files have exactly one page; unknown names are refused. */
#include <fontconfig/fontconfig.h>
#include <pango/pangocairo.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "export.h"
#include "scene.h"
#include "status.h"

/* cairo 1.16 leaks 768 bytes per embedded CJK font when it writes a PDF (reproduced outside
 * reslab; see tests/test_render.c and tests/render/valgrind.supp): LeakSanitizer is paused
 * around PDF exports only. The hooks exist only in sanitizer builds. */
extern void __lsan_disable(void) __attribute__((weak));
extern void __lsan_enable(void) __attribute__((weak));

typedef struct {
    const Scene *scene;
    const Theme *theme;
} Ctx;

static void draw(cairo_t *cr, double w, double h, void *ctx)
{
    const Ctx *c = ctx;
    rgb_set_source(cr, c->theme->background);
    cairo_paint(cr);
    scene_draw(c->scene, cr, (Rect){0, 0, w, h}, c->theme);
}

static size_t slurp(const char *path, char *buf, size_t n)
{
    FILE *f = fopen(path, "rb");
    size_t k = f ? fread(buf, 1, n - 1, f) : 0;
    buf[k] = '\0';
    if (f) fclose(f);
    return k;
}

/* Pages in a PDF: "/Type /Page" not followed by "s" (a byte scan; no poppler needed). */
static int pdf_pages(const char *buf, size_t n)
{
    int pages = 0;
    for (size_t i = 0; i + 11 < n; i++)
        if (memcmp(buf + i, "/Type /Page", 11) == 0 && buf[i + 11] != 's') pages++;
    return pages;
}

static void check_scene(Check *c, SceneKind k, SceneLang lang, const Theme *t, const char *dir)
{
    SceneParams p = scene_params_default();
    p.lang = lang;
    char err[256], path[512];
    Scene *s = scene_alloc(k, &p, err, sizeof err);
    if (!check_true(c, s != NULL, "%s (%s): computed%s%s", scene_name(k), lang ? "zh" : "en",
                    s ? "" : ": ", s ? "" : err))
        return;
    Ctx ctx = {s, t};
    static const char *ext[] = {"png", "svg", "pdf"};
    static char buf[4 << 20];
    for (int e = 0; e < 3; e++) {
        snprintf(path, sizeof path, "%s/scene_%s_%s.%s", dir, scene_name(k), lang ? "zh" : "en", ext[e]);
        if (e == 2 && __lsan_disable) __lsan_disable();
        int rc = export_render(path, 800, 500, e == 0 ? 1.5 : 1.0, draw, &ctx, err, sizeof err);
        if (e == 2 && __lsan_enable) __lsan_enable();
        int ok = rc == RESLAB_OK;
        if (ok && e == 0) {
            cairo_surface_t *img = cairo_image_surface_create_from_png(path);
            ok = cairo_surface_status(img) == CAIRO_STATUS_SUCCESS &&
                 cairo_image_surface_get_width(img) == 1200 && cairo_image_surface_get_height(img) == 750;
            cairo_surface_destroy(img);
        } else if (ok) {
            size_t n = slurp(path, buf, sizeof buf);
            ok = e == 1 ? strncmp(buf, "<?xml", 5) == 0 && strstr(buf, "<svg") != NULL
                        : strncmp(buf, "%PDF-", 5) == 0 && pdf_pages(buf, n) == 1;
        }
        check_true(c, ok, "%s (%s) as %s: %s", scene_name(k), lang ? "zh" : "en", ext[e], ok ? "valid" : err);
    }
    scene_free(s);
}

int main(void)
{
    Check c = {0};
    setvbuf(stdout, NULL, _IOLBF, 0);     /* every line reaches the log, even if LSan aborts */
    const char *dir = getenv("TEST_BUILD_DIR") ? getenv("TEST_BUILD_DIR") : "/tmp";
    Theme light = theme_light(), dark = theme_dark();
    for (int k = 0; k < SCENE_COUNT; k++) {
        check_scene(&c, (SceneKind)k, SCENE_LANG_EN, &light, dir);
        check_scene(&c, (SceneKind)k, SCENE_LANG_ZH, &dark, dir);
    }
    SceneKind k;
    check_true(&c, scene_parse("bogus", &k) == RESLAB_ERR_INVALID, "an unknown scene name is refused");
    SceneParams p = scene_params_default();
    char err[256] = "";
    p.example = 99;
    Scene *s = scene_alloc(SCENE_JACOBIAN, &p, err, sizeof err);
    check_true(&c, s == NULL && err[0], "an example outside the batch is refused: %s", err);
    scene_free(s);
    p = scene_params_default();
    p.net.width = 0;
    s = scene_alloc(SCENE_DEPTH, &p, err, sizeof err);
    check_true(&c, s == NULL && err[0], "width 0 is refused: %s", err);
    scene_free(s);
    pango_cairo_font_map_set_default(NULL);
    cairo_debug_reset_static_data();
    FcFini();
    return check_done(&c);
}
