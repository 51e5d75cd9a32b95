"""Baseline for `cargo xtask bench`: the seed's generator approach (ConfigParser), with its
typos fixed and its off-by-one port check corrected, extended to write the same three files
Trident writes. Usage: python3 seed_generate.py REPLICAS BASE_PORT OUT_DIR
"""
import os
import sys
from configparser import ConfigParser

HOME = "/srv/webapp"


def supervisord_conf(x, base_port):
    assert x > 0, "invalid input"
    assert base_port > 0, "invalid input"
    assert base_port + x - 1 <= 65535, "invalid input"
    cp = ConfigParser(interpolation=None)
    cp["unix_http_server"] = {"file": HOME + "/run/supervisor.sock", "chmod": "0700"}
    cp["supervisord"] = {
        "logfile": HOME + "/log/supervisord.log",
        "pidfile": HOME + "/run/supervisord.pid",
        "childlogdir": HOME + "/log",
    }
    cp["rpcinterface:supervisor"] = {
        "supervisor.rpcinterface_factory": "supervisor.rpcinterface:make_main_rpcinterface"
    }
    cp["supervisorctl"] = {"serverurl": "unix://" + HOME + "/run/supervisor.sock"}
    for i in range(x):
        cp["program:p{k}".format(k=i)] = {
            "command": "/usr/bin/uwsgi --ini " + HOME + "/etc/webapp.ini",
            "directory": HOME + "/app",
            "environment": 'S_PORT="{p}"'.format(p=base_port + i),
            "priority": "100",
            "autorestart": "true",
            "stopsignal": "QUIT",
            "stopwaitsecs": "10",
            "killasgroup": "true",
            "stdout_logfile": HOME + "/log/p{k}.log".format(k=i),
            "redirect_stderr": "true",
        }
    cp["program:ngx"] = {
        "command": "/usr/sbin/nginx -p " + HOME + "/run/ -c " + HOME + "/etc/nginx.conf",
        "priority": "900",
        "autorestart": "true",
        "stopsignal": "QUIT",
        "stdout_logfile": HOME + "/log/ngx.log",
        "redirect_stderr": "true",
    }
    return cp


def webapp_ini():
    cp = ConfigParser(interpolation=None)
    cp["uwsgi"] = {
        "strict": "true",
        "plugins": "python3",
        "need-app": "true",
        "master": "true",
        "vacuum": "true",
        "chdir": HOME + "/app",
        "module": "app.wsgi:application",
        "socket": "127.0.0.1:$(S_PORT)",
        "workers": "2",
        "threads": "2",
        "max-requests": "5000",
        "env": "LANG=C.UTF-8",
    }
    return cp


def nginx_conf(x, base_port):
    servers = "".join(
        "        server 127.0.0.1:{p} max_fails=1 fail_timeout=10s;\n".format(p=base_port + i)
        for i in range(x)
    )
    return (
        "daemon off;\npid {h}/run/nginx.pid;\nerror_log stderr;\nevents {{}}\nhttp {{\n"
        "    upstream triple {{\n        zone triple 64k;\n        least_conn;\n{s}    }}\n"
        "    server {{\n        listen 127.0.0.1:8000;\n        location / {{\n"
        "            uwsgi_pass triple;\n            include /etc/nginx/uwsgi_params;\n"
        "        }}\n    }}\n}}\n"
    ).format(h=HOME, s=servers)


def main():
    x, base_port, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "supervisord.conf"), "w") as f:
        supervisord_conf(x, base_port).write(f)
    with open(os.path.join(out, "webapp.ini"), "w") as f:
        webapp_ini().write(f)
    with open(os.path.join(out, "nginx.conf"), "w") as f:
        f.write(nginx_conf(x, base_port))


if __name__ == "__main__":
    main()
