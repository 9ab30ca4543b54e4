# Runs a Databricks Python notebook source on the local Spark, as a notebook task of the local workspace.
#
#   notebook_runner.py run SPEC      runs the notebook SPEC names (a mode-600 JSON file, removed once read)
#   notebook_runner.py release SPEC  stops what a run left behind in its Spark Connect session
#
# The notebook talks to the local Spark server's Spark Connect endpoint (the same JVM, metastore and lake
# as the SQL notebooks) with pyspark-client from PyPI, authenticated by SPARK_CONNECT_AUTHENTICATE_TOKEN.
# Cells are split as Databricks exports them (`# COMMAND ----------`); `# MAGIC %md` cells are skipped and
# `# MAGIC %sql` cells run statement by statement. Globals as on Databricks: spark, dbutils (widgets,
# notebook.exit, fs over the lake, secrets from the lake's local scope file), display.
# The outcome goes to SPEC's result_file: {"status": "success", "exit": value} or
# {"status": "failed", "cell": n, "error": "...", "trace": "..."}.
import collections
import json
import os
import shutil
import signal
import stat
import sys
import time
import traceback

HEADER = "# Databricks notebook source"
SEPARATOR = "# COMMAND ----------"


class NotebookExit(BaseException):
    def __init__(self, value):
        super().__init__(value)
        self.value = value


class NotebookError(Exception):
    pass


def split_cells(text):
    lines = text.replace("\r\n", "\n").split("\n")
    if not lines or lines[0].strip() != HEADER:
        raise NotebookError(f"the source does not start with '{HEADER}': it is not a Databricks notebook source")
    cells, current = [], []
    for line in lines[1:]:
        if line.strip() == SEPARATOR:
            cells.append("\n".join(current))
            current = []
        else:
            current.append(line)
    cells.append("\n".join(current))
    out = []
    for source in cells:
        body = [l for l in source.split("\n") if l.strip()]
        if body and all(l.startswith("# MAGIC") for l in body):
            magic = [l[len("# MAGIC "):] if l.startswith("# MAGIC ") else l[len("# MAGIC"):] for l in source.split("\n") if l.startswith("# MAGIC")]
            first = magic[0].strip().split()[0] if magic[0].strip() else ""
            rest = "\n".join(magic[1:]) if first.startswith("%") else "\n".join(magic)
            out.append((first if first.startswith("%") else "%python", rest))
        elif body:
            out.append(("%python", source))
    return out


def split_statements(sql):
    """Statements of a %sql cell: split on ; outside quotes, identifiers and comments."""
    out, buf, i, n = [], [], 0, len(sql)
    while i < n:
        c = sql[i]
        if c in "'\"`":
            j = i + 1
            while j < n and sql[j] != c:
                j += 2 if sql[j] == "\\" and c != "`" else 1
            buf.append(sql[i:j + 1])
            i = j + 1
        elif sql.startswith("--", i):
            j = sql.find("\n", i)
            j = n if j < 0 else j
            buf.append(sql[i:j])
            i = j
        elif sql.startswith("/*", i):
            j = sql.find("*/", i + 2)
            j = n if j < 0 else j + 2
            buf.append(sql[i:j])
            i = j
        elif c == ";":
            out.append("".join(buf))
            buf = []
            i += 1
        else:
            buf.append(c)
            i += 1
    out.append("".join(buf))
    meaningful = []
    for s in out:
        stripped = "\n".join(l for l in s.split("\n") if not l.strip().startswith("--")).strip()
        if stripped:
            meaningful.append(s.strip())
    return meaningful


FileInfo = collections.namedtuple("FileInfo", ["path", "name", "size", "modificationTime"])
MountInfo = collections.namedtuple("MountInfo", ["mountPoint", "source", "encryptionType"])


class Widgets:
    def __init__(self, params):
        self._params = dict(params)
        self._defaults = {}

    def text(self, name, defaultValue="", label=None):
        self._defaults[name] = str(defaultValue)

    def dropdown(self, name, defaultValue, choices, label=None):
        self._defaults[name] = str(defaultValue)

    combobox = dropdown

    def multiselect(self, name, defaultValue, choices, label=None):
        self._defaults[name] = str(defaultValue)

    def get(self, name):
        if name in self._params:
            return self._params[name]
        if name in self._defaults:
            return self._defaults[name]
        raise NotebookError(f"InputWidgetNotDefined: no input widget named {name} is defined")

    def getArgument(self, name, defaultValue=None):
        try:
            return self.get(name)
        except NotebookError:
            return defaultValue

    def getAll(self):
        return {**self._defaults, **self._params}

    def remove(self, name):
        self._defaults.pop(name, None)

    def removeAll(self):
        self._defaults.clear()


class Notebook:
    def exit(self, value):
        raise NotebookExit(str(value))

    def run(self, path, timeout_seconds=0, arguments=None):
        raise NotebookError("dbutils.notebook.run is not supported by the local workspace: make the notebook a task of the job")


class Fs:
    """dbutils.fs over the lake: s3:// paths, mount points and dbfs:/ paths all name folders of the lake."""

    def __init__(self, lake, mounts_file):
        self._lake = os.path.realpath(lake)
        self._mounts_file = mounts_file

    def _mounts(self):
        try:
            with open(self._mounts_file) as f:
                return json.load(f)
        except FileNotFoundError:
            return {}

    def local(self, path):
        p = str(path)
        if p.startswith("file:"):
            return p[len("file:"):]
        if p.startswith("dbfs:"):
            p = p[len("dbfs:"):]
        for scheme in ("s3://", "s3a://", "s3n://"):
            if p.startswith(scheme):
                rest = p[len(scheme):].split("/", 1)
                return os.path.join(self._lake, rest[1] if len(rest) > 1 else "")
        if os.path.realpath(p) == self._lake or os.path.realpath(p).startswith(self._lake + os.sep):
            return p
        for point in sorted(self._mounts(), key=len, reverse=True):
            if p == point or p.startswith(point.rstrip("/") + "/"):
                return os.path.join(self._lake, p[len(point):].lstrip("/"))
        if p.startswith("/Volumes/"):
            return os.path.join(self._lake, "_volumes", p[len("/Volumes/"):])
        return os.path.join(self._lake, "_dbfs", p.lstrip("/"))

    def ls(self, path):
        local = self.local(path)
        if not os.path.exists(local):
            raise NotebookError(f"java.io.FileNotFoundException: File {path} does not exist.")
        base = str(path).rstrip("/")
        out = []
        for name in sorted(os.listdir(local)):
            full = os.path.join(local, name)
            st = os.stat(full)
            is_dir = os.path.isdir(full)
            out.append(FileInfo(f"{base}/{name}{'/' if is_dir else ''}", f"{name}{'/' if is_dir else ''}", 0 if is_dir else st.st_size, int(st.st_mtime * 1000)))
        return out

    def head(self, path, maxBytes=65536):
        with open(self.local(path), "rb") as f:
            return f.read(maxBytes).decode("utf-8", errors="replace")

    def put(self, path, contents, overwrite=False):
        local = self.local(path)
        if os.path.exists(local) and not overwrite:
            raise NotebookError(f"java.nio.file.FileAlreadyExistsException: {path}")
        os.makedirs(os.path.dirname(local), exist_ok=True)
        with open(local + ".tmp", "w") as f:
            f.write(contents)
        os.replace(local + ".tmp", local)
        return True

    def mkdirs(self, path):
        os.makedirs(self.local(path), exist_ok=True)
        return True

    def rm(self, path, recurse=False):
        local = self.local(path)
        if not os.path.exists(local):
            return False
        if os.path.isdir(local):
            if not recurse:
                raise NotebookError(f"{path} is a directory: pass recurse=True")
            shutil.rmtree(local)
        else:
            os.remove(local)
        return True

    def mounts(self):
        return [MountInfo(point, source, "") for point, source in sorted(self._mounts().items())]

    def mount(self, source, mount_point, encryption_type="", extra_configs=None):
        mounts = self._mounts()
        if mount_point in mounts:
            raise NotebookError(f"Directory already mounted: {mount_point}")
        # The local target's bucket is the lake: the mount records the point, never the source's keys.
        mounts[mount_point] = str(source).split("@")[-1]
        os.makedirs(os.path.dirname(self._mounts_file), exist_ok=True)
        with open(self._mounts_file + ".tmp", "w") as f:
            json.dump(mounts, f)
        os.replace(self._mounts_file + ".tmp", self._mounts_file)
        return True

    def unmount(self, mount_point):
        mounts = self._mounts()
        if mounts.pop(mount_point, None) is None:
            raise NotebookError(f"Directory not mounted: {mount_point}")
        with open(self._mounts_file + ".tmp", "w") as f:
            json.dump(mounts, f)
        os.replace(self._mounts_file + ".tmp", self._mounts_file)
        return True


class Secrets:
    """Secret scopes from a local file (mode 600, {scope: {key: value}}), as a workspace's secret scopes."""

    def __init__(self, file):
        self._file = file

    def _scopes(self):
        if not os.path.exists(self._file):
            return {}
        mode = stat.S_IMODE(os.stat(self._file).st_mode)
        if mode & 0o077:
            raise NotebookError(f"the secret scope file {self._file} is readable by others (mode {mode:o}): chmod 600 it")
        with open(self._file) as f:
            return json.load(f)

    def get(self, scope, key):
        scopes = self._scopes()
        if scope not in scopes:
            raise NotebookError(f"Secret does not exist with scope: {scope} and key: {key} (no scope {scope} in {self._file})")
        if key not in scopes[scope]:
            raise NotebookError(f"Secret does not exist with scope: {scope} and key: {key}")
        return scopes[scope][key]

    def getBytes(self, scope, key):
        return self.get(scope, key).encode("utf-8")

    def list(self, scope):
        return [collections.namedtuple("SecretMetadata", ["key"])(k) for k in sorted(self._scopes().get(scope, {}))]

    def listScopes(self):
        return [collections.namedtuple("SecretScope", ["name"])(s) for s in sorted(self._scopes())]


class DBUtils:
    def __init__(self, spec):
        self.widgets = Widgets(spec.get("params", {}))
        self.notebook = Notebook()
        self.fs = Fs(spec["lake"], spec["mounts_file"])
        self.secrets = Secrets(spec["secrets_file"])


def display(obj, *args, **kwargs):
    if hasattr(obj, "show") and hasattr(obj, "schema"):
        if getattr(obj, "isStreaming", False):
            raise NotebookError("display() of a streaming DataFrame is not supported by the local workspace: write it to a table")
        obj.show(20, truncate=False)
    else:
        print(obj)


def write_result(spec, result):
    path = spec["result_file"]
    with open(path + ".tmp", "w") as f:
        json.dump(result, f)
    os.replace(path + ".tmp", path)


def connect(spec):
    from pyspark.sql import SparkSession

    return SparkSession.builder.remote(spec["remote"]).getOrCreate()


def run(spec):
    with open(spec["notebook_file"], encoding="utf-8") as f:
        cells = split_cells(f.read())
    name = spec["notebook_path"]
    spark = connect(spec)
    g = {"__name__": "__main__", "spark": spark, "dbutils": DBUtils(spec), "display": display, "displayHTML": print}
    code_cells = [c for c in cells if c[0] != "%md"]
    done = 0
    for index, (kind, source) in enumerate(cells, start=1):
        if kind == "%md":
            continue
        done += 1
        print(f"pinpipe: {name} cell {index} ({done}/{len(code_cells)})", flush=True)
        try:
            if kind == "%sql":
                for statement in split_statements(source):
                    spark.sql(statement).collect()
            elif kind == "%python":
                exec(compile(source, f"{name} cell {index}", "exec"), g)
            else:
                raise NotebookError(f"the magic {kind} is not supported by the local workspace (only %md, %sql and %python)")
        except NotebookExit as e:
            write_result(spec, {"status": "success", "exit": e.value})
            return 0
        except KeyboardInterrupt:
            write_result(spec, {"status": "cancelled", "cell": index})
            return 130
        except BaseException as e:
            trace = "".join(traceback.format_exception(type(e), e, e.__traceback__))
            print(trace, file=sys.stderr, flush=True)
            message = f"{type(e).__name__}: {e}".strip()
            write_result(spec, {"status": "failed", "cell": index, "error": message, "trace": trace})
            return 1
    write_result(spec, {"status": "success", "exit": None})
    return 0


def release(spec):
    """Stops the streaming queries and operations a run left in its session, then releases the session."""
    spark = connect(spec)
    stopped = 0
    for q in spark.streams.active:
        q.stop()
        stopped += 1
    spark.interruptAll()
    spark.stop()
    print(f"pinpipe: released the session ({stopped} streaming quer{'y' if stopped == 1 else 'ies'} stopped)", flush=True)
    return 0


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in ("run", "release"):
        print("usage: notebook_runner.py run|release SPEC", file=sys.stderr)
        return 2
    with open(sys.argv[2]) as f:
        spec = json.load(f)
    if sys.argv[1] == "release":
        os.remove(sys.argv[2])
        return release(spec)
    # SIGTERM (runs/cancel, a timeout) ends the notebook as Ctrl-C would; the launcher then releases the session.
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    try:
        return run(spec)
    except NotebookError as e:
        write_result(spec, {"status": "failed", "cell": 0, "error": str(e), "trace": str(e)})
        return 1


if __name__ == "__main__":
    sys.exit(main())
