# Runs one Swift WSGI server (proxy, account, container or object) for
# swift-aio.py, which starts it as
#   python3 swift-one-server.py SERVER CONF SWIFT_CONF LISTEN_FD [RINGS_JSON]
# (with PR_SET_PDEATHSIG already set, so it dies with the supervisor).
# With RINGS_JSON (the proxy's case) it first writes the account, container
# and object rings it describes next to it, as swift-ring-builder would:
# part power 6, one replica, one device each.
# The server is Swift's own run_wsgi, unchanged; only four things around it
# differ from `swift-proxy-server CONF` and friends:
#  1. it reads the instance's swift.conf, not /etc/swift/swift.conf (Swift
#     reads that fixed path whatever swift_dir says; Debian ships one there);
#  2. it logs to stderr only (the supervisor sends that to a file), never
#     to syslog;
#  3. it serves on a socket the supervisor bound and passed down, so the
#     port is known before the rings are written and no other process can
#     take it in between;
#  4. it stays in the supervisor's process group (Swift's daemon hygiene
#     calls setsid()), so one group holds every process of an instance.
import os
import socket
import sys


def write_rings(description_path):
    import json
    from swift.common.ring import RingBuilder
    etc = os.path.dirname(description_path)
    with open(description_path) as description:
        rings = json.load(description)
    for name, dev in sorted(rings.items()):
        builder = RingBuilder(6, 1, 1)  # part power, replicas, min_part_hours
        builder.add_dev({'region': 1, 'zone': 1, 'ip': dev['ip'], 'port': dev['port'],
                         'replication_ip': dev['ip'], 'replication_port': dev['port'],
                         'device': dev['device'], 'weight': 1.0})
        builder.rebalance(seed=1)
        builder.save(os.path.join(etc, '%s.builder' % name))
        builder.get_ring().save(os.path.join(etc, '%s.ring.gz' % name))


def main(argv):
    if len(argv) not in (5, 6):
        sys.exit('usage: swift-one-server.py SERVER CONF SWIFT_CONF LISTEN_FD [RINGS_JSON]')
    server, conf_path, swift_conf, listen_fd = argv[1], argv[2], argv[3], int(argv[4])

    import swift.common.utils as utils
    # storage_policy and constraints read SWIFT_CONF_FILE when imported:
    # point it at ours before anything imports them.
    for early in ('swift.common.storage_policy', 'swift.common.constraints'):
        if early in sys.modules:
            sys.exit('%s was imported before swift.conf could be chosen' % early)
    utils.SWIFT_CONF_FILE = swift_conf
    if len(argv) == 6:
        write_rings(argv[5])

    import logging

    def no_syslog(*_args, **_kwargs):
        return logging.NullHandler()
    utils.ThreadSafeSysLogHandler = no_syslog

    import swift.common.wsgi as wsgi
    from eventlet.greenio import GreenSocket
    listener = socket.socket(fileno=listen_fd)

    def bound_socket(_conf):
        return GreenSocket(listener)
    wsgi.get_socket = bound_socket

    def hygiene_without_setsid():
        os.chdir('/')
        os.umask(0o22)
    wsgi.clean_up_daemon_hygiene = hygiene_without_setsid

    # verbose: log to stderr, which also keeps stderr open when Swift
    # closes stdio once it is ready.
    return wsgi.run_wsgi(conf_path, server, verbose=True)


if __name__ == '__main__':
    sys.exit(main(sys.argv))
