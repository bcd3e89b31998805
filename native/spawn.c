/*
 * ralph_spawn: start an agent with posix_spawn instead of libuv's fork().
 *
 * Why: on Linux, libuv starts every child with fork(), which copies the page tables of a ~65 MiB
 * Node process and then takes copy-on-write faults until the child execs: about 2 ms of CPU per
 * spawn. glibc's posix_spawn uses clone(CLONE_VM | CLONE_VFORK), whose cost does not grow with the
 * parent's size (measured: 0.05 ms of parent CPU). Ralph's workers spawn one agent per task, so for
 * short tasks this is most of the per-task cost.
 *
 * What it does, matching child_process.spawn(..., { detached: true, stdio: 'pipe' }):
 *   - new session (setsid), so the agent and everything it starts form one process group;
 *   - every signal disposition reset to default and the signal mask cleared (Node ignores SIGPIPE,
 *     and ignored signals would otherwise be inherited across exec);
 *   - stdin, stdout and stderr are pipes; the parent's ends are returned as non-inherited fds;
 *   - the working directory is changed in the child;
 *   - errors from exec (ENOENT, EACCES, E2BIG…) are returned synchronously as an errno.
 * The exit status is collected by a small thread per child blocked in waitpid() on that pid only
 * (libuv reaps only the pids it started itself, so the two never compete), and handed back to
 * JavaScript through a thread-safe function.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <node_api.h>

#define CHECK(call)                                                     \
  do {                                                                  \
    if ((call) != napi_ok) {                                            \
      napi_throw_error(env, "ERR_RALPH_SPAWN", "N-API call failed: " #call); \
      return NULL;                                                      \
    }                                                                   \
  } while (0)

typedef struct {
  pid_t pid;
  int status;
  napi_threadsafe_function tsfn;
} waiter_t;

static void free_strings(char **list) {
  if (!list) return;
  for (char **p = list; *p; p++) free(*p);
  free(list);
}

/* A JS string as a malloc'd C string (NULL on failure, with a JS exception pending). */
static char *get_string(napi_env env, napi_value value) {
  size_t len = 0;
  if (napi_get_value_string_utf8(env, value, NULL, 0, &len) != napi_ok) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "expected a string");
    return NULL;
  }
  char *buf = malloc(len + 1);
  if (!buf) {
    napi_throw_error(env, "ENOMEM", "out of memory");
    return NULL;
  }
  napi_get_value_string_utf8(env, value, buf, len + 1, &len);
  if (strlen(buf) != len) { /* an embedded NUL would silently truncate an argument */
    free(buf);
    napi_throw_type_error(env, "ERR_INVALID_ARG_VALUE", "strings passed to spawn must not contain NUL bytes");
    return NULL;
  }
  return buf;
}

/* A JS array of strings as a NULL-terminated C array. */
static char **get_string_array(napi_env env, napi_value array) {
  uint32_t n = 0;
  if (napi_get_array_length(env, array, &n) != napi_ok) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "expected an array of strings");
    return NULL;
  }
  char **list = calloc(n + 1, sizeof(char *));
  if (!list) {
    napi_throw_error(env, "ENOMEM", "out of memory");
    return NULL;
  }
  for (uint32_t i = 0; i < n; i++) {
    napi_value item;
    if (napi_get_element(env, array, i, &item) != napi_ok || !(list[i] = get_string(env, item))) {
      free_strings(list);
      return NULL;
    }
  }
  return list;
}

static void call_js(napi_env env, napi_value callback, void *context, void *data) {
  waiter_t *w = data;
  if (env != NULL && callback != NULL) {
    napi_value argv[3], undefined;
    int code = WIFEXITED(w->status) ? WEXITSTATUS(w->status) : -1;
    int sig = WIFSIGNALED(w->status) ? WTERMSIG(w->status) : 0;
    napi_create_int32(env, w->pid, &argv[0]);
    napi_create_int32(env, code, &argv[1]);
    napi_create_int32(env, sig, &argv[2]);
    napi_get_undefined(env, &undefined);
    napi_call_function(env, undefined, callback, 3, argv, NULL);
  }
  napi_release_threadsafe_function(w->tsfn, napi_tsfn_release);
  free(w);
}

static void *wait_thread(void *arg) {
  waiter_t *w = arg;
  int status = 0;
  pid_t r;
  do {
    r = waitpid(w->pid, &status, 0);
  } while (r == -1 && errno == EINTR);
  /* ECHILD: someone else reaped it; report an unknown exit rather than hang. */
  w->status = r == w->pid ? status : (255 << 8);
  napi_call_threadsafe_function(w->tsfn, w, napi_tsfn_blocking);
  return NULL;
}

static napi_value throw_errno(napi_env env, int err, const char *syscall) {
  napi_value message, code, error, errno_value, syscall_value;
  char text[256];
  snprintf(text, sizeof text, "%s %s", syscall, strerror(err));
  napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &message);
  /* errno name for Node-style error codes */
  const char *name = "EUNKNOWN";
  switch (err) {
    case ENOENT: name = "ENOENT"; break;
    case EACCES: name = "EACCES"; break;
    case E2BIG: name = "E2BIG"; break;
    case ENOEXEC: name = "ENOEXEC"; break;
    case ENOTDIR: name = "ENOTDIR"; break;
    case EMFILE: name = "EMFILE"; break;
    case ENFILE: name = "ENFILE"; break;
    case EAGAIN: name = "EAGAIN"; break;
    case ENOMEM: name = "ENOMEM"; break;
    case EPERM: name = "EPERM"; break;
    case ELOOP: name = "ELOOP"; break;
    case ENAMETOOLONG: name = "ENAMETOOLONG"; break;
    case ETXTBSY: name = "ETXTBSY"; break;
  }
  napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &code);
  napi_create_error(env, code, message, &error);
  napi_create_int32(env, -err, &errno_value);
  napi_create_string_utf8(env, syscall, NAPI_AUTO_LENGTH, &syscall_value);
  napi_set_named_property(env, error, "errno", errno_value);
  napi_set_named_property(env, error, "syscall", syscall_value);
  napi_throw(env, error);
  return NULL;
}

/*
 * spawn(file, argv, envp, cwd, onExit) → [pid, stdinFd, stdoutFd, stderrFd]
 * onExit(pid, exitCode (-1 if signalled), signalNumber (0 if exited)) is called once.
 */
static napi_value spawn_child(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value args[5];
  CHECK(napi_get_cb_info(env, info, &argc, args, NULL, NULL));
  if (argc < 5) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "spawn(file, argv, envp, cwd, onExit)");
    return NULL;
  }

  char *file = NULL, *cwd = NULL, **argv = NULL, **envp = NULL;
  int pipes[3][2] = {{-1, -1}, {-1, -1}, {-1, -1}};
  napi_value result = NULL;
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  int have_actions = 0, have_attr = 0;

  if (!(file = get_string(env, args[0]))) goto done;
  if (!(argv = get_string_array(env, args[1]))) goto done;
  if (!(envp = get_string_array(env, args[2]))) goto done;
  if (!(cwd = get_string(env, args[3]))) goto done;

  for (int i = 0; i < 3; i++) {
    if (pipe2(pipes[i], O_CLOEXEC) != 0) {
      throw_errno(env, errno, "pipe2");
      goto done;
    }
  }

  int err;
  if ((err = posix_spawn_file_actions_init(&actions)) != 0) { throw_errno(env, err, "posix_spawn"); goto done; }
  have_actions = 1;
  if ((err = posix_spawnattr_init(&attr)) != 0) { throw_errno(env, err, "posix_spawn"); goto done; }
  have_attr = 1;

  /* dup2 clears close-on-exec on the new descriptor; every other pipe end stays O_CLOEXEC. */
  posix_spawn_file_actions_adddup2(&actions, pipes[0][0], 0);
  posix_spawn_file_actions_adddup2(&actions, pipes[1][1], 1);
  posix_spawn_file_actions_adddup2(&actions, pipes[2][1], 2);
  if (cwd[0] != '\0' && (err = posix_spawn_file_actions_addchdir_np(&actions, cwd)) != 0) {
    throw_errno(env, err, "posix_spawn");
    goto done;
  }

  sigset_t all, none;
  sigfillset(&all);
  sigemptyset(&none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);

  pid_t pid;
  if ((err = posix_spawn(&pid, file, &actions, &attr, argv, envp)) != 0) {
    throw_errno(env, err, "spawn");
    goto done;
  }
  /* The child's ends belong to the child now. */
  close(pipes[0][0]); pipes[0][0] = -1;
  close(pipes[1][1]); pipes[1][1] = -1;
  close(pipes[2][1]); pipes[2][1] = -1;

  waiter_t *w = calloc(1, sizeof(waiter_t));
  napi_value name;
  napi_create_string_utf8(env, "ralph_spawn_exit", NAPI_AUTO_LENGTH, &name);
  if (w) w->pid = pid;
  if (!w || napi_create_threadsafe_function(env, args[4], NULL, name, 0, 1, NULL, NULL, NULL, call_js, &w->tsfn) != napi_ok) {
    /* Cannot report the exit: kill and reap the child rather than leave it untracked. */
    kill(-pid, SIGKILL);
    waitpid(pid, NULL, 0);
    free(w);
    napi_throw_error(env, "ERR_RALPH_SPAWN", "could not track the child process");
    goto done;
  }
  pthread_t thread;
  pthread_attr_t tattr;
  pthread_attr_init(&tattr);
  pthread_attr_setdetachstate(&tattr, PTHREAD_CREATE_DETACHED);
  pthread_attr_setstacksize(&tattr, 64 * 1024);
  if ((err = pthread_create(&thread, &tattr, wait_thread, w)) != 0) {
    pthread_attr_destroy(&tattr);
    kill(-pid, SIGKILL);
    waitpid(pid, NULL, 0);
    napi_release_threadsafe_function(w->tsfn, napi_tsfn_abort);
    free(w);
    throw_errno(env, err, "pthread_create");
    goto done;
  }
  pthread_attr_destroy(&tattr);

  napi_value out, v;
  napi_create_array_with_length(env, 4, &out);
  napi_create_int32(env, pid, &v); napi_set_element(env, out, 0, v);
  napi_create_int32(env, pipes[0][1], &v); napi_set_element(env, out, 1, v);
  napi_create_int32(env, pipes[1][0], &v); napi_set_element(env, out, 2, v);
  napi_create_int32(env, pipes[2][0], &v); napi_set_element(env, out, 3, v);
  pipes[0][1] = pipes[1][0] = pipes[2][0] = -1; /* handed to JavaScript */
  result = out;

done:
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 2; j++)
      if (pipes[i][j] != -1) close(pipes[i][j]);
  if (have_actions) posix_spawn_file_actions_destroy(&actions);
  if (have_attr) posix_spawnattr_destroy(&attr);
  free(file);
  free(cwd);
  free_strings(argv);
  free_strings(envp);
  return result;
}

NAPI_MODULE_INIT() {
  napi_value fn;
  napi_create_function(env, "spawn", NAPI_AUTO_LENGTH, spawn_child, NULL, &fn);
  napi_set_named_property(env, exports, "spawn", fn);
  return exports;
}
