/* incidents._rows: the ingest hot path of incidents/ingest_rows.py in C.
 *
 * The Python code in ingest_rows.py is the reference: _Rollup.add,
 * _Rollup.lines, _RowWriter.row and copy_text. This module does the same,
 * step for step, against the CPython API: the same Python objects come out
 * (the rollup rows dict, the dedupe set, the stamp cache, the filtered
 * counts) and the same COPY text. ingest_rows.py selects it at import
 * unless PORTAL_PURE_PYTHON_ROWS=1, and hands it its module globals
 * (bind()), which are read where the reference reads them: DEDUPE_WINDOW,
 * NULL and SourceDay per row, ParsedEvent and Rejection when copy_text starts.
 *
 * Rows are written as UTF-8 into one growing byte buffer and decoded into a
 * str once per chunk (with surrogatepass both ways, so any str round-trips).
 *
 * The rollup differs in how it holds its rows, not in what it shows: see
 * "Rollup" below. Its sort() and port_totals() are the reference's too.
 *
 * Reference counting rule used throughout: a borrowed reference is only
 * kept across a call that may run Python code after Py_INCREF; every
 * function has one exit path that releases what it holds.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <structmember.h>
#include <datetime.h>
#include <arpa/inet.h>
#include <sys/socket.h>

/* ------------------------------------------------------------------ */
/* Module-wide constants and the reference module's globals           */

static PyObject *g_globals; /* ingest_rows.__dict__, set by bind() */
static PyObject *s_empty, *s_comma, *s_minus_one, *s_one, *s_zero;
static PyObject *n_time, *n_source_ip, *n_target_ip, *n_source_port, *n_target_port, *n_protocol, *n_tcp_flags,
    *n_count, *n_isoformat, *n_date, *n_get, *n_DEDUPE_WINDOW, *n_NULL, *n_SourceDay, *n_TARGETS_KEPT, *n_ParsedEvent,
    *n_Rejection, *n_lines, *n_repeated, *n_staged, *n_skip, *n_first_time, *n_last_time, *n_reject, *n_row;

#define STAMPS_KEPT 100000 /* the literal 100_000 of _RowWriter.row */

/* EventFilter.reason, the function, once bind() has seen EventFilter in the
 * globals: a writer whose reason is that method bound to a filter takes the
 * filter's common steps here (filter_fast) and asks Python only when they
 * do not settle the event. */
static PyObject *g_filter_reason;

/* ParsedEvent and where its slots lie, once bind() has seen it: the row
 * reads an exact ParsedEvent's fields straight from them (as its member
 * descriptors would), anything else by getattr. */
static PyTypeObject *g_event_type;
static Py_ssize_t off_time, off_source_ip, off_target_ip, off_source_port, off_target_port, off_protocol, off_tcp_flags,
    off_count;

static inline PyObject *
event_get(PyObject *e, PyObject *name, Py_ssize_t offset)
{
    if (offset > 0 && Py_IS_TYPE(e, g_event_type)) {
        PyObject *value = *(PyObject **)((char *)e + offset);
        if (value != NULL)
            return Py_NewRef(value);
    }
    return PyObject_GetAttr(e, name);
}

#define FIELD(e, name) event_get(e, n_##name, off_##name)
static PyObject *n__sources, *n_EventFilter, *n_reason, *n__PyRollup;

/* A new reference to a global of ingest_rows, or NULL with NameError. */
static PyObject *
global(PyObject *name)
{
    if (g_globals == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "incidents._rows is not bound (bind() not called)");
        return NULL;
    }
    PyObject *value = PyDict_GetItemWithError(g_globals, name);
    if (value == NULL) {
        if (!PyErr_Occurred())
            PyErr_Format(PyExc_NameError, "name '%U' is not defined", name);
        return NULL;
    }
    Py_INCREF(value);
    return value;
}

/* A new reference to an object member (T_OBJECT_EX semantics for NULL). */
static PyObject *
member(PyObject *value, const char *name)
{
    if (value == NULL) {
        PyErr_Format(PyExc_AttributeError, "attribute '%s' is not set", name);
        return NULL;
    }
    Py_INCREF(value);
    return value;
}

/* obj[i] as a new reference: lists and tuples directly, others by subscript. */
static PyObject *
item_get(PyObject *seq, Py_ssize_t i)
{
    PyObject *v;
    if (PyList_CheckExact(seq) && i < PyList_GET_SIZE(seq)) {
        v = PyList_GET_ITEM(seq, i);
        Py_INCREF(v);
        return v;
    }
    if (PyTuple_CheckExact(seq) && i < PyTuple_GET_SIZE(seq)) {
        v = PyTuple_GET_ITEM(seq, i);
        Py_INCREF(v);
        return v;
    }
    PyObject *index = PyLong_FromSsize_t(i);
    if (index == NULL)
        return NULL;
    v = PyObject_GetItem(seq, index);
    Py_DECREF(index);
    return v;
}

/* obj[i] = v (v borrowed). */
static int
item_set(PyObject *seq, Py_ssize_t i, PyObject *v)
{
    if (PyList_CheckExact(seq) && i < PyList_GET_SIZE(seq)) {
        Py_INCREF(v);
        return PyList_SetItem(seq, i, v); /* steals v, releases the old item */
    }
    PyObject *index = PyLong_FromSsize_t(i);
    if (index == NULL)
        return -1;
    int r = PyObject_SetItem(seq, index, v);
    Py_DECREF(index);
    return r;
}

/* *slot += n, as Python's `x += n` on an object attribute held in a C member. */
static int
member_iadd(PyObject **slot, const char *name, Py_ssize_t n)
{
    if (*slot == NULL) {
        PyErr_Format(PyExc_AttributeError, "attribute '%s' is not set", name);
        return -1;
    }
    PyObject *delta = PyLong_FromSsize_t(n);
    if (delta == NULL)
        return -1;
    PyObject *old = *slot;
    Py_INCREF(old);
    PyObject *sum = PyNumber_InPlaceAdd(old, delta);
    Py_DECREF(old);
    Py_DECREF(delta);
    if (sum == NULL)
        return -1;
    Py_XSETREF(*slot, sum);
    return 0;
}

/* obj.name += n */
static int
attr_iadd(PyObject *obj, PyObject *name, Py_ssize_t n)
{
    PyObject *old = PyObject_GetAttr(obj, name);
    if (old == NULL)
        return -1;
    PyObject *delta = PyLong_FromSsize_t(n);
    if (delta == NULL) {
        Py_DECREF(old);
        return -1;
    }
    PyObject *sum = PyNumber_InPlaceAdd(old, delta);
    Py_DECREF(old);
    Py_DECREF(delta);
    if (sum == NULL)
        return -1;
    int r = PyObject_SetAttr(obj, name, sum);
    Py_DECREF(sum);
    return r;
}

/* ------------------------------------------------------------------ */
/* A growing UTF-8 buffer                                              */

typedef struct {
    char *data;
    Py_ssize_t len, cap;
} Buf;

static int
buf_reserve(Buf *b, Py_ssize_t extra)
{
    if (extra <= b->cap - b->len)
        return 0;
    Py_ssize_t cap = b->cap ? b->cap : 1024;
    while (cap - b->len < extra) {
        if (cap > PY_SSIZE_T_MAX / 2) {
            PyErr_NoMemory();
            return -1;
        }
        cap *= 2;
    }
    char *data = PyMem_Realloc(b->data, cap);
    if (data == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    b->data = data;
    b->cap = cap;
    return 0;
}

static void
buf_free(Buf *b)
{
    PyMem_Free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

static int
buf_write(Buf *b, const char *s, Py_ssize_t n)
{
    if (buf_reserve(b, n) < 0)
        return -1;
    memcpy(b->data + b->len, s, n);
    b->len += n;
    return 0;
}

static int
buf_char(Buf *b, char c)
{
    if (buf_reserve(b, 1) < 0)
        return -1;
    b->data[b->len++] = c;
    return 0;
}

/* A str (or subclass) as UTF-8; lone surrogates pass through. */
static int
buf_str(Buf *b, PyObject *s)
{
    if (PyUnicode_READY(s) < 0)
        return -1;
    if (PyUnicode_IS_ASCII(s))
        return buf_write(b, (const char *)PyUnicode_DATA(s), PyUnicode_GET_LENGTH(s));
    PyObject *bytes = PyUnicode_AsEncodedString(s, "utf-8", "surrogatepass");
    if (bytes == NULL)
        return -1;
    int r = buf_write(b, PyBytes_AS_STRING(bytes), PyBytes_GET_SIZE(bytes));
    Py_DECREF(bytes);
    return r;
}

/* What f"{o}" gives: format(o, ""), written out. */
static int
buf_format(Buf *b, PyObject *o)
{
    if (PyUnicode_CheckExact(o))
        return buf_str(b, o);
    if (PyLong_CheckExact(o)) {
        int overflow;
        long long v = PyLong_AsLongLongAndOverflow(o, &overflow);
        if (v == -1 && PyErr_Occurred())
            return -1;
        if (!overflow) {
            char digits[24];
            int n = sizeof(digits);
            unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
            do {
                digits[--n] = (char)('0' + u % 10);
                u /= 10;
            } while (u);
            if (v < 0)
                digits[--n] = '-';
            return buf_write(b, digits + n, sizeof(digits) - n);
        }
    }
    PyObject *s = PyObject_Format(o, s_empty);
    if (s == NULL)
        return -1;
    int r = buf_str(b, s);
    Py_DECREF(s);
    return r;
}

static PyObject *
buf_text(Buf *b)
{
    return PyUnicode_DecodeUTF8(b->data ? b->data : "", b->len, "surrogatepass");
}

/* ------------------------------------------------------------------ */
/* Rollup                                                              */

/* The rollup's rows live in a compact table while every add brings exact
 * built-in types (date, str, int or None, an aware-or-naive datetime with a
 * C tzinfo, an int count): one probe of an open-addressed index, the row's
 * fields inline, the targets as (hash, str) pairs. The reference's dict of
 * tuples and lists cost several cache misses an add on a million-line log;
 * this costs about one. The table becomes the reference's dict, in the same
 * key and target order, whenever `rows` is read (lines(), merge, spill,
 * pickling) or an add brings anything else; adds then go to the dict, as
 * the reference does, until `rows` is set again. So at most one of the two
 * holds rows at any time.
 *
 * SourceDay.TARGETS_KEPT is read when the table takes its first row, not at
 * every add as the reference reads it. */

typedef struct {
    Py_hash_t hash;
    PyObject *ip;
} Target;

#define NO_PORT LLONG_MIN

/* Two cache lines: the first holds what finding the key and its times
 * reads, with copies of the date's and the times' bytes (one tzinfo for
 * the whole table) and the port's value, so the objects are not touched. */
typedef struct {
    Py_hash_t hash;
    long long port_value;
    PyObject *source, *protocol;
    unsigned char day_data[_PyDateTime_DATE_DATASIZE];
    int32_t ntargets;
    unsigned char first_data[_PyDateTime_DATETIME_DATASIZE], last_data[_PyDateTime_DATETIME_DATASIZE];
    int32_t cap; /* 0: the one target is inline */
    long long events;
    union {
        Target one;
        struct {
            Target *many;
            uint64_t bloom; /* a bit per target hash: most new targets need no scan */
        } set;
    } t;
    PyObject *day, *port, *first, *last; /* the key's and the times' objects, for rows and lines */
} __attribute__((aligned(64))) Entry;

_Static_assert(sizeof(Entry) == 128, "an entry is two cache lines");

/* A datetime's tzinfo, None when it has none (borrowed). */
static inline PyObject *
tzinfo_of(PyObject *t)
{
    return ((PyDateTime_DateTime *)t)->hastzinfo ? ((PyDateTime_DateTime *)t)->tzinfo : Py_None;
}

/* An entry's targets, in the order first seen. */
static inline const Target *
entry_targets(const Entry *e)
{
    return e->cap ? e->t.set.many : &e->t.one;
}

#define BLOOM_BIT(hash) ((uint64_t)1 << ((Py_uhash_t)(hash) >> 7 & 63))

typedef struct {
    PyObject_HEAD PyObject *rows;
    PyObject *targets; /* as set; targets_added more since */
    Py_ssize_t targets_added;
    PyObject *spills;
    Entry *entries; /* in the order keys were first added */
    Py_ssize_t n, alloc;
    int32_t *index; /* mask + 1 slots: an entry's position, or -1 */
    size_t mask;
    Py_ssize_t kept;
    PyObject *tz; /* the tzinfo (or None) of every time in the table */
    Py_ssize_t stamp; /* changes when the table is emptied or sorted: lines() then stops */
} RollupObject;

static PyTypeObject RollupType;
static PyTypeObject *g_timezone_type; /* datetime.timezone: its utcoffset runs no Python */

/* Room for n entries, each on its own two cache lines. */
static Entry *
entries_alloc(Py_ssize_t n)
{
    void *p = NULL;
    if (n > PY_SSIZE_T_MAX / (Py_ssize_t)sizeof(Entry) || posix_memalign(&p, 64, n * sizeof(Entry)) != 0) {
        PyErr_NoMemory();
        return NULL;
    }
    return p;
}

static void
compact_free(RollupObject *self)
{
    for (Py_ssize_t i = 0; i < self->n; i++) {
        Entry *e = &self->entries[i];
        Py_DECREF(e->day);
        Py_DECREF(e->source);
        Py_DECREF(e->protocol);
        Py_DECREF(e->port);
        Py_DECREF(e->first);
        Py_DECREF(e->last);
        if (e->cap) {
            for (Py_ssize_t j = 0; j < e->ntargets; j++)
                Py_DECREF(e->t.set.many[j].ip);
            PyMem_Free(e->t.set.many);
        }
        else
            Py_DECREF(e->t.one.ip);
    }
    free(self->entries);
    PyMem_Free(self->index);
    Py_CLEAR(self->tz);
    self->entries = NULL;
    self->index = NULL;
    self->n = self->alloc = 0;
    self->mask = 0;
    self->stamp++;
}

/* self.targets as the reference holds it: what was set plus what was added. */
static PyObject *
rollup_targets(RollupObject *self)
{
    if (self->targets == NULL) {
        PyErr_SetString(PyExc_AttributeError, "attribute 'targets' is not set");
        return NULL;
    }
    if (self->targets_added) {
        if (member_iadd(&self->targets, "targets", self->targets_added) < 0)
            return NULL;
        self->targets_added = 0;
    }
    Py_INCREF(self->targets);
    return self->targets;
}

/* The compact table into self.rows (an empty dict while the table has
 * rows), in the same order and shape as the reference's adds leave it. */
static int
compact_flush(RollupObject *self)
{
    if (self->n == 0)
        return 0;
    PyObject *rows = self->rows;
    for (Py_ssize_t i = 0; i < self->n; i++) {
        Entry *e = &self->entries[i];
        PyObject *key = PyTuple_Pack(4, e->day, e->source, e->protocol, e->port), *targets, *row;
        if (key == NULL)
            return -1;
        if (e->ntargets == 1) {
            targets = entry_targets(e)[0].ip;
            Py_INCREF(targets);
        }
        else {
            if ((targets = PyDict_New()) == NULL) {
                Py_DECREF(key);
                return -1;
            }
            for (Py_ssize_t j = 0; j < e->ntargets; j++)
                if (PyDict_SetItem(targets, entry_targets(e)[j].ip, Py_None) < 0) {
                    Py_DECREF(key);
                    Py_DECREF(targets);
                    return -1;
                }
        }
        row = PyList_New(4);
        PyObject *events = PyLong_FromLongLong(e->events);
        if (row == NULL || events == NULL) {
            Py_XDECREF(row);
            Py_XDECREF(events);
            Py_DECREF(key);
            Py_DECREF(targets);
            return -1;
        }
        PyList_SET_ITEM(row, 0, events);
        Py_INCREF(e->first);
        PyList_SET_ITEM(row, 1, e->first);
        Py_INCREF(e->last);
        PyList_SET_ITEM(row, 2, e->last);
        PyList_SET_ITEM(row, 3, targets);
        PyObject *there = PyDict_SetDefault(rows, key, row);
        Py_DECREF(key);
        Py_DECREF(row);
        if (there == NULL)
            return -1;
        if (there != row) {
            PyErr_SetString(PyExc_RuntimeError, "_Rollup.rows was changed outside the rollup while it took rows");
            return -1;
        }
    }
    compact_free(self);
    return 0;
}

/* The index rebuilt over the entries as they stand, with slots slots (a
 * power of two; the same number after a sort, twice as many to grow). */
static int
compact_reindex(RollupObject *self, size_t slots)
{
    int32_t *index = PyMem_Malloc(slots * sizeof(int32_t));
    if (index == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    for (size_t s = 0; s < slots; s++)
        index[s] = -1;
    for (Py_ssize_t i = 0; i < self->n; i++) {
        size_t s = (size_t)self->entries[i].hash & (slots - 1);
        while (index[s] >= 0)
            s = (s + 1) & (slots - 1);
        index[s] = (int32_t)i;
    }
    PyMem_Free(self->index);
    self->index = index;
    self->mask = slots - 1;
    return 0;
}

/* The tuple hash of CPython (xxHash rounds) over the key's item hashes. */
static Py_hash_t
key_hash(PyObject *day, PyObject *source, PyObject *protocol, PyObject *port)
{
    PyObject *items[4] = {day, source, protocol, port};
#if SIZEOF_PY_UHASH_T > 4
    const Py_uhash_t p1 = 11400714785074694791ULL, p2 = 14029467366897019727ULL, p5 = 2870177450012600261ULL;
#define XXROTATE(x) ((x << 31) | (x >> 33))
#else
    const Py_uhash_t p1 = 2654435761UL, p2 = 2246822519UL, p5 = 374761393UL;
#define XXROTATE(x) ((x << 13) | (x >> 19))
#endif
    Py_uhash_t acc = p5;
    for (int i = 0; i < 4; i++) {
        Py_hash_t h = PyObject_Hash(items[i]);
        if (h == -1)
            return -1;
        acc += (Py_uhash_t)h * p2;
        acc = XXROTATE(acc);
        acc *= p1;
    }
#undef XXROTATE
    acc += 4 ^ (p5 ^ 3527539UL);
    return acc == (Py_uhash_t)-1 ? 1546275796 : (Py_hash_t)acc;
}

/* a == b for the exact built-in types the table takes: runs no Python. */
static inline int
same(PyObject *a, PyObject *b)
{
    return a == b ? 1 : PyObject_RichCompareBool(a, b, Py_EQ);
}

/* Whether an add can go to the table: the arguments are of the exact types
 * it takes, and the table (or the empty dict before it) holds the rows. */
static inline int
compact_takes(RollupObject *self, PyObject *day, PyObject *source, PyObject *protocol, PyObject *port,
              PyObject *target, PyObject *t, PyObject *count)
{
    if (!(self->rows != NULL && PyDict_CheckExact(self->rows) && PyDict_GET_SIZE(self->rows) == 0))
        return 0;
    if (!(PyDate_CheckExact(day) && PyUnicode_CheckExact(source) && PyUnicode_CheckExact(protocol) &&
          (port == Py_None || PyLong_CheckExact(port)) && PyUnicode_CheckExact(target) && PyDateTime_CheckExact(t) &&
          PyLong_CheckExact(count)))
        return 0;
    PyObject *tz = tzinfo_of(t);
    if (self->n)
        return tz == self->tz;
    return tz == Py_None || Py_TYPE(tz) == g_timezone_type;
}

/* SourceDay.TARGETS_KEPT, or -1 with an error. */
static Py_ssize_t
targets_kept(void)
{
    PyObject *source_day = global(n_SourceDay), *kept;
    if (source_day == NULL)
        return -1;
    kept = PyObject_GetAttr(source_day, n_TARGETS_KEPT);
    Py_DECREF(source_day);
    if (kept == NULL)
        return -1;
    Py_ssize_t n = PyLong_Check(kept) ? PyLong_AsSsize_t(kept) : -2;
    Py_DECREF(kept);
    if (n == -1 && PyErr_Occurred())
        return -1;
    if (n < 0) {
        PyErr_SetString(PyExc_TypeError, "SourceDay.TARGETS_KEPT must be an int of 0 or more");
        return -1;
    }
    return n;
}

/* _Rollup.add into the table: 1 when taken, 0 when the reference path must
 * take it (the table was flushed to rows first), -1 on error. */
static int
compact_add(RollupObject *self, PyObject *day, PyObject *source, PyObject *protocol, PyObject *port, PyObject *target,
            PyObject *t, PyObject *count)
{
    int overflow, c;
    long long n = PyLong_AsLongLongAndOverflow(count, &overflow), port_value = NO_PORT;
    if (overflow)
        return compact_flush(self);
    if (port != Py_None) {
        port_value = PyLong_AsLongLongAndOverflow(port, &overflow);
        if (overflow || port_value == NO_PORT)
            return compact_flush(self);
    }
    const unsigned char *day_data = ((PyDateTime_Date *)day)->data, *t_data = ((PyDateTime_DateTime *)t)->data;
    Py_hash_t hash = key_hash(day, source, protocol, port);
    if (hash == -1)
        return -1;
    Py_hash_t th = PyObject_Hash(target);
    if (th == -1)
        return -1;
    if (self->n == 0) {
        if ((self->kept = targets_kept()) < 0)
            return -1;
        PyObject *tz = tzinfo_of(t);
        Py_INCREF(tz);
        Py_XSETREF(self->tz, tz);
    }
    size_t s = self->mask ? (size_t)hash & self->mask : 0;
    Entry *e = NULL;
    if (self->mask) {
        for (;; s = (s + 1) & self->mask) {
            int32_t i = self->index[s];
            if (i < 0)
                break;
            Entry *x = &self->entries[i];
            /* exact dates and ints are equal when their bytes and values are */
            if (x->hash != hash || x->port_value != port_value ||
                memcmp(x->day_data, day_data, _PyDateTime_DATE_DATASIZE) != 0)
                continue;
            if ((c = same(x->source, source)) > 0 && (c = same(x->protocol, protocol)) > 0) {
                e = x;
                break;
            }
            if (c < 0)
                return -1;
        }
    }
    if (e == NULL) {
        /* Most keys see one target: kept inline until a second comes. */
        if (self->n == INT32_MAX)
            return compact_flush(self);
        if (self->n == self->alloc) {
            Py_ssize_t alloc = self->alloc ? self->alloc * 2 : 512;
            Entry *entries = entries_alloc(alloc);
            if (entries == NULL)
                return -1;
            if (self->n)
                memcpy(entries, self->entries, self->n * sizeof(Entry));
            free(self->entries);
            self->entries = entries;
            self->alloc = alloc;
        }
        if ((size_t)(self->n + 1) * 2 > self->mask + 1 || self->mask == 0) {
            if (compact_reindex(self, self->mask ? (self->mask + 1) * 2 : 1024) < 0)
                return -1;
            for (s = (size_t)hash & self->mask; self->index[s] >= 0; s = (s + 1) & self->mask)
                ;
        }
        e = &self->entries[self->n];
        self->index[s] = (int32_t)self->n++;
        e->hash = hash;
        memcpy(e->day_data, day_data, _PyDateTime_DATE_DATASIZE);
        memcpy(e->first_data, t_data, _PyDateTime_DATETIME_DATASIZE);
        memcpy(e->last_data, t_data, _PyDateTime_DATETIME_DATASIZE);
        e->port_value = port_value;
        e->day = Py_NewRef(day);
        e->source = Py_NewRef(source);
        e->protocol = Py_NewRef(protocol);
        e->port = Py_NewRef(port);
        e->first = Py_NewRef(t);
        e->last = Py_NewRef(t);
        e->events = n;
        e->ntargets = 1;
        e->cap = 0;
        e->t.one.hash = th;
        e->t.one.ip = Py_NewRef(target);
        return 1;
    }
    long long sum;
    if (__builtin_add_overflow(e->events, n, &sum))
        return compact_flush(self);
    e->events = sum;
    /* as datetime compares two of one tzinfo: by their bytes */
    if (memcmp(t_data, e->first_data, _PyDateTime_DATETIME_DATASIZE) < 0) {
        memcpy(e->first_data, t_data, _PyDateTime_DATETIME_DATASIZE);
        Py_INCREF(t);
        Py_SETREF(e->first, t);
    }
    else if (memcmp(t_data, e->last_data, _PyDateTime_DATETIME_DATASIZE) > 0) {
        memcpy(e->last_data, t_data, _PyDateTime_DATETIME_DATASIZE);
        Py_INCREF(t);
        Py_SETREF(e->last, t);
    }
    if (e->cap == 0) { /* one target, inline */
        Target *only = &e->t.one;
        if (only->ip == target || (only->hash == th && (c = same(only->ip, target)) != 0))
            return c < 0 ? -1 : 1;
        Target *many = PyMem_Malloc(4 * sizeof(Target));
        if (many == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        many[0] = *only;
        e->t.set.many = many;
        e->t.set.bloom = BLOOM_BIT(many[0].hash);
        e->cap = 4;
        self->targets_added += 2;
    }
    else {
        if (e->ntargets >= self->kept)
            return 1;
        if (e->t.set.bloom & BLOOM_BIT(th))
            for (Py_ssize_t j = 0; j < e->ntargets; j++) {
                Target *have = &e->t.set.many[j];
                if (have->ip == target || (have->hash == th && (c = same(have->ip, target)) != 0))
                    return c < 0 ? -1 : 1;
            }
        if (e->ntargets == e->cap) {
            Target *many = PyMem_Realloc(e->t.set.many, e->cap * 2 * sizeof(Target));
            if (many == NULL) {
                PyErr_NoMemory();
                return -1;
            }
            e->t.set.many = many;
            e->cap *= 2;
        }
        self->targets_added += 1;
    }
    Py_INCREF(target);
    e->t.set.many[e->ntargets].hash = th;
    e->t.set.many[e->ntargets].ip = target;
    e->t.set.bloom |= BLOOM_BIT(th);
    e->ntargets++;
    return 1;
}

/* The table's objects are exact str, int, date and datetime with a C
 * tzinfo: none can reach back to the rollup, so they are not traversed. */
static int
Rollup_traverse(RollupObject *self, visitproc visit, void *arg)
{
    Py_VISIT(self->rows);
    Py_VISIT(self->targets);
    Py_VISIT(self->spills);
    return 0;
}

static int
Rollup_clear(RollupObject *self)
{
    compact_free(self);
    Py_CLEAR(self->rows);
    Py_CLEAR(self->targets);
    Py_CLEAR(self->spills);
    return 0;
}

static void
Rollup_dealloc(RollupObject *self)
{
    PyObject_GC_UnTrack(self);
    Rollup_clear(self);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *
Rollup_get_rows(RollupObject *self, void *Py_UNUSED(closure))
{
    if (compact_flush(self) < 0)
        return NULL;
    if (self->rows == NULL) {
        PyErr_SetString(PyExc_AttributeError, "attribute 'rows' is not set");
        return NULL;
    }
    Py_INCREF(self->rows);
    return self->rows;
}

static int
Rollup_set_rows(RollupObject *self, PyObject *value, void *Py_UNUSED(closure))
{
    compact_free(self);
    Py_XINCREF(value);
    Py_XSETREF(self->rows, value);
    return 0;
}

static PyObject *
Rollup_get_targets(RollupObject *self, void *Py_UNUSED(closure))
{
    return rollup_targets(self);
}

static int
Rollup_set_targets(RollupObject *self, PyObject *value, void *Py_UNUSED(closure))
{
    Py_XINCREF(value);
    Py_XSETREF(self->targets, value);
    self->targets_added = 0;
    return 0;
}

/* len(rollup): the keys held, in the table or in rows. */
static Py_ssize_t
Rollup_length(RollupObject *self)
{
    if (self->n)
        return self->n;
    if (self->rows == NULL) {
        PyErr_SetString(PyExc_AttributeError, "attribute 'rows' is not set");
        return -1;
    }
    return PyObject_Size(self->rows);
}

/* ---- sort() and port_totals() on the table; the reference's otherwise ---- */

/* self's method of the reference class (ingest_rows._PyRollup), called. */
static PyObject *
reference_method(RollupObject *self, const char *name)
{
    PyObject *cls = global(n__PyRollup), *result;
    if (cls == NULL)
        return NULL;
    PyObject *method = PyObject_GetAttrString(cls, name);
    Py_DECREF(cls);
    if (method == NULL)
        return NULL;
    result = PyObject_CallOneArg(method, (PyObject *)self);
    Py_DECREF(method);
    return result;
}

/* An address's bytes as inet_pton gives them (as socket.inet_pton reads
 * the str: IPv6 when it holds a colon): 4 or 16, or 0 when it refuses it. */
static int
address_bytes(PyObject *address, unsigned char *out)
{
    Py_ssize_t len;
    const char *text = PyUnicode_AsUTF8AndSize(address, &len);
    char copy[64];
    if (text == NULL) {
        PyErr_Clear();
        return 0;
    }
    if (len >= (Py_ssize_t)sizeof(copy) || memchr(text, '\0', (size_t)len) != NULL)
        return 0;
    memcpy(copy, text, (size_t)len);
    copy[len] = '\0';
    int v6 = memchr(text, ':', (size_t)len) != NULL;
    if (inet_pton(v6 ? AF_INET6 : AF_INET, copy, out) != 1)
        return 0;
    return v6 ? 16 : 4;
}

typedef struct {
    unsigned char *key;
    Py_ssize_t len, at;
} SortKey;

static int
sort_key_compare(const void *a, const void *b)
{
    const SortKey *x = a, *y = b;
    int c = memcmp(x->key, y->key, (size_t)(x->len < y->len ? x->len : y->len));
    if (c == 0)
        c = x->len < y->len ? -1 : x->len > y->len;
    if (c == 0) /* sorted() is stable */
        c = x->at < y->at ? -1 : x->at > y->at;
    return c;
}

/* key_order(item) of ingest_rows, written to out (room for 4 + 17 + the
 * protocol + 1 + 3 bytes): its length, or -1 when only the reference can
 * tell (it raises for an address inet_pton refuses, a protocol that does
 * not encode, a port out of range). The day goes as its bytes (year, month,
 * day), which order as the reference's ordinal does. */
static Py_ssize_t
entry_sort_key(const Entry *e, unsigned char *out)
{
    Py_ssize_t n = _PyDateTime_DATE_DATASIZE, len;
    const char *protocol;
    memcpy(out, e->day_data, _PyDateTime_DATE_DATASIZE);
    int size = address_bytes(e->source, out + n + 1);
    if (size == 0)
        return -1;
    out[n] = (unsigned char)(size == 16 ? 6 : 4);
    n += 1 + size;
    if ((protocol = PyUnicode_AsUTF8AndSize(e->protocol, &len)) == NULL) {
        PyErr_Clear();
        return -1;
    }
    memcpy(out + n, protocol, (size_t)len);
    n += len;
    out[n++] = '\0';
    long long port = e->port_value == NO_PORT ? 0 : e->port_value + 1;
    if (port < 0 || port >= 1 << 24)
        return -1;
    out[n++] = (unsigned char)(port >> 16);
    out[n++] = (unsigned char)(port >> 8);
    out[n++] = (unsigned char)port;
    return n;
}

static PyObject *
Rollup_sort(RollupObject *self, PyObject *Py_UNUSED(ignored))
{
    if (self->n == 0)
        return reference_method(self, "sort");
    SortKey *keys = PyMem_Malloc(self->n * sizeof(SortKey));
    Entry *sorted = entries_alloc(self->n);
    unsigned char *arena = NULL;
    Py_ssize_t room = 0, i;
    for (i = 0; i < self->n; i++)
        room += 4 + 17 + PyUnicode_GET_LENGTH(self->entries[i].protocol) * 4 + 4;
    if (keys == NULL || sorted == NULL || (arena = PyMem_Malloc(room)) == NULL) {
        PyMem_Free(keys);
        free(sorted);
        return sorted == NULL ? NULL : PyErr_NoMemory();
    }
    unsigned char *at = arena;
    for (i = 0; i < self->n; i++) {
        Py_ssize_t len = entry_sort_key(&self->entries[i], at);
        if (len < 0)
            break;
        keys[i].key = at;
        keys[i].len = len;
        keys[i].at = i;
        at += len;
    }
    if (i < self->n) { /* the reference sorts (or raises what it raises) */
        PyMem_Free(keys);
        free(sorted);
        PyMem_Free(arena);
        return reference_method(self, "sort");
    }
    qsort(keys, (size_t)self->n, sizeof(SortKey), sort_key_compare);
    for (i = 0; i < self->n; i++)
        sorted[i] = self->entries[keys[i].at];
    PyMem_Free(keys);
    PyMem_Free(arena);
    free(self->entries);
    self->entries = sorted;
    self->alloc = self->n;
    self->stamp++;
    if (compact_reindex(self, self->mask + 1) < 0)
        return NULL;
    Py_RETURN_NONE;
}

static PyObject *
Rollup_port_totals(RollupObject *self, PyObject *Py_UNUSED(ignored))
{
    if (self->n == 0)
        return reference_method(self, "port_totals");
    PyObject *totals = PyDict_New();
    if (totals == NULL)
        return NULL;
    for (Py_ssize_t i = 0; i < self->n; i++) {
        Entry *e = &self->entries[i];
        PyObject *port = e->port == Py_None ? s_minus_one : e->port;
        PyObject *key = PyTuple_Pack(3, e->day, e->protocol, port), *sum;
        if (key == NULL)
            goto fail;
        PyObject *have = PyDict_GetItemWithError(totals, key);
        if (have == NULL && PyErr_Occurred()) {
            Py_DECREF(key);
            goto fail;
        }
        PyObject *events = PyLong_FromLongLong(e->events);
        if (events == NULL) {
            Py_DECREF(key);
            goto fail;
        }
        if (have == NULL)
            sum = events;
        else {
            sum = PyNumber_Add(have, events);
            Py_DECREF(events);
        }
        if (sum == NULL || PyDict_SetItem(totals, key, sum) < 0) {
            Py_XDECREF(sum);
            Py_DECREF(key);
            goto fail;
        }
        Py_DECREF(sum);
        Py_DECREF(key);
    }
    return totals;
fail:
    Py_DECREF(totals);
    return NULL;
}

/* ---- lines() straight from the table ---- */

/* t.isoformat() for a datetime the table took: in C for no tzinfo and UTC
 * (every log's times are UTC by then), by the method otherwise. */
static int
buf_isoformat(Buf *b, PyObject *t, const unsigned char *d)
{
    PyObject *tz = tzinfo_of(t);
    if (tz != Py_None && tz != PyDateTime_TimeZone_UTC) {
        PyObject *text = PyObject_CallMethodNoArgs(t, n_isoformat);
        if (text == NULL)
            return -1;
        int r = buf_str(b, text);
        Py_DECREF(text);
        return r;
    }
    char out[40];
    int us = d[7] << 16 | d[8] << 8 | d[9];
    int n = snprintf(out, sizeof(out), "%04d-%02d-%02dT%02d:%02d:%02d", d[0] << 8 | d[1], d[2], d[3], d[4], d[5], d[6]);
    if (us)
        n += snprintf(out + n, sizeof(out) - n, ".%06d", us);
    if (tz != Py_None)
        n += snprintf(out + n, sizeof(out) - n, "+00:00");
    return buf_write(b, out, n);
}

/* The reference's line for entry e: f"{day}\t{source}\t{protocol}\t{port}\t
 * {events}\t{first}\t{last}\t{{{targets}}}\n" */
static PyObject *
entry_line(const Entry *e)
{
    Buf b = {NULL, 0, 0};
    char num[64];
    int n = snprintf(num, sizeof(num), "%04d-%02d-%02d\t", e->day_data[0] << 8 | e->day_data[1], e->day_data[2],
                     e->day_data[3]);
    if (buf_write(&b, num, n) < 0 || buf_str(&b, e->source) < 0 || buf_char(&b, '\t') < 0 ||
        buf_str(&b, e->protocol) < 0)
        goto fail;
    n = snprintf(num, sizeof(num), "\t%lld\t%lld\t", e->port_value == NO_PORT ? -1LL : e->port_value, e->events);
    if (buf_write(&b, num, n) < 0 || buf_isoformat(&b, e->first, e->first_data) < 0 || buf_char(&b, '\t') < 0 ||
        buf_isoformat(&b, e->last, e->last_data) < 0 || buf_write(&b, "\t{", 2) < 0)
        goto fail;
    const Target *targets = entry_targets(e);
    for (Py_ssize_t j = 0; j < e->ntargets; j++)
        if ((j && buf_char(&b, ',') < 0) || buf_str(&b, targets[j].ip) < 0)
            goto fail;
    if (buf_write(&b, "}\n", 2) < 0)
        goto fail;
    PyObject *text = buf_text(&b);
    buf_free(&b);
    return text;
fail:
    buf_free(&b);
    return NULL;
}

/* ---- the rows for incidents_source_day in COPY's binary format ---- */

/* COPY_SOURCE_DAY's columns: day, source_ip, protocol, target_port, events,
 * first_seen, last_seen, target_ips, reporter_id. PostgreSQL then parses
 * no text: half its time for the rollup COPY went to reading inet arrays
 * and time stamps. */
#define PG_EPOCH_DAYS 730120 /* date(2000, 1, 1).toordinal() */
#define PG_INET_OID 869

static inline long
ordinal(int y, int m, int d)
{
    static const int before[13] = {0, 0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334};
    long n = y - 1;
    long days = n * 365 + n / 4 - n / 100 + n / 400 + before[m] + d;
    if (m > 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        days++;
    return days;
}

static int
put_be(Buf *b, unsigned long long v, int bytes)
{
    unsigned char out[8];
    for (int i = bytes - 1; i >= 0; i--, v >>= 8)
        out[i] = (unsigned char)v;
    return buf_write(b, (const char *)out, bytes);
}

/* An int64 field: its length, then the value. */
static int
put_int8(Buf *b, long long v)
{
    return put_be(b, 8, 4) < 0 ? -1 : put_be(b, (unsigned long long)v, 8);
}

/* The microseconds since 2000-01-01 UTC of a UTC datetime's bytes. */
static long long
pg_time(const unsigned char *d)
{
    long days = ordinal(d[0] << 8 | d[1], d[2], d[3]) - PG_EPOCH_DAYS;
    long long seconds = (long long)days * 86400 + d[4] * 3600 + d[5] * 60 + d[6];
    return seconds * 1000000 + (d[7] << 16 | d[8] << 8 | d[9]);
}

/* An inet field (its length, then inet's binary form): 0, -1 when
 * inet_pton refuses the address (the text COPY is used then), -2 on error. */
static int
put_inet(Buf *b, PyObject *address)
{
    unsigned char out[4 + 16];
    int size = address_bytes(address, out + 4);
    if (size == 0)
        return -1;
    out[0] = size == 16 ? 3 : 2; /* PGSQL_AF_INET6, PGSQL_AF_INET */
    out[1] = (unsigned char)(size * 8);
    out[2] = 0; /* not cidr */
    out[3] = (unsigned char)size;
    if (put_be(b, (unsigned long long)(4 + size), 4) < 0)
        return -2;
    return buf_write(b, (const char *)out, 4 + size) < 0 ? -2 : 0;
}

/* One tuple; 0, -1 when the binary form cannot say it, -2 on error. */
static int
put_source_day(Buf *b, const Entry *e, long long reporter)
{
    Py_ssize_t len;
    const char *protocol = PyUnicode_AsUTF8AndSize(e->protocol, &len);
    int r;
    if (protocol == NULL) {
        PyErr_Clear();
        return -1;
    }
    if (e->port_value != NO_PORT && (e->port_value < INT32_MIN || e->port_value > INT32_MAX))
        return -1;
    long day = ordinal(e->day_data[0] << 8 | e->day_data[1], e->day_data[2], e->day_data[3]) - PG_EPOCH_DAYS;
    if (put_be(b, 9, 2) < 0 || put_be(b, 4, 4) < 0 || put_be(b, (unsigned long long)day, 4) < 0)
        return -2;
    if ((r = put_inet(b, e->source)) < 0)
        return r;
    if (put_be(b, (unsigned long long)len, 4) < 0 || buf_write(b, protocol, len) < 0 || put_be(b, 4, 4) < 0 ||
        put_be(b, (unsigned long long)(e->port_value == NO_PORT ? -1 : e->port_value), 4) < 0 ||
        put_int8(b, e->events) < 0 || put_int8(b, pg_time(e->first_data)) < 0 ||
        put_int8(b, pg_time(e->last_data)) < 0)
        return -2;
    /* inet[]: one dimension, no NULLs, of ntargets from 1; its length is filled in after */
    Py_ssize_t at = b->len;
    if (put_be(b, 0, 4) < 0 || put_be(b, 1, 4) < 0 || put_be(b, 0, 4) < 0 || put_be(b, PG_INET_OID, 4) < 0 ||
        put_be(b, (unsigned long long)e->ntargets, 4) < 0 || put_be(b, 1, 4) < 0)
        return -2;
    const Target *targets = entry_targets(e);
    for (Py_ssize_t j = 0; j < e->ntargets; j++)
        if ((r = put_inet(b, targets[j].ip)) < 0)
            return r;
    unsigned long long array = (unsigned long long)(b->len - at - 4);
    for (int i = 3; i >= 0; i--, array >>= 8)
        b->data[at + i] = (char)array;
    return put_int8(b, reporter) < 0 ? -2 : 0;
}

static PyObject *
Rollup_source_day_binary(RollupObject *self, PyObject *args)
{
    long long reporter;
    Py_ssize_t start, count;
    if (!PyArg_ParseTuple(args, "Lnn:source_day_binary", &reporter, &start, &count))
        return NULL;
    /* times go out as UTC microseconds: only a table of UTC times */
    if (self->n == 0 || self->tz != PyDateTime_TimeZone_UTC || start < 0 || start > self->n || count < 1)
        Py_RETURN_NONE;
    Py_ssize_t stop = start + count < self->n ? start + count : self->n;
    Buf b = {NULL, 0, 0};
    if (start == 0 && (buf_write(&b, "PGCOPY\n\377\r\n\0", 11) < 0 || put_be(&b, 0, 4) < 0 || put_be(&b, 0, 4) < 0))
        goto fail;
    for (Py_ssize_t i = start; i < stop; i++) {
        int r = put_source_day(&b, &self->entries[i], reporter);
        if (r == -1) {
            buf_free(&b);
            Py_RETURN_NONE;
        }
        if (r < 0)
            goto fail;
    }
    if (stop == self->n && put_be(&b, 0xFFFF, 2) < 0)
        goto fail;
    PyObject *chunk = PyBytes_FromStringAndSize(b.data ? b.data : "", b.len);
    buf_free(&b);
    return chunk;
fail:
    buf_free(&b);
    return NULL;
}

/* _Rollup.add; all arguments borrowed. */
static int
rollup_add(RollupObject *self, PyObject *day, PyObject *source, PyObject *protocol, PyObject *port, PyObject *target,
           PyObject *t, PyObject *count)
{
    int status = -1, c;
    PyObject *key = NULL, *rows = NULL, *row = NULL, *new_row = NULL, *item = NULL, *sum = NULL, *targets = NULL,
             *pair = NULL;

    if (compact_takes(self, day, source, protocol, port, target, t, count)) {
        int taken = compact_add(self, day, source, protocol, port, target, t, count);
        if (taken != 0)
            return taken < 0 ? -1 : 0;
    }
    else if (compact_flush(self) < 0)
        return -1;
    key = PyTuple_Pack(4, day, source, protocol, port);
    if (key == NULL)
        goto done;
    if ((rows = member(self->rows, "rows")) == NULL)
        goto done;
    if (PyDict_CheckExact(rows)) {
        row = PyDict_GetItemWithError(rows, key);
        if (row == NULL && PyErr_Occurred())
            goto done;
        Py_XINCREF(row);
    }
    else if ((row = PyObject_CallMethodOneArg(rows, n_get, key)) == NULL)
        goto done;
    if (row == NULL || row == Py_None) {
        /* Most keys see one target: keep it as a string until a second comes. */
        new_row = PyList_New(4);
        if (new_row == NULL)
            goto done;
        Py_INCREF(count);
        PyList_SET_ITEM(new_row, 0, count);
        Py_INCREF(t);
        PyList_SET_ITEM(new_row, 1, t);
        Py_INCREF(t);
        PyList_SET_ITEM(new_row, 2, t);
        Py_INCREF(target);
        PyList_SET_ITEM(new_row, 3, target);
        Py_SETREF(rows, member(self->rows, "rows"));
        if (rows == NULL || PyObject_SetItem(rows, key, new_row) < 0)
            goto done;
        status = 0;
        goto done;
    }
    /* row[0] += count */
    if ((item = item_get(row, 0)) == NULL)
        goto done;
    if ((sum = PyNumber_InPlaceAdd(item, count)) == NULL)
        goto done;
    if (item_set(row, 0, sum) < 0)
        goto done;
    Py_CLEAR(item);
    /* if t < row[1]: row[1] = t  elif t > row[2]: row[2] = t */
    if ((item = item_get(row, 1)) == NULL)
        goto done;
    c = PyObject_RichCompareBool(t, item, Py_LT);
    if (c < 0)
        goto done;
    Py_CLEAR(item);
    if (c) {
        if (item_set(row, 1, t) < 0)
            goto done;
    }
    else {
        if ((item = item_get(row, 2)) == NULL)
            goto done;
        c = PyObject_RichCompareBool(t, item, Py_GT);
        if (c < 0)
            goto done;
        Py_CLEAR(item);
        if (c && item_set(row, 2, t) < 0)
            goto done;
    }
    if ((targets = item_get(row, 3)) == NULL)
        goto done;
    if (PyUnicode_CheckExact(targets)) {
        c = PyObject_RichCompareBool(targets, target, Py_NE);
        if (c < 0)
            goto done;
        if (c) {
            if ((pair = PyDict_New()) == NULL)
                goto done;
            if (PyDict_SetItem(pair, targets, Py_None) < 0 || PyDict_SetItem(pair, target, Py_None) < 0)
                goto done;
            if (item_set(row, 3, pair) < 0)
                goto done;
            if (member_iadd(&self->targets, "targets", 2) < 0)
                goto done;
        }
        status = 0;
        goto done;
    }
    /* elif len(targets) < SourceDay.TARGETS_KEPT and target not in targets */
    Py_ssize_t n = PyObject_Size(targets), kept;
    if (n < 0 || (kept = targets_kept()) < 0)
        goto done;
    if (n < kept) {
        c = PySequence_Contains(targets, target);
        if (c < 0)
            goto done;
        if (!c) {
            if (PyObject_SetItem(targets, target, Py_None) < 0)
                goto done;
            if (member_iadd(&self->targets, "targets", 1) < 0)
                goto done;
        }
    }
    status = 0;
done:
    Py_XDECREF(key);
    Py_XDECREF(rows);
    Py_XDECREF(row);
    Py_XDECREF(new_row);
    Py_XDECREF(item);
    Py_XDECREF(sum);
    Py_XDECREF(targets);
    Py_XDECREF(pair);
    return status;
}

static PyObject *
Rollup_add(RollupObject *self, PyObject *args, PyObject *kwargs)
{
    static char *kwlist[] = {"day", "source", "protocol", "port", "target", "t", "count", NULL};
    PyObject *day, *source, *protocol, *port, *target, *t, *count;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OOOOOOO:add", kwlist, &day, &source, &protocol, &port, &target,
                                     &t, &count))
        return NULL;
    if (rollup_add(self, day, source, protocol, port, target, t, count) < 0)
        return NULL;
    Py_RETURN_NONE;
}

/* The iterator _Rollup.lines() returns: like the reference generator, it
 * reads self.rows when first advanced and refuses a dict that changed size. */
typedef struct {
    PyObject_HEAD PyObject *rollup; /* until the rows are taken; kept when they are the table's */
    PyObject *rows;
    Py_ssize_t pos, size, stamp;
    int finished, compact;
} LinesObject;

static PyTypeObject LinesType;

static int
Lines_traverse(LinesObject *self, visitproc visit, void *arg)
{
    Py_VISIT(self->rollup);
    Py_VISIT(self->rows);
    return 0;
}

static int
Lines_clear(LinesObject *self)
{
    Py_CLEAR(self->rollup);
    Py_CLEAR(self->rows);
    return 0;
}

static void
Lines_dealloc(LinesObject *self)
{
    PyObject_GC_UnTrack(self);
    Lines_clear(self);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *
Rollup_lines(RollupObject *self, PyObject *Py_UNUSED(ignored))
{
    LinesObject *it = PyObject_GC_New(LinesObject, &LinesType);
    if (it == NULL)
        return NULL;
    Py_INCREF(self);
    it->rollup = (PyObject *)self;
    it->rows = NULL;
    it->pos = it->size = it->stamp = 0;
    it->finished = it->compact = 0;
    PyObject_GC_Track(it);
    return (PyObject *)it;
}

/* Unpacks a 4-item sequence into new references, as `a, b, c, d = seq`. */
static int
unpack4(PyObject *seq, PyObject **out)
{
    PyObject *fast = PySequence_Fast(seq, "cannot unpack non-iterable object");
    if (fast == NULL)
        return -1;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(fast);
    if (n != 4) {
        if (n < 4)
            PyErr_Format(PyExc_ValueError, "not enough values to unpack (expected 4, got %zd)", n);
        else
            PyErr_SetString(PyExc_ValueError, "too many values to unpack (expected 4)");
        Py_DECREF(fast);
        return -1;
    }
    for (int i = 0; i < 4; i++) {
        out[i] = PySequence_Fast_GET_ITEM(fast, i);
        Py_INCREF(out[i]);
    }
    Py_DECREF(fast);
    return 0;
}

static PyObject *
Lines_next(LinesObject *self)
{
    PyObject *key = NULL, *value = NULL, *text = NULL, *joined = NULL, *first_iso = NULL, *last_iso = NULL,
             *first_s = NULL, *last_s = NULL;
    PyObject *k[4] = {NULL, NULL, NULL, NULL}, *v[4] = {NULL, NULL, NULL, NULL};
    Buf b = {NULL, 0, 0};

    if (self->finished)
        return NULL;
    if (!self->compact && self->rows == NULL && ((RollupObject *)self->rollup)->n) {
        RollupObject *rollup = (RollupObject *)self->rollup;
        self->compact = 1;
        self->size = rollup->n;
        self->stamp = rollup->stamp;
    }
    if (self->compact) {
        RollupObject *rollup = (RollupObject *)self->rollup;
        if (rollup->n != self->size || rollup->stamp != self->stamp) {
            PyErr_SetString(PyExc_RuntimeError, "dictionary changed size during iteration");
            goto fail;
        }
        if (self->pos == self->size) {
            self->finished = 1;
            Lines_clear(self);
            return NULL;
        }
        if ((text = entry_line(&rollup->entries[self->pos++])) == NULL)
            goto fail;
        goto done;
    }
    if (self->rows == NULL) {
        RollupObject *rollup = (RollupObject *)self->rollup;
        if (rollup->rows == NULL) {
            PyErr_SetString(PyExc_AttributeError, "attribute 'rows' is not set");
            goto fail;
        }
        if (!PyDict_Check(rollup->rows)) {
            PyErr_SetString(PyExc_TypeError, "_Rollup.rows must be a dict");
            goto fail;
        }
        self->rows = rollup->rows;
        Py_INCREF(self->rows);
        Py_CLEAR(self->rollup);
        self->size = PyDict_GET_SIZE(self->rows);
    }
    if (PyDict_GET_SIZE(self->rows) != self->size) {
        PyErr_SetString(PyExc_RuntimeError, "dictionary changed size during iteration");
        goto fail;
    }
    if (!PyDict_Next(self->rows, &self->pos, &key, &value)) {
        self->finished = 1;
        Lines_clear(self);
        return NULL;
    }
    Py_INCREF(key);
    Py_INCREF(value);
    if (unpack4(key, k) < 0 || unpack4(value, v) < 0)
        goto fail;
    /* k: day, source, protocol, port; v: events, first, last, targets */
    if (PyUnicode_CheckExact(v[3])) {
        joined = v[3];
        Py_INCREF(joined);
    }
    else if ((joined = PyUnicode_Join(s_comma, v[3])) == NULL)
        goto fail;
    if (k[3] == Py_None) {
        Py_INCREF(s_minus_one);
        Py_SETREF(k[3], s_minus_one);
    }
    if ((first_iso = PyObject_CallMethodNoArgs(v[1], n_isoformat)) == NULL)
        goto fail;
    if ((last_iso = PyObject_CallMethodNoArgs(v[2], n_isoformat)) == NULL)
        goto fail;
    if ((first_s = PyObject_Format(first_iso, s_empty)) == NULL)
        goto fail;
    if ((last_s = PyObject_Format(last_iso, s_empty)) == NULL)
        goto fail;
    if (buf_format(&b, k[0]) < 0 || buf_char(&b, '\t') < 0 || buf_format(&b, k[1]) < 0 || buf_char(&b, '\t') < 0 ||
        buf_format(&b, k[2]) < 0 || buf_char(&b, '\t') < 0 || buf_format(&b, k[3]) < 0 || buf_char(&b, '\t') < 0 ||
        buf_format(&b, v[0]) < 0 || buf_char(&b, '\t') < 0 || buf_str(&b, first_s) < 0 || buf_char(&b, '\t') < 0 ||
        buf_str(&b, last_s) < 0 || buf_write(&b, "\t{", 2) < 0 || buf_format(&b, joined) < 0 ||
        buf_write(&b, "}\n", 2) < 0)
        goto fail;
    text = buf_text(&b);
    if (text == NULL)
        goto fail;
    goto done;
fail:
    self->finished = 1;
    Lines_clear(self);
done:
    buf_free(&b);
    Py_XDECREF(key);
    Py_XDECREF(value);
    for (int i = 0; i < 4; i++) {
        Py_XDECREF(k[i]);
        Py_XDECREF(v[i]);
    }
    Py_XDECREF(joined);
    Py_XDECREF(first_iso);
    Py_XDECREF(last_iso);
    Py_XDECREF(first_s);
    Py_XDECREF(last_s);
    return text;
}

static PyMemberDef Rollup_members[] = {
    {"spills", T_OBJECT_EX, offsetof(RollupObject, spills), 0, "times spilled"}, {NULL}};

static PyGetSetDef Rollup_getset[] = {
    {"rows", (getter)Rollup_get_rows, (setter)Rollup_set_rows,
     "(day, source, protocol, port) -> [events, first, last, targets]", NULL},
    {"targets", (getter)Rollup_get_targets, (setter)Rollup_set_targets, "targets kept in dicts", NULL},
    {NULL}};

static PySequenceMethods Rollup_as_sequence = {.sq_length = (lenfunc)Rollup_length};

static PyMethodDef Rollup_methods[] = {
    {"add", (PyCFunction)(void (*)(void))Rollup_add, METH_VARARGS | METH_KEYWORDS,
     "add(day, source, protocol, port, target, t, count): _Rollup.add"},
    {"lines", (PyCFunction)Rollup_lines, METH_NOARGS, "The spill COPY lines: _Rollup.lines"},
    {"sort", (PyCFunction)Rollup_sort, METH_NOARGS, "_Rollup.sort"},
    {"port_totals", (PyCFunction)Rollup_port_totals, METH_NOARGS, "_Rollup.port_totals"},
    {"source_day_binary", (PyCFunction)Rollup_source_day_binary, METH_VARARGS,
     "source_day_binary(reporter_id, start, count): rows start..start+count of the table as binary COPY data\n"
     "for incidents_source_day (the header first, the trailer last), or None where only text can say them"},
    {NULL}};

static PyTypeObject RollupType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "incidents._rows.Rollup",
    .tp_basicsize = sizeof(RollupObject),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC,
    .tp_doc = "C base of _Rollup: add() and lines() (the reference is ingest_rows._PyRollup)",
    .tp_traverse = (traverseproc)Rollup_traverse,
    .tp_clear = (inquiry)Rollup_clear,
    .tp_dealloc = (destructor)Rollup_dealloc,
    .tp_new = PyType_GenericNew,
    .tp_members = Rollup_members,
    .tp_getset = Rollup_getset,
    .tp_as_sequence = &Rollup_as_sequence,
    .tp_methods = Rollup_methods,
};

static PyTypeObject LinesType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "incidents._rows.RollupLines",
    .tp_basicsize = sizeof(LinesObject),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    .tp_traverse = (traverseproc)Lines_traverse,
    .tp_clear = (inquiry)Lines_clear,
    .tp_dealloc = (destructor)Lines_dealloc,
    .tp_iter = PyObject_SelfIter,
    .tp_iternext = (iternextfunc)Lines_next,
};

/* ------------------------------------------------------------------ */
/* RowWriter                                                           */

typedef struct {
    PyObject_HEAD PyObject *prefix;
    PyObject *middle;
    PyObject *reason;
    PyObject *add_to_rollup;
    PyObject *seen;
    PyObject *filtered;
    PyObject *filtered_by;
    PyObject *stamps;
    /* The last stamps[t] found and the dict as it stood: a log's lines come
     * several to a second, and the parsers hand out one datetime a stamp.
     * Another dict, or the dict grown or shrunk, makes the next row look
     * its time up again; a dict emptied and refilled to the same size from
     * outside between two rows of one time is not seen (the row's text is
     * the same either way: a stamp is a function of its time). */
    PyObject *last_t, *last_stamp, *last_stamps;
    Py_ssize_t last_size;
} RowWriterObject;

static PyTypeObject RowWriterType;

static int
RowWriter_traverse(RowWriterObject *self, visitproc visit, void *arg)
{
    Py_VISIT(self->prefix);
    Py_VISIT(self->middle);
    Py_VISIT(self->reason);
    Py_VISIT(self->add_to_rollup);
    Py_VISIT(self->seen);
    Py_VISIT(self->filtered);
    Py_VISIT(self->filtered_by);
    Py_VISIT(self->stamps);
    Py_VISIT(self->last_t);
    Py_VISIT(self->last_stamp);
    Py_VISIT(self->last_stamps);
    return 0;
}

static int
RowWriter_clear(RowWriterObject *self)
{
    Py_CLEAR(self->prefix);
    Py_CLEAR(self->middle);
    Py_CLEAR(self->reason);
    Py_CLEAR(self->add_to_rollup);
    Py_CLEAR(self->seen);
    Py_CLEAR(self->filtered);
    Py_CLEAR(self->filtered_by);
    Py_CLEAR(self->stamps);
    Py_CLEAR(self->last_t);
    Py_CLEAR(self->last_stamp);
    Py_CLEAR(self->last_stamps);
    return 0;
}

static void
RowWriter_dealloc(RowWriterObject *self)
{
    PyObject_GC_UnTrack(self);
    RowWriter_clear(self);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

/* stamps[t]: (f"{prefix}{t.isoformat()}{middle}", t.date()), made on a miss. */
static PyObject *
writer_stamp(RowWriterObject *self, PyObject *t)
{
    PyObject *stamps = NULL, *stamp = NULL, *prefix = NULL, *iso = NULL, *middle = NULL, *parts[3] = {NULL, NULL, NULL},
             *text = NULL, *day = NULL;
    Buf b = {NULL, 0, 0};

    /* the same time as the row before, the same dict, not changed since */
    if (t == self->last_t && self->stamps == self->last_stamps && PyDict_CheckExact(self->stamps) &&
        PyDict_GET_SIZE(self->stamps) == self->last_size)
        return Py_NewRef(self->last_stamp);
    if ((stamps = member(self->stamps, "stamps")) == NULL)
        goto done;
    if (!PyDict_Check(stamps)) {
        PyErr_SetString(PyExc_TypeError, "_RowWriter.stamps must be a dict");
        goto done;
    }
    stamp = PyDict_GetItemWithError(stamps, t);
    if (stamp == NULL && PyErr_Occurred())
        goto done;
    if (stamp != NULL && stamp != Py_None) {
        Py_INCREF(stamp);
        goto remember;
    }
    stamp = NULL;
    if (PyDict_GET_SIZE(stamps) > STAMPS_KEPT)
        PyDict_Clear(stamps);
    if ((prefix = member(self->prefix, "prefix")) == NULL)
        goto done;
    if ((parts[0] = PyObject_Format(prefix, s_empty)) == NULL)
        goto done;
    if ((iso = PyObject_CallMethodNoArgs(t, n_isoformat)) == NULL)
        goto done;
    if ((parts[1] = PyObject_Format(iso, s_empty)) == NULL)
        goto done;
    if ((middle = member(self->middle, "middle")) == NULL)
        goto done;
    if ((parts[2] = PyObject_Format(middle, s_empty)) == NULL)
        goto done;
    for (int i = 0; i < 3; i++)
        if (buf_str(&b, parts[i]) < 0)
            goto done;
    if ((text = buf_text(&b)) == NULL)
        goto done;
    if ((day = PyObject_CallMethodNoArgs(t, n_date)) == NULL)
        goto done;
    if ((stamp = PyTuple_Pack(2, text, day)) == NULL)
        goto done;
    if (PyDict_SetItem(stamps, t, stamp) < 0)
        Py_CLEAR(stamp);
remember:
    if (stamp != NULL) {
        Py_XSETREF(self->last_t, Py_NewRef(t));
        Py_XSETREF(self->last_stamp, Py_NewRef(stamp));
        Py_XSETREF(self->last_stamps, Py_NewRef(stamps));
        self->last_size = PyDict_GET_SIZE(stamps);
    }
done:
    buf_free(&b);
    Py_XDECREF(stamps);
    Py_XDECREF(prefix);
    Py_XDECREF(iso);
    Py_XDECREF(middle);
    for (int i = 0; i < 3; i++)
        Py_XDECREF(parts[i]);
    Py_XDECREF(text);
    Py_XDECREF(day);
    return stamp;
}

/* What EventFilter.reason returns, by its own first steps: the source's
 * plan (a code, or per protocol the rules indexed by target and source
 * port), then the port look-ups. A new reference to the code (a str), or
 * NULL: with an error set when a step raised (as reason() would), without
 * one when Python must decide (a source not classified yet, rules that
 * need checking against the event, anything not shaped as expected). */
static PyObject *
filter_fast(PyObject *filter, PyObject *source, PyObject *protocol, PyObject *sp, PyObject *tp)
{
    PyObject *sources, *plan, *entry, *found, *code = NULL;

    if ((sources = PyObject_GetAttr(filter, n__sources)) == NULL)
        return NULL;
    if (!PyDict_CheckExact(sources)) {
        Py_DECREF(sources);
        return NULL;
    }
    plan = PyDict_GetItemWithError(sources, source);
    Py_XINCREF(plan);
    Py_DECREF(sources);
    if (plan == NULL)
        return NULL; /* a new source (reason() classifies and caches it), or an error */
    if (PyUnicode_CheckExact(plan))
        return plan;
    /* plan[protocol]: a _Plan builds a missing entry in __missing__. */
    entry = PyObject_GetItem(plan, protocol);
    Py_DECREF(plan);
    if (entry == NULL)
        return NULL;
    if (PyTuple_CheckExact(entry) && PyTuple_GET_SIZE(entry) == 3 && PyDict_CheckExact(PyTuple_GET_ITEM(entry, 0)) &&
        PyDict_CheckExact(PyTuple_GET_ITEM(entry, 1))) {
        found = PyDict_GetItemWithError(PyTuple_GET_ITEM(entry, 0), tp);
        if (found == NULL && !PyErr_Occurred()) {
            found = PyDict_GetItemWithError(PyTuple_GET_ITEM(entry, 1), sp);
            if (found == NULL && !PyErr_Occurred())
                found = PyTuple_GET_ITEM(entry, 2);
        }
        if (found != NULL && PyUnicode_CheckExact(found)) {
            code = found;
            Py_INCREF(code);
        }
    }
    Py_DECREF(entry);
    return code;
}

/* -1 on error, 0 for a line repeated within the window, 1 when written. */
static int
writer_row(RowWriterObject *self, PyObject *e, Buf *out)
{
    int status = -1, c;
    Py_ssize_t had, start = out->len;
    PyObject *t = NULL, *source = NULL, *target = NULL, *sp = NULL, *tp = NULL, *protocol = NULL, *seen = NULL,
             *key = NULL, *window = NULL, *stamp = NULL, *day = NULL, *reason_fn = NULL, *reason = NULL, *fkey = NULL,
             *filtered_by = NULL, *have = NULL, *count = NULL, *sum = NULL, *add = NULL, *result = NULL,
             *null = NULL, *head = NULL, *flags = NULL;

    if ((t = FIELD(e, time)) == NULL || (source = FIELD(e, source_ip)) == NULL ||
        (target = FIELD(e, target_ip)) == NULL || (sp = FIELD(e, source_port)) == NULL ||
        (tp = FIELD(e, target_port)) == NULL || (protocol = FIELD(e, protocol)) == NULL)
        goto done;
    if ((seen = member(self->seen, "seen")) == NULL)
        goto done;
    if (!PySet_Check(seen)) {
        PyErr_SetString(PyExc_TypeError, "_RowWriter.seen must be a set");
        goto done;
    }
    had = PySet_GET_SIZE(seen);
    /* One hash of the key: added, the set did not grow when the line is a repeat. */
    if ((key = PyTuple_Pack(6, t, source, sp, target, tp, protocol)) == NULL)
        goto done;
    if (PySet_Add(seen, key) < 0)
        goto done;
    if (PySet_GET_SIZE(seen) == had) {
        status = 0;
        goto done;
    }
    if ((window = global(n_DEDUPE_WINDOW)) == NULL)
        goto done;
    if (PyLong_CheckExact(window)) {
        int overflow;
        long long w = PyLong_AsLongLongAndOverflow(window, &overflow);
        if (w == -1 && PyErr_Occurred())
            goto done;
        c = overflow ? overflow < 0 : (long long)had >= w;
    }
    else {
        PyObject *size = PyLong_FromSsize_t(had);
        if (size == NULL)
            goto done;
        c = PyObject_RichCompareBool(size, window, Py_GE);
        Py_DECREF(size);
        if (c < 0)
            goto done;
    }
    if (c) {
        if (PySet_Clear(seen) < 0 || PySet_Add(seen, key) < 0)
            goto done;
    }
    if ((stamp = writer_stamp(self, t)) == NULL)
        goto done;
    if ((reason_fn = member(self->reason, "reason")) == NULL)
        goto done;
    if (g_filter_reason != NULL && PyMethod_Check(reason_fn) && PyMethod_GET_FUNCTION(reason_fn) == g_filter_reason) {
        reason = filter_fast(PyMethod_GET_SELF(reason_fn), source, protocol, sp, tp);
        if (reason == NULL && PyErr_Occurred())
            goto done;
    }
    if (reason == NULL && (reason = PyObject_CallOneArg(reason_fn, e)) == NULL)
        goto done;
    c = PyObject_IsTrue(reason);
    if (c < 0)
        goto done;
    if (c) {
        if (member_iadd(&self->filtered, "filtered", 1) < 0)
            goto done;
        if ((day = item_get(stamp, 1)) == NULL)
            goto done;
        if ((fkey = PyTuple_Pack(2, day, reason)) == NULL)
            goto done;
        /* self.filtered_by[key] = self.filtered_by.get(key, 0) + e.count */
        if ((filtered_by = member(self->filtered_by, "filtered_by")) == NULL)
            goto done;
        if (PyDict_CheckExact(filtered_by)) {
            have = PyDict_GetItemWithError(filtered_by, fkey);
            if (have == NULL && PyErr_Occurred())
                goto done;
            have = have ? have : s_zero;
            Py_INCREF(have);
        }
        else if ((have = PyObject_CallMethodObjArgs(filtered_by, n_get, fkey, s_zero, NULL)) == NULL)
            goto done;
        if ((count = FIELD(e, count)) == NULL)
            goto done;
        if ((sum = PyNumber_Add(have, count)) == NULL)
            goto done;
        Py_CLEAR(count);
        Py_SETREF(filtered_by, member(self->filtered_by, "filtered_by"));
        if (filtered_by == NULL || PyObject_SetItem(filtered_by, fkey, sum) < 0)
            goto done;
    }
    else {
        if ((add = member(self->add_to_rollup, "add_to_rollup")) == NULL)
            goto done;
        if (add != Py_None) {
            if ((day = item_get(stamp, 1)) == NULL)
                goto done;
            if ((count = FIELD(e, count)) == NULL)
                goto done;
            PyObject *bound = PyCFunction_Check(add) ? PyCFunction_GET_SELF(add) : NULL;
            if (bound != NULL && PyCFunction_GET_FUNCTION(add) == (PyCFunction)(void (*)(void))Rollup_add &&
                PyObject_TypeCheck(bound, &RollupType)) {
                /* the bound add of a Rollup: no call through Python; `add` holds the rollup */
                if (rollup_add((RollupObject *)bound, day, source, protocol, tp, target, t, count) < 0)
                    goto done;
            }
            else {
                PyObject *args[7] = {day, source, protocol, tp, target, t, count};
                if ((result = PyObject_Vectorcall(add, args, 7, NULL)) == NULL)
                    goto done;
            }
            Py_CLEAR(count);
        }
    }
    if (sp == Py_None) {
        if ((null = global(n_NULL)) == NULL)
            goto done;
        Py_SETREF(sp, null);
        null = NULL;
    }
    if (tp == Py_None) {
        if ((null = global(n_NULL)) == NULL)
            goto done;
        Py_SETREF(tp, null);
        null = NULL;
    }
    /* f"{stamp[0]}{source}\t{sp}\t{target}\t{tp}\t{protocol}\t{e.tcp_flags}\t{e.count}\t{reason}\n" */
    if ((head = item_get(stamp, 0)) == NULL)
        goto done;
    if (buf_format(out, head) < 0 || buf_format(out, source) < 0 || buf_char(out, '\t') < 0 ||
        buf_format(out, sp) < 0 || buf_char(out, '\t') < 0 || buf_format(out, target) < 0 ||
        buf_char(out, '\t') < 0 || buf_format(out, tp) < 0 || buf_char(out, '\t') < 0 ||
        buf_format(out, protocol) < 0 || buf_char(out, '\t') < 0)
        goto done;
    if ((flags = FIELD(e, tcp_flags)) == NULL || buf_format(out, flags) < 0 || buf_char(out, '\t') < 0)
        goto done;
    if ((count = FIELD(e, count)) == NULL || buf_format(out, count) < 0 || buf_char(out, '\t') < 0)
        goto done;
    if (buf_format(out, reason) < 0 || buf_char(out, '\n') < 0)
        goto done;
    status = 1;
done:
    if (status < 0)
        out->len = start;
    Py_XDECREF(t);
    Py_XDECREF(source);
    Py_XDECREF(target);
    Py_XDECREF(sp);
    Py_XDECREF(tp);
    Py_XDECREF(protocol);
    Py_XDECREF(seen);
    Py_XDECREF(key);
    Py_XDECREF(window);
    Py_XDECREF(stamp);
    Py_XDECREF(day);
    Py_XDECREF(reason_fn);
    Py_XDECREF(reason);
    Py_XDECREF(fkey);
    Py_XDECREF(filtered_by);
    Py_XDECREF(have);
    Py_XDECREF(count);
    Py_XDECREF(sum);
    Py_XDECREF(add);
    Py_XDECREF(result);
    Py_XDECREF(null);
    Py_XDECREF(head);
    Py_XDECREF(flags);
    return status;
}

static PyObject *
RowWriter_row(RowWriterObject *self, PyObject *e)
{
    Buf b = {NULL, 0, 0};
    PyObject *text = NULL;
    int r = writer_row(self, e, &b);
    if (r > 0)
        text = buf_text(&b);
    else if (r == 0) {
        text = Py_None;
        Py_INCREF(text);
    }
    buf_free(&b);
    return text;
}

static PyMemberDef RowWriter_members[] = {
    {"prefix", T_OBJECT_EX, offsetof(RowWriterObject, prefix), 0, NULL},
    {"middle", T_OBJECT_EX, offsetof(RowWriterObject, middle), 0, NULL},
    {"reason", T_OBJECT_EX, offsetof(RowWriterObject, reason), 0, NULL},
    {"add_to_rollup", T_OBJECT_EX, offsetof(RowWriterObject, add_to_rollup), 0, NULL},
    {"seen", T_OBJECT_EX, offsetof(RowWriterObject, seen), 0, NULL},
    {"filtered", T_OBJECT_EX, offsetof(RowWriterObject, filtered), 0, NULL},
    {"filtered_by", T_OBJECT_EX, offsetof(RowWriterObject, filtered_by), 0, NULL},
    {"stamps", T_OBJECT_EX, offsetof(RowWriterObject, stamps), 0, NULL},
    {NULL}};

static PyMethodDef RowWriter_methods[] = {
    {"row", (PyCFunction)RowWriter_row, METH_O, "row(e): the COPY text row of an event, or None: _RowWriter.row"},
    {NULL}};

static PyTypeObject RowWriterType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "incidents._rows.RowWriter",
    .tp_basicsize = sizeof(RowWriterObject),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC,
    .tp_doc = "C base of _RowWriter: row() (the reference is ingest_rows._PyRowWriter)",
    .tp_traverse = (traverseproc)RowWriter_traverse,
    .tp_clear = (inquiry)RowWriter_clear,
    .tp_dealloc = (destructor)RowWriter_dealloc,
    .tp_new = PyType_GenericNew,
    .tp_members = RowWriter_members,
    .tp_methods = RowWriter_methods,
};

/* ------------------------------------------------------------------ */
/* copy_text: a generator-like iterator                                */

typedef struct {
    PyObject_HEAD PyObject *results; /* the iterable, then its iterator */
    PyObject *writer, *counts, *rows_at_once;
    PyObject *row;           /* writer.row */
    RowWriterObject *fast;   /* writer, when row is RowWriter.row bound to it (borrowed: row holds it) */
    PyObject *first, *last, *placed;
    PyObject *parsed_type, *rejection_type;
    Py_ssize_t limit, lines, repeated, rows;
    Buf buf;
    int state; /* 0 not started, 1 running, 2 finished */
    int executing;
} CopyTextObject;

static PyTypeObject CopyTextType;

static int
CopyText_traverse(CopyTextObject *self, visitproc visit, void *arg)
{
    Py_VISIT(self->results);
    Py_VISIT(self->writer);
    Py_VISIT(self->counts);
    Py_VISIT(self->rows_at_once);
    Py_VISIT(self->row);
    Py_VISIT(self->first);
    Py_VISIT(self->last);
    Py_VISIT(self->placed);
    Py_VISIT(self->parsed_type);
    Py_VISIT(self->rejection_type);
    return 0;
}

static int
CopyText_clear(CopyTextObject *self)
{
    self->fast = NULL;
    Py_CLEAR(self->results);
    Py_CLEAR(self->writer);
    Py_CLEAR(self->counts);
    Py_CLEAR(self->rows_at_once);
    Py_CLEAR(self->row);
    Py_CLEAR(self->first);
    Py_CLEAR(self->last);
    Py_CLEAR(self->placed);
    Py_CLEAR(self->parsed_type);
    Py_CLEAR(self->rejection_type);
    return 0;
}

static void
copy_finish(CopyTextObject *self)
{
    self->state = 2;
    buf_free(&self->buf);
    CopyText_clear(self);
}

static void
CopyText_dealloc(CopyTextObject *self)
{
    PyObject_GC_UnTrack(self);
    copy_finish(self);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *
copy_text(PyObject *Py_UNUSED(module), PyObject *args, PyObject *kwargs)
{
    static char *kwlist[] = {"results", "writer", "counts", "rows_at_once", NULL};
    PyObject *results, *writer, *counts, *rows_at_once;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OOOO:copy_text", kwlist, &results, &writer, &counts,
                                     &rows_at_once))
        return NULL;
    CopyTextObject *self = PyObject_GC_New(CopyTextObject, &CopyTextType);
    if (self == NULL)
        return NULL;
    Py_INCREF(results);
    self->results = results;
    Py_INCREF(writer);
    self->writer = writer;
    Py_INCREF(counts);
    self->counts = counts;
    Py_INCREF(rows_at_once);
    self->rows_at_once = rows_at_once;
    self->row = self->first = self->last = self->placed = self->parsed_type = self->rejection_type = NULL;
    self->fast = NULL;
    self->limit = self->lines = self->repeated = self->rows = 0;
    self->buf.data = NULL;
    self->buf.len = self->buf.cap = 0;
    self->state = 0;
    self->executing = 0;
    PyObject_GC_Track(self);
    return (PyObject *)self;
}

static int
copy_start(CopyTextObject *self)
{
    PyObject *it;
    if ((self->first = PyObject_GetAttr(self->counts, n_first_time)) == NULL)
        return -1;
    if ((self->last = PyObject_GetAttr(self->counts, n_last_time)) == NULL)
        return -1;
    if ((self->row = PyObject_GetAttr(self->writer, n_row)) == NULL)
        return -1;
    if (PyCFunction_Check(self->row) &&
        PyCFunction_GET_FUNCTION(self->row) == (PyCFunction)(void (*)(void))RowWriter_row &&
        PyCFunction_GET_SELF(self->row) != NULL && PyObject_TypeCheck(PyCFunction_GET_SELF(self->row), &RowWriterType))
        self->fast = (RowWriterObject *)PyCFunction_GET_SELF(self->row);
    /* `len(buffer) >= rows_at_once`: an int here */
    int overflow;
    long long limit = PyLong_AsLongLongAndOverflow(self->rows_at_once, &overflow);
    if (limit == -1 && PyErr_Occurred())
        return -1;
    if (overflow > 0 || limit > PY_SSIZE_T_MAX)
        self->limit = PY_SSIZE_T_MAX;
    else if (overflow < 0 || limit < 0)
        self->limit = 0;
    else
        self->limit = (Py_ssize_t)limit;
    if ((it = PyObject_GetIter(self->results)) == NULL)
        return -1;
    Py_SETREF(self->results, it);
    if ((self->parsed_type = global(n_ParsedEvent)) == NULL)
        return -1;
    if ((self->rejection_type = global(n_Rejection)) == NULL)
        return -1;
    return 0;
}

/* counts.lines += lines; counts.repeated += repeated (both zeroed) */
static int
copy_flush_lines(CopyTextObject *self, int with_repeated)
{
    if (attr_iadd(self->counts, n_lines, self->lines) < 0)
        return -1;
    self->lines = 0;
    if (with_repeated) {
        if (attr_iadd(self->counts, n_repeated, self->repeated) < 0)
            return -1;
        self->repeated = 0;
    }
    return 0;
}

static int
copy_set_times(CopyTextObject *self)
{
    if (PyObject_SetAttr(self->counts, n_first_time, self->first) < 0)
        return -1;
    return PyObject_SetAttr(self->counts, n_last_time, self->last);
}

/* t against first and last, as copy_text does for a new stamp object. */
static int
copy_place(CopyTextObject *self, PyObject *t)
{
    int c;
    Py_INCREF(t);
    Py_XSETREF(self->placed, t);
    if (self->first == Py_None)
        c = 1;
    else if ((c = PyObject_RichCompareBool(t, self->first, Py_LT)) < 0)
        return -1;
    if (c) {
        Py_INCREF(t);
        Py_XSETREF(self->first, t);
    }
    if (self->last == Py_None)
        c = 1;
    else if ((c = PyObject_RichCompareBool(t, self->last, Py_GT)) < 0)
        return -1;
    if (c) {
        Py_INCREF(t);
        Py_XSETREF(self->last, t);
    }
    return 0;
}

/* The chunk so far as str; counts.staged += rows first, as the reference. */
static PyObject *
copy_chunk(CopyTextObject *self)
{
    if (attr_iadd(self->counts, n_staged, self->rows) < 0)
        return NULL;
    if (copy_set_times(self) < 0)
        return NULL;
    PyObject *text = buf_text(&self->buf);
    self->buf.len = 0;
    self->rows = 0;
    return text;
}

static PyObject *
CopyText_next(CopyTextObject *self)
{
    PyObject *result = NULL, *chunk = NULL;
    int r;

    if (self->state == 2)
        return NULL;
    if (self->executing) {
        PyErr_SetString(PyExc_ValueError, "generator already executing");
        return NULL;
    }
    self->executing = 1;
    if (self->state == 0) {
        self->state = 1;
        if (copy_start(self) < 0)
            goto finish;
    }
    for (;;) {
        result = PyIter_Next(self->results);
        if (result == NULL) {
            if (PyErr_Occurred())
                goto finish;
            break;
        }
        self->lines++;
        PyObject *kind = (PyObject *)Py_TYPE(result);
        if (kind == self->parsed_type) {
            if (self->fast != NULL)
                r = writer_row(self->fast, result, &self->buf);
            else {
                PyObject *text = PyObject_CallOneArg(self->row, result);
                if (text == NULL)
                    goto finish;
                if (text == Py_None)
                    r = 0;
                else if (!PyUnicode_Check(text)) {
                    PyErr_Format(PyExc_TypeError, "sequence item: expected str instance, %.80s found",
                                 Py_TYPE(text)->tp_name);
                    r = -1;
                }
                else
                    r = buf_str(&self->buf, text) < 0 ? -1 : 1;
                Py_DECREF(text);
            }
            if (r < 0)
                goto finish;
            if (r == 0) {
                self->repeated++;
                Py_CLEAR(result);
                continue;
            }
            self->rows++;
            PyObject *t = PyObject_GetAttr(result, n_time);
            if (t == NULL)
                goto finish;
            if (t != self->placed && copy_place(self, t) < 0) {
                Py_DECREF(t);
                goto finish;
            }
            Py_DECREF(t);
            Py_CLEAR(result);
            if (self->rows >= self->limit) {
                if (copy_flush_lines(self, 1) < 0)
                    goto finish;
                if ((chunk = copy_chunk(self)) == NULL)
                    goto finish;
                self->executing = 0;
                return chunk;
            }
        }
        else if (kind == self->rejection_type) {
            if (copy_flush_lines(self, 0) < 0)
                goto finish;
            PyObject *done = PyObject_CallMethodOneArg(self->counts, n_reject, result);
            if (done == NULL)
                goto finish;
            Py_DECREF(done);
            Py_CLEAR(result);
        }
        else {
            /* Skipped lines are counted by reason, in Python: they are not events, and
               the reasons are few. */
            PyObject *done = PyObject_CallMethodOneArg(self->counts, n_skip, result);
            if (done == NULL)
                goto finish;
            Py_DECREF(done);
            Py_CLEAR(result);
        }
    }
    /* the results are exhausted */
    if (copy_flush_lines(self, 1) < 0 || copy_set_times(self) < 0)
        goto finish;
    if (self->rows) {
        if (attr_iadd(self->counts, n_staged, self->rows) < 0)
            goto finish;
        chunk = buf_text(&self->buf);
    }
finish: /* the end of the results, or an error: the generator is over either way */
    Py_XDECREF(result);
    self->executing = 0;
    copy_finish(self);
    return chunk;
}

static PyObject *
CopyText_close(CopyTextObject *self, PyObject *Py_UNUSED(ignored))
{
    if (self->executing) {
        PyErr_SetString(PyExc_ValueError, "generator already executing");
        return NULL;
    }
    copy_finish(self);
    Py_RETURN_NONE;
}

static PyMethodDef CopyText_methods[] = {
    {"close", (PyCFunction)CopyText_close, METH_NOARGS, "Stop, as generator.close()"}, {NULL}};

static PyTypeObject CopyTextType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "incidents._rows.CopyText",
    .tp_basicsize = sizeof(CopyTextObject),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    .tp_traverse = (traverseproc)CopyText_traverse,
    .tp_clear = (inquiry)CopyText_clear,
    .tp_dealloc = (destructor)CopyText_dealloc,
    .tp_iter = PyObject_SelfIter,
    .tp_iternext = (iternextfunc)CopyText_next,
    .tp_methods = CopyText_methods,
};

/* ------------------------------------------------------------------ */
/* Module                                                              */

/* The slot of ParsedEvent's field name: its offset, or 0 where it is not a
 * plain object slot (getattr then reads it). */
static Py_ssize_t
slot_offset(PyTypeObject *type, PyObject *name)
{
    PyObject *descr = PyObject_GetAttr((PyObject *)type, name);
    Py_ssize_t offset = 0;
    if (descr == NULL) {
        PyErr_Clear();
        return 0;
    }
    if (Py_IS_TYPE(descr, &PyMemberDescr_Type)) {
        PyMemberDef *m = ((PyMemberDescrObject *)descr)->d_member;
        if (m->type == T_OBJECT_EX && m->offset > 0 && m->offset + (Py_ssize_t)sizeof(PyObject *) <= type->tp_basicsize)
            offset = m->offset;
    }
    Py_DECREF(descr);
    return offset;
}

/* Where an exact ParsedEvent's fields lie (event: borrowed, or NULL). */
static int
bind_event(PyObject *event)
{
    if (event == NULL && PyErr_Occurred())
        return -1;
    Py_CLEAR(g_event_type);
    off_time = off_source_ip = off_target_ip = off_source_port = off_target_port = off_protocol = off_tcp_flags =
        off_count = 0;
    if (event == NULL || !PyType_Check(event))
        return 0;
    PyTypeObject *type = (PyTypeObject *)event;
    off_time = slot_offset(type, n_time);
    off_source_ip = slot_offset(type, n_source_ip);
    off_target_ip = slot_offset(type, n_target_ip);
    off_source_port = slot_offset(type, n_source_port);
    off_target_port = slot_offset(type, n_target_port);
    off_protocol = slot_offset(type, n_protocol);
    off_tcp_flags = slot_offset(type, n_tcp_flags);
    off_count = slot_offset(type, n_count);
    g_event_type = (PyTypeObject *)Py_NewRef(event);
    return 0;
}

static PyObject *
module_bind(PyObject *Py_UNUSED(module), PyObject *globals)
{
    if (!PyDict_Check(globals)) {
        PyErr_SetString(PyExc_TypeError, "bind() takes the globals() of incidents.ingest_rows");
        return NULL;
    }
    Py_INCREF(globals);
    Py_XSETREF(g_globals, globals);
    if (bind_event(PyDict_GetItemWithError(globals, n_ParsedEvent)) < 0)
        return NULL;
    PyObject *event_filter = PyDict_GetItemWithError(globals, n_EventFilter);
    if (event_filter == NULL) {
        if (PyErr_Occurred())
            return NULL;
        Py_CLEAR(g_filter_reason);
    }
    else {
        PyObject *reason = PyObject_GetAttr(event_filter, n_reason);
        if (reason == NULL)
            return NULL;
        Py_XSETREF(g_filter_reason, reason);
    }
    Py_RETURN_NONE;
}

static PyMethodDef module_methods[] = {
    {"copy_text", (PyCFunction)(void (*)(void))copy_text, METH_VARARGS | METH_KEYWORDS,
     "copy_text(results, writer, counts, rows_at_once): ingest_rows.copy_text"},
    {"bind", (PyCFunction)module_bind, METH_O, "bind(globals): the ingest_rows globals read as the reference reads them"},
    {NULL}};

static struct PyModuleDef rows_module = {
    PyModuleDef_HEAD_INIT, "incidents._rows", "The ingest row hot path in C (see incidents/ingest_rows.py).", -1,
    module_methods,
};

#define INTERN(var, text)                                   \
    if ((var = PyUnicode_InternFromString(text)) == NULL) \
        return NULL;

PyMODINIT_FUNC
PyInit__rows(void)
{
    INTERN(s_empty, "");
    INTERN(s_comma, ",");
    INTERN(n_time, "time");
    INTERN(n_source_ip, "source_ip");
    INTERN(n_target_ip, "target_ip");
    INTERN(n_source_port, "source_port");
    INTERN(n_target_port, "target_port");
    INTERN(n_protocol, "protocol");
    INTERN(n_tcp_flags, "tcp_flags");
    INTERN(n_count, "count");
    INTERN(n_isoformat, "isoformat");
    INTERN(n_date, "date");
    INTERN(n_get, "get");
    INTERN(n_DEDUPE_WINDOW, "DEDUPE_WINDOW");
    INTERN(n_NULL, "NULL");
    INTERN(n_SourceDay, "SourceDay");
    INTERN(n_TARGETS_KEPT, "TARGETS_KEPT");
    INTERN(n_ParsedEvent, "ParsedEvent");
    INTERN(n_Rejection, "Rejection");
    INTERN(n_lines, "lines");
    INTERN(n_repeated, "repeated");
    INTERN(n_staged, "staged");
    INTERN(n_skip, "skip");
    INTERN(n_first_time, "first_time");
    INTERN(n_last_time, "last_time");
    INTERN(n_reject, "reject");
    INTERN(n_row, "row");
    INTERN(n__sources, "_sources");
    INTERN(n_EventFilter, "EventFilter");
    INTERN(n_reason, "reason");
    INTERN(n__PyRollup, "_PyRollup");
    if ((s_minus_one = PyLong_FromLong(-1)) == NULL || (s_one = PyLong_FromLong(1)) == NULL ||
        (s_zero = PyLong_FromLong(0)) == NULL)
        return NULL;
    PyDateTime_IMPORT;
    if (PyDateTimeAPI == NULL)
        return NULL;
    g_timezone_type = Py_TYPE(PyDateTime_TimeZone_UTC);
    if (PyType_Ready(&RollupType) < 0 || PyType_Ready(&LinesType) < 0 || PyType_Ready(&RowWriterType) < 0 ||
        PyType_Ready(&CopyTextType) < 0)
        return NULL;
    PyObject *m = PyModule_Create(&rows_module);
    if (m == NULL)
        return NULL;
    if (PyModule_AddType(m, &RollupType) < 0 || PyModule_AddType(m, &RowWriterType) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
