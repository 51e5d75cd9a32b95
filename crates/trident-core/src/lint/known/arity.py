#!/usr/bin/env python3
"""Writes nginx-1.22-args.txt: how many arguments each directive of nginx-1.22.txt takes, and
whether it opens a block, as the installed nginx checks them (`nginx -t` on each directive in
the first context that allows it, with 0 to 8 arguments). Called by regen.sh; about a minute.

Each line: NAME<TAB>COUNTS[<TAB>block], COUNTS like `1`, `0-1`, `1+` or `2-3`."""
import os, subprocess, sys, tempfile

here = os.path.dirname(os.path.abspath(__file__))
names = open(os.path.join(here, "nginx-1.22.txt")).read().split()
work = tempfile.mkdtemp()
conf = os.path.join(work, "t.conf")
# Contexts, innermost last; `{}` where the directive goes.
CONTEXTS = [
    "{}\nevents {{}}\n",
    "events {{ {} }}\n",
    "events {{}}\nhttp {{ {} }}\n",
    "events {{}}\nhttp {{ server {{ {} }} }}\n",
    "events {{}}\nhttp {{ server {{ location / {{ {} }} }} }}\n",
    "events {{}}\nhttp {{ upstream u {{ server 127.0.0.1:1; {} }} }}\n",
    "events {{}}\nhttp {{ server {{ if ($a) {{ {} }} }} }}\n",
    "events {{}}\nhttp {{ server {{ location / {{ limit_except GET {{ {} }} }} }} }}\n",
    "events {{}}\nstream {{ {} }}\n",
    "events {{}}\nstream {{ server {{ {} }} }}\n",
    "events {{}}\nmail {{ {} }}\n",
    "events {{}}\nmail {{ server {{ {} }} }}\n",
    "events {{}}\nhttp {{ types {{ {} }} }}\n",
]

def nginx_t(text):
    with open(conf, "w") as f:
        f.write(text)
    o = subprocess.run(["nginx", "-t", "-p", work + "/", "-c", conf, "-g", "pid %s/t.pid;" % work],
                       capture_output=True, text=True)
    return o.stderr

def verdict(err, name):
    if "not allowed here" in err or "unknown directive" in err:
        return "context"
    if "invalid number of arguments" in err:
        return "count"
    if "has no opening \"{\"" in err or "directive \"%s\" has no opening" % name in err:
        return "block"
    return "ok"

out = []
for name in names:
    found = None
    for ctx in CONTEXTS:
        for block in (False, True):
            stmt = name + " x" + (" {}" if block else ";")
            v = verdict(nginx_t(ctx.format(stmt)), name)
            if v != "context":
                found = (ctx, block)
                break
            # `x` may be an invalid first argument that nginx reports first: try 0 args too.
            stmt0 = name + (" {}" if block else ";")
            if verdict(nginx_t(ctx.format(stmt0)), name) != "context":
                found = (ctx, block)
                break
        if found:
            break
    if not found:
        continue
    ctx, block = found
    # A block directive that says "has no opening {" without one.
    if not block:
        if "has no opening" in nginx_t(ctx.format(name + " x;")):
            block = True
    counts = []
    for n in range(0, 9):
        args = " ".join("x" for _ in range(n))
        stmt = (name + " " + args).strip() + (" {}" if block else ";")
        if verdict(nginx_t(ctx.format(stmt)), name) != "count":
            counts.append(n)
    if not counts:
        continue
    lo, hi = counts[0], counts[-1]
    if counts != list(range(lo, hi + 1)):
        spec = ",".join(map(str, counts))
    elif hi == 8:
        spec = "%d+" % lo
    elif lo == hi:
        spec = str(lo)
    else:
        spec = "%d-%d" % (lo, hi)
    out.append(name + "\t" + spec + ("\tblock" if block else ""))
open(os.path.join(here, "nginx-1.22-args.txt"), "w").write("\n".join(out) + "\n")
print(len(out), "directives with their arguments", file=sys.stderr)
