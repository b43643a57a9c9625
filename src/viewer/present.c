/* present.c: SDL2 window, software renderer, streaming texture; cairo image surface. */
#include "present.h"

#include <SDL.h>
#include <stdio.h>
#include <stdlib.h>

#include "viewer.h"

struct Present {
    SDL_Window *win;
    SDL_Renderer *ren;
    SDL_Texture *tex;
    cairo_surface_t *surf;
    cairo_t *cr;
    int pw, ph;        /* pixels */
    double scale;      /* pixels per logical unit */
    int fullscreen;
};

double present_now(void)
{
    return (double)SDL_GetPerformanceCounter() / (double)SDL_GetPerformanceFrequency();
}

Present *present_open(const char *title, int w, int h, char *err, size_t errlen)
{
    SDL_SetHint(SDL_HINT_RENDER_DRIVER, "software");
    if (SDL_Init(SDL_INIT_VIDEO) != 0) {
        snprintf(err, errlen, "%s", SDL_GetError());
        return NULL;
    }
    Present *p = calloc(1, sizeof *p);
    if (!p) {
        snprintf(err, errlen, "out of memory");
        SDL_Quit();
        return NULL;
    }
    p->win = SDL_CreateWindow(title, SDL_WINDOWPOS_UNDEFINED, SDL_WINDOWPOS_UNDEFINED, w, h,
                              SDL_WINDOW_RESIZABLE | SDL_WINDOW_ALLOW_HIGHDPI);
    if (p->win) p->ren = SDL_CreateRenderer(p->win, -1, SDL_RENDERER_SOFTWARE);
    if (!p->win || !p->ren) {
        snprintf(err, errlen, "%s", SDL_GetError());
        present_close(p);
        return NULL;
    }
    return p;
}

static void free_frame(Present *p)
{
    if (p->cr) cairo_destroy(p->cr);
    if (p->surf) cairo_surface_destroy(p->surf);
    if (p->tex) SDL_DestroyTexture(p->tex);
    p->cr = NULL;
    p->surf = NULL;
    p->tex = NULL;
}

void present_close(Present *p)
{
    if (!p) return;
    free_frame(p);
    if (p->ren) SDL_DestroyRenderer(p->ren);
    if (p->win) SDL_DestroyWindow(p->win);
    free(p);
    SDL_Quit();
}

static int map_key(const SDL_Keysym *k)
{
    SDL_Keycode c = k->sym;
    int shift = (k->mod & KMOD_SHIFT) != 0;
    switch (c) {
    case SDLK_ESCAPE: return VK_ESCAPE;
    case SDLK_LEFT: return VK_LEFT;
    case SDLK_RIGHT: return VK_RIGHT;
    case SDLK_UP: return VK_UP;
    case SDLK_DOWN: return VK_DOWN;
    case SDLK_PAGEUP: return VK_PAGEUP;
    case SDLK_PAGEDOWN: return VK_PAGEDOWN;
    case SDLK_RETURN: case SDLK_KP_ENTER: return VK_RETURN;
    case SDLK_SPACE: return ' ';
    case SDLK_KP_PLUS: return '+';
    case SDLK_KP_MINUS: return '-';
    case SDLK_EQUALS: return shift ? '+' : '=';
    case SDLK_SLASH: return shift ? '?' : '/';
    default: break;
    }
    if (c >= 33 && c < 127) return (int)c;   /* SDL keycodes of printable keys are their ASCII */
    return 0;
}

int present_poll(Present *p, PresentEvent *ev)
{
    SDL_Event e;
    while (SDL_PollEvent(&e)) {
        ev->type = PRESENT_NONE;
        switch (e.type) {
        case SDL_QUIT: ev->type = PRESENT_QUIT; return 1;
        case SDL_KEYDOWN:
            ev->type = PRESENT_KEY;
            ev->key = map_key(&e.key.keysym);
            return 1;
        case SDL_MOUSEMOTION: {
            /* mouse coordinates are in window units; our logical units are window units too */
            int ww, wh;
            SDL_GetWindowSize(p->win, &ww, &wh);
            double lw = p->pw / (p->scale > 0 ? p->scale : 1), lh = p->ph / (p->scale > 0 ? p->scale : 1);
            ev->type = PRESENT_MOTION;
            ev->x = ww > 0 ? e.motion.x * lw / ww : e.motion.x;
            ev->y = wh > 0 ? e.motion.y * lh / wh : e.motion.y;
            return 1;
        }
        case SDL_WINDOWEVENT:
            if (e.window.event == SDL_WINDOWEVENT_LEAVE) { ev->type = PRESENT_LEAVE; return 1; }
            if (e.window.event == SDL_WINDOWEVENT_SIZE_CHANGED) { ev->type = PRESENT_RESIZE; return 1; }
            break;
        default: break;
        }
    }
    return 0;
}

cairo_t *present_begin(Present *p, double *w, double *h)
{
    int pw = 0, ph = 0, ww = 0, wh = 0;
    SDL_GetRendererOutputSize(p->ren, &pw, &ph);
    SDL_GetWindowSize(p->win, &ww, &wh);
    if (pw < 1) pw = 1;
    if (ph < 1) ph = 1;
    if (ww < 1) ww = pw;
    if (!p->surf || pw != p->pw || ph != p->ph) {
        free_frame(p);
        p->pw = pw;
        p->ph = ph;
        p->tex = SDL_CreateTexture(p->ren, SDL_PIXELFORMAT_ARGB8888, SDL_TEXTUREACCESS_STREAMING, pw, ph);
        if (p->tex) SDL_SetTextureBlendMode(p->tex, SDL_BLENDMODE_NONE);
        p->surf = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, pw, ph);
    }
    p->scale = (double)pw / ww;
    if (p->cr) cairo_destroy(p->cr);
    p->cr = cairo_create(p->surf);
    cairo_scale(p->cr, p->scale, p->scale);
    *w = pw / p->scale;
    *h = ph / p->scale;
    return p->cr;
}

void present_end(Present *p, double *upload_ms, double *present_ms)
{
    double t0 = present_now();
    cairo_destroy(p->cr);
    p->cr = NULL;
    cairo_surface_flush(p->surf);
    if (p->tex)
        SDL_UpdateTexture(p->tex, NULL, cairo_image_surface_get_data(p->surf),
                          cairo_image_surface_get_stride(p->surf));
    double t1 = present_now();
    SDL_RenderClear(p->ren);
    if (p->tex) SDL_RenderCopy(p->ren, p->tex, NULL, NULL);
    SDL_RenderPresent(p->ren);
    double t2 = present_now();
    if (upload_ms) *upload_ms = (t1 - t0) * 1e3;
    if (present_ms) *present_ms = (t2 - t1) * 1e3;
}

int present_save_png(Present *p, const char *path, char *err, size_t errlen)
{
    if (!p->surf) {
        snprintf(err, errlen, "%s: no frame drawn yet", path);
        return -1;
    }
    cairo_status_t st = cairo_surface_write_to_png(p->surf, path);
    if (st != CAIRO_STATUS_SUCCESS) {
        snprintf(err, errlen, "%s: %s", path, cairo_status_to_string(st));
        return -1;
    }
    return 0;
}

void present_pixel_size(const Present *p, int *w, int *h)
{
    *w = p->pw;
    *h = p->ph;
}

void present_set_title(Present *p, const char *title) { SDL_SetWindowTitle(p->win, title); }

void present_toggle_fullscreen(Present *p)
{
    p->fullscreen = !p->fullscreen;
    SDL_SetWindowFullscreen(p->win, p->fullscreen ? SDL_WINDOW_FULLSCREEN_DESKTOP : 0);
}
