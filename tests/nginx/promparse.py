"""A strict parser of the Prometheus text exposition format (0.0.4).

Stricter than Prometheus itself, on purpose: whatever it accepts any
scraper accepts.

    families = parse(text)      # raises PromError with the line number
    families["omni_impressions_total"].samples  # [(name, labels, value)]

Checked: UTF-8, a final newline, HELP and TYPE at most once per family and
before its samples, known types, metric and label name rules, reserved
"__" label names, label value escapes (only \\\\, \\" and \\n), no
duplicate label in a sample, no duplicate series, the samples of a family
adjacent, sample names that belong to their family, float values as Go's
ParseFloat reads them, optional integer timestamps, non-negative counters.
"""

import math
import re

METRIC = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*\Z")
LABEL = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*\Z")
FLOAT = re.compile(r"[+-]?(?:Inf|inf|NaN|nan|"
                   r"(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)\Z")
TYPES = ("counter", "gauge", "histogram", "summary", "untyped")
SUFFIXES = {"histogram": ("_bucket", "_sum", "_count"),
            "summary": ("_sum", "_count", "")}


class PromError(Exception):
    pass


class Family:
    def __init__(self, name):
        self.name = name
        self.help = None
        self.type = None
        self.samples = []

    def value(self, **labels):
        """The value of the one sample with exactly these labels."""
        for _, l, v in self.samples:
            if l == labels:
                return v
        raise KeyError("%s%r" % (self.name, labels))


def parse(text):
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as e:
            raise PromError("not UTF-8: %s" % e)

    if text and not text.endswith("\n"):
        raise PromError("no newline at the end")

    families = {}
    order = []          # family names in order of first appearance
    closed = set()      # families whose samples are over
    series = set()
    current = None

    for no, line in enumerate(text.split("\n")[:-1], 1):
        def fail(msg):
            raise PromError("line %d: %s: %r" % (no, msg, line))

        if line.strip() == "":
            continue

        if line.startswith("#"):
            parts = line.split(" ", 3)
            if len(parts) >= 3 and parts[1] in ("HELP", "TYPE"):
                name = parts[2]
                if not METRIC.match(name):
                    fail("bad metric name")
                fam = families.get(name)
                if fam is None:
                    fam = families[name] = Family(name)
                    order.append(name)
                if fam.samples or name in closed:
                    fail("%s after the family's samples" % parts[1])
                if parts[1] == "HELP":
                    if fam.help is not None:
                        fail("second HELP")
                    fam.help = unescape_help(parts[3] if len(parts) > 3
                                             else "", fail)
                else:
                    if fam.type is not None:
                        fail("second TYPE")
                    if len(parts) != 4 or parts[3] not in TYPES:
                        fail("bad TYPE")
                    fam.type = parts[3]
                if current is not None and current != name:
                    closed.add(current)
                current = name
            continue

        name, labels, rest = parse_sample(line, fail)
        fam_name = family_of(name, families)
        fam = families.get(fam_name)
        if fam is None:
            fam = families[fam_name] = Family(fam_name)
            order.append(fam_name)
        if fam_name in closed:
            fail("samples of %s are not adjacent" % fam_name)
        if current is not None and current != fam_name:
            closed.add(current)
        current = fam_name

        kind = fam.type or "untyped"
        if kind in ("counter", "gauge", "untyped") and name != fam_name:
            fail("sample %s in family %s" % (name, fam_name))

        fields = rest.split(" ")
        if len(fields) not in (1, 2) or not FLOAT.match(fields[0]):
            fail("bad value")
        value = float(fields[0].replace("Inf", "inf"))
        if len(fields) == 2 and not re.match(r"-?\d+\Z", fields[1]):
            fail("bad timestamp")
        if kind == "counter" and (math.isnan(value) or value < 0):
            fail("counter below zero or NaN")

        key = (name, tuple(sorted(labels.items())))
        if key in series:
            fail("duplicate series")
        series.add(key)
        fam.samples.append((name, labels, value))

    return families


def family_of(name, families):
    for base, fam in families.items():
        for suffix in SUFFIXES.get(fam.type, ()):
            if suffix and name == base + suffix:
                return base
    return name


def parse_sample(line, fail):
    m = re.match(r"([a-zA-Z_:][a-zA-Z0-9_:]*)", line)
    if not m:
        fail("bad metric name")
    name = m.group(1)
    pos = m.end()
    labels = {}

    if pos < len(line) and line[pos] == "{":
        pos += 1
        while True:
            if line[pos:pos + 1] == "}":
                pos += 1
                break
            m = re.match(r"([^=]*)=\"", line[pos:])
            if not m or not LABEL.match(m.group(1)):
                fail("bad label name")
            lname = m.group(1)
            if lname.startswith("__"):
                fail("reserved label name")
            if lname in labels:
                fail("duplicate label %s" % lname)
            pos += m.end()
            value = []
            while True:
                if pos >= len(line):
                    fail("unterminated label value")
                c = line[pos]
                if c == "\\":
                    nxt = line[pos + 1:pos + 2]
                    if nxt == "\\":
                        value.append("\\")
                    elif nxt == '"':
                        value.append('"')
                    elif nxt == "n":
                        value.append("\n")
                    else:
                        fail("bad escape in label value")
                    pos += 2
                    continue
                if c == '"':
                    pos += 1
                    break
                value.append(c)
                pos += 1
            labels[lname] = "".join(value)
            if line[pos:pos + 1] == ",":
                pos += 1
                continue
            if line[pos:pos + 1] != "}":
                fail("expected , or } after a label")

    if line[pos:pos + 1] != " ":
        fail("expected one space before the value")
    return name, labels, line[pos + 1:]


def unescape_help(text, fail):
    out = []
    i = 0
    while i < len(text):
        c = text[i]
        if c == "\\":
            nxt = text[i + 1:i + 2]
            if nxt == "\\":
                out.append("\\")
            elif nxt == "n":
                out.append("\n")
            else:
                fail("bad escape in HELP")
            i += 2
            continue
        out.append(c)
        i += 1
    return "".join(out)
