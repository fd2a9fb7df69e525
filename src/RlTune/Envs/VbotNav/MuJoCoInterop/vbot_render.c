// vbot_render: pictures of the VBot model with MuJoCo's own renderer, headless. MuJoCo draws with
// OpenGL into its offscreen framebuffer; the context comes from EGL on Mesa's surfaceless platform
// (software rasteriser, no display or GPU needed). Built apart from vbot_mujoco so that training
// never loads EGL; MuJoCoShim.targets builds it when the EGL header is there.
#include <EGL/egl.h>
#include <EGL/eglext.h>
#include <mujoco/mujoco.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  EGLDisplay display;
  EGLContext context;
  mjModel* model;
  mjData* data;
  mjvScene scene;
  mjvOption option;
  mjrContext gl;
  int width, height, scene_made, gl_made;
} vr_renderer;

// MuJoCo's error handler is one global of libmujoco, shared with vbot_mujoco: each call here sets
// its own (a jump back with the message) and puts the previous one back before it returns.
static _Thread_local jmp_buf* vr_jump;
static _Thread_local char vr_message[400];

static void vr_on_error(const char* msg) {
  snprintf(vr_message, sizeof vr_message, "%s", msg);
  if (vr_jump) longjmp(*vr_jump, 1);
  abort();
}

static void vr_error(char* err, int len, const char* what) {
  if (err && len > 0) snprintf(err, (size_t)len, "%s", what);
}

void vr_destroy(vr_renderer* r) {
  if (!r) return;
  if (r->display != EGL_NO_DISPLAY && r->context != EGL_NO_CONTEXT)
    eglMakeCurrent(r->display, EGL_NO_SURFACE, EGL_NO_SURFACE, r->context);
  if (r->gl_made) mjr_freeContext(&r->gl);
  if (r->scene_made) mjv_freeScene(&r->scene);
  if (r->data) mj_deleteData(r->data);
  if (r->model) mj_deleteModel(r->model);
  if (r->display != EGL_NO_DISPLAY) {
    eglMakeCurrent(r->display, EGL_NO_SURFACE, EGL_NO_SURFACE, EGL_NO_CONTEXT);
    if (r->context != EGL_NO_CONTEXT) eglDestroyContext(r->display, r->context);
    eglTerminate(r->display);
  }
  free(r);
}

// An OpenGL context with no surface: MuJoCo renders into its own offscreen framebuffer.
static int vr_egl(vr_renderer* r, char* err, int len) {
  PFNEGLGETPLATFORMDISPLAYEXTPROC platform_display = (PFNEGLGETPLATFORMDISPLAYEXTPROC)eglGetProcAddress("eglGetPlatformDisplayEXT");
  r->display = platform_display ? platform_display(EGL_PLATFORM_SURFACELESS_MESA, EGL_DEFAULT_DISPLAY, NULL) : EGL_NO_DISPLAY;
  if (r->display == EGL_NO_DISPLAY) r->display = eglGetDisplay(EGL_DEFAULT_DISPLAY);
  char what[200];
  EGLint major, minor, count = 0;
  if (r->display == EGL_NO_DISPLAY || !eglInitialize(r->display, &major, &minor)) {
    snprintf(what, sizeof what, "EGL found no display to render on (error 0x%x); Mesa's EGL (libegl-mesa0, libgl1-mesa-dri) provides a headless one", eglGetError());
    vr_error(err, len, what);
    return 0;
  }
  const EGLint attributes[] = {EGL_RED_SIZE, 8, EGL_GREEN_SIZE, 8, EGL_BLUE_SIZE, 8, EGL_ALPHA_SIZE, 8, EGL_DEPTH_SIZE, 24,
                               EGL_STENCIL_SIZE, 8, EGL_SURFACE_TYPE, EGL_PBUFFER_BIT, EGL_RENDERABLE_TYPE, EGL_OPENGL_BIT, EGL_NONE};
  EGLConfig config;
  if (!eglChooseConfig(r->display, attributes, &config, 1, &count) || count < 1 || !eglBindAPI(EGL_OPENGL_API)) {
    snprintf(what, sizeof what, "EGL %d.%d (%s) offers no desktop OpenGL configuration (error 0x%x)", major, minor, eglQueryString(r->display, EGL_VENDOR), eglGetError());
    vr_error(err, len, what);
    return 0;
  }
  r->context = eglCreateContext(r->display, config, EGL_NO_CONTEXT, NULL);
  if (r->context == EGL_NO_CONTEXT || !eglMakeCurrent(r->display, EGL_NO_SURFACE, EGL_NO_SURFACE, r->context)) {
    snprintf(what, sizeof what, "EGL could not make an OpenGL context current without a surface (error 0x%x)", eglGetError());
    vr_error(err, len, what);
    return 0;
  }
  return 1;
}

// Runs body(r, arg) with MuJoCo's error handler jumping back here: 0 when it returned, else 1 with
// MuJoCo's message in err. The previous handler is back in place either way.
static int vr_guarded(void (*body)(vr_renderer*, const void*), vr_renderer* r, const void* arg, char* err, int errlen) {
  void (*volatile previous)(const char*) = mju_user_error;
  mju_user_error = vr_on_error;
  jmp_buf here;
  vr_jump = &here;
  int failed = setjmp(here);
  if (!failed) body(r, arg);
  vr_jump = NULL;
  mju_user_error = previous;
  if (failed) vr_error(err, errlen, vr_message);
  return failed;
}

// Loads the model from its XML text (as vbot_mujoco does, through MuJoCo's virtual file system),
// colours it, and makes the scene and the GL context's offscreen buffer.
static void vr_load(vr_renderer* r, const void* arg) {
  const char* xml = arg;
  mjVFS* vfs = malloc(sizeof(mjVFS));
  if (!vfs) mju_error("out of memory");
  mj_defaultVFS(vfs);
  int size = (int)strlen(xml);
  if (mj_makeEmptyFileVFS(vfs, "vbot.xml", size) != 0) { free(vfs); mju_error("MuJoCo's virtual file system refused the model"); }
  memcpy(vfs->filedata[mj_findFileVFS(vfs, "vbot.xml")], xml, (size_t)size);
  char load_error[300] = "";
  r->model = mj_loadXML("vbot.xml", vfs, load_error, sizeof load_error);
  mj_deleteVFS(vfs);
  free(vfs);
  if (!r->model) mju_error_s("MuJoCo could not load the VBot model: %s", load_error);
  mjModel* m = r->model;
  m->vis.global.offwidth = r->width;
  m->vis.global.offheight = r->height;
  m->vis.quality.shadowsize = 2048;
  m->vis.headlight.ambient[0] = m->vis.headlight.ambient[1] = m->vis.headlight.ambient[2] = 0.35f;
  m->vis.headlight.diffuse[0] = m->vis.headlight.diffuse[1] = m->vis.headlight.diffuse[2] = 0.6f;
  // the model has physics geoms only (grey); colour the floor light and the robot orange
  for (int g = 0; g < m->ngeom; g++) {
    float* rgba = m->geom_rgba + 4 * g;
    if (m->geom_type[g] == mjGEOM_PLANE) { rgba[0] = 0.86f; rgba[1] = 0.88f; rgba[2] = 0.9f; }
    else { rgba[0] = 0.95f; rgba[1] = 0.55f; rgba[2] = 0.15f; }
    rgba[3] = 1;
  }
  r->data = mj_makeData(m);
  mjv_defaultOption(&r->option);
  for (int group = 0; group < mjNGROUP; group++) r->option.geomgroup[group] = 1; // the collision class's geoms are in group 3
  mjv_defaultScene(&r->scene);
  mjv_makeScene(m, &r->scene, 1000);
  r->scene_made = 1;
  mjr_defaultContext(&r->gl);
  mjr_makeContext(m, &r->gl, mjFONTSCALE_100);
  r->gl_made = 1;
  mjr_setBuffer(mjFB_OFFSCREEN, &r->gl);
  if (r->gl.offWidth < r->width || r->gl.offHeight < r->height) mju_error("MuJoCo's offscreen buffer is smaller than the picture asked");
}

// A renderer of width x height pictures: the EGL context, then the model. NULL with a sentence in err on failure.
vr_renderer* vr_create(const char* xml, int width, int height, char* err, int errlen) {
  vr_renderer* r = calloc(1, sizeof(vr_renderer));
  if (!r) { vr_error(err, errlen, "out of memory"); return NULL; }
  r->display = EGL_NO_DISPLAY;
  r->context = EGL_NO_CONTEXT;
  r->width = width;
  r->height = height;
  if (!vr_egl(r, err, errlen) || vr_guarded(vr_load, r, xml, err, errlen)) { vr_destroy(r); return NULL; }
  return r;
}

typedef struct {
  const double *qpos, *lookat, *target;
  double distance, azimuth, elevation;
  unsigned char* rgb;
} vr_shot;

static void vr_draw(vr_renderer* r, const void* arg) {
  const vr_shot* shot = arg;
  eglMakeCurrent(r->display, EGL_NO_SURFACE, EGL_NO_SURFACE, r->context);
  mjModel* m = r->model;
  memcpy(r->data->qpos, shot->qpos, sizeof(mjtNum) * (size_t)m->nq);
  mj_kinematics(m, r->data);
  mjvCamera camera;
  mjv_defaultCamera(&camera);
  camera.type = mjCAMERA_FREE;
  for (int k = 0; k < 3; k++) camera.lookat[k] = shot->lookat[k];
  camera.distance = shot->distance;
  camera.azimuth = shot->azimuth;
  camera.elevation = shot->elevation;
  mjv_updateScene(m, r->data, &r->option, NULL, &camera, mjCAT_ALL, &r->scene);
  if (r->scene.ngeom < r->scene.maxgeom) {
    mjtNum size[3] = {0.3, 0.003, 0}, pos[3] = {shot->target[0], shot->target[1], 0.003};
    float red[4] = {0.85f, 0.1f, 0.1f, 1};
    mjv_initGeom(&r->scene.geoms[r->scene.ngeom++], mjGEOM_CYLINDER, size, pos, NULL, red);
  }
  mjrRect viewport = {0, 0, r->width, r->height};
  mjr_render(viewport, &r->scene, &r->gl);
  size_t row = (size_t)r->width * 3;
  unsigned char* flipped = malloc(row * (size_t)r->height);
  if (!flipped) mju_error("out of memory");
  mjr_readPixels(flipped, NULL, viewport, &r->gl);
  for (int y = 0; y < r->height; y++) memcpy(shot->rgb + row * (size_t)y, flipped + row * (size_t)(r->height - 1 - y), row); // OpenGL's rows run bottom up
  free(flipped);
}

// Draws the robot at qpos (position, quaternion w x y z, 12 joints) seen from a camera looking at
// lookat[3] from distance, azimuth and elevation (degrees), with the target as a red disc at
// target[2]; writes width x height RGB rows top to bottom. 0 on success, else 1 with err.
int vr_frame(vr_renderer* r, const double* qpos, const double* lookat, double distance, double azimuth, double elevation,
             const double* target, unsigned char* rgb, char* err, int errlen) {
  vr_shot shot = {qpos, lookat, target, distance, azimuth, elevation, rgb};
  return vr_guarded(vr_draw, r, &shot, err, errlen);
}
