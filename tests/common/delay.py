#!/usr/bin/env python3
"""A delay proxy for an ssh ProxyCommand: runs the given command and relays
stdin -> command and command -> stdout, each chunk released MS milliseconds
after it arrived (latency, not a bandwidth limit).

    delay.py MS command args...
"""
import os, subprocess, sys, threading, time, queue

def relay(src, dst, delay):
    q = queue.Queue()
    def reader():
        while True:
            b = os.read(src, 65536)
            q.put((time.monotonic() + delay, b))
            if not b:
                return
    threading.Thread(target=reader, daemon=True).start()
    while True:
        due, b = q.get()
        wait = due - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        if not b:
            os.close(dst)
            return
        os.write(dst, b)

def main():
    delay = float(sys.argv[1]) / 1000.0
    child = subprocess.Popen(sys.argv[2:], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    up = threading.Thread(target=relay, args=(0, child.stdin.fileno(), delay), daemon=True)
    down = threading.Thread(target=relay, args=(child.stdout.fileno(), 1, delay), daemon=True)
    up.start(); down.start()
    down.join()
    child.kill()

main()
