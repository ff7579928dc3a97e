"""The nginx configuration of N dashboard replicas, rendered from one place.

`site(...)` is what a centre installs (docs/deploy.md prints it); the bench and the
two-replica test run the very same text inside `standalone(...)`, a minimal nginx.conf that
an unprivileged process can start from a temporary folder.

Stickiness: Streamlit keeps a session (its widgets, its uploads, its media and download
files) in the memory of the replica that opened its websocket, so every request of a browser
must reach that replica. `ip_hash` would keep them together but sends every browser behind
one address (a wall PC's NAT, the office proxy, this machine's own tests) to one replica.
Open-source nginx has no `sticky cookie`, so the balancer makes its own: a browser without
the `antifraud_route` cookie is routed by the request's random `$request_id` and gets that
id as its cookie; later requests hash the cookie (`hash … consistent`) to the same replica.
New browsers spread over the replicas; a browser's tabs share one replica.
"""
from __future__ import annotations

import os
import pwd
import textwrap

ROUTE_COOKIE = "antifraud_route"


def site(upstreams: list[str], listen: str = "80", server_name: str = "_",
         max_body_mb: int = 200, access_log: str | None = None) -> str:
    """The `http`-level part: maps, upstream and server (a file in /etc/nginx/conf.d/).

    `upstreams`: host:port of each replica. `max_body_mb` must be at least the upload page's
    limit (settings.toml `[import] max_upload_mb`, Streamlit's `server.maxUploadSize`).
    """
    servers = "\n".join(f"    server {u};" for u in upstreams)
    log = (f"    access_log {access_log} antifraud_route;\n" if access_log else "")
    return textwrap.dedent("""\
        # 反诈研判指挥看板: {n} Streamlit replicas behind one address (docs/deploy.md)
        map $http_upgrade $antifraud_connection {{
            default upgrade;
            ''      close;
        }}
        # the routing key: the browser's cookie, or for a first request a fresh random id
        map $cookie_{cookie} $antifraud_route {{
            ''      $request_id;
            default $cookie_{cookie};
        }}
        # handed to a browser that has no cookie yet (an empty value adds no header)
        map $cookie_{cookie} $antifraud_set_route {{
            ''      "{cookie}=$request_id; Path=/; HttpOnly; SameSite=Lax";
            default "";
        }}
        log_format antifraud_route '$time_iso8601 $remote_addr "$request" $status '
                                   'upstream=$upstream_addr route=$antifraud_route rt=$request_time';
        upstream antifraud_replicas {{
            hash $antifraud_route consistent;
        {servers}
        }}
        server {{
            listen {listen};
            server_name {server_name};
            client_max_body_size {body}m;
        {log}    location / {{
                proxy_pass http://antifraud_replicas;
                proxy_http_version 1.1;
                # Streamlit accepts the websocket only from its own origin: pass the Host the browser used
                proxy_set_header Host $http_host;
                proxy_set_header Upgrade $http_upgrade;
                proxy_set_header Connection $antifraud_connection;
                # the browser's own address, replacing any it sent: Streamlit (uvicorn) trusts this
                # header from 127.0.0.1, and without it every browser would look local (docs/access.md)
                proxy_set_header X-Forwarded-For $remote_addr;
                proxy_set_header X-Forwarded-Proto $scheme;
                # a wall screen keeps its websocket open all day
                proxy_read_timeout 1d;
                proxy_send_timeout 1d;
                add_header Set-Cookie $antifraud_set_route;
            }}
        }}
        """).format(n=len(upstreams), cookie=ROUTE_COOKIE, servers=servers, listen=listen,
                    server_name=server_name, body=int(max_body_mb), log=log)


def standalone(prefix: str, site_text: str, workers: int = 1) -> str:
    """A whole nginx.conf around `site_text` whose files all live under `prefix`.

    Run as `nginx -p PREFIX -c PREFIX/nginx.conf`. As root, the workers stay root so they
    can use the temporary folders (a test's folders are private to their owner); as another
    user no `user` line is needed.
    """
    user = ""
    if os.geteuid() == 0:
        user = f"user {pwd.getpwuid(0).pw_name};\n"
    temps = "\n".join(f"    {kind}_temp_path {prefix}/tmp/{kind};"
                      for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    return (f"{user}daemon off;\nworker_processes {workers};\npid {prefix}/nginx.pid;\n"
            f"error_log {prefix}/error.log warn;\nevents {{ worker_connections 1024; }}\n"
            f"http {{\n{temps}\n    access_log off;\n"
            + textwrap.indent(site_text, "    ") + "}\n")


def main(argv: list[str] | None = None) -> int:
    """`python -m antifraud.load.nginx 127.0.0.1:8501 127.0.0.1:8502 --listen 80 > antifraud.conf`"""
    import argparse
    p = argparse.ArgumentParser(prog="python -m antifraud.load.nginx",
                                description="打印 N 个看板进程前的 nginx 配置（放入 /etc/nginx/conf.d/）")
    p.add_argument("upstreams", nargs="+", help="每个 Streamlit 进程的 host:port")
    p.add_argument("--listen", default="80", help="nginx 监听（如 80、443 ssl、10.0.0.5:8080）")
    p.add_argument("--server-name", default="_")
    p.add_argument("--max-body-mb", type=int, default=200, help="上传上限，不小于 settings.toml [import] max_upload_mb")
    p.add_argument("--access-log", default="/var/log/nginx/antifraud.access.log",
                   help="记录每个请求去了哪个进程（空串：不单独记录）")
    args = p.parse_args(argv)
    print(site(args.upstreams, listen=args.listen, server_name=args.server_name, max_body_mb=args.max_body_mb,
               access_log=args.access_log or None), end="")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
