/* present.h: the SDL2 + cairo glue of the viewer (the only code that includes SDL.h).
 *
 * Usage:
 *     char err[256];
 *     Present *p = present_open("reslab", 1280, 800, err, sizeof err);   NULL: no display
 *     for (;;) {
 *         PresentEvent ev;
 *         while (present_poll(p, &ev)) ...ev.type: PRESENT_KEY, _MOTION, _QUIT, _RESIZE...
 *         double w, h;
 *         cairo_t *cr = present_begin(p, &w, &h);       logical units (HiDPI scale applied)
 *         ...draw into (0, 0, w, h)...
 *         present_end(p);                               upload into the texture and present
 *     }
 *     present_close(p);
 *
 * cairo draws into an ARGB32 image surface sized in device pixels (SDL_GetRendererOutputSize);
 * each frame its bytes go into a streaming SDL_PIXELFORMAT_ARGB8888 texture (the same layout:
 * native-endian packed 32-bit), blend mode none, software renderer (research/feasibility.md).
 * Keys are translated into SDL-independent codes (viewer.h: VK_*, printable keys as ASCII).
 */
#ifndef RESLAB_PRESENT_H
#define RESLAB_PRESENT_H

#include <stddef.h>

#include <cairo.h>

typedef struct Present Present;

typedef enum { PRESENT_NONE, PRESENT_KEY, PRESENT_MOTION, PRESENT_LEAVE, PRESENT_QUIT, PRESENT_RESIZE } PresentEventType;

typedef struct {
    PresentEventType type;
    int key;          /* PRESENT_KEY: ASCII for printable keys, VK_* otherwise (viewer.h) */
    double x, y;      /* PRESENT_MOTION: logical units */
} PresentEvent;

/* Opens a resizable window of w x h logical units with a software renderer. NULL with SDL's
 * message in err when there is no display (SDL_Init or window creation failed). */
Present *present_open(const char *title, int w, int h, char *err, size_t errlen);
void present_close(Present *p);

/* Next pending event into *ev: 1, or 0 if none is pending. Unknown keys come as key 0. */
int present_poll(Present *p, PresentEvent *ev);

/* The frame's cairo context (scaled by the HiDPI factor), its logical size in *w, *h. The
 * surface is re-created when the output size changed. Owned by p until present_end. */
cairo_t *present_begin(Present *p, double *w, double *h);

/* Flushes the surface, uploads it into the texture and presents. Times in ms (may be NULL). */
void present_end(Present *p, double *upload_ms, double *present_ms);

/* The last drawn frame (device pixels) as a PNG. 0 or -1 with a message. */
int present_save_png(Present *p, const char *path, char *err, size_t errlen);

/* The frame size in device pixels. */
void present_pixel_size(const Present *p, int *w, int *h);

void present_set_title(Present *p, const char *title);
void present_toggle_fullscreen(Present *p);

/* Monotonic seconds (SDL_GetPerformanceCounter). */
double present_now(void);

#endif
