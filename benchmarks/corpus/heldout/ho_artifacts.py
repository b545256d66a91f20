"""Structure that real requests carry: code, stack traces, diffs, configs, tool specs.

Artifacts are not wording. Every source writes its own reasoning demands and its own task
phrasing; an artifact is what a person pastes under it (a snippet, a traceback, a YAML
file), so the corpus has the fences, tabs, file paths and error lines real traffic has.
Identifiers inside them are drawn per request so two requests rarely paste the same text.
"""

from __future__ import annotations

import json
import random

VERBS = [
    "load",
    "parse",
    "fetch",
    "merge",
    "compute",
    "sync",
    "resolve",
    "flush",
    "render",
    "validate",
    "normalize",
    "dispatch",
    "collect",
    "reconcile",
    "export",
    "index",
]
NOUNS = [
    "invoice",
    "user",
    "order",
    "token",
    "session",
    "report",
    "batch",
    "event",
    "metric",
    "payload",
    "config",
    "record",
    "ticket",
    "shipment",
    "ledger",
    "profile",
    "segment",
]
CLASSES = [
    "Cache",
    "Registry",
    "Pool",
    "Scheduler",
    "Gateway",
    "Store",
    "Queue",
    "Tracker",
    "Manager",
    "Client",
    "Buffer",
    "Router",
    "Limiter",
    "Index",
]
ROOTS = ["/srv", "/home/dev", "/opt", "/Users/sam/work", "/app", "/var/www", "C:\\dev"]
PROJECTS = [
    "billing",
    "atlas",
    "ledgerd",
    "shopfront",
    "pipeline",
    "reports-api",
    "heron",
    "notify",
    "inventory",
    "kite",
    "orbit",
    "payroll",
]


def plural(noun: str) -> str:
    return noun + ("es" if noun.endswith(("ch", "sh", "s", "x")) else "s")


def ident(rng: random.Random, style: str = "snake") -> str:
    """A plausible function name in the given naming style."""
    verb, noun = rng.choice(VERBS), rng.choice(NOUNS)
    if rng.random() < 0.5:
        noun = plural(noun)
    if style == "camel":
        return verb + noun[0].upper() + noun[1:]
    if style == "pascal":
        return verb[0].upper() + verb[1:] + noun[0].upper() + noun[1:]
    return f"{verb}_{noun}"


def class_name(rng: random.Random) -> str:
    noun = rng.choice(NOUNS)
    return noun[0].upper() + noun[1:] + rng.choice(CLASSES)


def path(rng: random.Random, ext: str) -> str:
    root = rng.choice(ROOTS)
    sep = "\\" if root.startswith("C:") else "/"
    parts = [root, rng.choice(PROJECTS), rng.choice(["src", "app", "internal", "lib", "pkg"])]
    parts.append(plural(rng.choice(NOUNS)))
    parts.append(f"{rng.choice(VERBS)}_{rng.choice(NOUNS)}.{ext}")
    return sep.join(parts)


def relpath(rng: random.Random, ext: str) -> str:
    """A repository-relative path, as editors and people write them."""
    top = rng.choice(["src", "app", "internal", "lib", "pkg", "services/api"])
    return f"{top}/{plural(rng.choice(NOUNS))}/{ident(rng)}.{ext}"


# --- code -------------------------------------------------------------------------------
# Tokens: FNAME (function, styled per language), CNAME (class), VNAME (a noun), PROJ.

CODE: dict[str, list[str]] = {
    "py": [
        """def FNAME(item, bucket=[]):
    bucket.append(item)
    return bucket""",
        """async def FNAME(urls):
    results = []
    for u in urls:
        r = requests.get(u, timeout=10)
        results.append(r.json())
    return results""",
        """def FNAME(xs, target):
    lo, hi = 0, len(xs)
    while lo < hi:
        mid = (lo + hi) // 2
        if xs[mid] < target:
            lo = mid
        else:
            hi = mid
    return lo""",
        """def FNAME(cache: dict, now: float) -> None:
    for key, (value, expires) in cache.items():
        if expires < now:
            del cache[key]""",
        """class CNAME:
    def __init__(self):
        self.count = 0

    def incr(self):
        tmp = self.count
        time.sleep(0)  # simulate work
        self.count = tmp + 1""",
        """import pandas as pd

df = pd.read_csv("VNAME.csv")
df[df["status"] == "late"]["penalty"] = 10
print(df.groupby("region").penalty.sum())""",
        """def FNAME(rows):
    total = 0
    for i in range(len(rows)):
        for j in range(len(rows)):
            if rows[i]["id"] == rows[j]["parent_id"]:
                total += rows[j]["amount"]
    return total""",
        """@app.get("/VNAMEs/{item_id}")
def FNAME(item_id: int, db: Session = Depends(get_db)):
    item = db.query(Item).get(item_id)
    return {"id": item.id, "owner": item.owner.name}""",
        """import threading

lock_a, lock_b = threading.Lock(), threading.Lock()

def transfer(src, dst, amount):
    with lock_a:
        with lock_b:
            src.balance -= amount
            dst.balance += amount

def refund(src, dst, amount):
    with lock_b:
        with lock_a:
            dst.balance -= amount
            src.balance += amount""",
        """def FNAME(path):
    f = open(path)
    data = json.load(f)
    if not data.get("enabled"):
        return None
    f.close()
    return data""",
    ],
    "js": [
        """async function FNAME(ids) {
  const out = [];
  ids.forEach(async (id) => {
    const res = await fetch(`/api/VNAME/${id}`);
    out.push(await res.json());
  });
  return out;
}""",
        """function CNAME({ userId }) {
  const [data, setData] = useState(null);
  useEffect(() => {
    fetch(`/users/${userId}`).then((r) => r.json()).then(setData);
  }, []);
  return <Profile data={data} />;
}""",
        """for (var i = 0; i < buttons.length; i++) {
  buttons[i].addEventListener("click", function () {
    console.log("clicked VNAME", i);
  });
}""",
        """app.post("/VNAME", (req, res) => {
  db.query("SELECT * FROM VNAMEs WHERE id = " + req.body.id, (err, rows) => {
    res.json(rows);
  });
});""",
        """const FNAME = (list) => list.sort().map(x => x * 2).filter(Boolean)
console.log(FNAME([10, 9, 1, 100]))""",
    ],
    "ts": [
        """interface CNAME {
  id: string;
  tags?: string[];
}

function FNAME(x: CNAME): number {
  return x.tags.length;
}""",
        """export async function FNAME(client: HttpClient, page = 1): Promise<Item[]> {
  const res = await client.get<Page<Item>>(`/VNAMEs?page=${page}`);
  if (res.next) {
    FNAME(client, page + 1);
  }
  return res.items;
}""",
        """type Event = { kind: "click" | "view"; at: number };

function FNAME(events: Event[]) {
  return events.reduce((acc, e) => {
    acc[e.kind] = (acc[e.kind] || 0) + 1;
    return acc;
  });
}""",
    ],
    "go": [
        """func FNAME(ctx context.Context, jobs []Job) error {
\tresults := make(chan error)
\tfor _, j := range jobs {
\t\tgo func(j Job) {
\t\t\tresults <- j.Run(ctx)
\t\t}(j)
\t}
\tfor range jobs {
\t\tselect {
\t\tcase err := <-results:
\t\t\tif err != nil {
\t\t\t\treturn err
\t\t\t}
\t\tcase <-ctx.Done():
\t\t\treturn ctx.Err()
\t\t}
\t}
\treturn nil
}""",
        """var cache = map[string]int{}

func FNAME(w http.ResponseWriter, r *http.Request) {
\tkey := r.URL.Query().Get("k")
\tcache[key]++
\tfmt.Fprintf(w, "%d", cache[key])
}""",
        """func FNAME(ctx context.Context, in <-chan VNAME) <-chan VNAME {
\tout := make(chan VNAME)
\tgo func() {
\t\tfor v := range in {
\t\t\tout <- transform(v)
\t\t}
\t\tclose(out)
\t}()
\treturn out
}""",
        """func (s *Server) FNAME(id string) (*VNAME, error) {
\trows, err := s.db.Query("SELECT body FROM VNAMEs WHERE id = $1", id)
\tif err != nil {
\t\treturn nil, err
\t}
\tvar v VNAME
\tfor rows.Next() {
\t\trows.Scan(&v.Body)
\t}
\treturn &v, nil
}""",
    ],
    "rs": [
        """fn FNAME(v: &mut Vec<String>) {
    for s in v.iter() {
        if s.is_empty() {
            v.push(String::from("placeholder"));
        }
    }
}""",
        """fn longest(a: &str, b: &str) -> &str {
    if a.len() > b.len() { a } else { b }
}""",
        """use std::thread;

fn main() {
    let mut counter = 0;
    let handles: Vec<_> = (0..8)
        .map(|_| thread::spawn(|| { counter += 1; }))
        .collect();
    for h in handles { h.join().unwrap(); }
    println!("{}", counter);
}""",
    ],
    "java": [
        """for (String k : map.keySet()) {
    if (map.get(k) == null) {
        map.remove(k);
    }
}""",
        """public class CNAME {
    private final String id;

    public CNAME(String id) { this.id = id; }

    @Override
    public boolean equals(Object o) {
        return o instanceof CNAME && ((CNAME) o).id.equals(id);
    }
}""",
        """@Service
public class CNAME {
    @Autowired private VNAMERepository repo;

    @Transactional
    public void FNAME(List<Long> ids) {
        for (Long id : ids) {
            repo.findById(id).get().setStatus(Status.DONE);
            self().notifyLater(id);
        }
    }
}""",
        """public static CNAME getInstance() {
    if (instance == null) {
        instance = new CNAME();
    }
    return instance;
}""",
    ],
    "c": [
        """char *FNAME(const char *s) {
    char buf[64];
    strcpy(buf, s);
    return buf;
}""",
        """int *FNAME(size_t n) {
    int *xs = malloc(n);
    for (size_t i = 0; i <= n; i++)
        xs[i] = 0;
    return xs;
}""",
    ],
    "cpp": [
        """std::vector<int> v = {1, 2, 3, 4};
for (auto it = v.begin(); it != v.end(); ++it) {
    if (*it % 2 == 0) v.erase(it);
}""",
        """class CNAME {
public:
    CNAME(size_t n) : data_(new int[n]), n_(n) {}
    ~CNAME() { delete data_; }
private:
    int* data_;
    size_t n_;
};""",
    ],
    "sql": [
        """SELECT c.id, c.name, COUNT(o.id) AS orders
FROM customers c
LEFT JOIN orders o ON o.customer_id = c.id
WHERE o.created_at > NOW() - INTERVAL '30 days'
GROUP BY c.id;""",
        """SELECT department, name, salary
FROM employees
WHERE salary = (SELECT MAX(salary) FROM employees)
ORDER BY department;""",
        """UPDATE VNAMEs SET status = 'archived'
WHERE id IN (SELECT id FROM VNAMEs WHERE updated_at < '2024-01-01' LIMIT 1000);""",
    ],
    "sh": [
        """for f in $(ls /var/log/PROJ/*.log); do
  gzip $f
done""",
        """#!/bin/bash
set -e
cd $DEPLOY_DIR
git pull
npm ci
pm2 restart PROJ || true
echo "deployed $(git rev-parse --short HEAD)" """,
        """find . -name "*.tmp" -mtime +7 | xargs rm""",
    ],
    "yaml": [
        """apiVersion: apps/v1
kind: Deployment
metadata:
  name: PROJ-api
spec:
  replicas: 3
  template:
    spec:
      containers:
        - name: api
          image: registry.local/PROJ-api:1.4.2
          livenessProbe:
            httpGet: { path: /healthz, port: 8080 }
            initialDelaySeconds: 1
            periodSeconds: 2
          resources:
            limits: { memory: "128Mi" }""",
        """name: ci
on: [push]
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-python@v5
        with:
          python-version: "3.12"
      - run: pip install -r requirements.txt
      - run: pytest -q""",
    ],
    "docker": [
        """FROM python:3.12
COPY . /app
RUN pip install -r /app/requirements.txt
RUN apt-get update && apt-get install -y build-essential
CMD python /app/main.py""",
        """FROM node:20
WORKDIR /usr/src/PROJ
COPY . .
RUN npm install
EXPOSE 3000
CMD ["npm", "run", "dev"]""",
    ],
}

FENCE_TAGS = {
    "py": ["python", "py", ""],
    "js": ["javascript", "js", "jsx", ""],
    "ts": ["typescript", "ts", ""],
    "go": ["go", "golang", ""],
    "rs": ["rust", "rs", ""],
    "java": ["java", ""],
    "c": ["c", ""],
    "cpp": ["cpp", "c++", ""],
    "sql": ["sql", "postgresql", ""],
    "sh": ["bash", "sh", "shell", ""],
    "yaml": ["yaml", "yml", ""],
    "docker": ["dockerfile", "Dockerfile", ""],
}

# Programming-language names as people write them, mapped to the snippet pool.
LANGS = {
    "Python": "py",
    "Go": "go",
    "Rust": "rs",
    "Java": "java",
    "TypeScript": "ts",
    "JavaScript": "js",
    "C": "c",
    "C++": "cpp",
    "Kotlin": "java",
    "C#": "java",
}
LANG_NAMES = list(LANGS)
# which error pool fits a snippet language
TRACE_FOR = {
    "py": "py",
    "go": "go",
    "rs": "rs",
    "java": "java",
    "ts": "js",
    "js": "js",
    "c": "ops",
    "cpp": "ops",
}


def _style_for(key: str) -> str:
    return {
        "py": "snake",
        "rs": "snake",
        "c": "snake",
        "sh": "snake",
        "sql": "snake",
        "go": "pascal",
        "cs": "pascal",
    }.get(key, "camel")


def code(
    rng: random.Random, key: str | None = None, fence: str = "auto", index: int | None = None
) -> str:
    """A snippet from the pool for `key` (random language if None), fenced or pasted raw."""
    if key is None or key not in CODE:
        key = rng.choice(sorted(CODE))
    pool = CODE[key]
    text = pool[index % len(pool)] if index is not None else rng.choice(pool)
    text = (
        text.replace("FNAME", ident(rng, _style_for(key)))
        .replace("CNAME", class_name(rng))
        .replace("VNAME", rng.choice(NOUNS))
        .replace("PROJ", rng.choice(PROJECTS))
    )
    if fence == "auto":
        fence = rng.choices(["md", "raw", "indent"], [0.78, 0.17, 0.05])[0]
    if fence == "md":
        return f"```{rng.choice(FENCE_TAGS[key])}\n{text}\n```"
    if fence == "indent":
        return "\n".join("    " + line for line in text.split("\n"))
    return text


COMMENT = {"py": "#", "sh": "#", "yaml": "#", "docker": "#", "sql": "--"}
EXT = {
    "py": "py",
    "js": "js",
    "ts": "ts",
    "go": "go",
    "rs": "rs",
    "java": "java",
    "c": "c",
    "cpp": "cpp",
    "sql": "sql",
    "sh": "sh",
    "yaml": "yaml",
    "docker": "Dockerfile",
}


def bundle(rng: random.Random, key: str | None = None) -> str:
    """Several files pasted at once, each headed by its path: what long requests carry."""
    keys = [key] if key in CODE else ["py", "ts", "go", "java", "rs"]
    k = rng.choice(keys)
    parts = []
    for i in range(rng.randint(3, 6)):
        kk = k if i < 3 else rng.choice(["yaml", "sql", "sh", "docker", k])
        body = code(rng, kk, fence="raw")
        name = "Dockerfile" if kk == "docker" else relpath(rng, EXT[kk])
        head = f"{COMMENT.get(kk, '//')} {name}"
        parts.append(f"```{FENCE_TAGS[kk][0]}\n{head}\n{body}\n```")
    return "\n\n".join(parts)


# --- errors -----------------------------------------------------------------------------

TRACES: dict[str, list[str]] = {
    "py": [
        """Traceback (most recent call last):
  File "PATH", line 88, in run
    payload = json.loads(msg.body)
  File "/usr/lib/python3.11/json/__init__.py", line 346, in loads
    return _default_decoder.decode(s)
  File "/usr/lib/python3.11/json/decoder.py", line 355, in raw_decode
    raise JSONDecodeError("Expecting value", s, err.value) from None
json.decoder.JSONDecodeError: Expecting value: line 1 column 1 (char 0)""",
        """Traceback (most recent call last):
  File "PATH", line 41, in FNAME
    return self.VNAMEs[key].total
KeyError: 'VNAME_2291'""",
        """Traceback (most recent call last):
  File "PATH", line 17, in <module>
    main()
  File "PATH", line 12, in main
    print(cfg.get("db").get("host"))
AttributeError: 'NoneType' object has no attribute 'get'""",
        """sqlalchemy.exc.IntegrityError: (psycopg2.errors.UniqueViolation) duplicate key value \
violates unique constraint "VNAMEs_pkey"
DETAIL:  Key (id)=(4412) already exists.
[SQL: INSERT INTO VNAMEs (id, name) VALUES (%(id)s, %(name)s)]""",
        """ModuleNotFoundError: No module named 'PROJ.VNAMEs'""",
        """RecursionError: maximum recursion depth exceeded while calling a Python object""",
        """RuntimeError: Task <Task pending name='Task-3' coro=<FNAME() running at PATH:52>> \
got Future <Future pending> attached to a different loop""",
    ],
    "java": [
        """Exception in thread "main" java.lang.NullPointerException: Cannot invoke \
"String.length()" because "name" is null
\tat com.PROJ.VNAME.CNAME.FNAME(CNAME.java:57)
\tat com.PROJ.VNAME.App.main(App.java:21)""",
        """java.util.ConcurrentModificationException
\tat java.base/java.util.HashMap$HashIterator.nextNode(HashMap.java:1605)
\tat java.base/java.util.HashMap$KeyIterator.next(HashMap.java:1628)
\tat com.PROJ.CNAME.FNAME(CNAME.java:88)""",
        """org.springframework.beans.factory.UnsatisfiedDependencyException: Error creating bean \
with name 'VNAMEController': Unsatisfied dependency expressed through field 'service'""",
    ],
    "js": [
        """TypeError: Cannot read properties of undefined (reading 'map')
    at CNAME (webpack-internal:///./src/components/CNAME.jsx:23:19)
    at renderWithHooks (react-dom.development.js:16305:18)""",
        """UnhandledPromiseRejectionWarning: Error: connect ECONNREFUSED 127.0.0.1:5432
    at TCPConnectWrap.afterConnect [as oncomplete] (node:net:1555:16)""",
        """npm ERR! code ERESOLVE
npm ERR! ERESOLVE unable to resolve dependency tree
npm ERR! Found: react@18.2.0
npm ERR! Could not resolve dependency:
npm ERR! peer react@"^17.0.0" from react-beautiful-dnd@13.1.1""",
        """Access to fetch at 'https://api.PROJ.io/v1/VNAMEs' from origin 'http://localhost:3000' \
has been blocked by CORS policy: No 'Access-Control-Allow-Origin' header is present on the \
requested resource.""",
    ],
    "go": [
        """panic: runtime error: index out of range [3] with length 3

goroutine 1 [running]:
main.FNAME(...)
\tPATH:42 +0x1d
main.main()
\tPATH:17 +0x85
exit status 2""",
        """fatal error: concurrent map writes

goroutine 88 [running]:
main.FNAME(0xc000126000, 0xc00014c100)""",
        """goroutine profile: total 18423
18201 @ 0x43a0f6 0x4070ec 0x406d58 0x6f7b25 0x46b021
#\t0x6f7b24\tmain.FNAME.func1+0x44\tPATH:31""",
    ],
    "rs": [
        """thread 'main' panicked at 'called `Option::unwrap()` on a `None` value', \
src/main.rs:14:37
note: run with `RUST_BACKTRACE=1` environment variable to display a backtrace""",
        """error[E0502]: cannot borrow `*v` as mutable because it is also borrowed as immutable
 --> src/lib.rs:4:13
  |
2 |     for s in v.iter() {
  |              --------
  |              |
  |              immutable borrow occurs here
3 |         if s.is_empty() {
4 |             v.push(String::from("placeholder"));
  |             ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^ mutable borrow occurs here""",
        """error[E0106]: missing lifetime specifier
 --> src/main.rs:1:33
  |
1 | fn longest(a: &str, b: &str) -> &str {
  |               ----     ----     ^ expected named lifetime parameter""",
    ],
    "ops": [
        """$ kubectl get pods
NAME                         READY   STATUS             RESTARTS      AGE
PROJ-api-7d9c8b6f5-xk2lp     0/1     CrashLoopBackOff   7 (2m ago)    14m
$ kubectl logs PROJ-api-7d9c8b6f5-xk2lp --previous
Error: listen EADDRINUSE: address already in use :::8080""",
        """standard_init_linux.go:228: exec user process caused: exec format error""",
        """ERROR: deadlock detected
DETAIL:  Process 8812 waits for ShareLock on transaction 99120; blocked by process 8815.
Process 8815 waits for ShareLock on transaction 99118; blocked by process 8812.""",
        """Segmentation fault (core dumped)
(gdb) bt
#0  0x00005555555551a9 in FNAME (s=0x7fffffffe4a0 "hello") at main.c:9
#1  0x0000555555555201 in main () at main.c:21""",
        """CONFLICT (content): Merge conflict in src/VNAME/FNAME.py
Automatic merge failed; fix conflicts and then commit the result.""",
        """Error: error configuring S3 Backend: no valid credential sources for S3 Backend \
found.""",
        """nginx: [emerg] unknown directive "proxy_http_versoin" in \
/etc/nginx/conf.d/PROJ.conf:14""",
    ],
}


def trace(rng: random.Random, key: str | None = None, index: int | None = None) -> str:
    if key is None or key not in TRACES:
        key = rng.choice(sorted(TRACES))
    ext = {"py": "py", "go": "go", "java": "java", "js": "js", "rs": "rs"}.get(key, "py")
    pool = TRACES[key]
    text = pool[index % len(pool)] if index is not None else rng.choice(pool)
    return (
        text.replace("PATH", path(rng, ext))
        .replace("FNAME", ident(rng, _style_for(key)))
        .replace("CNAME", class_name(rng))
        .replace("VNAME", rng.choice(NOUNS))
        .replace("PROJ", rng.choice(PROJECTS))
    )


def diff(rng: random.Random) -> str:
    fn = ident(rng)
    noun = rng.choice(NOUNS)
    p = f"src/{noun}s/{fn}.py"
    variants = [
        f"""--- a/{p}
+++ b/{p}
@@ -12,9 +12,11 @@ def {fn}(rows, limit=100):
-    out = []
-    for r in rows:
-        if r.{noun}_id in seen:
-            continue
-        out.append(r)
+    out, seen = [], set()
+    for r in rows:
+        if r.{noun}_id in seen:
+            continue
+        seen.add(r.{noun}_id)
+        out.append(r)
+        if len(out) >= limit:
+            break
     return out""",
        f"""diff --git a/{p} b/{p}
index 3f1c2aa..9be0d41 100644
--- a/{p}
+++ b/{p}
@@ -40,7 +40,7 @@ class {class_name(rng)}:
     def get(self, key):
-        with self._lock:
-            return self._data.get(key)
+        return self._data.get(key)
{" "}
     def put(self, key, value):
         with self._lock:""",
        """--- a/config/settings.yaml
+++ b/config/settings.yaml
@@ -3,4 +3,4 @@ database:
   host: db.internal
-  pool_size: 5
-  timeout_ms: 30000
+  pool_size: 50
+  timeout_ms: 300""",
    ]
    return rng.choice(variants)


# --- tools (agentic requests) -----------------------------------------------------------

TOOLS = [
    {
        "name": "read_file",
        "description": "Read a file from the workspace.",
        "parameters": {
            "type": "object",
            "properties": {"path": {"type": "string"}},
            "required": ["path"],
        },
    },
    {
        "name": "write_file",
        "description": "Create or overwrite a file.",
        "parameters": {
            "type": "object",
            "properties": {"path": {"type": "string"}, "content": {"type": "string"}},
            "required": ["path", "content"],
        },
    },
    {
        "name": "run_shell",
        "description": "Run a shell command in the sandbox and return "
        "stdout, stderr and the exit code.",
        "parameters": {
            "type": "object",
            "properties": {"cmd": {"type": "string"}, "timeout_s": {"type": "integer"}},
            "required": ["cmd"],
        },
    },
    {
        "name": "search_code",
        "description": "Ripgrep over the repository.",
        "parameters": {
            "type": "object",
            "properties": {"pattern": {"type": "string"}, "glob": {"type": "string"}},
            "required": ["pattern"],
        },
    },
    {
        "name": "http_request",
        "description": "Make an HTTP request.",
        "parameters": {
            "type": "object",
            "properties": {
                "method": {"type": "string", "enum": ["GET", "POST", "PUT", "DELETE"]},
                "url": {"type": "string"},
                "body": {"type": "object"},
            },
            "required": ["method", "url"],
        },
    },
    {
        "name": "open_pull_request",
        "description": "Open a PR from the current branch.",
        "parameters": {
            "type": "object",
            "properties": {"title": {"type": "string"}, "body": {"type": "string"}},
            "required": ["title"],
        },
    },
    {
        "name": "sql_query",
        "description": "Run a read-only SQL query on the analytics DB.",
        "parameters": {
            "type": "object",
            "properties": {"query": {"type": "string"}},
            "required": ["query"],
        },
    },
]

NONCODE_TOOLS = [
    {
        "name": "search_flights",
        "description": "Search flights between two airports.",
        "parameters": {
            "type": "object",
            "properties": {
                "from": {"type": "string"},
                "to": {"type": "string"},
                "date": {"type": "string"},
            },
        },
    },
    {
        "name": "get_weather",
        "description": "Current weather for a city.",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
    },
    {
        "name": "book_table",
        "description": "Reserve a restaurant table.",
        "parameters": {
            "type": "object",
            "properties": {
                "restaurant": {"type": "string"},
                "party_size": {"type": "integer"},
                "time": {"type": "string"},
            },
        },
    },
    {
        "name": "send_email",
        "description": "Send an email on the user's behalf.",
        "parameters": {
            "type": "object",
            "properties": {
                "to": {"type": "string"},
                "subject": {"type": "string"},
                "body": {"type": "string"},
            },
        },
    },
]


def tools_json(
    rng: random.Random, pool: list[dict] | None = None, k: int | None = None, indent: int | None = 2
) -> str:
    pool = TOOLS if pool is None else pool
    k = k or rng.randint(2, len(pool))
    chosen = rng.sample(pool, k)
    return json.dumps(chosen, indent=indent, ensure_ascii=False)


# --- maths (language-neutral notation) --------------------------------------------------


def equation(rng: random.Random) -> str:
    """A homework-sized maths item in neutral notation (used by every language)."""
    a, b, c, d = (rng.randint(2, 9) for _ in range(4))
    r1, r2 = rng.randint(-6, 6), rng.randint(1, 9)
    kinds = [
        f"{a}x + {b} = {c}x - {d}",
        f"x^2 - {r1 + r2}x + {r1 * r2} = 0",
        f"{a}(x - {b}) = {c}x + {d}",
        f"d/dx [x^{a} · ln(x)]",
        f"∫ x·e^({a}x) dx",
        f"∫_0^{b} ({a}x^2 + {c}) dx",
        f"lim x→0 sin({a}x)/({b}x)",
        f"{{ {a}x + {b}y = {a * 2 + b * 3}; {c}x - y = {c * 2 - 3} }}",
        f"log_{a}(x) + log_{a}(x - {b}) = 1",
        f"\\frac{{{a}}}{{x}} + \\frac{{{b}}}{{x+1}} = {c}",
        f"√({a}x + {b}) = x - {c % 4 + 1}",
        f"{a}^(x+1) = {a}^{b} · {a}",
    ]
    return rng.choice(kinds)
