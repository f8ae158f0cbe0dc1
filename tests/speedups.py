"""What every test pays for the same work again, done once per process instead.

Each test builds an app of its own (so one test's configuration never leaks into the next), and
two parts of that were most of a short test's time, the same every time:

- Werkzeug parses each of the ~180 URL rules of every new app with regular expressions, and
  compiles a small Python function (the URL builder) for each. Both depend only on the rule's
  text, its converters, parsed parts and defaults, so one parse and one compiled builder serve
  every app with that rule (each app still gets converter objects bound to its own URL map).
- Jinja parses and compiles each template again in each new app (its template cache belongs to
  one app). A bytecode cache shared by the apps of this process keeps the compiled code; Jinja
  checks it against the template's source every time, so an edited template is compiled anew.
- SQLAlchemy compiles each SQL statement once per engine, and each app made its own engine, so
  every test compiled the same statements again. The apps of this process share one engine per
  database address and options (its pool and its compiled-statement cache); the `app` fixture
  still closes the pooled connections after each test.
- SQLite waits for the disk at every commit. A test database is thrown away at the end of the
  run, so it does without (PRAGMA synchronous=OFF); the portal's own settings stay as they are.
- Python's cycle collector walks every object of the process at each full collection, and a
  test process keeps more and more of them: modules, compiled statements and templates, the
  pronouncing dictionary the readability scores load (about 280,000 lists). With Python's
  thresholds a full collection came every couple of dozen tests and took 0.2-0.4 s: 17.5 s of a
  71 s run of the rooms, lessons and calendar tests. Collections now come less often, and every
  FREEZE_EVERY tests what is still alive is frozen (gc.freeze: never walked again). Objects are
  still freed when their last reference goes; a frozen cycle that becomes garbage stays until
  the process ends, which for a test process is minutes.

Nothing here changes what a request does; production builds one app and never needs it.
"""

import copy
import gc
import itertools
import sqlite3

import jinja2
from flask import Flask
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import event
from sqlalchemy.engine import Engine
from werkzeug.routing.rules import Rule


class SharedBytecodeCache(jinja2.BytecodeCache):
    """Compiled templates in memory, for every Jinja environment of this process."""

    def __init__(self):
        self.store = {}

    def load_bytecode(self, bucket):
        code = self.store.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket):
        self.store[bucket.key] = bucket.bytecode_to_string()


def _memoize_url_builders():
    compile_builder = Rule._compile_builder
    builders = {}

    def cached(self, append_unknown=True):
        defaults = tuple(sorted((k, repr(v)) for k, v in (self.defaults or {}).items()))
        key = (self.rule, tuple(self._trace), defaults, append_unknown)
        if key not in builders:
            builders[key] = compile_builder(self, append_unknown)
        return builders[key]

    Rule._compile_builder = cached


def _memoize_rule_parsing():
    parse_rule = Rule._parse_rule
    parsed = {}

    def cached(self, rule):
        key = (rule, tuple(sorted(self.map.converters.items())))
        if key not in parsed:
            trace, converters, arguments = len(self._trace), set(self._converters), set(self.arguments)
            parts = list(parse_rule(self, rule))  # fills self._trace, self._converters, self.arguments
            added = {name: conv for name, conv in self._converters.items() if name not in converters}
            parsed[key] = (parts, self._trace[trace:], added, self.arguments - arguments)
            return iter(parts)
        parts, trace, added, arguments = parsed[key]
        self._trace.extend(trace)
        for name, converter in added.items():
            converter = copy.copy(converter)
            converter.map = self.map
            self._converters[name] = converter
        self.arguments.update(arguments)
        return iter(parts)

    Rule._parse_rule = cached


def _share_engines():
    make_engine = SQLAlchemy._make_engine
    engines = {}

    def shared(self, bind_key, options, app):
        key = (bind_key, repr(sorted(options.items(), key=lambda item: item[0])))
        if key not in engines:
            engines[key] = make_engine(self, bind_key, options, app)
        return engines[key]

    SQLAlchemy._make_engine = shared


def _no_fsync(dbapi_connection, _record):
    if isinstance(dbapi_connection, sqlite3.Connection):
        dbapi_connection.execute("PRAGMA synchronous=OFF")


# Python's are (700, 10, 10). The servers keep 700 (gunicorn.conf.py: there a young collection
# of 50,000 objects is a pause every chat message waits out); a test process wants throughput.
GC_THRESHOLDS = (50_000, 20, 100)
FREEZE_EVERY = 100  # tests


_tests_run = itertools.count(1)


def after_test():
    """Every FREEZE_EVERY tests: collect, then freeze what is left."""
    if next(_tests_run) % FREEZE_EVERY == 0:
        gc.collect()
        gc.freeze()


def install():
    gc.set_threshold(*GC_THRESHOLDS)
    event.listen(Engine, "connect", _no_fsync)
    Flask.jinja_options = {**Flask.jinja_options, "bytecode_cache": SharedBytecodeCache()}
    _memoize_rule_parsing()
    _memoize_url_builders()
    _share_engines()
