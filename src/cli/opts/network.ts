/**
 * `--network` (plain name or the `name=,alias=,ip=,...` form) and the endpoint settings docker
 * derives from it together with --network-alias, --link, --ip, --ip6 and --link-local-ip.
 */
import { parseCsvRecord } from './csv.js';

export interface NetworkAttachment {
  Target: string;
  Aliases: string[];
  DriverOpts?: Record<string, string>;
  IPv4Address: string;
  IPv6Address: string;
  MacAddress: string;
  GwPriority: number;
  Links: string[];
  LinkLocalIPs: string[];
}

export function parseNetworkOpt(value: string): NetworkAttachment {
  const n: NetworkAttachment = { Target: '', Aliases: [], IPv4Address: '', IPv6Address: '', MacAddress: '', GwPriority: 0, Links: [], LinkLocalIPs: [] };
  if (!/\w+=\w+(,\w+=\w+)*/.test(value)) {
    n.Target = value;
    return n;
  }
  for (const field of parseCsvRecord(value)) {
    const eq = field.indexOf('=');
    if (eq <= 0) throw new Error(`invalid field ${field}`);
    const key = field.slice(0, eq).trim();
    const val = field.slice(eq + 1).trim();
    switch (key) {
      case 'name':
        n.Target = val;
        break;
      case 'alias':
        n.Aliases.push(val);
        break;
      case 'ip':
        n.IPv4Address = val;
        break;
      case 'ip6':
        n.IPv6Address = val;
        break;
      case 'mac-address':
        n.MacAddress = val;
        break;
      case 'link-local-ip':
        n.LinkLocalIPs.push(val);
        break;
      case 'gw-priority':
        n.GwPriority = Number(val);
        break;
      case 'driver-opt': {
        const i = val.indexOf('=');
        if (i <= 0) throw new Error('invalid key value pair format in driver options');
        n.DriverOpts ??= {};
        n.DriverOpts[val.slice(0, i).trim()] = val.slice(i + 1).trim();
        break;
      }
      default:
        throw new Error(`invalid field key ${key}`);
    }
  }
  if (n.Target.length === 0) throw new Error('network name/id is not specified');
  return n;
}

/** Network modes that are not user-defined networks. */
export function isUserDefined(mode: string): boolean {
  return !['default', 'bridge', 'host', 'none'].includes(mode) && !mode.startsWith('container:');
}

export interface EndpointSettings {
  IPAMConfig: { IPv4Address?: string; IPv6Address?: string; LinkLocalIPs?: string[] } | null;
  Links: string[] | null;
  Aliases: string[] | null;
  MacAddress: string;
  DriverOpts: Record<string, string> | null;
  GwPriority: number;
  NetworkID: string;
  EndpointID: string;
  Gateway: string;
  IPAddress: string;
  IPPrefixLen: number;
  IPv6Gateway: string;
  GlobalIPv6Address: string;
  GlobalIPv6PrefixLen: number;
  DNSNames: null;
}

export interface LegacyNetworkFlags {
  aliases: string[];
  links: string[];
  ipv4: string;
  ipv6: string;
  mac: string;
  linkLocalIps: string[];
}

function applyContainerOptions(n: NetworkAttachment, f: LegacyNetworkFlags): void {
  if (n.Aliases.length && f.aliases.length) throw new Error('conflicting options: cannot specify both --network-alias and per-network alias');
  if (n.Links.length && f.links.length) throw new Error('conflicting options: cannot specify both --link and per-network links');
  if (n.IPv4Address && f.ipv4) throw new Error('conflicting options: cannot specify both --ip and per-network IPv4 address');
  if (n.IPv6Address && f.ipv6) throw new Error('conflicting options: cannot specify both --ip6 and per-network IPv6 address');
  if (n.MacAddress && f.mac) throw new Error('conflicting options: cannot specify both --mac-address and per-network MAC address');
  if (n.LinkLocalIPs.length && f.linkLocalIps.length) throw new Error('conflicting options: cannot specify both --link-local-ip and per-network link-local IP addresses');
  if (f.aliases.length) n.Aliases = [...f.aliases];
  if (isUserDefined(n.Target) && f.links.length) n.Links = [...f.links];
  if (f.ipv4) n.IPv4Address = f.ipv4;
  if (f.ipv6) n.IPv6Address = f.ipv6;
  if (f.mac) n.MacAddress = f.mac;
  if (f.linkLocalIps.length) n.LinkLocalIPs = [...f.linkLocalIps];
}

function endpoint(n: NetworkAttachment): EndpointSettings {
  if (n.Target.trim() === '') throw new Error('no name set for network');
  if (!isUserDefined(n.Target)) {
    if (n.Aliases.length) throw new Error('network-scoped aliases are only supported for user-defined networks');
    if (n.Links.length) throw new Error('links are only supported for user-defined networks');
  }
  let ipam: EndpointSettings['IPAMConfig'] = null;
  if (n.IPv4Address || n.IPv6Address || n.LinkLocalIPs.length) {
    ipam = {};
    if (n.IPv4Address) ipam.IPv4Address = n.IPv4Address;
    if (n.IPv6Address) ipam.IPv6Address = n.IPv6Address;
    if (n.LinkLocalIPs.length) ipam.LinkLocalIPs = n.LinkLocalIPs;
  }
  return {
    IPAMConfig: ipam,
    Links: n.Links.length ? n.Links : null,
    Aliases: n.Aliases.length ? n.Aliases : null,
    MacAddress: n.MacAddress,
    DriverOpts: n.DriverOpts && Object.keys(n.DriverOpts).length ? n.DriverOpts : null,
    GwPriority: n.GwPriority,
    NetworkID: '',
    EndpointID: '',
    Gateway: '',
    IPAddress: '',
    IPPrefixLen: 0,
    IPv6Gateway: '',
    GlobalIPv6Address: '',
    GlobalIPv6PrefixLen: 0,
    DNSNames: null,
  };
}

function isEmpty(ep: EndpointSettings): boolean {
  return ep.IPAMConfig === null && ep.Links === null && ep.Aliases === null && ep.MacAddress === '' && ep.DriverOpts === null && ep.GwPriority === 0;
}

/** docker's parseNetworkOpts: the EndpointsConfig of the create body. */
export function endpointsConfig(networks: NetworkAttachment[], f: LegacyNetworkFlags): Record<string, EndpointSettings> {
  const out: Record<string, EndpointSettings> = {};
  if (networks.length === 0) {
    const n: NetworkAttachment = { Target: 'default', Aliases: [], IPv4Address: '', IPv6Address: '', MacAddress: '', GwPriority: 0, Links: [], LinkLocalIPs: [] };
    applyContainerOptions(n, f);
    out.default = endpoint(n);
    return out;
  }
  let userDefined = false;
  let builtin = false;
  networks.forEach((orig, i) => {
    const n: NetworkAttachment = { ...orig, Aliases: [...orig.Aliases], Links: [...orig.Links], LinkLocalIPs: [...orig.LinkLocalIPs] };
    if (isUserDefined(n.Target)) userDefined = true;
    else builtin = true;
    if (i === 0) applyContainerOptions(n, f);
    const ep = endpoint(n);
    if (n.Target in out) throw new Error(`network "${n.Target}" is specified multiple times`);
    if (i === 0 && networks.length === 1 && isEmpty(ep)) return;
    out[n.Target] = ep;
  });
  if (userDefined && builtin) throw new Error('conflicting options: cannot attach both user-defined and non-user-defined network-modes');
  return out;
}
