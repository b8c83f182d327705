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
 * Reference counting rule used throughout: a borrowed reference is only
 * kept across a call that may run Python code after Py_INCREF; every
 * function has one exit path that releases what it holds.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <structmember.h>

/* ------------------------------------------------------------------ */
/* Module-wide constants and the reference module's globals           */

static PyObject *g_globals; /* ingest_rows.__dict__, set by bind() */
static PyObject *s_empty, *s_comma, *s_minus_one, *s_one, *s_zero;
static PyObject *n_time, *n_source_ip, *n_target_ip, *n_source_port, *n_target_port, *n_protocol, *n_tcp_flags,
    *n_count, *n_isoformat, *n_date, *n_get, *n_DEDUPE_WINDOW, *n_NULL, *n_SourceDay, *n_TARGETS_KEPT, *n_ParsedEvent,
    *n_Rejection, *n_lines, *n_repeated, *n_staged, *n_skipped, *n_first_time, *n_last_time, *n_reject, *n_row;

#define STAMPS_KEPT 100000 /* the literal 100_000 of _RowWriter.row */

/* EventFilter.reason, the function, once bind() has seen EventFilter in the
 * globals: a writer whose reason is that method bound to a filter takes the
 * filter's common steps here (filter_fast) and asks Python only when they
 * do not settle the event. */
static PyObject *g_filter_reason;
static PyObject *n__sources, *n_EventFilter, *n_reason;

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

typedef struct {
    PyObject_HEAD PyObject *rows;
    PyObject *targets;
    PyObject *spills;
} RollupObject;

static PyTypeObject RollupType;

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

/* _Rollup.add; all arguments borrowed. */
static int
rollup_add(RollupObject *self, PyObject *day, PyObject *source, PyObject *protocol, PyObject *port, PyObject *target,
           PyObject *t, PyObject *count)
{
    int status = -1, c;
    PyObject *key = NULL, *rows = NULL, *row = NULL, *new_row = NULL, *item = NULL, *sum = NULL, *targets = NULL,
             *pair = NULL, *source_day = NULL, *kept = NULL, *size = NULL;

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
    Py_ssize_t n = PyObject_Size(targets);
    if (n < 0)
        goto done;
    if ((size = PyLong_FromSsize_t(n)) == NULL)
        goto done;
    if ((source_day = global(n_SourceDay)) == NULL)
        goto done;
    if ((kept = PyObject_GetAttr(source_day, n_TARGETS_KEPT)) == NULL)
        goto done;
    c = PyObject_RichCompareBool(size, kept, Py_LT);
    if (c < 0)
        goto done;
    if (c) {
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
    Py_XDECREF(source_day);
    Py_XDECREF(kept);
    Py_XDECREF(size);
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
    PyObject_HEAD PyObject *rollup; /* until the rows are taken */
    PyObject *rows;
    Py_ssize_t pos, size;
    int finished;
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
    it->pos = it->size = 0;
    it->finished = 0;
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
    {"rows", T_OBJECT_EX, offsetof(RollupObject, rows), 0, "(day, source, protocol, port) -> [events, first, last, targets]"},
    {"targets", T_OBJECT_EX, offsetof(RollupObject, targets), 0, "targets kept in dicts"},
    {"spills", T_OBJECT_EX, offsetof(RollupObject, spills), 0, "times spilled"},
    {NULL}};

static PyMethodDef Rollup_methods[] = {
    {"add", (PyCFunction)(void (*)(void))Rollup_add, METH_VARARGS | METH_KEYWORDS,
     "add(day, source, protocol, port, target, t, count): _Rollup.add"},
    {"lines", (PyCFunction)Rollup_lines, METH_NOARGS, "The spill COPY lines: _Rollup.lines"},
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
        goto done;
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

    if ((t = PyObject_GetAttr(e, n_time)) == NULL || (source = PyObject_GetAttr(e, n_source_ip)) == NULL ||
        (target = PyObject_GetAttr(e, n_target_ip)) == NULL || (sp = PyObject_GetAttr(e, n_source_port)) == NULL ||
        (tp = PyObject_GetAttr(e, n_target_port)) == NULL || (protocol = PyObject_GetAttr(e, n_protocol)) == NULL)
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
        if ((count = PyObject_GetAttr(e, n_count)) == NULL)
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
            if ((count = PyObject_GetAttr(e, n_count)) == NULL)
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
    if ((flags = PyObject_GetAttr(e, n_tcp_flags)) == NULL || buf_format(out, flags) < 0 || buf_char(out, '\t') < 0)
        goto done;
    if ((count = PyObject_GetAttr(e, n_count)) == NULL || buf_format(out, count) < 0 || buf_char(out, '\t') < 0)
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
            Py_CLEAR(result);
            if (attr_iadd(self->counts, n_skipped, 1) < 0)
                goto finish;
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

static PyObject *
bind(PyObject *Py_UNUSED(module), PyObject *globals)
{
    if (!PyDict_Check(globals)) {
        PyErr_SetString(PyExc_TypeError, "bind() takes the globals() of incidents.ingest_rows");
        return NULL;
    }
    Py_INCREF(globals);
    Py_XSETREF(g_globals, globals);
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
    {"bind", (PyCFunction)bind, METH_O, "bind(globals): the ingest_rows globals read as the reference reads them"},
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
    INTERN(n_skipped, "skipped");
    INTERN(n_first_time, "first_time");
    INTERN(n_last_time, "last_time");
    INTERN(n_reject, "reject");
    INTERN(n_row, "row");
    INTERN(n__sources, "_sources");
    INTERN(n_EventFilter, "EventFilter");
    INTERN(n_reason, "reason");
    if ((s_minus_one = PyLong_FromLong(-1)) == NULL || (s_one = PyLong_FromLong(1)) == NULL ||
        (s_zero = PyLong_FromLong(0)) == NULL)
        return NULL;
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
