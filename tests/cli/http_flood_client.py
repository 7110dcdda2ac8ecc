#!/usr/bin/env python3
"""Flood clients for tests/cli/http_floods.sh (standard library only).

  slowloris HOST PORT N       N connections from 127.0.0.1 that send one header line
                              and then nothing; meanwhile GET /healthz from 127.0.0.2
                              must answer 200; then every held connection must end
                              (408 or closed by the server). Prints a JSON summary.
  slowbody HOST PORT PATH     a POST announcing 60000 bytes that sends 10: ends with
                              408 or a close.
  oversize HOST PORT PATH     a POST announcing 10 MB: answered 413.
Exit 0 when the server behaved, 1 otherwise (the reason on stderr).
"""
import json
import socket
import sys
import time

HANG_LIMIT_S = 120  # a hang fails; slowness does not


def connect(host, port, source="127.0.0.1"):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind((source, 0))
    s.settimeout(HANG_LIMIT_S)
    s.connect((host, port))
    return s


def read_until_closed(s):
    data = b""
    try:
        while True:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
    except ConnectionResetError:
        pass
    except socket.timeout:
        raise SystemExit("the server kept a slow connection open past %d s" % HANG_LIMIT_S)
    return data


def healthz(host, port, source):
    s = connect(host, port, source)
    s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    data = read_until_closed(s)
    s.close()
    return data.split(b"\r\n", 1)[0]


def slowloris(host, port, n):
    held, refused = [], 0
    for _ in range(n):
        try:
            s = connect(host, port)
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
            held.append(s)
        except OSError:
            refused += 1
    status = healthz(host, port, "127.0.0.2")
    if b" 200 " not in status:
        raise SystemExit("/healthz from another address while held: %r" % status)
    answered_408 = closed = 0
    for s in held:
        data = read_until_closed(s)
        if b" 408 " in data.split(b"\r\n", 1)[0]:
            answered_408 += 1
        else:
            closed += 1
        s.close()
    print(json.dumps({"opened": n, "refused_at_connect": refused, "answered_408": answered_408,
                      "closed": closed, "healthz_while_held": status.decode()}))


def slowbody(host, port, path):
    s = connect(host, port)
    s.sendall(("POST %s HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
               "Content-Length: 60000\r\n\r\n" % path).encode() + b"{\"a\":\"1234")
    data = read_until_closed(s)
    s.close()
    line = data.split(b"\r\n", 1)[0]
    if data and b" 408 " not in line:
        raise SystemExit("slow body answered %r" % line)
    print(json.dumps({"slow_body": line.decode() or "closed"}))


def oversize(host, port, path):
    s = connect(host, port)
    s.sendall(("POST %s HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
               "Content-Length: 10000000\r\nConnection: close\r\n\r\n" % path).encode())
    line = read_until_closed(s).split(b"\r\n", 1)[0]
    s.close()
    if b" 413 " not in line:
        raise SystemExit("oversized body answered %r" % line)
    print(json.dumps({"oversize": line.decode()}))


def main():
    cmd, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    if cmd == "slowloris":
        slowloris(host, port, int(sys.argv[4]))
    elif cmd == "slowbody":
        slowbody(host, port, sys.argv[4])
    elif cmd == "oversize":
        oversize(host, port, sys.argv[4])
    else:
        raise SystemExit("unknown command " + cmd)


if __name__ == "__main__":
    main()
