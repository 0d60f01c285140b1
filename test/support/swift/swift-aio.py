#!/usr/bin/env python3
"""An all-in-one OpenStack Swift speaking the S3 API, on 127.0.0.1, for tests.

    swift-aio.py run [DIR] [--watch-stdin] [--timeout SECONDS]
        Start Swift and supervise it in the foreground; print one JSON line
        (event "ready", with the endpoint and credentials) once every server
        answers /healthcheck. Stops everything on SIGINT, SIGTERM, SIGHUP,
        when a server dies, and (--watch-stdin) when stdin reaches EOF, which
        is how a test process that dies in any way, SIGKILL included, takes
        its Swift with it. Without DIR it makes a temporary one and removes
        it afterwards: in /dev/shm where that can hold Swift's data (see
        data_base(); LIBRSYNC_SWIFT_TMPDIR chooses another place), else in
        $TMPDIR.
    swift-aio.py start DIR [--timeout SECONDS]
        The same in the background; prints the ready line and returns. If a
        Swift already runs in DIR, prints its ready line (idempotent).
    swift-aio.py stop DIR       stops the Swift running in DIR (or what is
                                left of it if its supervisor was killed).
    swift-aio.py status DIR     prints its ready line if it runs.
    swift-aio.py cleanup        stops what is left of Swifts whose
                                supervisor was killed, and removes their
                                temporary directories (every start does it).

One replica on one device (DIR/srv/d1), rings of part power 6 (written by
the proxy as it starts, see swift-one-server.py), s3api before
tempauth (user test:tester, key testing), slo for multipart uploads, and a
memcached of its own for tempauth's native tokens. Each start wipes DIR's
Swift data: every run begins with an empty store. The servers read
DIR/etc/swift.conf, never /etc/swift/swift.conf (see swift-one-server.py),
so this touches nothing outside DIR and a per-user registry in $TMPDIR.

Every process it starts is in its process group and dies with it
(PR_SET_PDEATHSIG), even when the supervisor is killed with SIGKILL; the
registry lets the next start, stop or cleanup reap what such a kill left.

Exit statuses: 0 done; 1 Swift failed to start, or died; 2 usage error
(bad arguments, or DIR is neither new, empty nor a swift-aio directory, or
Swift already runs in it for `run`); 3 (stop, status) Swift is not running
in DIR.
"""
import argparse
import ctypes
import importlib.util
import json
import os
import secrets
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
MARKER = '.swift-aio'
STATE = 'state.json'
REGION = 'us-east-1'
ACCESS_KEY = 'test:tester'
SECRET_KEY = 'testing'
SERVERS = ('account', 'container', 'object', 'proxy')
# Swift does no name lookups here (every address is an IP), and eventlet's
# green DNS costs a second of imports in every process.
os.environ['EVENTLET_NO_GREENDNS'] = 'yes'


class UsageError(Exception):
    pass


class StartError(Exception):
    pass


def swift_python():
    """The interpreter the installed Swift runs on: this one if it can
    import swift, else the one named by the shebang of swift-proxy-server
    (`python3` on PATH may be another one, e.g. pyenv's, without Swift)."""
    if importlib.util.find_spec('swift') is not None:
        return sys.executable
    proxy = shutil.which('swift-proxy-server')
    if proxy:
        with open(proxy, 'rb') as script:
            first = script.readline().decode('utf8', 'replace')
        words = first[2:].split() if first.startswith('#!') else []
        if words and os.path.basename(words[0]) != 'env' and os.access(words[0], os.X_OK):
            return words[0]
    raise StartError('OpenStack Swift is not installed (no "swift" Python package for %s, no swift-proxy-server '
                     'on PATH); on Debian: apt-get install swift swift-proxy swift-object swift-container '
                     'swift-account memcached' % sys.executable)


# -- processes ---------------------------------------------------------------

def proc_start_time(pid):
    """Kernel start time of pid, to tell it from a later process that got
    the same pid; None when no such process, or a zombie (dead, only not
    yet reaped by its parent)."""
    try:
        with open('/proc/%d/stat' % pid, 'rb') as stat:
            fields = stat.read().rsplit(b')', 1)[1].split()
        return None if fields[0] in (b'Z', b'X') else int(fields[19])
    except (OSError, IndexError, ValueError):
        return None


def same_process(record):
    return record is not None and proc_start_time(record['pid']) == record['start']


def kill_recorded(record, sig=signal.SIGKILL):
    if same_process(record):
        try:
            os.kill(record['pid'], sig)
        except ProcessLookupError:
            pass


def wait_gone(records, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not any(same_process(r) for r in records):
            return True
        time.sleep(0.05)
    return not any(same_process(r) for r in records)


_libc = ctypes.CDLL(None, use_errno=True)


def die_with_parent(parent_pid):
    """preexec_fn: the child gets SIGKILL when the supervisor dies, however
    it dies (kept across exec)."""
    def set_death_signal():
        PR_SET_PDEATHSIG = 1
        if _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
            os._exit(120)
        if os.getppid() != parent_pid:  # it died before prctl
            os._exit(121)
    return set_death_signal


# -- registry of running instances ---------------------------------------------

def registry_dir():
    path = os.path.join(tempfile.gettempdir(), 'librsync-swift-aio-%d' % os.getuid())
    try:
        os.mkdir(path, 0o700)
    except FileExistsError:
        pass
    info = os.lstat(path)
    if not os.path.isdir(path) or os.path.islink(path) or info.st_uid != os.getuid():
        raise UsageError('%s is not a directory of ours' % path)
    return path


def write_json(path, value):
    tmp = path + '.tmp'
    with open(tmp, 'w') as out:
        json.dump(value, out)
    os.replace(tmp, path)


def read_json(path):
    try:
        with open(path) as source:
            return json.load(source)
    except (OSError, ValueError):
        return None


def reap(state):
    """Kill what a dead supervisor left, and remove its temporary dir."""
    for record in state.get('processes', []):
        kill_recorded(record)
    wait_gone(state.get('processes', []), 5)
    if state.get('owned') and os.path.isfile(os.path.join(state['dir'], MARKER)):
        shutil.rmtree(state['dir'], ignore_errors=True)
    elif os.path.isdir(state['dir']):
        try:
            os.unlink(os.path.join(state['dir'], STATE))
        except FileNotFoundError:
            pass


def cleanup_dead_instances():
    """Reaps every registered instance whose supervisor is gone; returns how many."""
    reaped = 0
    registry = registry_dir()
    for name in sorted(os.listdir(registry)):
        if not name.endswith('.json'):
            continue
        path = os.path.join(registry, name)
        state = read_json(path)
        if state is not None and same_process(state.get('supervisor')):
            continue
        if state is not None:
            reap(state)
            reaped += 1
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass
    return reaped


# -- one instance ----------------------------------------------------------------

def usable_dir(path):
    """DIR must be new, empty or ours: each start wipes its Swift data."""
    path = os.path.abspath(path)
    if os.path.exists(path):
        if not os.path.isdir(path):
            raise UsageError('%s is not a directory' % path)
        if os.listdir(path) and not os.path.isfile(os.path.join(path, MARKER)):
            raise UsageError('%s is not empty and was not made by swift-aio.py: give a new or empty directory' % path)
    else:
        os.makedirs(path, 0o700)
    open(os.path.join(path, MARKER), 'a').close()
    return path


# Swift fsyncs every object and container update; on a VM's disk that is
# most of a test's time, and a test's Swift needs no durability. Memory
# holds what the tests store (each Swift's directory goes when it stops).
IN_MEMORY = '/dev/shm'
IN_MEMORY_MIN_FREE = 2 << 30


def data_base():
    """Where a Swift without a DIR keeps its data: $LIBRSYNC_SWIFT_TMPDIR;
    else /dev/shm where it is a tmpfs with room that keeps Swift's extended
    attributes (user.* on tmpfs: Linux 6.6 and later); else $TMPDIR."""
    chosen = os.environ.get('LIBRSYNC_SWIFT_TMPDIR')
    if chosen:
        return chosen
    try:
        probe = tempfile.mkdtemp(prefix='librsync-swift-probe-', dir=IN_MEMORY)
    except OSError:
        return None
    try:
        path = os.path.join(probe, 'object')
        open(path, 'w').close()
        os.setxattr(path, 'user.swift.metadata', b'x' * 4096)
        stat = os.statvfs(IN_MEMORY)
        return IN_MEMORY if stat.f_bavail * stat.f_frsize >= IN_MEMORY_MIN_FREE else None
    except OSError:
        return None
    finally:
        shutil.rmtree(probe, ignore_errors=True)


def listen_socket():
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(('127.0.0.1', 0))
    sock.listen(1024)
    sock.set_inheritable(True)
    return sock


SERVER_CONF = """\
[DEFAULT]
bind_ip = 127.0.0.1
bind_port = {port}
workers = 0
swift_dir = {etc}
devices = {devices}
mount_check = false
disable_fallocate = true
log_level = INFO
log_name = {name}-server

[pipeline:main]
pipeline = healthcheck {name}-server

[filter:healthcheck]
use = egg:swift#healthcheck

[app:{name}-server]
use = egg:swift#{name}
"""

PROXY_CONF = """\
[DEFAULT]
bind_ip = 127.0.0.1
bind_port = {port}
workers = 0
swift_dir = {etc}
log_level = INFO
log_name = proxy-server

[pipeline:main]
pipeline = catch_errors gatekeeper healthcheck proxy-logging cache listing_formats bulk tempurl ratelimit s3api tempauth copy slo dlo versioned_writes proxy-logging proxy-server

[app:proxy-server]
use = egg:swift#proxy
account_autocreate = true

[filter:catch_errors]
use = egg:swift#catch_errors

[filter:gatekeeper]
use = egg:swift#gatekeeper

[filter:healthcheck]
use = egg:swift#healthcheck

[filter:proxy-logging]
use = egg:swift#proxy_logging

[filter:cache]
use = egg:swift#memcache
memcache_servers = 127.0.0.1:{memcached_port}

[filter:listing_formats]
use = egg:swift#listing_formats

[filter:bulk]
use = egg:swift#bulk

[filter:tempurl]
use = egg:swift#tempurl

[filter:ratelimit]
use = egg:swift#ratelimit

[filter:s3api]
use = egg:swift#s3api
location = {region}

[filter:tempauth]
use = egg:swift#tempauth
user_test_tester = {secret} .admin

[filter:copy]
use = egg:swift#copy

[filter:slo]
use = egg:swift#slo

[filter:dlo]
use = egg:swift#dlo

[filter:versioned_writes]
use = egg:swift#versioned_writes
"""

SWIFT_CONF = """\
[swift-hash]
swift_hash_path_prefix = {prefix}
swift_hash_path_suffix = {suffix}

[storage-policy:0]
name = swift-aio
default = yes

[swift-constraints]
"""


class Instance:
    def __init__(self, directory):
        self.owned = directory is None
        self.dir = tempfile.mkdtemp(prefix='librsync-swift-', dir=data_base()) if self.owned else usable_dir(directory)
        if self.owned:
            open(os.path.join(self.dir, MARKER), 'a').close()
        self.etc = os.path.join(self.dir, 'etc')
        self.logs = os.path.join(self.dir, 'log')
        self.run_dir = os.path.join(self.dir, 'run')
        self.children = {}  # name -> Popen, in start order
        self.records = []
        self.ready = None
        self.supervisor = {'pid': os.getpid(), 'start': proc_start_time(os.getpid())}
        self.registry_entry = os.path.join(registry_dir(), '%d-%d.json' % (self.supervisor['pid'], self.supervisor['start']))
        existing = read_json(os.path.join(self.dir, STATE))
        if existing is not None:
            if same_process(existing.get('supervisor')):
                raise UsageError('Swift already runs in %s (supervisor pid %d)' % (self.dir, existing['supervisor']['pid']))
            reap(existing)

    def state(self):
        return {'dir': self.dir, 'owned': self.owned, 'supervisor': self.supervisor,
                'processes': self.records, 'ready': self.ready}

    def save_state(self):
        write_json(self.registry_entry, self.state())
        write_json(os.path.join(self.dir, STATE), self.state())

    def prepare(self):
        for sub in ('etc', 'srv', 'log', 'run'):
            shutil.rmtree(os.path.join(self.dir, sub), ignore_errors=True)
        devices = os.path.join(self.dir, 'srv')
        for path in (self.etc, self.logs, self.run_dir, os.path.join(devices, 'd1')):
            os.makedirs(path, 0o700)
        self.save_state()  # registered before anything starts
        self.python = swift_python()
        self.sockets = {name: listen_socket() for name in SERVERS}
        self.ports = {name: sock.getsockname()[1] for name, sock in self.sockets.items()}
        with open(os.path.join(self.etc, 'swift.conf'), 'w') as out:
            out.write(SWIFT_CONF.format(prefix=secrets.token_hex(8), suffix=secrets.token_hex(8)))
        for name in ('account', 'container', 'object'):
            with open(os.path.join(self.etc, '%s-server.conf' % name), 'w') as out:
                out.write(SERVER_CONF.format(port=self.ports[name], etc=self.etc, devices=devices, name=name))
        # The proxy writes the rings as it starts (it imports Swift anyway;
        # the other servers do not read them).
        write_json(os.path.join(self.etc, 'rings.json'), {
            name: {'ip': '127.0.0.1', 'port': self.ports[name], 'device': 'd1'}
            for name in ('account', 'container', 'object')})

    def spawn(self, name, argv, pass_fds=(), env=None):
        log = open(os.path.join(self.logs, '%s.log' % name), 'ab')
        try:
            child = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                     pass_fds=pass_fds, env=env, preexec_fn=die_with_parent(os.getpid()))
        finally:
            log.close()
        self.children[name] = child
        self.records.append({'name': name, 'pid': child.pid, 'start': proc_start_time(child.pid)})
        self.save_state()
        return child

    def start_memcached(self):
        # -p -1: an ephemeral port, written to MEMCACHED_PORT_FILENAME.
        port_file = os.path.join(self.run_dir, 'memcached.port')
        argv = ['memcached', '-l', '127.0.0.1', '-p', '-1', '-U', '0', '-m', '16', '-t', '1', '-c', '1024']
        if os.geteuid() == 0:
            argv += ['-u', 'root']
        if shutil.which('memcached') is None:
            raise StartError('memcached is not installed (on Debian: apt-get install memcached)')
        child = self.spawn('memcached', argv, env=dict(os.environ, MEMCACHED_PORT_FILENAME=port_file))
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with open(port_file) as ports:
                    for line in ports:
                        if line.startswith('TCP INET:'):
                            self.ports['memcached'] = int(line.split(':')[1])
                            return
            except FileNotFoundError:
                pass
            if child.poll() is not None:
                raise StartError('memcached exited with status %d: %s' % (child.returncode, self.log_tail('memcached')))
            time.sleep(0.01)
        raise StartError('memcached wrote no port in 10 s')

    def start_server(self, name, *extra):
        sock = self.sockets[name]
        self.spawn(name, [self.python, os.path.join(HERE, 'swift-one-server.py'), '%s-server' % name,
                          os.path.join(self.etc, '%s-server.conf' % name),
                          os.path.join(self.etc, 'swift.conf'), str(sock.fileno())] + list(extra),
                   pass_fds=(sock.fileno(),))
        sock.close()  # the server has its copy

    def start_proxy(self):
        with open(os.path.join(self.etc, 'proxy-server.conf'), 'w') as out:
            out.write(PROXY_CONF.format(port=self.ports['proxy'], etc=self.etc, memcached_port=self.ports['memcached'],
                                        region=REGION, secret=SECRET_KEY))
        self.start_server('proxy', os.path.join(self.etc, 'rings.json'))

    def log_tail(self, name, lines=15):
        try:
            with open(os.path.join(self.logs, '%s.log' % name), 'rb') as log:
                text = log.read()[-8192:].decode('utf8', 'replace')
        except OSError:
            return '(no log)'
        return '\n'.join(text.splitlines()[-lines:])

    def dead_child(self):
        for name, child in self.children.items():
            if child.poll() is not None:
                return '%s exited with status %d; the end of %s:\n%s' % (
                    name, child.returncode, os.path.join(self.logs, name + '.log'), self.log_tail(name))
        return None

    def healthy(self, name):
        import http.client
        conn = http.client.HTTPConnection('127.0.0.1', self.ports[name], timeout=2)
        try:
            conn.request('GET', '/healthcheck')
            return conn.getresponse().status == 200
        except OSError:
            return False
        finally:
            conn.close()

    def wait_healthy(self, timeout, stopping):
        deadline = time.monotonic() + timeout
        waiting = list(SERVERS)
        while waiting:
            died = self.dead_child()
            if died:
                raise StartError(died)
            if stopping():
                raise StartError('interrupted while starting')
            if time.monotonic() > deadline:
                raise StartError('%s did not answer /healthcheck within %g s' % (', '.join(waiting), timeout))
            waiting = [name for name in waiting if not self.healthy(name)]
            if waiting:
                time.sleep(0.05)

    def stop(self):
        for name, child in reversed(list(self.children.items())):
            if child.poll() is None:
                # memcached takes 0.7 s over SIGTERM; a cache loses nothing to SIGKILL.
                child.kill() if name == 'memcached' else child.terminate()
        deadline = time.monotonic() + 3
        for child in self.children.values():
            try:
                child.wait(max(0.01, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
        self.kill_group_leftovers()
        if self.owned:
            shutil.rmtree(self.dir, ignore_errors=True)
        else:
            for path in (os.path.join(self.dir, STATE),):
                try:
                    os.unlink(path)
                except FileNotFoundError:
                    pass
        try:
            os.unlink(self.registry_entry)
        except FileNotFoundError:
            pass

    def kill_group_leftovers(self):
        """Anything else in our process group (nothing forks today)."""
        me = os.getpid()
        if os.getpgrp() != me:
            return
        for entry in os.listdir('/proc'):
            if not entry.isdigit() or int(entry) == me:
                continue
            try:
                if os.getpgid(int(entry)) == me:
                    os.kill(int(entry), signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass

    def ready_info(self, started):
        proxy = 'http://127.0.0.1:%d' % self.ports['proxy']
        return {'event': 'ready', 'endpoint': proxy, 'region': REGION,
                'accessKeyId': ACCESS_KEY, 'secretAccessKey': SECRET_KEY,
                'authUrl': proxy + '/auth/v1.0', 'dir': self.dir, 'logs': self.logs,
                'ports': self.ports, 'supervisorPid': os.getpid(),
                'pids': {name: child.pid for name, child in self.children.items()},
                'readyMs': round((time.monotonic() - started) * 1000)}


# -- commands ----------------------------------------------------------------------

def emit(value):
    sys.stdout.write(json.dumps(value) + '\n')
    sys.stdout.flush()


def cmd_run(args):
    started = time.monotonic()
    if os.getpgrp() != os.getpid():
        try:
            os.setpgid(0, 0)  # our own group: what we start is in it
        except PermissionError:
            pass  # already a session leader
    stop_reason = []
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_w, False)
    signal.set_wakeup_fd(wake_w)

    def on_signal(signum, _frame):
        stop_reason.append(signal.Signals(signum).name)
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, on_signal)
    signal.signal(signal.SIGCHLD, lambda *_: None)  # only to wake select()

    cleanup_dead_instances()
    instance = Instance(args.dir)
    status = 0
    try:
        phases = {}

        def phase(name):
            phases[name] = round((time.monotonic() - started) * 1000)
        instance.prepare()
        for name in ('account', 'container', 'object'):
            instance.start_server(name)
        instance.start_memcached()
        phase('memcached')
        instance.start_proxy()
        phase('spawned')
        instance.wait_healthy(args.timeout, lambda: bool(stop_reason))
        instance.ready = instance.ready_info(started)
        instance.ready['phasesMs'] = phases
        instance.save_state()
        emit(instance.ready)
        watch = [wake_r]
        if args.watch_stdin:
            watch.append(sys.stdin.fileno())
        while not stop_reason:
            readable, _, _ = select.select(watch, [], [], 1.0)
            if wake_r in readable:
                os.read(wake_r, 512)
            if args.watch_stdin and sys.stdin.fileno() in readable:
                if not os.read(sys.stdin.fileno(), 512):
                    stop_reason.append('stdin closed')
            died = instance.dead_child()
            if died:
                sys.stderr.write('swift-aio: %s\n' % died)
                status = 1
                break
    except StartError as error:
        emit({'event': 'error', 'message': str(error), 'dir': instance.dir})
        sys.stderr.write('swift-aio: %s\n' % error)
        status = 1
    finally:
        instance.stop()
    return status


def cmd_start(args):
    cleanup_dead_instances()
    directory = usable_dir(args.dir)
    state = read_json(os.path.join(directory, STATE))
    if state is not None and same_process(state.get('supervisor')):
        deadline = time.monotonic() + args.timeout
        while state is not None and state.get('ready') is None and time.monotonic() < deadline:
            time.sleep(0.1)  # another start is under way
            state = read_json(os.path.join(directory, STATE))
        if state is not None and state.get('ready'):
            emit(state['ready'])
            return 0
    with open(os.path.join(directory, 'supervisor.log'), 'wb') as log:
        daemon = subprocess.Popen([sys.executable, os.path.abspath(__file__), 'run', directory,
                                   '--timeout', str(args.timeout)],
                                  stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=log,
                                  start_new_session=True)
    line = daemon.stdout.readline()
    daemon.stdout.close()
    try:
        ready = json.loads(line)
    except ValueError:
        ready = None
    if ready is None or ready.get('event') != 'ready':
        daemon.wait()
        sys.stderr.write('swift-aio: Swift did not start (status %s): %s\n' % (
            daemon.returncode, ready['message'] if ready else open(os.path.join(directory, 'supervisor.log')).read()))
        return 1
    emit(ready)
    return 0


def existing_dir(path):
    path = os.path.abspath(path)
    if not os.path.isfile(os.path.join(path, MARKER)):
        raise UsageError('%s is not a swift-aio directory' % path)
    return path


def cmd_stop(args):
    directory = existing_dir(args.dir)
    state = read_json(os.path.join(directory, STATE))
    if state is None:
        print('swift-aio: Swift is not running in %s' % directory)
        return 3
    supervisor = state.get('supervisor')
    if same_process(supervisor):
        kill_recorded(supervisor, signal.SIGTERM)
        if not wait_gone([supervisor], 15):
            kill_recorded(supervisor)
        reap(state)
        print('swift-aio: stopped Swift in %s' % directory)
    else:
        reap(state)
        print('swift-aio: Swift in %s had lost its supervisor; killed what was left' % directory)
    return 0


def cmd_status(args):
    directory = existing_dir(args.dir)
    state = read_json(os.path.join(directory, STATE))
    if state is not None and same_process(state.get('supervisor')) and state.get('ready'):
        emit(state['ready'])
        return 0
    print('swift-aio: Swift is not running in %s' % directory)
    return 3


def cmd_cleanup(_args):
    print('swift-aio: reaped %d instance(s) whose supervisor had died' % cleanup_dead_instances())
    return 0


def main():
    parser = argparse.ArgumentParser(prog='swift-aio.py', description=__doc__.split('\n')[0])
    commands = parser.add_subparsers(dest='command', required=True)
    run = commands.add_parser('run', help='start and supervise in the foreground')
    run.add_argument('dir', nargs='?')
    run.add_argument('--watch-stdin', action='store_true', help='stop when stdin reaches EOF')
    run.add_argument('--timeout', type=float, default=30, help='seconds to wait for the servers (default 30)')
    start = commands.add_parser('start', help='start in the background')
    start.add_argument('dir')
    start.add_argument('--timeout', type=float, default=30)
    for name in ('stop', 'status'):
        commands.add_parser(name).add_argument('dir')
    commands.add_parser('cleanup')
    args = parser.parse_args()
    try:
        return {'run': cmd_run, 'start': cmd_start, 'stop': cmd_stop, 'status': cmd_status,
                'cleanup': cmd_cleanup}[args.command](args)
    except UsageError as error:
        sys.stderr.write('swift-aio: %s\n' % error)
        return 2


if __name__ == '__main__':
    sys.exit(main())
