/* incidents._iptables: the common lines of IptablesParser._parse_python in C.
 *
 * The Python in incidents/parsers/iptables.py is the reference. scan() reads
 * lines of a batch from an index on and stops at the first line it cannot
 * settle exactly as _parse_python would; the Python then reads that one
 * line (with the same state) and calls scan() again for the rest. So a
 * line goes through C only where the result is provably the same:
 *
 * - match() recognises the lines _FAST matches, group for group, but only
 *   where every quantifier of the regex is forced (each group is the
 *   longest run of its class followed by a fixed literal, see the comments
 *   there); anything it is unsure of (non-ASCII, an odd host name, no ports
 *   or ICMP type) goes to the Python, which decides;
 * - what the Python computes by calling Python (the prefix verdict, the time
 *   of a stamp, protocol_name and _flags) the C computes by calling the same
 *   functions (bound in the _FastState when the parse starts) and keeps in
 *   the same caches (blocking, skips, kinds, targets) or its own (stamps,
 *   sources), whose values are pure functions of their keys;
 * - addresses are checked by the same glibc inet_pton that socket.inet_pton
 *   calls; ports and ICMP type/code must be within the Python's bounds;
 * - an exception in any of this stops the scan at that line (it is
 *   cleared): the Python reads the line again and catches or raises it
 *   where the reference does. Every cache step is idempotent, so the line
 *   read twice gives the same state.
 *
 * Within one scan() call the last drop-rule prefix and the last protocol
 * and flag words are remembered with what they gave: blocking and kinds
 * only grow, so a line that repeats them changes nothing the reference
 * would. Target ports are made once each and kept, as small ints are.
 *
 * ParsedEvent instances are allocated with tp_alloc and their slots filled
 * directly (bind() finds the slot offsets from the member descriptors):
 * the same object the dataclass __init__ would build, a third of the cost.
 *
 * Reference counting: every function has one exit path that releases what
 * it holds; borrowed references from dicts are Py_INCREF'd before any call
 * that may run Python code.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <structmember.h>

#include <arpa/inet.h>
#include <string.h>

#define KEPT 100000 /* the literal 100_000 of the interning caches */
#define NFIELDS 9   /* lineno, time, source_ip, target_ip, protocol, source_port, target_port, tcp_flags, count */

static PyTypeObject *g_event;
static Py_ssize_t g_offset[NFIELDS];
static PyObject *s_tcp, *s_empty;

/* ------------------------------------------------------------------ */
/* The _FAST regex, where it is deterministic                          */

typedef struct {
    Py_ssize_t a, b; /* [a, b); a < 0: the group did not take part */
} span;

typedef struct {
    span stamp, iso, off, prefix, src, dst, proto, spt, dpt, flags, itype, icode;
    int ports; /* 1: SPT/DPT, 0: TYPE/CODE */
} groups;

#define AT(i) ((i) < n ? s[i] : 0) /* 0 is in none of the classes tested through AT */
#define DIGIT(c) ((c) >= '0' && (c) <= '9')
#define UPPER(c) ((c) >= 'A' && (c) <= 'Z')
#define LOWER(c) ((c) >= 'a' && (c) <= 'z')
#define WORD(c) (DIGIT(c) || UPPER(c) || LOWER(c) || (c) == '_') /* \w under re.ASCII */

static int
lit(const unsigned char *s, Py_ssize_t n, Py_ssize_t i, const char *text, Py_ssize_t len)
{
    return i >= 0 && i + len <= n && memcmp(s + i, text, (size_t)len) == 0;
}

/* The end of the run of digits from i (i itself when there is none). */
static Py_ssize_t
digits(const unsigned char *s, Py_ssize_t n, Py_ssize_t i)
{
    while (i < n && DIGIT(s[i]))
        i++;
    return i;
}

/* The first position of c at or after i, or -1. */
static Py_ssize_t
find(const unsigned char *s, Py_ssize_t n, Py_ssize_t i, unsigned char c)
{
    const unsigned char *p = i < n ? memchr(s + i, c, (size_t)(n - i)) : NULL;
    return p == NULL ? -1 : p - s;
}

/* 1 with the groups _FAST.match(line) has, 0 where the Python decides (no
 * match, no ports and no ICMP type, or a shape this does not read). */
static int
match(const unsigned char *s, Py_ssize_t n, groups *g)
{
    Py_ssize_t i, j, k, e;
    span none = {-1, -1};
    g->stamp = g->iso = g->off = g->flags = g->spt = g->dpt = g->itype = g->icode = none;
    /* [A-Z][a-z][a-z] [ \d]\d \d\d:\d\d:\d\d  or  \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d (the first letter decides) */
    if (UPPER(AT(0)) && LOWER(AT(1)) && LOWER(AT(2)) && AT(3) == ' ' && (AT(4) == ' ' || DIGIT(AT(4))) &&
        DIGIT(AT(5)) && AT(6) == ' ' && DIGIT(AT(7)) && DIGIT(AT(8)) && AT(9) == ':' && DIGIT(AT(10)) &&
        DIGIT(AT(11)) && AT(12) == ':' && DIGIT(AT(13)) && DIGIT(AT(14))) {
        g->stamp.a = 0, g->stamp.b = i = 15;
    }
    else if (DIGIT(AT(0)) && DIGIT(AT(1)) && DIGIT(AT(2)) && DIGIT(AT(3)) && AT(4) == '-' && DIGIT(AT(5)) &&
             DIGIT(AT(6)) && AT(7) == '-' && DIGIT(AT(8)) && DIGIT(AT(9)) && AT(10) == 'T' && DIGIT(AT(11)) &&
             DIGIT(AT(12)) && AT(13) == ':' && DIGIT(AT(14)) && DIGIT(AT(15)) && AT(16) == ':' && DIGIT(AT(17)) &&
             DIGIT(AT(18))) {
        g->iso.a = 0, g->iso.b = i = 19;
    }
    else
        return 0;
    /* (?:\.\d+|) then a space: the digits all, or no match */
    if (AT(i) == '.') {
        if (!DIGIT(AT(i + 1)))
            return 0;
        i = digits(s, n, i + 1);
    }
    /* (Z|[+-]\d\d:?\d\d|) then a space */
    if (g->iso.a == 0) {
        if (AT(i) == 'Z')
            g->off.a = i, g->off.b = i + 1;
        else if (AT(i) == '+' || AT(i) == '-') {
            if (!DIGIT(AT(i + 1)) || !DIGIT(AT(i + 2)))
                return 0;
            if (AT(i + 3) == ':' && DIGIT(AT(i + 4)) && DIGIT(AT(i + 5)))
                g->off.a = i, g->off.b = i + 6;
            else if (DIGIT(AT(i + 3)) && DIGIT(AT(i + 4)))
                g->off.a = i, g->off.b = i + 5;
            else
                return 0;
        }
        if (g->off.a >= 0)
            i = g->off.b;
    }
    /* " \S+ kernel: ": \S+ stops at the first space; read here only when
     * it is all printable ASCII (other \S characters go to the Python) */
    if (AT(i) != ' ')
        return 0;
    j = ++i;
    while (i < n && s[i] > ' ' && s[i] < 0x7f)
        i++;
    if (i == j || !lit(s, n, i, " kernel: ", 9))
        return 0;
    i += 9;
    /* (?:\[[ \d.]+\] |): taken when it matches; when it does not, or the
     * rest fails after it, the rest is read from the same first '=' and
     * fails alike */
    if (AT(i) == '[') {
        j = i + 1;
        while (AT(j) == ' ' || AT(j) == '.' || DIGIT(AT(j)))
            j++;
        if (j > i + 1 && AT(j) == ']' && AT(j + 1) == ' ')
            i = j + 2;
    }
    /* ([^=]*)IN=: the prefix ends two before the first '=' */
    if ((e = find(s, n, i, '=')) < 0 || e - 2 < i || s[e - 2] != 'I' || s[e - 1] != 'N')
        return 0;
    g->prefix.a = i, g->prefix.b = e - 2;
    /* [^S]*SRC=([^ ]+) DST=([^ ]+) LEN=: the first S; each address up to the next space */
    if ((j = find(s, n, e + 1, 'S')) < 0 || !lit(s, n, j, "SRC=", 4))
        return 0;
    g->src.a = j + 4;
    if ((k = find(s, n, g->src.a, ' ')) < 0 || k == g->src.a || !lit(s, n, k, " DST=", 5))
        return 0;
    g->src.b = k;
    g->dst.a = k + 5;
    if ((k = find(s, n, g->dst.a, ' ')) < 0 || k == g->dst.a || !lit(s, n, k, " LEN=", 5))
        return 0;
    g->dst.b = k;
    /* [^P]*PREC=[^P]*PROTO=(\w+): the first P each time, then the longest \w run */
    if ((j = find(s, n, k + 5, 'P')) < 0 || !lit(s, n, j, "PREC=", 5))
        return 0;
    if ((j = find(s, n, j + 5, 'P')) < 0 || !lit(s, n, j, "PROTO=", 6))
        return 0;
    g->proto.a = i = j + 6;
    while (i < n && WORD(s[i]))
        i++;
    if (i == g->proto.a)
        return 0;
    g->proto.b = i;
    /* (?: SPT=(\d+) DPT=(\d+)(?: WINDOW=\d+ RES=0x\w\w ([A-Z ]*)URGP=|)| TYPE=(\d+) CODE=(\d+)|) */
    if (lit(s, n, i, " SPT=", 5)) {
        g->spt.a = i + 5;
        g->spt.b = j = digits(s, n, g->spt.a);
        if (j == g->spt.a || !lit(s, n, j, " DPT=", 5))
            return 0; /* the empty alternative: no ports */
        g->dpt.a = j + 5;
        g->dpt.b = j = digits(s, n, g->dpt.a);
        if (j == g->dpt.a)
            return 0;
        g->ports = 1;
        /* the flag words: the inner group, or none */
        if (lit(s, n, j, " WINDOW=", 8)) {
            k = digits(s, n, j + 8);
            if (k > j + 8 && lit(s, n, k, " RES=0x", 7) && WORD(AT(k + 7)) && WORD(AT(k + 8)) && AT(k + 9) == ' ') {
                /* ([A-Z ]*)URGP=: the run ends at the '=' of URGP= */
                Py_ssize_t q = k + 10, r = q;
                while (r < n && (UPPER(s[r]) || s[r] == ' '))
                    r++;
                if (r - 4 >= q && lit(s, n, r - 4, "URGP=", 5))
                    g->flags.a = q, g->flags.b = r - 4;
            }
        }
        return 1;
    }
    if (lit(s, n, i, " TYPE=", 6)) {
        g->itype.a = i + 6;
        g->itype.b = j = digits(s, n, g->itype.a);
        if (j == g->itype.a || !lit(s, n, j, " CODE=", 6))
            return 0;
        g->icode.a = j + 6;
        g->icode.b = k = digits(s, n, g->icode.a);
        if (k == g->icode.a)
            return 0;
        g->ports = 0;
        return 1;
    }
    return 0;
}

/* int() of a \d+ group, saturated: anything past top is top + 1. */
static long
number(const unsigned char *s, span x, long top)
{
    long v = 0;
    for (Py_ssize_t i = x.a; i < x.b; i++) {
        v = v * 10 + (s[i] - '0');
        if (v > top)
            return top + 1;
    }
    return v;
}

/* ------------------------------------------------------------------ */
/* One line                                                            */

typedef struct {
    PyObject *blocking, *skips, *targets, *sources, *kinds, *stamps;
    PyObject *clock, *ctx, *iso_time, *verdict, *protocol_name, *flags, *skipped;
    /* the last stamp read in this call, and its time */
    char last[32];
    Py_ssize_t last_len;
    PyObject *when;
    /* The last drop rule's prefix and the last (PROTO=, flag words) read in
     * this call, with its kind: a log's lines mostly repeat both. blocking
     * and kinds only grow, so a line that matches these finds them there,
     * and the reference would change nothing either. */
    PyObject *last_prefix, *last_kind;
    char last_kind_key[48];
    Py_ssize_t last_kind_len;
} scanner;

#define DONE 1
#define STOP 0

static PyObject *
text(const unsigned char *s, span x)
{
    return PyUnicode_FromStringAndSize((const char *)s + x.a, x.b - x.a);
}

/* An address interned in cache (a dict str -> itself), checked with
 * inet_pton the first time: a new reference, or NULL (with an exception
 * set, or without one for an address inet_pton refuses). */
static PyObject *
address(const unsigned char *s, span x, PyObject *cache)
{
    char buf[64];
    struct in_addr addr;
    PyObject *value = text(s, x);
    if (value == NULL)
        return NULL;
    PyObject *known = PyDict_GetItemWithError(cache, value);
    if (known != NULL) {
        Py_INCREF(known);
        Py_DECREF(value);
        return known;
    }
    if (PyErr_Occurred())
        goto fail;
    /* socket.inet_pton passes the UTF-8 (here ASCII) text, which has no NUL */
    if (x.b - x.a >= (Py_ssize_t)sizeof(buf) || memchr(s + x.a, '\0', (size_t)(x.b - x.a)) != NULL)
        goto fail;
    memcpy(buf, s + x.a, (size_t)(x.b - x.a));
    buf[x.b - x.a] = '\0';
    if (inet_pton(AF_INET, buf, &addr) != 1)
        goto fail;
    if (PyDict_GET_SIZE(cache) > KEPT)
        PyDict_Clear(cache);
    if (PyDict_SetItem(cache, value, value) < 0)
        goto fail;
    return value;
fail:
    Py_DECREF(value);
    return NULL;
}

/* The time of the line's stamp (a new reference), or NULL. */
static PyObject *
stamp_time(scanner *sc, const unsigned char *s, const groups *g)
{
    char key[32];
    Py_ssize_t len;
    int iso = g->iso.a >= 0;
    if (iso) {
        len = 19;
        memcpy(key, s, 19);
        if (g->off.a >= 0) {
            memcpy(key + 19, s + g->off.a, (size_t)(g->off.b - g->off.a));
            len += g->off.b - g->off.a;
        }
    }
    else {
        len = 15;
        memcpy(key, s, 15);
    }
    if (sc->when != NULL && len == sc->last_len && memcmp(key, sc->last, (size_t)len) == 0) {
        Py_INCREF(sc->when);
        return sc->when;
    }
    PyObject *stamp = PyUnicode_FromStringAndSize(key, len);
    if (stamp == NULL)
        return NULL;
    PyObject *when = PyDict_GetItemWithError(sc->stamps, stamp);
    if (when != NULL)
        Py_INCREF(when);
    else if (!PyErr_Occurred()) {
        when = iso ? PyObject_CallFunctionObjArgs(sc->iso_time, stamp, sc->ctx, NULL)
                   : PyObject_CallOneArg(sc->clock, stamp);
        if (when != NULL) {
            if (PyDict_GET_SIZE(sc->stamps) > KEPT)
                PyDict_Clear(sc->stamps);
            if (PyDict_SetItem(sc->stamps, stamp, when) < 0)
                Py_CLEAR(when);
        }
    }
    Py_DECREF(stamp);
    if (when != NULL) {
        memcpy(sc->last, key, (size_t)len);
        sc->last_len = len;
        Py_INCREF(when);
        Py_XSETREF(sc->when, when);
    }
    return when;
}

/* (protocol, flags) for the PROTO= word and the flag words, as kinds has it. */
static PyObject *kind_read(scanner *sc, const unsigned char *s, const groups *g);

/* kind_read, remembering the last one: the PROTO= word, a byte that says
 * whether flag words follow, and the words, as the key. */
static PyObject *
kind_of(scanner *sc, const unsigned char *s, const groups *g)
{
    char key[sizeof(sc->last_kind_key)];
    Py_ssize_t n = g->proto.b - g->proto.a, words = g->flags.a >= 0 ? g->flags.b - g->flags.a : 0;
    if (n + 1 + words > (Py_ssize_t)sizeof(key))
        return kind_read(sc, s, g);
    memcpy(key, s + g->proto.a, (size_t)n);
    key[n] = g->flags.a >= 0 ? 1 : 2;
    memcpy(key + n + 1, s + (g->flags.a >= 0 ? g->flags.a : 0), (size_t)words);
    n += 1 + words;
    if (sc->last_kind != NULL && n == sc->last_kind_len && memcmp(key, sc->last_kind_key, (size_t)n) == 0)
        return Py_NewRef(sc->last_kind);
    PyObject *kind = kind_read(sc, s, g);
    if (kind != NULL) {
        Py_XSETREF(sc->last_kind, Py_NewRef(kind));
        memcpy(sc->last_kind_key, key, (size_t)n);
        sc->last_kind_len = n;
    }
    return kind;
}

static PyObject *
kind_read(scanner *sc, const unsigned char *s, const groups *g)
{
    PyObject *proto = NULL, *words = NULL, *key = NULL, *kind = NULL, *name = NULL, *tcp = NULL;
    if ((proto = text(s, g->proto)) == NULL)
        goto done;
    if (g->flags.a >= 0) {
        if ((words = text(s, g->flags)) == NULL)
            goto done;
    }
    else
        words = Py_NewRef(Py_None);
    if ((key = PyTuple_Pack(2, proto, words)) == NULL)
        goto done;
    kind = PyDict_GetItemWithError(sc->kinds, key);
    if (kind != NULL) {
        Py_INCREF(kind);
        goto done;
    }
    if (PyErr_Occurred())
        goto done;
    if ((name = PyObject_CallOneArg(sc->protocol_name, proto)) == NULL)
        goto done;
    int is_tcp = PyObject_RichCompareBool(name, s_tcp, Py_EQ);
    if (is_tcp < 0)
        goto done;
    tcp = is_tcp ? PyObject_CallOneArg(sc->flags, words) : Py_NewRef(s_empty);
    if (tcp == NULL)
        goto done;
    if ((kind = PyTuple_Pack(2, name, tcp)) == NULL)
        goto done;
    if (PyDict_SetItem(sc->kinds, key, kind) < 0)
        Py_CLEAR(kind);
done:
    Py_XDECREF(proto);
    Py_XDECREF(words);
    Py_XDECREF(key);
    Py_XDECREF(name);
    Py_XDECREF(tcp);
    return kind;
}

/* int(b) for a port or ICMP code: target ports are few, so each is made
 * once and kept (as small ints are), not allocated for every line. */
static PyObject *g_ports[65536];

static PyObject *
port_number(long b)
{
    if (g_ports[b] == NULL && (g_ports[b] = PyLong_FromLong(b)) == NULL)
        return NULL;
    return Py_NewRef(g_ports[b]);
}

/* A ParsedEvent built as its __init__ would (values borrowed). */
static PyObject *
new_event(PyObject *const *values)
{
    PyObject *event = g_event->tp_alloc(g_event, 0);
    if (event == NULL)
        return NULL;
    for (int f = 0; f < NFIELDS; f++) {
        PyObject **slot = (PyObject **)((char *)event + g_offset[f]);
        Py_XSETREF(*slot, Py_NewRef(values[f]));
    }
    return event;
}

/* DONE with the line's result appended to out (or nothing), STOP for the
 * Python to read it, -1 with an exception to raise. */
static int
read_line(scanner *sc, PyObject *raw, Py_ssize_t lineno, PyObject *out)
{
    PyObject *prefix = NULL, *reason = NULL, *when = NULL, *src = NULL, *dst = NULL, *kind = NULL;
    PyObject *number_obj = NULL, *sport = NULL, *dport = NULL, *result = NULL;
    int status = STOP;
    groups g;

    if (!PyUnicode_Check(raw) || PyUnicode_READY(raw) < 0 || !PyUnicode_IS_ASCII(raw))
        goto done;
    const unsigned char *s = PyUnicode_1BYTE_DATA(raw);
    Py_ssize_t n = PyUnicode_GET_LENGTH(raw);
    if (!match(s, n, &g))
        goto done;

    /* the prefix: a drop rule's, or a verdict */
    Py_ssize_t prefix_len = g.prefix.b - g.prefix.a;
    int blocking = sc->last_prefix != NULL && PyUnicode_GET_LENGTH(sc->last_prefix) == prefix_len &&
                   memcmp(PyUnicode_1BYTE_DATA(sc->last_prefix), s + g.prefix.a, (size_t)prefix_len) == 0;
    if (!blocking && (prefix = text(s, g.prefix)) == NULL)
        goto done;
    if (!blocking && (blocking = PySet_Contains(sc->blocking, prefix)) > 0)
        Py_XSETREF(sc->last_prefix, Py_NewRef(prefix));
    if (blocking < 0)
        goto done;
    if (!blocking) {
        reason = PyDict_GetItemWithError(sc->skips, prefix);
        if (reason != NULL)
            Py_INCREF(reason);
        else if (PyErr_Occurred())
            goto done;
        int truth = reason == NULL ? 0 : PyObject_IsTrue(reason);
        if (truth < 0)
            goto done;
        if (!truth) {
            Py_XSETREF(reason, PyObject_CallOneArg(sc->verdict, prefix));
            if (reason == NULL)
                goto done;
        }
        if (reason != Py_None) {
            if (PyDict_SetItem(sc->skips, prefix, reason) < 0)
                goto done;
            if ((number_obj = PyLong_FromSsize_t(lineno)) == NULL)
                goto done;
            if ((result = PyObject_CallFunctionObjArgs(sc->skipped, number_obj, reason, NULL)) == NULL)
                goto done;
            status = PyList_Append(out, result) < 0 ? STOP : DONE;
            goto done;
        }
        if (PySet_Add(sc->blocking, prefix) < 0)
            goto done;
        Py_XSETREF(sc->last_prefix, Py_NewRef(prefix));
    }

    if ((when = stamp_time(sc, s, &g)) == NULL)
        goto done;
    if ((src = address(s, g.src, sc->sources)) == NULL)
        goto done;
    if ((dst = address(s, g.dst, sc->targets)) == NULL)
        goto done;
    if ((kind = kind_of(sc, s, &g)) == NULL)
        goto done;
    if (!PyTuple_CheckExact(kind) || PyTuple_GET_SIZE(kind) != 2)
        goto done;
    PyObject *protocol = PyTuple_GET_ITEM(kind, 0), *tcp = PyTuple_GET_ITEM(kind, 1);
    long a, b;
    if (g.ports) {
        a = number(s, g.spt, 65535), b = number(s, g.dpt, 65535);
        if (a > 65535 || b > 65535)
            goto done;
        if (g.flags.a < 0) {
            int other = PyObject_RichCompareBool(protocol, s_tcp, Py_NE);
            if (other <= 0)
                goto done;
        }
    }
    else {
        a = number(s, g.itype, 255), b = number(s, g.icode, 255);
        if (a > 255 || b > 255)
            goto done;
    }
    if ((number_obj = PyLong_FromSsize_t(lineno)) == NULL || (sport = PyLong_FromLong(a)) == NULL ||
        (dport = port_number(b)) == NULL)
        goto done;
    PyObject *one = PyLong_FromLong(1); /* the small int; never fails */
    PyObject *values[NFIELDS] = {number_obj, when, src, dst, protocol, sport, dport, tcp, one};
    result = new_event(values);
    Py_DECREF(one);
    if (result == NULL)
        goto done;
    status = PyList_Append(out, result) < 0 ? STOP : DONE;

done:
    Py_XDECREF(prefix);
    Py_XDECREF(reason);
    Py_XDECREF(when);
    Py_XDECREF(src);
    Py_XDECREF(dst);
    Py_XDECREF(kind);
    Py_XDECREF(number_obj);
    Py_XDECREF(sport);
    Py_XDECREF(dport);
    Py_XDECREF(result);
    if (status == STOP && PyErr_Occurred()) {
        /* the Python reads the line again and meets the same exception */
        if (!PyErr_ExceptionMatches(PyExc_Exception))
            return -1;
        PyErr_Clear();
    }
    return status;
}

/* ------------------------------------------------------------------ */
/* Module functions                                                    */

static PyObject *
attr(PyObject *state, const char *name, int (*check)(PyObject *))
{
    PyObject *value = PyObject_GetAttrString(state, name);
    if (value != NULL && check != NULL && !check(value)) {
        PyErr_Format(PyExc_TypeError, "_FastState.%s has the wrong type", name);
        Py_CLEAR(value);
    }
    return value;
}

static int
is_dict(PyObject *o)
{
    return PyDict_CheckExact(o);
}

static int
is_set(PyObject *o)
{
    return PySet_CheckExact(o);
}

PyDoc_STRVAR(scan_doc, "scan(batch, at, lineno, state) -> (results, stop)\n\n"
                       "Read the lines of the list batch from index at (numbered from lineno) as\n"
                       "IptablesParser._parse_python would, up to the first one it leaves to the\n"
                       "Python: its index is stop (len(batch) when there is none).");

static PyObject *
scan(PyObject *module, PyObject *args)
{
    PyObject *batch, *state, *out = NULL, *ret = NULL;
    Py_ssize_t at, lineno;
    scanner sc = {0};
    if (!PyArg_ParseTuple(args, "O!nnO:scan", &PyList_Type, &batch, &at, &lineno, &state))
        return NULL;
    if (g_event == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "incidents._iptables is not bound (bind() not called)");
        return NULL;
    }
    if ((sc.blocking = attr(state, "blocking", is_set)) == NULL || (sc.skips = attr(state, "skips", is_dict)) == NULL ||
        (sc.targets = attr(state, "targets", is_dict)) == NULL ||
        (sc.sources = attr(state, "sources", is_dict)) == NULL || (sc.kinds = attr(state, "kinds", is_dict)) == NULL ||
        (sc.stamps = attr(state, "stamps", is_dict)) == NULL || (sc.clock = attr(state, "clock", NULL)) == NULL ||
        (sc.ctx = attr(state, "ctx", NULL)) == NULL || (sc.iso_time = attr(state, "iso_time", NULL)) == NULL ||
        (sc.verdict = attr(state, "verdict", NULL)) == NULL ||
        (sc.protocol_name = attr(state, "protocol_name", NULL)) == NULL ||
        (sc.flags = attr(state, "flags", NULL)) == NULL || (sc.skipped = attr(state, "skipped", NULL)) == NULL)
        goto done;
    if ((out = PyList_New(0)) == NULL)
        goto done;
    if (at < 0)
        at = 0;
    for (; at < PyList_GET_SIZE(batch); at++, lineno++) {
        PyObject *raw = PyList_GET_ITEM(batch, at);
        Py_INCREF(raw);
        int status = read_line(&sc, raw, lineno, out);
        Py_DECREF(raw);
        if (status < 0)
            goto done;
        if (status == STOP)
            break;
    }
    ret = Py_BuildValue("(On)", out, at);
done:
    Py_XDECREF(out);
    Py_XDECREF(sc.blocking);
    Py_XDECREF(sc.skips);
    Py_XDECREF(sc.targets);
    Py_XDECREF(sc.sources);
    Py_XDECREF(sc.kinds);
    Py_XDECREF(sc.stamps);
    Py_XDECREF(sc.clock);
    Py_XDECREF(sc.ctx);
    Py_XDECREF(sc.iso_time);
    Py_XDECREF(sc.verdict);
    Py_XDECREF(sc.protocol_name);
    Py_XDECREF(sc.flags);
    Py_XDECREF(sc.skipped);
    Py_XDECREF(sc.when);
    Py_XDECREF(sc.last_prefix);
    Py_XDECREF(sc.last_kind);
    return ret;
}

PyDoc_STRVAR(bind_doc, "bind(ParsedEvent, field_names)\n\n"
                       "The event class and its fields in __init__ order; each must be a writable\n"
                       "object slot (a slotted dataclass), filled directly by scan().");

static PyObject *
bind_event(PyObject *module, PyObject *args)
{
    PyObject *type, *names;
    Py_ssize_t offset[NFIELDS];
    if (!PyArg_ParseTuple(args, "O!O!:bind", &PyType_Type, &type, &PyTuple_Type, &names))
        return NULL;
    if (PyTuple_GET_SIZE(names) != NFIELDS) {
        PyErr_SetString(PyExc_ValueError, "bind() wants the nine ParsedEvent fields");
        return NULL;
    }
    if (((PyTypeObject *)type)->tp_new != PyBaseObject_Type.tp_new) {
        PyErr_SetString(PyExc_TypeError, "the event class has its own __new__");
        return NULL;
    }
    for (int f = 0; f < NFIELDS; f++) {
        PyObject *descr = PyObject_GetAttr(type, PyTuple_GET_ITEM(names, f));
        if (descr == NULL)
            return NULL;
        int ok = Py_IS_TYPE(descr, &PyMemberDescr_Type);
        if (ok) {
            PyMemberDef *m = ((PyMemberDescrObject *)descr)->d_member;
            ok = m->type == T_OBJECT_EX && !(m->flags & READONLY) && m->offset > 0 &&
                 m->offset + (Py_ssize_t)sizeof(PyObject *) <= ((PyTypeObject *)type)->tp_basicsize;
            offset[f] = m->offset;
        }
        Py_DECREF(descr);
        if (!ok) {
            PyErr_Format(PyExc_TypeError, "field %R is not an object slot", PyTuple_GET_ITEM(names, f));
            return NULL;
        }
    }
    memcpy(g_offset, offset, sizeof(offset));
    Py_INCREF(type);
    Py_XSETREF(g_event, (PyTypeObject *)type);
    Py_RETURN_NONE;
}

static PyMethodDef methods[] = {
    {"scan", scan, METH_VARARGS, scan_doc},
    {"bind", bind_event, METH_VARARGS, bind_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef iptables_module = {
    PyModuleDef_HEAD_INIT, "incidents._iptables",
    "The common lines of the iptables parser in C (see incidents/parsers/iptables.py).", -1, methods,
};

PyMODINIT_FUNC
PyInit__iptables(void)
{
    if (s_tcp == NULL && (s_tcp = PyUnicode_InternFromString("tcp")) == NULL)
        return NULL;
    if (s_empty == NULL && (s_empty = PyUnicode_FromString("")) == NULL)
        return NULL;
    return PyModule_Create(&iptables_module);
}
