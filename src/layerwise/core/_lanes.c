/* layerwise._lanes: the step program's matrix products on two lanes (the calling thread and one
 * helper thread), each block a single-threaded BLAS call.
 *
 * A product C = op(A)·op(B) is cut into fixed blocks of rows or columns of C, chosen from the shapes
 * alone (in Python, core/lanes.py). Each block is one single-threaded BLAS call, so the result never
 * depends on which lane ran which block, on the number of lanes, or on how busy the machine is:
 * runs stay bit-reproducible.
 *
 * Blocks are claimed one at a time from a shared ticket, so a helper that is slow to start (its
 * core taken by another program) simply claims nothing: the caller runs every block itself.
 * The helper spins (with PAUSE) for a short while after each job, then sleeps on a condition
 * variable; when the caller keeps waiting for blocks the helper claimed but has not finished (it
 * was descheduled), the module runs on one lane for a while and then tries two again.
 *
 * A task is 14 int64 words: kind (0 sgemm, 1 dgemm), transa, transb (0 'N', 1 'T'), m, n, k,
 * a, lda, b, ldb, c, ldc, beta (0 or 1), spare; column-major BLAS arguments, pointers as integers.
 * Kind 2 gathers rows: words 3 (rows), 4 (bytes per row), 6 (source), 8 (int64 row indices),
 * 10 (destination): the batch of a training step, copied on both lanes.
 */
#include <string.h>
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <pthread.h>
#include <stdint.h>
#include <time.h>
#include <sched.h>
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define PAUSE() _mm_pause()
#elif defined(__aarch64__)
#define PAUSE() __asm__ __volatile__("yield")
#else
#define PAUSE() ((void)0)
#endif

typedef void (*sgemm_t)(const char *, const char *, const int *, const int *, const int *, const float *,
                        const float *, const int *, const float *, const int *, const float *, float *,
                        const int *);
typedef void (*dgemm_t)(const char *, const char *, const int *, const int *, const int *, const double *,
                        const double *, const int *, const double *, const int *, const double *, double *,
                        const int *);

#define WORDS 14
static uint64_t spin_ns = 1000000;  /* the helper spins this long after a job before it sleeps */
#define CLOSED 0xffffffffu
#define SINGLE_NS 200000000  /* after two stalls, one lane for 0.2 s, then two again */

static sgemm_t sgemm_fn = NULL;
static dgemm_t dgemm_fn = NULL;

static pthread_t helper;
static int started = 0;
static pthread_mutex_t mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake = PTHREAD_COND_INITIALIZER;

static uint64_t gen = 0;             /* the job's number; the helper watches it */
static uint64_t ticket = 0;          /* (job number << 32) | next block; next = CLOSED while a job is set up */
static uint64_t done = 0;            /* blocks finished in the current job */
static const int64_t *job_tasks = NULL;
static uint64_t job_count = 0;
static int sleeping = 0;

/* the policy: two lanes unless the caller waits for the helper too often */
static int lanes = 2;                /* 1 or 2: what the caller asked for (set_lanes) */
static uint64_t single_until = 0;   /* run on one lane until this time (ns) after a slow helper */
static int strikes = 0;
static uint64_t jobs_run = 0, jobs_single = 0, waited_ns = 0, long_waits = 0;
static uint64_t stall_ns = 500000;  /* a wait this long counts as the helper having stalled (0: never) */

static inline uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void run_task(const int64_t *t) {
    if (t[0] == 2) {
        const char *src = (const char *)(intptr_t)t[6];
        const int64_t *idx = (const int64_t *)(intptr_t)t[8];
        char *dst = (char *)(intptr_t)t[10];
        size_t row = (size_t)t[4];
        for (int64_t i = 0; i < t[3]; i++) memcpy(dst + (size_t)i * row, src + (size_t)idx[i] * row, row);
        return;
    }
    char ta = t[1] ? 'T' : 'N', tb = t[2] ? 'T' : 'N';
    int m = (int)t[3], n = (int)t[4], k = (int)t[5], lda = (int)t[7], ldb = (int)t[9], ldc = (int)t[11];
    if (t[0] == 0) {
        float one = 1.0f, beta = t[12] ? 1.0f : 0.0f;
        sgemm_fn(&ta, &tb, &m, &n, &k, &one, (const float *)(intptr_t)t[6], &lda, (const float *)(intptr_t)t[8],
                 &ldb, &beta, (float *)(intptr_t)t[10], &ldc);
    } else {
        double one = 1.0, beta = t[12] ? 1.0 : 0.0;
        dgemm_fn(&ta, &tb, &m, &n, &k, &one, (const double *)(intptr_t)t[6], &lda, (const double *)(intptr_t)t[8],
                 &ldb, &beta, (double *)(intptr_t)t[10], &ldc);
    }
}

/* claim and run blocks of job number g until none are left; returns how many this thread ran */
static uint64_t work(uint64_t g, const int64_t *tasks, uint64_t count) {
    uint64_t ran = 0;
    for (;;) {
        uint64_t t = __atomic_load_n(&ticket, __ATOMIC_ACQUIRE);
        uint64_t next = t & 0xffffffffu;
        if ((t >> 32) != (g & 0xffffffffu) || next >= count) return ran;
        if (!__atomic_compare_exchange_n(&ticket, &t, t + 1, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) continue;
        run_task(tasks + WORDS * next);
        __atomic_add_fetch(&done, 1, __ATOMIC_ACQ_REL);
        ran++;
    }
}

static void *helper_main(void *arg) {
    (void)arg;
    uint64_t seen = __atomic_load_n(&gen, __ATOMIC_ACQUIRE);
    for (;;) {
        uint64_t g = __atomic_load_n(&gen, __ATOMIC_ACQUIRE);
        if (g == seen) {
            uint64_t t0 = now_ns();
            unsigned spins = 0;
            while ((g = __atomic_load_n(&gen, __ATOMIC_ACQUIRE)) == seen) {
                PAUSE();
                if ((++spins & 255) == 0 && now_ns() - t0 > spin_ns) break;
            }
            if (g == seen) {   /* nothing for a while: sleep until the caller signals */
                pthread_mutex_lock(&mutex);
                __atomic_store_n(&sleeping, 1, __ATOMIC_SEQ_CST);
                while ((g = __atomic_load_n(&gen, __ATOMIC_SEQ_CST)) == seen) pthread_cond_wait(&wake, &mutex);
                __atomic_store_n(&sleeping, 0, __ATOMIC_SEQ_CST);
                pthread_mutex_unlock(&mutex);
            }
        }
        seen = g;
        /* the job's fields are complete once gen shows g (written before it); if the caller has
         * moved on since, the ticket no longer carries g and work() claims nothing */
        const int64_t *tasks = __atomic_load_n(&job_tasks, __ATOMIC_ACQUIRE);
        uint64_t count = __atomic_load_n(&job_count, __ATOMIC_ACQUIRE);
        work(g, tasks, count);
    }
    return NULL;
}

static pthread_mutex_t job_lock = PTHREAD_MUTEX_INITIALIZER;  /* one job at a time shares the helper */

static void run_alone(const int64_t *tasks, uint64_t count) {
    for (uint64_t i = 0; i < count; i++) run_task(tasks + WORDS * i);
}

static void run_shared(const int64_t *tasks, uint64_t count);

/* a job from a second Python thread while the helper serves another one runs on its own thread */
static void run_job(const int64_t *tasks, uint64_t count) {
    if (pthread_mutex_trylock(&job_lock) != 0) {
        run_alone(tasks, count);
        return;
    }
    run_shared(tasks, count);
    pthread_mutex_unlock(&job_lock);
}

static void run_shared(const int64_t *tasks, uint64_t count) {
    int two = lanes == 2 && started && count > 1 && (single_until == 0 || now_ns() >= single_until);
    jobs_run++;
    if (!two) {
        jobs_single++;
        run_alone(tasks, count);
        return;
    }
    uint64_t g = gen + 1;
    __atomic_store_n(&ticket, ((g & 0xffffffffu) << 32) | CLOSED, __ATOMIC_SEQ_CST);
    __atomic_store_n(&job_tasks, tasks, __ATOMIC_RELEASE);
    __atomic_store_n(&job_count, count, __ATOMIC_RELEASE);
    __atomic_store_n(&done, 0, __ATOMIC_RELEASE);
    __atomic_store_n(&ticket, (g & 0xffffffffu) << 32, __ATOMIC_SEQ_CST);
    __atomic_store_n(&gen, g, __ATOMIC_SEQ_CST);
    if (__atomic_load_n(&sleeping, __ATOMIC_SEQ_CST)) {
        pthread_mutex_lock(&mutex);
        pthread_cond_signal(&wake);
        pthread_mutex_unlock(&mutex);
    }
    uint64_t t_start = now_ns();
    uint64_t mine = work(g, tasks, count);
    if (__atomic_load_n(&done, __ATOMIC_ACQUIRE) < count) {
        uint64_t t0 = now_ns();
        uint64_t own = t0 - t_start;   /* how long this thread's share took: the scale of a fair wait */
        unsigned spins = 0;
        while (__atomic_load_n(&done, __ATOMIC_ACQUIRE) < count) {
            PAUSE();
            if ((++spins & 1023) == 0) sched_yield();
        }
        uint64_t w = now_ns() - t0;
        waited_ns += w;
        /* the helper claimed a block and then lost its core for long (longer than the caller's own
         * share took, and than stall_ns): one lane for a while */
        if (stall_ns && w > stall_ns && w > own) {
            long_waits++;
            if (++strikes >= 2) { single_until = now_ns() + SINGLE_NS; strikes = 0; }
        }
    } else if (mine == count && strikes > 0) {
        strikes--;
    }
}

/* a child of fork() has no helper thread: it runs on one lane (its mutex and flags start afresh) */
static void after_fork_in_child(void) {
    pthread_mutex_t fresh_mutex = PTHREAD_MUTEX_INITIALIZER;
    pthread_cond_t fresh_cond = PTHREAD_COND_INITIALIZER;
    pthread_mutex_t fresh_job_lock = PTHREAD_MUTEX_INITIALIZER;
    mutex = fresh_mutex;
    wake = fresh_cond;
    job_lock = fresh_job_lock;
    sleeping = 0;
    started = 0;
    lanes = 1;
}

static PyObject *py_init(PyObject *self, PyObject *args) {
    unsigned long long s, d, spin = 200000, stall = 500000;
    if (!PyArg_ParseTuple(args, "KK|KK", &s, &d, &spin, &stall)) return NULL;
    spin_ns = spin;
    stall_ns = stall;
    sgemm_fn = (sgemm_t)(uintptr_t)s;
    dgemm_fn = (dgemm_t)(uintptr_t)d;
    if (!started) {
        if (pthread_create(&helper, NULL, helper_main, NULL) != 0) {
            PyErr_SetString(PyExc_RuntimeError, "layerwise._lanes: cannot start the helper thread");
            return NULL;
        }
        pthread_detach(helper);
        pthread_atfork(NULL, NULL, after_fork_in_child);
        started = 1;
    }
    Py_RETURN_NONE;
}

/* run(table, first, count): tasks first..first+count of an int64 table, on the lanes, GIL released */
static PyObject *py_run(PyObject *self, PyObject *args) {
    Py_buffer view;
    Py_ssize_t first, count;
    if (!PyArg_ParseTuple(args, "y*nn", &view, &first, &count)) return NULL;
    if (sgemm_fn == NULL || first < 0 || count < 0 || (first + count) * WORDS * 8 > view.len) {
        PyBuffer_Release(&view);
        PyErr_SetString(PyExc_ValueError, "layerwise._lanes.run: not initialised, or tasks out of range");
        return NULL;
    }
    const int64_t *tasks = (const int64_t *)view.buf + WORDS * first;
    Py_BEGIN_ALLOW_THREADS
    run_job(tasks, (uint64_t)count);
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&view);
    Py_RETURN_NONE;
}

/* gather(src, idx, dst): dst[i] = src[idx[i]] for rows of C-contiguous buffers, on the lanes */
static PyObject *py_gather(PyObject *self, PyObject *args) {
    Py_buffer src, idx, dst;
    Py_ssize_t src_rows;
    if (!PyArg_ParseTuple(args, "y*ny*w*", &src, &src_rows, &idx, &dst)) return NULL;
    PyObject *result = NULL;
    Py_ssize_t n = idx.len / 8;
    if (sgemm_fn == NULL || src_rows <= 0 || n <= 0 || src.len % src_rows || dst.len % n ||
        dst.len / n != src.len / src_rows) {
        PyErr_SetString(PyExc_ValueError, "layerwise._lanes.gather: rows of different sizes, or not initialised");
        goto out;
    }
    const int64_t *rows = (const int64_t *)idx.buf;
    for (Py_ssize_t i = 0; i < n; i++) {
        if (rows[i] < 0 || rows[i] >= src_rows) {
            PyErr_Format(PyExc_IndexError, "layerwise._lanes.gather: row %lld outside 0..%zd", (long long)rows[i],
                         src_rows - 1);
            goto out;
        }
    }
    int64_t row_bytes = (int64_t)(dst.len / n), half = (int64_t)(n / 2);
    int64_t tasks[2 * WORDS];
    memset(tasks, 0, sizeof(tasks));
    int64_t count = n >= 32 ? 2 : 1;
    int64_t first_rows = count == 2 ? half : (int64_t)n;
    int64_t *t0 = tasks, *t1 = tasks + WORDS;
    t0[0] = 2; t0[3] = first_rows; t0[4] = row_bytes; t0[6] = (int64_t)(intptr_t)src.buf;
    t0[8] = (int64_t)(intptr_t)rows; t0[10] = (int64_t)(intptr_t)dst.buf;
    t1[0] = 2; t1[3] = (int64_t)n - half; t1[4] = row_bytes; t1[6] = (int64_t)(intptr_t)src.buf;
    t1[8] = (int64_t)(intptr_t)(rows + half); t1[10] = (int64_t)(intptr_t)((char *)dst.buf + half * row_bytes);
    Py_BEGIN_ALLOW_THREADS
    run_job(tasks, (uint64_t)count);
    Py_END_ALLOW_THREADS
    Py_INCREF(Py_None);
    result = Py_None;
out:
    PyBuffer_Release(&src);
    PyBuffer_Release(&idx);
    PyBuffer_Release(&dst);
    return result;
}

static PyObject *py_set_lanes(PyObject *self, PyObject *args) {
    int n;
    if (!PyArg_ParseTuple(args, "i", &n)) return NULL;
    lanes = n >= 2 && started ? 2 : 1;
    single_until = 0;
    strikes = 0;
    Py_RETURN_NONE;
}

static PyObject *py_stats(PyObject *self, PyObject *noargs) {
    return Py_BuildValue("{s:K,s:K,s:K,s:K,s:i}", "jobs", (unsigned long long)jobs_run, "single",
                         (unsigned long long)jobs_single, "waited_ns", (unsigned long long)waited_ns, "long_waits",
                         (unsigned long long)long_waits, "lanes", lanes);
}

static PyMethodDef methods[] = {
    {"init", py_init, METH_VARARGS, "init(sgemm_address, dgemm_address): the BLAS routines; starts the helper"},
    {"run", py_run, METH_VARARGS, "run(table, first, count): run tasks first..first+count on the lanes"},
    {"gather", py_gather, METH_VARARGS, "gather(src, src_rows, idx, dst): dst rows = src rows idx, on the lanes"},
    {"set_lanes", py_set_lanes, METH_VARARGS, "set_lanes(n): 1 or 2 lanes"},
    {"stats", py_stats, METH_NOARGS, "stats(): jobs run, jobs run on one lane, ns the caller waited"},
    {NULL, NULL, 0, NULL}};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_lanes", NULL, -1, methods};

PyMODINIT_FUNC PyInit__lanes(void) { return PyModule_Create(&module); }
