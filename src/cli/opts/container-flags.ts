/**
 * The flags of `run` and `create` (docker/cli's addFlags plus the run/create specific ones),
 * with docker's names, shorthands, types, help texts and per-occurrence validation.
 */
import { boolFlag, hidden, intFlag, listFlag, stringFlag, uintFlag, valueFlag, type FlagSpec } from '../flags/spec.js';
import { parseMount, type Mount } from './mounts.js';
import { parseNetworkOpt, type NetworkAttachment } from './network.js';
import { parseDeviceRate, parseGpus, parseUlimit, parseWeightDevice, type DeviceRequest, type Ulimit } from './resources.js';
import { parseGoDuration, parseNanoCpus, ramInBytes } from './units.js';
import {
  validateAttach,
  validateDeviceCgroupRule,
  validateDNSSearch,
  validateEnv,
  validateExtraHost,
  validateIPAddress,
  validateLabel,
  validateLink,
  validateSysctl,
} from './validators.js';

const bytes = (name: string, short: string | undefined, usage: string): FlagSpec =>
  valueFlag(name, short, 'bytes', usage, 0, (t) => ramInBytes(t));

const duration = (name: string, usage: string): FlagSpec => valueFlag(name, undefined, 'duration', usage, 0, (t) => parseGoDuration(t));

const mapFlag = (name: string, usage: string, validate: (t: string) => string): FlagSpec =>
  valueFlag(name, undefined, 'map', usage, [], (t, prev) => [...(prev as string[]), validate(t)], 'map[]');

/**
 * Flags shared by run and create. Those a Linux daemon at API 1.41 cannot take (Windows-only,
 * API 1.43+) are hidden, as docker hides them once it knows the daemon.
 */
export function containerFlags(): FlagSpec[] {
  return [
    listFlag('attach', 'a', 'Attach to STDIN, STDOUT or STDERR', validateAttach),
    listFlag('device-cgroup-rule', undefined, 'Add a rule to the cgroup allowed devices list', validateDeviceCgroupRule),
    listFlag('device', undefined, 'Add a host device to the container'),
    valueFlag('gpus', undefined, 'gpu-request', "GPU devices to add to the container ('all' to pass all GPUs)", [], (t, prev) => [...(prev as DeviceRequest[]), parseGpus(t)]),
    listFlag('env', 'e', 'Set environment variables', validateEnv),
    listFlag('env-file', undefined, 'Read in a file of environment variables'),
    stringFlag('entrypoint', undefined, 'Overwrite the default ENTRYPOINT of the image'),
    listFlag('group-add', undefined, 'Add additional groups to join'),
    stringFlag('hostname', 'h', 'Container host name'),
    stringFlag('domainname', undefined, 'Container NIS domain name'),
    boolFlag('interactive', 'i', 'Keep STDIN open even if not attached'),
    listFlag('label', 'l', 'Set meta data on a container', validateLabel),
    listFlag('label-file', undefined, 'Read in a line delimited file of labels'),
    boolFlag('read-only', undefined, "Mount the container's root filesystem as read only"),
    { ...stringFlag('restart', undefined, 'Restart policy to apply when a container exits', 'no') },
    stringFlag('stop-signal', undefined, 'Signal to stop the container'),
    intFlag('stop-timeout', undefined, 'Timeout (in seconds) to stop a container'),
    mapFlag('sysctl', 'Sysctl options', validateSysctl),
    boolFlag('tty', 't', 'Allocate a pseudo-TTY'),
    valueFlag('ulimit', undefined, 'ulimit', 'Ulimit options', [], (t, prev) => {
      const u = parseUlimit(t);
      return [...(prev as Ulimit[]).filter((p) => p.Name !== u.Name), u];
    }, '[]'),
    stringFlag('user', 'u', 'Username or UID (format: <name|uid>[:<group|gid>])'),
    stringFlag('workdir', 'w', 'Working directory inside the container'),
    boolFlag('rm', undefined, 'Automatically remove the container and its associated anonymous volumes when it exits'),
    // Security
    listFlag('cap-add', undefined, 'Add Linux capabilities'),
    listFlag('cap-drop', undefined, 'Drop Linux capabilities'),
    boolFlag('privileged', undefined, 'Give extended privileges to this container'),
    listFlag('security-opt', undefined, 'Security Options'),
    stringFlag('userns', undefined, 'User namespace to use'),
    stringFlag(
      'cgroupns',
      undefined,
      "Cgroup namespace to use (host|private)\n'host':    Run the container in the Docker host's cgroup namespace\n'private': Run the container in its own private cgroup namespace\n'':        Use the cgroup namespace as configured by the\n           default-cgroupns-mode option on the daemon (default)",
    ),
    // Network and ports
    listFlag('add-host', undefined, 'Add a custom host-to-IP mapping (host:ip)', validateExtraHost),
    listFlag('dns', undefined, 'Set custom DNS servers', validateIPAddress),
    hidden(listFlag('dns-opt', undefined, 'Set DNS options'), 'dns-option'),
    listFlag('dns-option', undefined, 'Set DNS options'),
    listFlag('dns-search', undefined, 'Set custom DNS search domains', validateDNSSearch),
    listFlag('expose', undefined, 'Expose a port or a range of ports'),
    valueFlag('ip', undefined, 'string', 'IPv4 address (e.g., 172.30.100.104)', '', (t) => t),
    valueFlag('ip6', undefined, 'string', 'IPv6 address (e.g., 2001:db8::33)', '', (t) => t),
    listFlag('link', undefined, 'Add link to another container', validateLink),
    listFlag('link-local-ip', undefined, 'Container IPv4/IPv6 link-local addresses'),
    stringFlag('mac-address', undefined, 'Container MAC address (e.g., 92:d0:c6:0a:29:33)'),
    listFlag('publish', 'p', "Publish a container's port(s) to the host"),
    boolFlag('publish-all', 'P', 'Publish all exposed ports to random ports'),
    hidden(valueFlag('net', undefined, 'network', 'Connect a container to a network', [], (t, prev) => [...(prev as NetworkAttachment[]), parseNetworkOpt(t)]), 'network'),
    valueFlag('network', undefined, 'network', 'Connect a container to a network', [], (t, prev) => [...(prev as NetworkAttachment[]), parseNetworkOpt(t)]),
    hidden(listFlag('net-alias', undefined, 'Add network-scoped alias for the container'), 'network-alias'),
    listFlag('network-alias', undefined, 'Add network-scoped alias for the container'),
    // Logging and storage
    stringFlag('log-driver', undefined, 'Logging driver for the container'),
    stringFlag('volume-driver', undefined, 'Optional volume driver for the container'),
    listFlag('log-opt', undefined, 'Log driver options'),
    listFlag('storage-opt', undefined, 'Storage driver options for the container'),
    listFlag('tmpfs', undefined, 'Mount a tmpfs directory'),
    listFlag('volumes-from', undefined, 'Mount volumes from the specified container(s)'),
    listFlag('volume', 'v', 'Bind mount a volume'),
    valueFlag('mount', undefined, 'mount', 'Attach a filesystem mount to the container', [], (t, prev) => [...(prev as Mount[]), parseMount(t)]),
    // Health-checking
    stringFlag('health-cmd', undefined, 'Command to run to check health'),
    duration('health-interval', 'Time between running the check (ms|s|m|h) (default 0s)'),
    intFlag('health-retries', undefined, 'Consecutive failures needed to report unhealthy'),
    duration('health-timeout', 'Maximum time to allow one check to run (ms|s|m|h) (default 0s)'),
    duration('health-start-period', 'Start period for the container to initialize before starting health-retries countdown (ms|s|m|h) (default 0s)'),
    hidden(duration('health-start-interval', 'Time between running the check during the start period (ms|s|m|h) (default 0s)')),
    boolFlag('no-healthcheck', undefined, 'Disable any container-specified HEALTHCHECK'),
    // Resources
    uintFlag('blkio-weight', undefined, 'Block IO (relative weight), between 10 and 1000, or 0 to disable (default 0)', 16),
    valueFlag('blkio-weight-device', undefined, 'list', 'Block IO weight (relative device weight)', [], (t, prev) => [...(prev as unknown[]), parseWeightDevice(t)], '[]'),
    stringFlag('cidfile', undefined, 'Write the container ID to the file'),
    stringFlag('cpuset-cpus', undefined, 'CPUs in which to allow execution (0-3, 0,1)'),
    stringFlag('cpuset-mems', undefined, 'MEMs in which to allow execution (0-3, 0,1)'),
    hidden(intFlag('cpu-count', undefined, 'CPU count (Windows only)')),
    hidden(intFlag('cpu-percent', undefined, 'CPU percent (Windows only)')),
    intFlag('cpu-period', undefined, 'Limit CPU CFS (Completely Fair Scheduler) period'),
    intFlag('cpu-quota', undefined, 'Limit CPU CFS (Completely Fair Scheduler) quota'),
    intFlag('cpu-rt-period', undefined, 'Limit CPU real-time period in microseconds'),
    intFlag('cpu-rt-runtime', undefined, 'Limit CPU real-time runtime in microseconds'),
    intFlag('cpu-shares', 'c', 'CPU shares (relative weight)'),
    valueFlag('cpus', undefined, 'decimal', 'Number of CPUs', 0, (t) => parseNanoCpus(t)),
    valueFlag('device-read-bps', undefined, 'list', 'Limit read rate (bytes per second) from a device', [], (t, prev) => [...(prev as unknown[]), parseDeviceRate(t, 'bps')], '[]'),
    valueFlag('device-read-iops', undefined, 'list', 'Limit read rate (IO per second) from a device', [], (t, prev) => [...(prev as unknown[]), parseDeviceRate(t, 'iops')], '[]'),
    valueFlag('device-write-bps', undefined, 'list', 'Limit write rate (bytes per second) to a device', [], (t, prev) => [...(prev as unknown[]), parseDeviceRate(t, 'bps')], '[]'),
    valueFlag('device-write-iops', undefined, 'list', 'Limit write rate (IO per second) to a device', [], (t, prev) => [...(prev as unknown[]), parseDeviceRate(t, 'iops')], '[]'),
    hidden(bytes('io-maxbandwidth', undefined, 'Maximum IO bandwidth limit for the system drive (Windows only)')),
    hidden(uintFlag('io-maxiops', undefined, 'Maximum IOps limit for the system drive (Windows only)', 64)),
    bytes('memory', 'm', 'Memory limit'),
    bytes('memory-reservation', undefined, 'Memory soft limit'),
    valueFlag('memory-swap', undefined, 'bytes', "Swap limit equal to memory plus swap: '-1' to enable unlimited swap", 0, (t) => (t === '-1' ? -1 : ramInBytes(t))),
    intFlag('memory-swappiness', undefined, 'Tune container memory swappiness (0 to 100)', -1),
    boolFlag('oom-kill-disable', undefined, 'Disable OOM Killer'),
    intFlag('oom-score-adj', undefined, "Tune host's OOM preferences (-1000 to 1000)"),
    intFlag('pids-limit', undefined, 'Tune container pids limit (set -1 for unlimited)'),
    // Low-level execution
    stringFlag('cgroup-parent', undefined, 'Optional parent cgroup for the container'),
    stringFlag('ipc', undefined, 'IPC mode to use'),
    stringFlag('isolation', undefined, 'Container isolation technology'),
    stringFlag('pid', undefined, 'PID namespace to use'),
    bytes('shm-size', undefined, 'Size of /dev/shm'),
    stringFlag('uts', undefined, 'UTS namespace to use'),
    stringFlag('runtime', undefined, 'Runtime to use for this container'),
    boolFlag('init', undefined, 'Run an init inside the container that forwards signals and reaps processes'),
    hidden(mapFlag('annotation', 'Add an annotation to the container (passed through to the OCI runtime)', (t) => t)),
    bytes('kernel-memory', undefined, 'Kernel memory limit'),
    // create/run options
    stringFlag('name', undefined, 'Assign a name to the container'),
    stringFlag('platform', undefined, 'Set platform if server is multi-platform capable', process.env.DOCKER_DEFAULT_PLATFORM ?? ''),
    boolFlag('quiet', 'q', 'Suppress the pull output'),
    boolFlag('disable-content-trust', undefined, 'Skip image verification', true),
    boolFlag('use-api-socket', undefined, 'Bind mount Docker API socket and required auth'),
  ];
}

export function createFlags(): FlagSpec[] {
  return [...containerFlags(), stringFlag('pull', undefined, 'Pull image before creating ("always", "|missing", "never")', 'missing')];
}

export function runFlags(): FlagSpec[] {
  return [
    ...containerFlags(),
    stringFlag('pull', undefined, 'Pull image before running ("always", "missing", "never")', 'missing'),
    boolFlag('detach', 'd', 'Run container in background and print container ID'),
    stringFlag('detach-keys', undefined, 'Override the key sequence for detaching a container'),
    boolFlag('sig-proxy', undefined, 'Proxy received signals to the process', true),
  ];
}
