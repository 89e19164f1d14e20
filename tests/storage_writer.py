"""Write to a SQLite store until killed, acknowledging each write once the store has returned it.

Usage: ``python tests/storage_writer.py DBFILE`` (with the repository root on PYTHONPATH). Each line on stdout
is ``ack <revision> <key> <sha1 of the value>`` (``-`` for a delete), printed and flushed only after the write
returned: test_storage.py SIGKILLs this process and checks every acknowledged write survived.
"""

import hashlib
import json
import sys

from apiserver.storage import new_store

KEYS = [f"/registry/widgets/default/w{i}" for i in range(5)]


def main(path):
    store = new_store("sqlite", path)
    out = sys.stdout
    step = {k: 0 for k in KEYS}  # each key cycles: create, update, update, delete
    i = 0
    while True:
        k = KEYS[i % len(KEYS)]
        value = json.dumps({"i": i, "pad": "x" * (i % 97)}).encode()
        phase = step[k] % 4
        if phase == 0:
            rev = store.create(k, value)
        elif phase in (1, 2):
            rev = store.guaranteed_update(k, lambda cur, value=value: value).mod_revision
        else:
            rev = store.delete(k).mod_revision
        digest = "-" if phase == 3 else hashlib.sha1(value).hexdigest()
        out.write(f"ack {rev} {k} {digest}\n")
        out.flush()
        step[k] += 1
        i += 1


if __name__ == "__main__":
    main(sys.argv[1])
