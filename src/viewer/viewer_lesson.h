/* viewer_lesson.h: the viewer's lesson mode, inside the viewer (viewer.c calls these). */
#ifndef RESLAB_VIEWER_LESSON_H
#define RESLAB_VIEWER_LESSON_H

#include <cairo.h>

#include "layout.h"
#include "viewer.h"

/* The key in lesson mode: 1 if it was a lesson key (step or reveal), else 0 (a scene key). */
int viewer_lesson_key(ViewerState *s, int key);

/* Posts the checks of the step shown if they are neither done nor on their way (async: to the
 * compute thread; sync: runs them now). Called once per frame. */
void viewer_lesson_update(ViewerState *s);

/* Draws the lesson page (panel, progress bar, the scene sc, checks) into r; the scene's
 * rectangle into *figure. Call with the scene locked. */
void viewer_lesson_draw(ViewerState *s, const Scene *sc, cairo_t *cr, Rect r, Rect *figure);

/* The status line's text of lesson mode. */
void viewer_lesson_status(const ViewerState *s, char *buf, size_t len);

void viewer_lesson_free(ViewerState *s);

#endif
