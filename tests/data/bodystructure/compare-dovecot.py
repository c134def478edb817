#!/usr/bin/python3
"""Compares the golden answers here (<name>.ref, written by facteur's
formatters: tests/unit/test_imap_bodystructure.c) with Dovecot's answers
for the same messages (<name>.eml), item by item, and prints where they
differ.  NOTES.md records each difference and which side is right.

    python3 tests/data/bodystructure/compare-dovecot.py [name.eml ...]

It runs Debian's /usr/lib/dovecot/imap (dovecot-imapd) in PREAUTH mode on
a temporary Maildir holding the messages, as uid 65534, talking over a
pipe: no port, no configuration outside the temporary directory.  Exit
status 0 when the differences are exactly those NOTES.md lists (lines
`- <name> <ITEM>: ...`), 1 otherwise, 2 when Dovecot is not installed.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
IMAP = '/usr/lib/dovecot/imap'
ITEMS = ('ENVELOPE', 'BODYSTRUCTURE', 'BODY')


def parse_list(b, i):
    """An IMAP parenthesized list at b[i] == '(' -> (list, next index);
    strings and literals become bytes, NIL None, atoms bytes."""
    out = []
    i += 1
    while True:
        c = b[i:i + 1]
        if c == b' ':
            i += 1
        elif c == b')':
            return out, i + 1
        elif c == b'(':
            o, i = parse_list(b, i)
            out.append(o)
        elif c == b'"':
            j, s = i + 1, bytearray()
            while b[j:j + 1] != b'"':
                if b[j:j + 1] == b'\\':
                    j += 1
                s += b[j:j + 1]
                j += 1
            out.append(bytes(s))
            i = j + 1
        elif c == b'{':
            j = b.index(b'}', i)
            n = int(b[i + 1:j])
            out.append(bytes(b[j + 3:j + 3 + n]))
            i = j + 3 + n
        else:
            tok = re.match(rb'[^ ()]+', b[i:]).group(0)
            i += len(tok)
            out.append(None if tok == b'NIL' else tok)


def dovecot(files):
    d = tempfile.mkdtemp(prefix='facteur-dovecot.')
    try:
        for sub in ('cur', 'new', 'tmp'):
            os.makedirs(os.path.join(d, 'Maildir', sub))
        for i, f in enumerate(files, 1):
            shutil.copy(f, os.path.join(d, 'Maildir', 'cur', '%d.x:2,' % i))
        with open(os.path.join(d, 'dovecot.conf'), 'w') as c:
            c.write('protocols = imap\nmail_location = maildir:%s/Maildir\n'
                    'base_dir = %s/run\nstate_dir = %s/state\n'
                    'log_path = %s/log\nssl = no\nmail_uid = 65534\n'
                    'mail_gid = 65534\nfirst_valid_uid = 0\n' % (d, d, d, d))
        subprocess.run(['chown', '-R', '65534:65534', d], check=True)
        cmd = b'b SELECT INBOX\r\nc FETCH 1:* (%s)\r\nd LOGOUT\r\n' % \
            ' '.join(ITEMS).encode()
        r = subprocess.run([IMAP, '-c', os.path.join(d, 'dovecot.conf')],
                           input=cmd, capture_output=True, timeout=60,
                           env={'USER': 'nobody', 'HOME': d})
    finally:
        shutil.rmtree(d)
    answers = {}
    for m in re.finditer(rb'\* (\d+) FETCH ', r.stdout):
        o, _ = parse_list(r.stdout, m.end())
        answers[int(m.group(1))] = {o[k].decode(): o[k + 1]
                                    for k in range(0, len(o), 2)}
    return answers


def ours(ref):
    data = open(ref, 'rb').read()
    answers = {}
    for item in ITEMS:
        m = re.search(rb'(?:^|\r\n)' + item.encode() + rb' ', data)
        answers[item], _ = parse_list(data, m.end())
    return answers


def main():
    if not os.access(IMAP, os.X_OK):
        print('compare-dovecot: %s not installed (dovecot-imapd)' % IMAP)
        return 2
    files = sys.argv[1:] or sorted(
        os.path.join(HERE, f) for f in os.listdir(HERE) if f.endswith('.eml'))
    dv = dovecot(files)
    found = set()
    for i, f in enumerate(files, 1):
        name = os.path.basename(f)[:-4]
        mine = ours(f[:-4] + '.ref')
        for item in ITEMS:
            if dv.get(i, {}).get(item) != mine[item]:
                found.add((name, item))
                print('%s %s:\n  dovecot %r\n  facteur %r' %
                      (name, item, dv.get(i, {}).get(item), mine[item]))
    noted = set()
    for line in open(os.path.join(HERE, 'NOTES.md')):
        m = re.match(r'- (\S+) (ENVELOPE|BODYSTRUCTURE|BODY):', line)
        if m:
            noted.add((m.group(1), m.group(2)))
    if sys.argv[1:]:
        noted = {n for n in noted if n[0] in
                 {os.path.basename(f)[:-4] for f in files}}
    for n in sorted(found - noted):
        print('not in NOTES.md: %s %s' % n)
    for n in sorted(noted - found):
        print('in NOTES.md but now the same: %s %s' % n)
    print('compare-dovecot: %d messages, %d items differ' %
          (len(files), len(found)))
    return 0 if found == noted else 1


if __name__ == '__main__':
    sys.exit(main())
