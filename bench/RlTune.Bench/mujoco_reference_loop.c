// The reference for `rltune-bench env-speed --env vbot-nav`: MuJoCo stepped from plain C on one
// thread, with the physics work vbot-nav does per control step and nothing else: N envs (one
// mjData each), random actions filtered 0.3/0.7, PD torques recomputed before each of the substeps,
// an env restarted at the default pose when its trunk or head touches the floor, it tilts past 75
// degrees or 1000 steps pass. The bench compiles it with gcc at run time.
// Usage: mujoco_reference_loop MODEL.xml ENVS SECONDS SUBSTEPS TIMESTEP CONE IMPRATIO
#include <mujoco/mujoco.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static const double pose[12] = {0, 0.9, -1.8, 0, 0.9, -1.8, 0, 0.9, -1.8, 0, 0.9, -1.8};

static double clock_seconds(clockid_t id) {
  struct timespec t;
  clock_gettime(id, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}
static double now(void) { return clock_seconds(CLOCK_MONOTONIC); }

static uint64_t rng = 0x9E3779B97F4A7C15ull;
static double uniform(void) { // xorshift64*, in [-1, 1)
  rng ^= rng >> 12; rng ^= rng << 25; rng ^= rng >> 27;
  return (double)((rng * 0x2545F4914F6CDD1Dull) >> 11) / (double)(1ull << 52) - 1.0;
}

static void start(const mjModel* m, mjData* d, double* filtered, int* steps) {
  mj_resetData(m, d);
  d->qpos[0] = 4 * uniform(); d->qpos[1] = 4 * uniform(); d->qpos[2] = 0.36;
  double yaw = M_PI * uniform();
  d->qpos[3] = cos(yaw / 2); d->qpos[4] = 0; d->qpos[5] = 0; d->qpos[6] = sin(yaw / 2);
  for (int j = 0; j < 12; j++) { d->qpos[7 + j] = pose[j]; filtered[j] = 0; }
  mj_forward(m, d);
  *steps = 0;
}

int main(int argc, char** argv) {
  if (argc != 8) { fprintf(stderr, "usage: %s MODEL.xml ENVS SECONDS SUBSTEPS TIMESTEP CONE IMPRATIO\n", argv[0]); return 2; }
  char err[300];
  mjModel* m = mj_loadXML(argv[1], NULL, err, sizeof err);
  if (!m) { fprintf(stderr, "%s\n", err); return 1; }
  int n = atoi(argv[2]), substeps = atoi(argv[4]);
  double seconds = atof(argv[3]);
  m->opt.timestep = atof(argv[5]);
  m->opt.cone = atoi(argv[6]);
  m->opt.impratio = atof(argv[7]);
  int floor = mj_name2id(m, mjOBJ_GEOM, "floor"), trunk = mj_name2id(m, mjOBJ_GEOM, "collision_middle_box"),
      head = mj_name2id(m, mjOBJ_GEOM, "collision_head_box");
  int qadr[12], vadr[12];
  double limit[12];
  for (int a = 0; a < 12; a++) {
    qadr[a] = m->jnt_qposadr[m->actuator_trnid[2 * a]];
    vadr[a] = m->jnt_dofadr[m->actuator_trnid[2 * a]];
    limit[a] = m->actuator_forcerange[2 * a + 1];
  }
  mjData** data = malloc(sizeof(mjData*) * n);
  double* filtered = malloc(sizeof(double) * 12 * n);
  int* steps = malloc(sizeof(int) * n);
  for (int i = 0; i < n; i++) { data[i] = mj_makeData(m); start(m, data[i], filtered + 12 * i, steps + i); }
  const double tanTilt = tan(75 * M_PI / 180);
  long controlSteps = 0, episodes = 0;
  double t0 = now(), cpu0 = clock_seconds(CLOCK_PROCESS_CPUTIME_ID), elapsed = 0;
  while ((elapsed = now() - t0) < seconds) {
    for (int i = 0; i < n; i++) {
      mjData* d = data[i];
      double* f = filtered + 12 * i;
      for (int a = 0; a < 12; a++) f[a] = 0.3 * uniform() + 0.7 * f[a];
      for (int k = 0; k < substeps; k++) {
        for (int a = 0; a < 12; a++) {
          double tau = 80 * (pose[a] + 0.25 * f[a] - d->qpos[qadr[a]]) - 6 * d->qvel[vadr[a]];
          d->ctrl[a] = tau > limit[a] ? limit[a] : tau < -limit[a] ? -limit[a] : tau;
        }
        mj_step(m, d);
      }
      int down = 0;
      for (int c = 0; c < d->ncon && !down; c++) {
        int g1 = d->contact[c].geom1, g2 = d->contact[c].geom2;
        int other = g1 == floor ? g2 : g2 == floor ? g1 : -1;
        down = other == trunk || other == head;
      }
      double w = d->qpos[3], x = d->qpos[4], y = d->qpos[5], z = d->qpos[6];
      double gx = 2 * (x * z - w * y), gy = 2 * (y * z + w * x), gz = 1 - 2 * (x * x + y * y);
      down = down || sqrt(gx * gx + gy * gy) > tanTilt * fabs(gz);
      if (down || ++steps[i] >= 1000) { episodes++; start(m, d, f, steps + i); }
    }
    controlSteps += n;
  }
  double cpu = clock_seconds(CLOCK_PROCESS_CPUTIME_ID) - cpu0;
  printf("reference_control_steps_per_s=%.0f\nreference_control_steps_per_cpu_s=%.0f\nreference_physics_steps_per_s=%.0f\nreference_episodes=%ld\n",
         controlSteps / elapsed, controlSteps / cpu, controlSteps * (double)substeps / elapsed, episodes);
  for (int i = 0; i < n; i++) mj_deleteData(data[i]);
  mj_deleteModel(m);
  return 0;
}
