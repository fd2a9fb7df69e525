// vbot_mujoco: the C side of vbot-nav's MuJoCo binding (built by MuJoCoShim.targets with gcc).
// One read-only mjModel per simulation, one mjData per env; one call runs the PD loop and the
// physics substeps of a whole slice of envs and writes each env's state into a flat record whose
// layout is fixed here (static asserts) and checked by the C# side at load (vb_layout).
#include <mujoco/mujoco.h>
#include <math.h>
#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define VB_JOINTS 12
#define VB_EVENTS (mjNWARNING + 2) // MuJoCo's warnings, then non-finite states, then caught errors
#define VB_EVENT_NAN mjNWARNING
#define VB_EVENT_ERROR (mjNWARNING + 1)
#define VB_MAX_CONSTRAINTS 200 // mjData rows for constraints (MuJoCo 2.2.2 sizes the dense arrays by this)
#define VB_STACK 50000          // mjData stack, in mjtNum

// what one env looks like after a step, in the order the C# VbotState mirrors
typedef struct {
  float pos[3];        // trunk position, world frame (m)
  float quat[4];       // trunk orientation w, x, y, z
  float linvel[3];     // trunk linear velocity, world frame (m/s): base_linvel at the IMU site (the body origin)
  float gyro[3];       // trunk angular velocity, body frame (rad/s): base_gyro
  float q[VB_JOINTS];  // joint angles, actuator order FR, FL, RR, RL x hip, thigh, calf
  float qd[VB_JOINTS]; // joint velocities
  float torque_sq;     // sum over joints of the applied torque squared, mean over the substeps
  int32_t body_contact; // 1 if the trunk or head box touches the floor
  int32_t unstable;    // 0 ok; 1 non-finite state; 2 MuJoCo warned (bad qacc, full contact list, ...); 3 MuJoCo error
} vb_state;

_Static_assert(offsetof(vb_state, pos) == 0, "vb_state.pos");
_Static_assert(offsetof(vb_state, quat) == 12, "vb_state.quat");
_Static_assert(offsetof(vb_state, linvel) == 28, "vb_state.linvel");
_Static_assert(offsetof(vb_state, gyro) == 40, "vb_state.gyro");
_Static_assert(offsetof(vb_state, q) == 52, "vb_state.q");
_Static_assert(offsetof(vb_state, qd) == 100, "vb_state.qd");
_Static_assert(offsetof(vb_state, torque_sq) == 148, "vb_state.torque_sq");
_Static_assert(offsetof(vb_state, body_contact) == 152, "vb_state.body_contact");
_Static_assert(offsetof(vb_state, unstable) == 156, "vb_state.unstable");
_Static_assert(sizeof(vb_state) == 160, "vb_state size");

typedef struct {
  mjModel* model;
  mjData** data;
  int envs, substeps;
  double kp, kd;
  int qadr[VB_JOINTS], vadr[VB_JOINTS];
  double limit[VB_JOINTS];
  int floor, trunk, head;
  int64_t* events; // [env * VB_EVENTS + kind], counted since the simulation was made
} vb_sim;

// MuJoCo's default error handler calls exit(); ours jumps back to the shim call that was running.
static _Thread_local jmp_buf* vb_jump;
static _Thread_local char vb_message[400];

static void vb_on_error(const char* msg) {
  snprintf(vb_message, sizeof vb_message, "%s", msg);
  if (vb_jump) longjmp(*vb_jump, 1);
  fprintf(stderr, "vbot_mujoco: MuJoCo error outside a shim call: %s\n", msg);
  abort();
}

// warnings are counted per env from mjData.warning; swallowing the message keeps MuJoCo from
// printing it and writing MUJOCO_LOG.TXT into the working directory
static void vb_on_warning(const char* msg) { (void)msg; }

static void vb_error(char* err, int len, const char* what) {
  if (err && len > 0) snprintf(err, (size_t)len, "%s", what);
}

int vb_header_version(void) { return mjVERSION_HEADER; }

int vb_library_version(void) { return mj_version(); }

// The record's field offsets, in declaration order; returns its size (the C# side refuses a mismatch).
int vb_layout(int32_t* offsets, int count) {
  const int32_t o[] = {offsetof(vb_state, pos), offsetof(vb_state, quat), offsetof(vb_state, linvel),
                       offsetof(vb_state, gyro), offsetof(vb_state, q), offsetof(vb_state, qd),
                       offsetof(vb_state, torque_sq), offsetof(vb_state, body_contact), offsetof(vb_state, unstable)};
  int n = (int)(sizeof o / sizeof o[0]);
  for (int i = 0; i < n && i < count; i++) offsets[i] = o[i];
  return (int)sizeof(vb_state);
}

int vb_event_kinds(void) { return VB_EVENTS; }

void vb_destroy(vb_sim* s) {
  if (!s) return;
  if (s->data)
    for (int i = 0; i < s->envs; i++)
      if (s->data[i]) mj_deleteData(s->data[i]);
  free(s->data);
  free(s->events);
  if (s->model) mj_deleteModel(s->model);
  free(s);
}

static int vb_find(const mjModel* m, int type, const char* name, char* err, int len) {
  int id = mj_name2id(m, type, name);
  if (id < 0) {
    char what[200];
    snprintf(what, sizeof what, "the VBot model has no '%s'", name);
    vb_error(err, len, what);
  }
  return id;
}

// Loads the model from its XML text (through a virtual file system: nothing is read from disk),
// sets the solver options and makes one mjData per env. NULL with a sentence in err on failure.
vb_sim* vb_create(const char* xml, int envs, int substeps, double timestep, int cone, double impratio,
                  double kp, double kd, char* err, int errlen) {
  mju_user_error = vb_on_error;
  mju_user_warning = vb_on_warning;
  if (mj_version() != mjVERSION_HEADER) {
    char what[200];
    snprintf(what, sizeof what, "libmujoco is version %d but vbot-nav's shim was compiled against %d; rebuild RlTune on this machine",
             mj_version(), mjVERSION_HEADER);
    vb_error(err, errlen, what);
    return NULL;
  }
  vb_sim* volatile s = calloc(1, sizeof(vb_sim));
  mjVFS* volatile vfs = malloc(sizeof(mjVFS));
  if (!s || !vfs) { free(s); free(vfs); vb_error(err, errlen, "out of memory"); return NULL; }
  jmp_buf here;
  vb_jump = &here;
  if (setjmp(here)) {
    vb_jump = NULL;
    vb_error(err, errlen, vb_message);
    mj_deleteVFS(vfs);
    free(vfs);
    vb_destroy(s);
    return NULL;
  }
  mj_defaultVFS(vfs);
  int size = (int)strlen(xml);
  if (mj_makeEmptyFileVFS(vfs, "vbot.xml", size) != 0) { vb_jump = NULL; free(vfs); free(s); vb_error(err, errlen, "MuJoCo's virtual file system refused the model"); return NULL; }
  memcpy(vfs->filedata[mj_findFileVFS(vfs, "vbot.xml")], xml, (size_t)size);
  char loadError[300] = "";
  s->model = mj_loadXML("vbot.xml", vfs, loadError, sizeof loadError);
  mj_deleteVFS(vfs);
  free(vfs);
  vb_jump = NULL;
  if (!s->model) {
    char what[400];
    snprintf(what, sizeof what, "MuJoCo could not load the VBot model: %s", loadError);
    vb_error(err, errlen, what);
    free(s);
    return NULL;
  }
  mjModel* m = s->model;
  m->opt.timestep = timestep;
  m->opt.cone = cone;
  m->opt.impratio = impratio;
  // The compiled defaults (njmax 500, nstack 1.3M) give each mjData a 3.4 MB buffer that mj_makeData
  // zeroes: 25 ms and 7 GB for 2048 envs. Random-action falls use at most ~140 constraint rows and
  // ~2k stack numbers; beyond these bounds MuJoCo warns or errs and the env ends the episode as a fall.
  m->njmax = VB_MAX_CONSTRAINTS;
  m->nstack = VB_STACK;
  s->envs = envs;
  s->substeps = substeps;
  s->kp = kp;
  s->kd = kd;
  if (m->nu != VB_JOINTS || m->nq != 7 + VB_JOINTS || m->nv != 6 + VB_JOINTS) {
    vb_error(err, errlen, "the VBot model must have a free trunk and 12 motors on 12 hinge joints");
    vb_destroy(s);
    return NULL;
  }
  for (int a = 0; a < VB_JOINTS; a++) {
    int j = m->actuator_trnid[2 * a];
    s->qadr[a] = m->jnt_qposadr[j];
    s->vadr[a] = m->jnt_dofadr[j];
    s->limit[a] = m->actuator_forcelimited[a] ? m->actuator_forcerange[2 * a + 1] : INFINITY;
  }
  if ((s->floor = vb_find(m, mjOBJ_GEOM, "floor", err, errlen)) < 0 ||
      (s->trunk = vb_find(m, mjOBJ_GEOM, "collision_middle_box", err, errlen)) < 0 ||
      (s->head = vb_find(m, mjOBJ_GEOM, "collision_head_box", err, errlen)) < 0) {
    vb_destroy(s);
    return NULL;
  }
  s->data = calloc((size_t)envs, sizeof(mjData*));
  s->events = calloc((size_t)envs * VB_EVENTS, sizeof(int64_t));
  if (!s->data || !s->events) { vb_destroy(s); vb_error(err, errlen, "out of memory"); return NULL; }
  for (int i = 0; i < envs; i++)
    if (!(s->data[i] = mj_makeData(m))) { vb_destroy(s); vb_error(err, errlen, "MuJoCo could not allocate an env's data"); return NULL; }
  return s;
}

static int vb_warnings(const mjData* d) {
  int total = 0;
  for (int w = 0; w < mjNWARNING; w++) total += d->warning[w].number;
  return total;
}

static void vb_read(const vb_sim* s, const mjData* d, vb_state* out) {
  for (int k = 0; k < 3; k++) {
    out->pos[k] = (float)d->qpos[k];
    out->linvel[k] = (float)d->qvel[k];   // a free joint's linear velocity: world frame, at the body origin
    out->gyro[k] = (float)d->qvel[3 + k]; // a free joint's angular velocity: body frame
  }
  for (int k = 0; k < 4; k++) out->quat[k] = (float)d->qpos[3 + k];
  for (int a = 0; a < VB_JOINTS; a++) {
    out->q[a] = (float)d->qpos[s->qadr[a]];
    out->qd[a] = (float)d->qvel[s->vadr[a]];
  }
  int contact = 0;
  for (int c = 0; c < d->ncon && !contact; c++) {
    int g1 = d->contact[c].geom1, g2 = d->contact[c].geom2;
    int other = g1 == s->floor ? g2 : g2 == s->floor ? g1 : -1;
    contact = other == s->trunk || other == s->head;
  }
  out->body_contact = contact;
  int finite = 1;
  for (int k = 0; k < s->model->nq && finite; k++) finite = isfinite(d->qpos[k]);
  for (int k = 0; k < s->model->nv && finite; k++) finite = isfinite(d->qvel[k]);
  out->unstable = finite ? 0 : 1;
}

// counts this step's MuJoCo warnings per kind and clears them so the next step starts at zero
static void vb_take_warnings(vb_sim* s, int env, mjData* d) {
  int64_t* ev = s->events + (int64_t)env * VB_EVENTS;
  for (int w = 0; w < mjNWARNING; w++) {
    ev[w] += d->warning[w].number;
    d->warning[w].number = 0;
  }
}

// Puts env i into the state qpos (nq) / qvel (nv), computes its derived quantities (contacts) and
// writes its record. Returns 0, or 1 with a sentence in err if MuJoCo failed.
int vb_set(vb_sim* s, int env, const double* qpos, const double* qvel, vb_state* out, char* err, int errlen) {
  mjData* d = s->data[env];
  jmp_buf here;
  vb_jump = &here;
  if (setjmp(here)) {
    vb_jump = NULL;
    s->events[(int64_t)env * VB_EVENTS + VB_EVENT_ERROR]++;
    mj_resetData(s->model, d);
    vb_error(err, errlen, vb_message);
    return 1;
  }
  mj_resetData(s->model, d);
  memcpy(d->qpos, qpos, sizeof(mjtNum) * (size_t)s->model->nq);
  memcpy(d->qvel, qvel, sizeof(mjtNum) * (size_t)s->model->nv);
  mj_forward(s->model, d);
  vb_jump = NULL;
  vb_read(s, d, out);
  out->torque_sq = 0;
  vb_take_warnings(s, env, d);
  return 0;
}

// Steps envs [begin, end): each runs `substeps` physics steps, the PD loop recomputing its torques
// before every one from the joint targets (row env of targets, 12 floats):
// torque = kp (target - q) - kd qdot, clipped to the motor's force range.
void vb_step(vb_sim* s, int begin, int end, const float* targets, vb_state* states) {
  const mjModel* m = s->model;
  for (int i = begin; i < end; i++) {
    mjData* d = s->data[i];
    const float* target = targets + (int64_t)i * VB_JOINTS;
    vb_state* out = states + i;
    jmp_buf here;
    vb_jump = &here;
    if (setjmp(here)) {
      vb_jump = NULL;
      s->events[(int64_t)i * VB_EVENTS + VB_EVENT_ERROR]++;
      mj_resetData(m, d); // the env is ended and reset by the caller; this keeps its data usable
      out->unstable = 3;
      continue;
    }
    double torqueSq = 0;
    for (int k = 0; k < s->substeps; k++) {
      for (int a = 0; a < VB_JOINTS; a++) {
        double tau = s->kp * (target[a] - d->qpos[s->qadr[a]]) - s->kd * d->qvel[s->vadr[a]];
        tau = tau > s->limit[a] ? s->limit[a] : tau < -s->limit[a] ? -s->limit[a] : tau;
        d->ctrl[a] = tau;
        torqueSq += tau * tau;
      }
      mj_step(m, d);
    }
    vb_jump = NULL;
    int warned = vb_warnings(d);
    vb_take_warnings(s, i, d);
    vb_read(s, d, out);
    out->torque_sq = (float)(torqueSq / s->substeps);
    if (out->unstable) s->events[(int64_t)i * VB_EVENTS + VB_EVENT_NAN]++;
    else if (warned) out->unstable = 2;
  }
}

// Sums every env's event counts into totals (VB_EVENTS of them).
void vb_events(const vb_sim* s, int64_t* totals) {
  for (int k = 0; k < VB_EVENTS; k++) totals[k] = 0;
  for (int i = 0; i < s->envs; i++)
    for (int k = 0; k < VB_EVENTS; k++) totals[k] += s->events[(int64_t)i * VB_EVENTS + k];
}
